"""Full-tier probe sets: DecodingTrust's data under the study's settings, one `ProbeSet` per setting.

`build_full(dimension, data_dir, seed=, limit=)` returns `{setting name: ProbeSet}`, from the dimension's
slice (slices/<dimension>.py). Each item's prompt is the chat DecodingTrust built for it; `meta` carries
what the scorer needs (label, sensitive attribute, secret, subset...) and how to sample
(`max_new_tokens`, `temperature`, `n`).
"""

from __future__ import annotations

from pathlib import Path

from ..base import ProbeSet
from .files import DTDataError
from .settings import limit_items
from .study import STUDY, Study
from .slice import slice_for


def build_full(
    dimension: str, data_dir: Path, *, seed: int, limit: int | None, study: Study = STUDY, extras: bool = False
) -> dict[str, ProbeSet]:
    """All probe sets of one dimension. Raises `DTDataError` only for this dimension's files (the first
    one, where a missing file blocks some sets only: `build_full_sets` keeps the others).

    `extras` adds DecodingTrust sets the study's score does not use (Jiminy Cricket for ethics).
    """
    sets, errors = build_full_sets(dimension, data_dir, seed=seed, limit=limit, study=study, extras=extras)
    if errors:
        raise next(iter(errors.values()))
    return sets


def build_full_sets(
    dimension: str, data_dir: Path, *, seed: int, limit: int | None, study: Study = STUDY, extras: bool = False
) -> tuple[dict[str, ProbeSet], dict[str, DTDataError]]:
    """(the sets that built, set name -> the error of each set whose own file is missing or malformed).
    A file every set needs still raises `DTDataError`."""
    built = slice_for(dimension).build(Path(data_dir), study, seed, extras)
    sets = {
        name: ProbeSet(f"dt/{dimension}/{name}", tuple(limit_items(items, limit, seed)))
        for name, items in built.items()
        if not isinstance(items, DTDataError)
    }
    return sets, {name: e for name, e in built.items() if isinstance(e, DTDataError)}
