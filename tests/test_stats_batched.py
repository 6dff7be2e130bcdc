"""Batched statistics (contracts.protocols.BatchStatistic): the gate draws thousands of resamples and
permutations in a few array operations, and every draw must score exactly as the statistic called on it."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from fixtures import stats
from trust_tests.probes.adv_robustness import gap_statistic
from trust_tests.probes.dt.slices.fairness import fairness_statistic as dt_fairness_statistic
from trust_tests.probes.fairness import build_fairness, fairness_statistic
from trust_tests.probes.fidelity import geometric_mean, median_statistic
from trust_tests.probes.target_control import masked_mean, stratified_mean

N = 48
_rng = np.random.default_rng(11)
_MASK = _rng.random(N) < 0.3
_STRATA = _rng.choice(["a", "b", "c"], N, p=[0.6, 0.3, 0.1]).tolist()
_GROUPS = _rng.integers(0, 3, N).tolist()
_LABELS = _rng.integers(0, 2, N).tolist()


def _statistics() -> dict[str, tuple[Callable, str]]:
    fair = build_fairness(seed=3, limit=N)
    assert len(fair.items) == N
    return {
        "mean": (stats.mean_statistic, "continuous"),
        "masked_mean": (masked_mean(_MASK), "binary"),
        "stratified_mean": (stratified_mean(_STRATA), "continuous"),
        "stratified_mean_masked": (stratified_mean(_STRATA, ~_MASK), "binary"),
        "fairness_dpd": (fairness_statistic(fair, "dpd"), "binary"),
        "fairness_eod": (fairness_statistic(fair, "eod"), "binary"),
        "gap": (gap_statistic(_MASK), "binary"),
        "geometric_mean": (geometric_mean, "positive"),
        "median": (median_statistic, "ties"),
        "dt_fairness_dpd": (dt_fairness_statistic(_GROUPS, formula="dpd"), "binary"),
        "dt_fairness_dpd_eod": (dt_fairness_statistic(_GROUPS, _LABELS), "binary"),
    }


STATISTICS = _statistics()


def _values(rng: np.random.Generator, kind: str, shape: tuple[int, ...]) -> np.ndarray:
    if kind == "binary":
        return (rng.random(shape) < rng.random()).astype(float)
    if kind == "positive":
        return np.exp(-rng.exponential(0.5, shape)) * (rng.random(shape) > 0.05)  # zeros get clipped
    if kind == "ties":
        return rng.integers(0, 5, shape) / 4.0
    return rng.random(shape)


@pytest.mark.parametrize("name", sorted(STATISTICS))
def test_a_batched_statistic_scores_every_draw_as_the_statistic_does(name: str) -> None:
    statistic, kind = STATISTICS[name]
    rng = np.random.default_rng(5)
    draws = 400
    values = _values(rng, kind, (draws, N))
    counts = np.zeros((draws, N))
    expected = np.empty(draws)
    for b in range(draws):
        # Small resamples, some from a few items only, leave strata, groups, targets or base rates empty.
        size = int(rng.integers(1, 2 * N))
        idx = rng.integers(0, N, size) if b % 3 else rng.integers(0, int(rng.integers(1, 6)), size)
        np.add.at(counts[b], idx, 1.0)
        expected[b] = statistic(values[b], idx)
    got = statistic.batch(values, counts)
    assert got.shape == (draws,)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
    # One value row for all draws (how the bootstrap calls it) scores the same.
    shared = statistic.batch(np.broadcast_to(values[0], counts.shape), counts)
    np.testing.assert_allclose(shared[:5], [statistic(values[0], np.repeat(np.arange(N), counts[b].astype(int)))
                                            for b in range(5)], rtol=0, atol=1e-12)


@pytest.mark.parametrize("clustered", [False, True], ids=["items", "clusters"])
@pytest.mark.parametrize("name", ["masked_mean", "fairness_eod", "median", "dt_fairness_dpd_eod"])
def test_the_gate_decides_the_same_with_and_without_the_batched_form(name: str, clustered: bool) -> None:
    """Same seed, same draws: the batched path gives the very p-value, bound and interval of the loop."""
    statistic, kind = STATISTICS[name]
    rng = np.random.default_rng(17)
    reference = _values(rng, kind, (N,))
    candidate = np.where(rng.random(N) < 0.25, _values(rng, kind, (N,)), reference)
    clusters = (np.arange(N) // 3).tolist() if clustered else None

    def plain(values: np.ndarray, idx: np.ndarray) -> float:
        return statistic(values, idx)

    for p_floor in (0.0, 0.05 / 400):  # the second draws on past n_boot to resolve a family-corrected alpha
        batched = stats.compare(reference, candidate, kind="binary", statistic=statistic, clusters=clusters,
                                n_boot=500, seed=3, p_floor=p_floor)
        looped = stats.compare(reference, candidate, kind="binary", statistic=plain, clusters=clusters,
                               n_boot=500, seed=3, p_floor=p_floor)
        assert batched.p_value == looped.p_value
        assert batched.upper == pytest.approx(looped.upper, abs=1e-12)
        assert batched.ci == pytest.approx(looped.ci, abs=1e-12)
        assert batched.se == pytest.approx(looped.se, abs=1e-12)
    assert stats.signal_vs_chance(reference, 0.3, kind="binary", statistic=statistic, alpha=0.05, seed=2) == \
        stats.signal_vs_chance(reference, 0.3, kind="binary", statistic=plain, alpha=0.05, seed=2)


def test_a_batched_form_that_does_not_give_one_value_per_draw_is_refused() -> None:
    from contracts.protocols import with_batch

    def mean(values: np.ndarray, idx: np.ndarray) -> float:
        return float(values[idx].mean())

    wrong = with_batch(mean, lambda values, counts: (counts * values).sum() / counts.sum())  # one value in all
    reference, candidate = np.r_[np.ones(10), np.zeros(10)], np.r_[np.zeros(10), np.ones(10)]
    with pytest.raises(ValueError, match="one value per draw expected"):
        stats.compare(reference, candidate, kind="continuous", statistic=wrong, n_boot=100)
