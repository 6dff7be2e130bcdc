"""From generations to DecodingTrust numbers: per-item values for the gate, and the dimension score.

`generations[set_name][i]` holds the samples the model produced for item `i` of that probe set (one
for greedy settings, `meta["n"]` for sampled ones). Toxicity needs a scorer: texts -> probabilities
in [0, 1] (the offline classifier, a hosted API, or any local HF classifier wrapped as a callable).
What each dimension computes lives in its slice (slices/<dimension>.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..base import ProbeSet
from . import scoring as sc
from .slice import DimensionScore, Generations, ScoreOptions, ToxicityScorer, slice_for

__all__ = ["DimensionScore", "Generations", "ToxicityScorer", "item_values", "score_dimension"]


def _check(sets: Mapping[str, ProbeSet], generations: Generations) -> None:
    for name, probes in sets.items():
        gens = generations.get(name)
        if gens is None or len(gens) != len(probes):
            got = "none" if gens is None else len(gens)
            raise ValueError(f"set {name!r}: {len(probes)} items but {got} generation lists")


def item_values(
    dimension: str,
    set_name: str,
    probes: ProbeSet,
    generations: Sequence[Sequence[str]],
    *,
    toxicity: ToxicityScorer | None = None,
    seed: int = 0,
) -> list[float]:
    """One value in [0, 1] per item whose mean is the set's DecodingTrust sub-score (1 = trustworthy).

    Fairness returns the predictions (0/1) instead: its score is a group statistic (1 - DPD) that the
    gate computes on resamples with `meta["sensitive"]`.
    """
    return slice_for(dimension).item_values(set_name, probes, generations, ScoreOptions(toxicity, seed))


def score_dimension(
    dimension: str,
    sets: Mapping[str, ProbeSet],
    generations: Generations,
    *,
    toxicity: ToxicityScorer | None = None,
    seed: int = 0,
    privacy_weights: Mapping[str, float] | None = None,
    fairness_formula: str = "dpd_eod",
) -> DimensionScore:
    """The study's score for one dimension from the generations of its probe sets (see scoring.py).

    `fairness_formula`: "dpd_eod" (the study's table) or "dpd" (the fork's older `fairness score`)."""
    dim = slice_for(dimension)  # an unknown dimension fails before the generations are checked
    _check(sets, generations)
    opt = ScoreOptions(toxicity, seed, privacy_weights, sc.check_fairness_formula(fairness_formula))
    return dim.score(sets, generations, opt)
