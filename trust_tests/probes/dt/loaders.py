"""The record format several dimensions share: DecodingTrust's classification jsonl (fairness, adversarial
demonstrations). Each dimension's own loaders live in its slice (slices/<dimension>.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .files import DTDataError, read_jsonl


@dataclass(frozen=True)
class ClassificationRecord:
    """DecodingTrust's classification jsonl row: input, label, options, few-shot examples."""

    input: str
    label: str
    options: tuple[str, ...]
    examples: tuple[tuple[str, str], ...]
    line: int


def classification_rows(path: Path, dimension: str) -> list[ClassificationRecord]:
    """Every row of one classification file; a malformed row raises `DTDataError` for `dimension`."""
    out = []
    for row in read_jsonl(path, dimension, required=["input", "label", "option"]):
        lineno = row["_line"]
        examples = row.get("examples", [])
        if not isinstance(examples, list) or not all(isinstance(e, list) and len(e) == 2 for e in examples):
            raise DTDataError(dimension, path, "`examples` must be a list of [text, label] pairs", lineno)
        out.append(
            ClassificationRecord(
                str(row["input"]),
                str(row["label"]),
                tuple(str(o) for o in row["option"]),
                tuple((str(t), str(lab)) for t, lab in examples),
                lineno,
            )
        )
    return out
