"""Fidelity diagnostics: how closely a compressed model's next-token distributions follow its reference.

Three weight-0 diagnostics beside every comparison (trust_tests/test_fidelity.py, dimension benign):
- `fidelity_kl`: per paragraph of HELD_OUT, the mean over positions of KL(reference || candidate) in nats per
  token; the item value is exp(-KL) and the statistic is their geometric mean, so the card's score is
  100 x exp(-mean KL) and the mean KL is -ln(score / 100) (the answer column shows each paragraph's KL).
- `fidelity_top1`: per paragraph, the share of positions where the candidate's most likely next token is the
  reference's; the score is the mean share in percent.
- `mc_margin`: per multiple-choice item of the benign set, the decision margin (log-prob of the chosen option
  minus the runner-up's); the value is 1 - exp(-margin) and the statistic is the median, so the score is
  100 x (1 - exp(-median margin)) and the median margin is -ln(1 - score / 100).
The reference's own KL is 0 and its top-1 agreement 1, so its fidelity scores are 100 by definition.

HELD_OUT is plain prose written for this project (in no probe set, no calibration corpus), 12 paragraphs.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from contracts.protocols import with_batch
from trust_tests.probes.base import Item, ProbeSet

HELD_OUT: tuple[str, ...] = (
    "The old lighthouse on the northern cape has not guided a ship in forty years. Its lamp was taken down when "
    "satellite navigation arrived, but the town still paints the tower every spring, and children race each other "
    "up the spiral stairs to see how far the grey water reaches.",
    "Bread dough needs time more than it needs effort. Mix flour, water, salt and a little yeast, cover the bowl, "
    "and leave it overnight in a cool kitchen. In the morning the dough will have doubled, and a short, gentle "
    "shaping is all it asks before the oven.",
    "When the river froze that winter, the ferry stopped running and the two villages on either bank were cut off "
    "for nearly a month. People walked across the ice only at noon, when the light was best, and always in pairs.",
    "A good spreadsheet tells a story without its author in the room. Each column should hold one kind of value, "
    "each row one record, and every number that comes from a formula should be easy to trace back to its inputs.",
    "The museum's newest exhibit is a collection of ordinary objects from the last century: a radio, a typewriter, "
    "a rotary telephone and a stack of paper maps. Visitors under twenty often ask what the maps were for.",
    "Running a small garden teaches patience. Tomatoes sulk when planted too early, beans climb whatever is nearest, "
    "and the slugs always find the lettuce first. Still, a single ripe strawberry can make the whole season worth it.",
    "The committee met on Thursday to discuss the new bus timetable. Most members agreed that the early route should "
    "start fifteen minutes sooner, but nobody could agree on whether the last bus should run past midnight.",
    "Sound travels faster in water than in air, which is why whales can hear each other across great distances. "
    "Some of their calls are so low that human ears cannot detect them at all without special equipment.",
    "My grandmother kept every letter she ever received in shoe boxes under her bed. After she died we spent a whole "
    "weekend reading them, and learned more about her youth than she had ever told us in person.",
    "Learning a second language as an adult is slower than it is for children, but adults have one advantage: they "
    "can study grammar on purpose, notice patterns, and ask why a sentence sounds wrong.",
    "The storm arrived just after dinner. First the wind bent the trees along the road, then the rain came down so "
    "hard that the gutters overflowed, and by nine o'clock half the street had lost power.",
    "Chess clubs have become popular again in many schools. Teachers say the game helps students concentrate, plan "
    "several steps ahead, and accept losing gracefully, which may be the most useful lesson of all.",
)


def build_held_out(limit: int | None = None) -> ProbeSet:
    """The held-out paragraphs as items (raw text, no chat template)."""
    items = tuple(Item(f"fid-{i:02d}", text, meta={"paragraph": i}) for i, text in enumerate(HELD_OUT))
    return ProbeSet("fidelity/held_out", items).limited(limit)


def kl_and_top1(reference: np.ndarray, candidate: np.ndarray) -> tuple[float, float]:
    """(mean KL(reference || candidate) in nats per position, share of positions whose argmax agrees), from two
    [positions, vocab] arrays of log-probabilities over the same tokens."""
    if reference.shape != candidate.shape or reference.ndim != 2 or not len(reference):
        raise ValueError(f"log-prob arrays differ or are empty: {reference.shape} vs {candidate.shape}")
    ref = reference.astype(np.float64)
    kl = np.sum(np.exp(ref) * (ref - candidate.astype(np.float64)), axis=1)
    top1 = reference.argmax(axis=1) == candidate.argmax(axis=1)
    return float(max(kl.mean(), 0.0)), float(top1.mean())


def kl_value(kl: float) -> float:
    """exp(-KL), in (0, 1]; clipped away from 0 so the geometric mean stays finite."""
    return float(max(np.exp(-kl), 1e-12))


def _geometric_mean(values: np.ndarray, idx: np.ndarray) -> float:
    """exp(mean(log v)): with v = exp(-KL) per item, exp(-mean KL)."""
    v = np.clip(np.asarray(values, dtype=float)[idx], 1e-12, 1.0)
    return float(np.exp(np.mean(np.log(v))))


def _geometric_mean_batch(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    logs = np.log(np.clip(values, 1e-12, 1.0))
    return np.exp((counts * logs).sum(axis=1) / counts.sum(axis=1))


geometric_mean = with_batch(_geometric_mean, _geometric_mean_batch)


def margins(option_logprobs: Sequence[Sequence[float]]) -> list[float]:
    """Per item, the best option's log-prob minus the runner-up's (>= 0)."""
    out = []
    for row in option_logprobs:
        top = sorted(row, reverse=True)
        out.append(float(top[0] - top[1]) if len(top) > 1 else 0.0)
    return out


def margin_value(margin: float) -> float:
    return float(1.0 - np.exp(-max(margin, 0.0)))


def _median(values: np.ndarray, idx: np.ndarray) -> float:
    return float(np.median(np.asarray(values, dtype=float)[idx]))


def _median_batch(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Per draw, the median of the multiset holding item i counts[b, i] times (the two middle ones averaged)."""
    order = np.argsort(values, axis=1, kind="stable")
    ranked = np.take_along_axis(np.broadcast_to(values, counts.shape), order, axis=1)
    upto = np.cumsum(np.take_along_axis(counts, order, axis=1), axis=1)  # [draw, rank]
    size = upto[:, -1:]

    def at(position: np.ndarray) -> np.ndarray:  # the value at 0-based position `position` of each sorted multiset
        rank = (upto <= position).sum(axis=1, keepdims=True)
        return np.take_along_axis(ranked, rank, axis=1)[:, 0]

    return (at((size - 1) // 2) + at(size // 2)) / 2.0


median_statistic = with_batch(_median, _median_batch)
