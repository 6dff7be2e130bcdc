"""Reading DecodingTrust's files with errors a user can act on, and whether its HF dataset is reachable now.

Every reader takes the dimension that needs the file, so a `DTDataError` says which file, which line
(1-based, where the format has lines) and which dimension is blocked — and nothing else is.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

HF_REPO = "AI-secure/DecodingTrust"

class DTDataError(Exception):
    """A DecodingTrust file is missing or malformed. Says which file, line and dimension."""

    def __init__(self, dimension: str, path: Path | str, problem: str, line: int | None = None) -> None:
        self.dimension = dimension
        self.path = Path(path)
        self.line = line
        self.problem = problem
        where = str(path)  # as given: Path() would fold an hf:// address
        where = f"{where}, line {line}" if line is not None else where
        super().__init__(f"[{dimension}] {where}: {problem}")


DT_DATA_URL = "https://github.com/AI-secure/DecodingTrust/tree/main/data"

# Files a plain checkout often lacks (large, or fetched separately), path prefix under `data/` -> what they
# feed: the missing-file error says so. Each slice adds its own (`DTSlice.often_missing`) as it registers.
OFTEN_MISSING: dict[str, str] = {}


def missing_file_message(rel: str) -> str:
    """Where to get a DecodingTrust file: its path under `data/`, in the repository and on the HF hub."""
    feeds = next((what for prefix, what in OFTEN_MISSING.items() if rel.startswith(prefix)), "")
    return (
        f"file not found: `data/{rel}` of DecodingTrust ({DT_DATA_URL}/{rel}, also in the Hugging Face "
        f"dataset {HF_REPO} at `{rel}`); download it into the folder given to --dt-data, which must be "
        f"DecodingTrust's `data/` folder" + (f". It feeds {feeds}; the other sets still run" if feeds else "")
    )


def require(root: Path, rel: str, dimension: str) -> Path:
    """The path of a file the dimension cannot do without; a clear error when it is absent."""
    path = Path(root) / rel
    if not path.is_file():
        raise DTDataError(dimension, path, missing_file_message(rel))
    return path


def first_existing(root: Path, rels: Sequence[str], dimension: str) -> Path:
    """DecodingTrust keeps some files under two names; take the first present."""
    for rel in rels:
        if (Path(root) / rel).is_file():
            return Path(root) / rel
    return require(root, rels[0], dimension)


def read_text(path: Path, dimension: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DTDataError(dimension, path, "file not found") from None
    except UnicodeDecodeError as e:
        raise DTDataError(dimension, path, f"not UTF-8 text ({e.reason} at byte {e.start})") from None


def read_jsonl(path: Path, dimension: str, required: Sequence[str] = ()) -> list[dict[str, Any]]:
    """One JSON object per line; each row gets its 1-based line in `_line`. `required` keys may be dotted."""
    rows: list[dict[str, Any]] = []
    for lineno, line in enumerate(read_text(path, dimension).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            raise DTDataError(dimension, path, f"invalid JSON ({e.msg}, column {e.colno})", lineno) from None
        if not isinstance(row, dict):
            raise DTDataError(dimension, path, f"expected a JSON object, got {type(row).__name__}", lineno)
        for key in required:
            if not has_path(row, key):
                raise DTDataError(dimension, path, f"missing key `{key}`", lineno)
        row["_line"] = lineno
        rows.append(row)
    return rows


def read_json(path: Path, dimension: str) -> Any:
    text = read_text(path, dimension)
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise DTDataError(dimension, path, f"invalid JSON ({e.msg}, column {e.colno})", e.lineno) from None


def read_csv(path: Path, dimension: str, columns: Sequence[str]) -> list[dict[str, str]]:
    """Rows as dicts; the header must hold `columns`. Each row remembers its physical line in `_line`."""
    text = read_text(path, dimension)
    reader = csv.DictReader(text.splitlines(keepends=True))
    header = reader.fieldnames or []
    missing = [c for c in columns if c not in header]
    if missing:
        raise DTDataError(dimension, path, f"missing column(s) {missing}; header is {header}", 1)
    rows: list[dict[str, str]] = []
    try:
        for row in reader:
            if None in row or any(row.get(c) is None for c in columns):
                raise DTDataError(dimension, path, f"expected {len(header)} fields", reader.line_num)
            row["_line"] = str(reader.line_num)
            rows.append(row)
    except csv.Error as e:
        raise DTDataError(dimension, path, f"malformed CSV ({e})", reader.line_num) from None
    return rows


def read_npy(path: Path, dimension: str) -> np.ndarray:
    import numpy as np

    if not path.is_file():
        raise DTDataError(dimension, path, "file not found")
    try:
        # DecodingTrust stores ints and fixed-width strings; object arrays would need pickle, which we refuse.
        return np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as e:
        raise DTDataError(dimension, path, f"not a readable .npy array ({e})") from None


def has_path(obj: Mapping[str, Any], dotted: str) -> bool:
    cur: Any = obj
    for part in dotted.split("."):
        if not isinstance(cur, Mapping) or part not in cur:
            return False
        cur = cur[part]
    return True


def hf_available() -> tuple[bool, str]:
    """Whether the HF dataset can be reached now, and why not. Tests skip with the reason."""
    return _hf_probe()


@lru_cache(maxsize=1)
def _hf_probe() -> tuple[bool, str]:
    if os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}:
        return False, "HF_HUB_OFFLINE is set"
    try:
        from huggingface_hub import HfApi
    except ImportError:
        return False, "huggingface_hub is not installed"
    try:
        HfApi().repo_info(HF_REPO, repo_type="dataset", timeout=5)
    except Exception as e:  # any network, auth or HTTP failure means "not now"
        return False, f"cannot reach the Hugging Face dataset {HF_REPO}: {type(e).__name__}: {e}"[:300]
    return True, f"{HF_REPO} is reachable"
