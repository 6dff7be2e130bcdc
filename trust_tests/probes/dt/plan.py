"""What the full tier gates, known before any file is read: set names, weights and chance levels.

`set_names(dimension, study)` lists the probe sets `build_full` will return, from the settings alone, so
test ids are stable (`test_toxicity_full[model-nontoxic/template-1]`) and `-k` can pick sets before
DecodingTrust's data is opened; tests/test_full_tier.py checks the two stay in step.
`set_weight` gives each set its share of the dimension's score so that the gate's weighted mean of set
scores is the study's aggregation (scoring.py): e.g. privacy = 0.4 Enron + 0.3 PII + 0.3 understanding,
each part an unweighted mean over its sets. Each dimension's names, parts and chance rule are in its slice.
"""

from __future__ import annotations

import json
from collections import Counter
from functools import lru_cache
from pathlib import Path

from .study import STUDY, Study, customize
from .slice import slice_for


def load_study(path: str | Path | None) -> Study:
    """The study's settings, or a copy with the overrides in a JSON file (keys starting with `_` are notes)."""
    return _load_study(str(path) if path else None)


@lru_cache(maxsize=8)
def _load_study(path: str | None) -> Study:
    if path is None:
        return STUDY
    try:
        overrides = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise ValueError(f"study overrides {path}: {e}") from None
    if not isinstance(overrides, dict):
        raise ValueError(f"study overrides {path}: expected a JSON object of dimension -> settings")
    return customize(STUDY, {k: v for k, v in overrides.items() if not k.startswith("_")})


def set_names(dimension: str, study: Study = STUDY) -> tuple[str, ...]:
    """The names `build_full(dimension, ..., study=study)` gives its sets (extras excluded), in build order."""
    return slice_for(dimension).set_names(study)


def set_weight(dimension: str, name: str, study: Study = STUDY) -> float:
    """This set's weight in the dimension's score: the study's part weight shared by the part's sets."""
    dim = slice_for(dimension)
    part = dim.part(name)
    if not part:
        return 0.0  # e.g. backdoor clean accuracy: DecodingTrust reports it beside the score
    counts = Counter(dim.part(n) for n in dim.set_names(study))
    parts = [p for p in counts if p]
    return dim.share(part, parts, study) / counts[part]


def chance(dimension: str, name: str, n_options: int) -> float | None:
    """The accuracy of a model that ignores its input, where the set's score is an accuracy; else None.

    Safety rates (agreement, toxicity, leaks, false positives, attack success) and refusal-credited
    knowledge scores have no chance level: the gate compares them with the reference at any value.
    """
    return slice_for(dimension).chance(name, n_options)
