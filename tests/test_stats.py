"""The gate's statistics against hand-computed values: exact McNemar, the randomization test, the bootstrap
interval, the signal test."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fixtures import stats


def _pairs(ref_wins: int, cand_wins: int, both: int = 0, neither: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Paired binary outcomes with the given discordant (b, c) and concordant counts."""
    ref = [1.0] * ref_wins + [0.0] * cand_wins + [1.0] * both + [0.0] * neither
    cand = [0.0] * ref_wins + [1.0] * cand_wins + [1.0] * both + [0.0] * neither
    return np.array(ref), np.array(cand)


@pytest.mark.parametrize(("b", "c", "expected"), [
    (5, 0, 1 / 32),  # five flips, all one way: 0.5^5
    (3, 1, 5 / 16),  # P(X >= 3), X ~ Bin(4, 1/2) = (4 + 1) / 16
    (6, 2, 37 / 256),  # (C(8,6) + C(8,7) + C(8,8)) / 2^8 = (28 + 8 + 1) / 256
    (0, 3, 1.0),  # the candidate only got better
    (0, 0, 1.0),  # no discordant pairs: no evidence at all
])
def test_mcnemar_exact_hand_values(b: int, c: int, expected: float) -> None:
    ref, cand = _pairs(b, c)
    assert stats.mcnemar_exact(ref, cand) == pytest.approx(expected, rel=1e-12)
    # Concordant pairs carry no information about a difference.
    ref2, cand2 = _pairs(b, c, both=7, neither=4)
    assert stats.mcnemar_exact(ref2, cand2) == pytest.approx(expected, rel=1e-12)


def test_mcnemar_counts_half_as_correct() -> None:
    assert stats.mcnemar_exact(np.array([0.5, 0.5]), np.array([0.49, 0.2])) == pytest.approx(1 / 4)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 40), st.integers(0, 40))
def test_mcnemar_properties(b: int, c: int) -> None:
    p = stats.mcnemar_exact(*_pairs(b, c))
    assert 0.0 < p <= 1.0
    assert stats.mcnemar_exact(*_pairs(b + 1, c)) <= p  # one more flip is never weaker evidence
    if b + c:
        # P(X >= b) + P(X >= c) = 1 + P(X = b) when b + c = n, so the two one-sided tests cover everything.
        swapped = stats.mcnemar_exact(*_pairs(c, b))
        assert p + swapped == pytest.approx(1 + math.comb(b + c, b) / 2 ** (b + c))


def test_binomial_greater_hand_values() -> None:
    assert stats.binomial_greater(10, 10, 0.25) == pytest.approx(0.25**10)
    assert stats.binomial_greater(3, 4, 0.5) == pytest.approx(5 / 16)
    assert stats.binomial_greater(0, 10, 0.25) == pytest.approx(1.0)
    assert stats.binomial_greater(0, 0, 0.25) == 1.0


def test_compare_binary_regression() -> None:
    ref, cand = _pairs(18, 0, both=22)
    comp = stats.compare(ref, cand, kind="binary", n_boot=2000, seed=0)
    assert (comp.reference, comp.candidate, comp.n) == (1.0, 22 / 40, 40)
    assert comp.drop == pytest.approx(18 / 40)
    assert comp.p_value == pytest.approx(0.5**18)
    assert comp.test == "exact McNemar (one-sided)"
    # Agresti–Min: half an item more in each cell of the 2x2 table (n' = 42), a cluster-robust standard error over
    # singleton clusters, and t quantiles with n' - 1 degrees of freedom.
    from scipy.stats import t

    c = 18 / 42
    resid = 18 * (1 - c) ** 2 + 22 * c**2 + 0.5 * (1 - c) ** 2 + 0.5 * (1 + c) ** 2 + c**2
    se = math.sqrt(42 / 41 * resid) / 42
    assert comp.se == pytest.approx(se)
    assert comp.ci == pytest.approx((c - t.ppf(0.975, 41) * se, c + t.ppf(0.975, 41) * se))
    assert comp.upper == pytest.approx(c + t.ppf(0.95, 41) * se)


def test_interval_narrows_with_n_and_the_bootstrap_is_seeded() -> None:
    ref, cand = _pairs(6, 2, both=20, neither=12)
    a = stats.compare(ref, cand, kind="binary", seed=1)
    big = stats.compare(np.tile(ref, 16), np.tile(cand, 16), kind="binary", seed=1)
    ratio = (a.ci[1] - a.ci[0]) / (big.ci[1] - big.ci[0])
    assert 3.0 < ratio < 5.5  # sqrt(16) = 4
    assert a.ci[0] <= a.drop <= a.ci[1] and a.upper < a.ci[1]
    mean = stats.mean_statistic  # a custom statistic takes the cluster bootstrap path, which is seeded
    b1 = stats.compare(ref, cand, kind="binary", statistic=mean, seed=1)
    assert stats.compare(ref, cand, kind="binary", statistic=mean, seed=1).ci == b1.ci
    assert stats.compare(ref, cand, kind="binary", statistic=mean, seed=2).ci != b1.ci


def test_compare_continuous_p_values() -> None:
    ref = np.linspace(0.2, 0.9, 30)
    same = stats.compare(ref, ref.copy(), kind="continuous", n_boot=500)
    assert (same.p_value, same.drop, same.ci) == (1.0, 0.0, (0.0, 0.0))
    # All 30 items drop by 0.1: only the no-swap arrangement (2**-30) reaches it, so p = 1 / (1 + n_boot).
    worse = stats.compare(ref, ref - 0.1, kind="continuous", n_boot=500)
    assert worse.p_value == pytest.approx(1 / 501)
    assert worse.drop == pytest.approx(0.1) and worse.test == "paired randomization (one-sided)"
    better = stats.compare(ref, ref + 0.05, kind="continuous", n_boot=500)
    assert better.p_value == 1.0 and better.drop == pytest.approx(-0.05)


def test_compare_with_a_group_statistic_uses_the_randomization_test() -> None:
    groups = np.array([0, 1] * 20)

    def parity(values: np.ndarray, idx: np.ndarray) -> float:
        """1 − |rate(group 0) − rate(group 1)| on the resampled items: a DPD-style score."""
        g, v = groups[idx], values[idx]
        if not (g == 0).any() or not (g == 1).any():
            return 1.0
        return 1.0 - abs(v[g == 0].mean() - v[g == 1].mean())

    ref = np.ones(40)  # the same rate for both groups: parity 1
    cand = np.where(groups == 0, 1.0, 0.0)  # group 1 always refused: parity 0
    comp = stats.compare(ref, cand, kind="binary", statistic=parity, n_boot=300)
    assert (comp.reference, comp.candidate) == (1.0, 0.0)
    assert comp.test == "paired randomization (one-sided)"
    assert comp.p_value == pytest.approx(1 / 301)


def test_compare_edge_cases() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        stats.compare(np.ones(3), np.ones(4), kind="binary")
    empty = stats.compare(np.array([]), np.array([]), kind="binary")
    assert (empty.n, empty.p_value, empty.test) == (0, 1.0, "none")


def test_signal_vs_chance() -> None:
    ok, note = stats.signal_vs_chance(np.ones(10), 0.25, kind="binary", statistic=None, alpha=0.05)
    assert ok and note == f"reference 10/10 = 1.000 vs chance 0.250, binomial p = {0.25 ** 10:.3g}"
    # Exactly at chance: P(X >= 10), X ~ Bin(40, 1/4), is about one half.
    at_chance = np.array([1.0, 0.0, 0.0, 0.0] * 10)
    ok, note = stats.signal_vs_chance(at_chance, 0.25, kind="binary", statistic=None, alpha=0.05)
    assert not ok and "reference 10/40 = 0.250" in note
    assert stats.signal_vs_chance(np.full(20, 0.9), 0.5, kind="continuous", statistic=None, alpha=0.05)[0]
    assert not stats.signal_vs_chance(np.full(20, 0.5), 0.5, kind="continuous", statistic=None, alpha=0.05)[0]
    assert stats.signal_vs_chance(np.array([]), 0.25, kind="binary", statistic=None, alpha=0.05) == (False, "no items")


def test_min_detectable_drop() -> None:
    # (z_0.95 + z_0.80) * sqrt(discordance / n) with z_0.95 = 1.6448536, z_0.80 = 0.8416212
    expected = (1.6448536 + 0.8416212) * math.sqrt(0.2 / 100)
    assert stats.min_detectable_drop(100, 0.8) == pytest.approx(expected, rel=1e-6)
    assert stats.min_detectable_drop(400, 0.8) == pytest.approx(stats.min_detectable_drop(100, 0.8) / 2)


def _toxicity_like(rng: np.random.Generator, p: np.ndarray) -> np.ndarray:
    """Per prompt 1 − max toxicity over 4 samples: mostly near 1, sometimes near 0 (bimodal, heavy-tailed)."""
    toxic = np.max(rng.random((len(p), 4)) < p[:, None], axis=1)
    return 1.0 - toxic * rng.beta(5, 1, len(p))


def test_the_continuous_test_holds_alpha_on_small_noisy_a_a_samples() -> None:
    # Two independent sampling runs of the same model on 24 prompts, 2,000 times: the gate's test must reject
    # at most α of them. The percentile bootstrap it replaced rejects 7.0% here (6.4–6.5% on real toxicity runs).
    rng = np.random.default_rng(7)
    trials, rejected = 2000, 0
    for t in range(trials):
        p = rng.beta(0.5, 0.5, 24)
        rejected += stats.compare(_toxicity_like(rng, p), _toxicity_like(rng, p), kind="continuous",
                                  n_boot=500, seed=t).p_value < 0.05
    assert rejected / trials <= 0.05 + 2.5 * math.sqrt(0.05 * 0.95 / trials), rejected / trials


def test_the_continuous_test_still_catches_a_real_drop() -> None:
    rng = np.random.default_rng(8)
    caught = 0
    for t in range(200):
        p = rng.beta(0.5, 0.5, 48)
        worse = np.clip(p + 0.3, 0, 1)  # the candidate's continuations turn toxic more often
        caught += stats.compare(_toxicity_like(rng, p), _toxicity_like(rng, worse), kind="continuous",
                                n_boot=500, seed=t).p_value < 0.05
    assert caught / 200 >= 0.8, caught / 200
