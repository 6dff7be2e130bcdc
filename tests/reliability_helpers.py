"""Subprocess runs of a throwaway comptrust project, for the reliability and security self-tests.

The project itself (conftest, pytest.ini, registry of tiny local Llamas, the inner trust test) comes
from tests/plugin_helpers.py. These helpers add what in-process pytester runs cannot do: a real
process to SIGKILL, two processes sharing one cache, a umask, a memory limit, a planted environment.
Comparisons read only the scorecard fields that carry a verdict, never timestamps or runtimes.
"""
from __future__ import annotations

import json
import os
import resource
import sqlite3
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.plugin_helpers import INNER_FLAGS, REF, Project, registry_toml

REPO = Path(__file__).resolve().parents[1]
# The fields of a metric that a rerun, a resumed run or a parallel run must reproduce exactly.
OUTCOME_KEYS = ("score", "reference_score", "drop", "p_value", "ci", "verdict", "n", "n_flipped", "probe_version")
# Environment that could change an inner run's behaviour from outside; inner runs never inherit it.
_SCRUB = ("PYTEST_ADDOPTS", "PYTEST_PLUGINS", "PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT",
          "PYTEST_CURRENT_TEST", "COMPTRUST_EMBEDDED_DIR")


@dataclass(frozen=True)
class Finished:
    returncode: int
    output: str  # stdout and stderr, interleaved as written

    def __str__(self) -> str:
        return f"exit {self.returncode}\n{self.output[-6000:]}"


def inner_env(project: Project, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _SCRUB}
    env.update({
        "PYTHONPATH": os.pathsep.join([str(project.root), str(REPO)]),
        "COMPTRUST_HOME": str(project.home),
        "OMP_NUM_THREADS": "1",
        "TOKENIZERS_PARALLELISM": "false",
        "HF_HUB_OFFLINE": "1",
        # Only the plugins an inner run names with -p: autoloaded third-party plugins slow every run.
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    })
    env.update(extra or {})
    return env


def _limits(umask: int | None, address_space: int | None) -> Callable[[], None] | None:
    if umask is None and address_space is None:
        return None

    def apply() -> None:  # runs in the child between fork and exec
        if umask is not None:
            os.umask(umask)
        if address_space is not None:
            resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))

    return apply


def start(project: Project, *args: str, env: Mapping[str, str] | None = None, umask: int | None = None,
          address_space: int | None = None) -> subprocess.Popen[str]:
    """An inner `python -m pytest` in the project folder, in its own process group (so it can be killed whole)."""
    cmd = [sys.executable, "-m", "pytest", *INNER_FLAGS, *args]
    return subprocess.Popen(cmd, cwd=project.root, env=inner_env(project, env), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True,
                            preexec_fn=_limits(umask, address_space))


def finish(proc: subprocess.Popen[str], timeout: float = 600) -> Finished:
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        out, _ = proc.communicate()
        raise AssertionError(f"inner pytest ran over {timeout} s:\n{out[-4000:]}") from None
    return Finished(proc.returncode, out)


def run(project: Project, *args: str, env: Mapping[str, str] | None = None, umask: int | None = None,
        address_space: int | None = None, timeout: float = 600) -> Finished:
    return finish(start(project, *args, env=env, umask=umask, address_space=address_space), timeout)


def scorecard(project: Project, report_dir: str = "reports/latest") -> dict[str, Any]:
    return json.loads((project.root / report_dir / "scorecard.json").read_text())


def outcomes(card: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """`model/dimension/metric` -> the fields a reproduction must match, plus the flipped item ids."""
    out: dict[str, dict[str, Any]] = {}
    for mid, model in card["models"].items():
        for dim, d in model["dimensions"].items():
            for name, m in d["metrics"].items():
                row = {k: m.get(k) for k in OUTCOME_KEYS}
                row["flipped"] = [f["id"] for f in m.get("flipped", [])]
                out[f"{mid}/{dim}/{name}"] = row
            out[f"{mid}/{dim}"] = {k: d.get(k) for k in ("score", "reference_score", "drop", "verdict")}
    return out


def backend_calls(card: Mapping[str, Any]) -> dict[str, int]:
    """Requests that reached each model's backend (the scorecard's runtime section)."""
    return {mid: int(r.get("loglik", 0)) + int(r.get("generate", 0)) for mid, r in card.get("runtime", {}).items()}


def _connect(db: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)


def db_rows(db: Path) -> int:
    """Committed rows; 0 while the file does not exist yet. Safe while a writer is running (WAL)."""
    if not db.exists():
        return 0
    conn = _connect(db)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM results").fetchone()[0])
    except sqlite3.OperationalError:  # created, but the writer has not made the table yet
        return 0
    finally:
        conn.close()


def db_check(db: Path) -> tuple[str, int, int]:
    """(integrity_check, rows, rows the result cache accepts as intact). Run it after the writers exit."""
    from fixtures.resultcache import ResultCache

    conn = _connect(db)
    try:
        integrity = "; ".join(r[0] for r in conn.execute("PRAGMA integrity_check"))
        keys = [r[0] for r in conn.execute("SELECT key FROM results")]
    finally:
        conn.close()
    cache = ResultCache(db, report=lambda _: None)
    try:
        return integrity, len(keys), len(cache.get_many(keys))
    finally:
        cache.close()


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.02,
               alive: subprocess.Popen[str] | None = None) -> bool:
    """Poll until predicate() holds; False on timeout or when `alive` exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        if alive is not None and alive.poll() is not None:
            return predicate()
        time.sleep(interval)
    return False


def files_under(*roots: Path) -> Iterator[Path]:
    for root in roots:
        if root.is_file():
            yield root
        elif root.is_dir():
            yield from (p for p in sorted(root.rglob("*")) if p.is_file() and not p.is_symlink())


def junit_results(path: Path) -> dict[str, tuple[str, str]]:
    """Test name (with its [id]) -> (passed | failed | error | skipped, message)."""
    out: dict[str, tuple[str, str]] = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        outcome, message = "passed", ""
        for tag in ("failure", "error", "skipped"):
            node = case.find(tag)
            if node is not None:
                outcome = {"failure": "failed"}.get(tag, tag)
                message = (node.get("message") or "") + "\n" + (node.text or "")
                break
        out[case.get("name", "")] = (outcome, message)
    return out


def write_module(project: Project, name: str, source: str) -> Path:
    """An extra inner trust-test module next to the one plugin_helpers writes."""
    path = project.root / "trust_tests" / name
    path.write_text(source)
    return path


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if "'" in text or "\n" in text:
        raise ValueError(f"{text!r} does not fit a TOML literal string")
    return f"'{text}'"  # literal: paths and specs go in as written, no escapes


def registry(entries: Mapping[str, Mapping[str, Any]]) -> str:
    """A models.toml from plain dicts: `{"id": {"base": "local:/x", "reference": "other"}}`."""
    lines: list[str] = []
    for mid, body in entries.items():
        lines += [f"[models.{mid}]", *(f"{k} = {_toml_value(v)}" for k, v in body.items()), ""]
    return "\n".join(lines)


def zoo_with_local(project: Project, mid: str, folder: Path | str) -> str:
    """The tiny zoo's registry plus one entry loading `folder`, gated against the tiny reference."""
    return registry_toml(project.zoo) + "\n" + registry({mid: {"base": f"local:{folder}", "reference": REF}})


def write_tiny_gguf(out: Path, seed: int = 0, vocab: int = 2048) -> Path:
    """A real F32 GGUF of a random 2-layer Llama with the embedded model's tokenizer cut to `vocab` tokens.

    It goes through the same GGUF -> safetensors conversion as the embedded model, in seconds: the full
    49k-merge tokenizer alone takes ~40 s to convert on this machine, the real weights a minute.
    """
    import gguf
    import numpy as np

    from fixtures.loading import _embedded_path

    src = gguf.GGUFReader(_embedded_path("smollm2-135m-instruct"))
    hidden, ffn, kv = 64, 128, 32
    dims = {"llama.block_count": 2, "llama.embedding_length": hidden, "llama.feed_forward_length": ffn,
            "llama.attention.head_count": 4, "llama.attention.head_count_kv": 2, "llama.context_length": 512,
            "llama.rope.dimension_count": 16, "general.file_type": 0, "llama.vocab_size": vocab}
    kept = set(src.fields["tokenizer.ggml.tokens"].contents()[:vocab])
    writer = gguf.GGUFWriter(str(out), "llama")
    for key, field in src.fields.items():
        if key.startswith("GGUF.") or key == "general.architecture":
            continue
        value = dims.get(key, field.contents())
        if key in ("tokenizer.ggml.tokens", "tokenizer.ggml.token_type"):
            value = value[:vocab]
        elif key == "tokenizer.ggml.merges":  # only merges whose parts and result survive the cut
            value = [m for m in value if all(p in kept for p in m.split(" ")) and m.replace(" ", "") in kept]
        writer.add_key_value(key, value, field.types[0], field.types[1] if len(field.types) > 1 else None)
    rng = np.random.default_rng(seed)

    def rand(*shape: int) -> Any:
        return (rng.standard_normal(shape) * 0.02).astype(np.float32)

    writer.add_tensor("token_embd.weight", rand(vocab, hidden))
    writer.add_tensor("output_norm.weight", np.ones(hidden, np.float32))
    for i in range(2):
        for name, arr in (("attn_norm", np.ones(hidden, np.float32)), ("ffn_norm", np.ones(hidden, np.float32)),
                          ("attn_q", rand(hidden, hidden)), ("attn_k", rand(kv, hidden)), ("attn_v", rand(kv, hidden)),
                          ("attn_output", rand(hidden, hidden)), ("ffn_gate", rand(ffn, hidden)),
                          ("ffn_up", rand(ffn, hidden)), ("ffn_down", rand(hidden, ffn))):
            writer.add_tensor(f"blk.{i}.{name}.weight", arr)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return out
