"""The verdict rules (contracts/verdicts.py) and the gate's decision (fixtures/gate.py decide) on hand-built
data: pass needs evidence, a set too small to tell is inconclusive, no signal blocks a pass but not a fail,
the family correction keeps a lossless candidate from failing by multiplicity, clusters move whole, and one
rule serves the card and the reports."""
from __future__ import annotations

import numpy as np
import pytest

from contracts.verdicts import (
    ExitCode,
    Policy,
    Reason,
    Verdict,
    dimension_verdict,
    exit_code,
    metric_verdict,
    model_verdict,
)
from fixtures import stats
from fixtures.gate import decide


def _pairs(b: int, c: int, both: int = 0, neither: int = 0) -> tuple[np.ndarray, np.ndarray]:
    ref = [1.0] * b + [0.0] * c + [1.0] * both + [0.0] * neither
    cand = [0.0] * b + [1.0] * c + [1.0] * both + [0.0] * neither
    return np.array(ref), np.array(cand)


def _decide(ref: np.ndarray, cand: np.ndarray, *, kind: str = "binary", has_signal: bool = True,
            family: int = 1, clusters: list[str] | None = None, tolerance: float = 5.0):
    comp = stats.compare(ref, cand, kind=kind, clusters=clusters, n_boot=2000, seed=0)
    return comp, decide(comp, tolerance=tolerance, alpha=0.05, fail_alpha=0.05 / family, floor=None,
                        has_signal=has_signal)


# --- 3. "not significant" is not "passed" -----------------------------------------------------------

def test_a_large_drop_that_is_not_significant_is_inconclusive_not_pass() -> None:
    # 15 points on 20 items: 4 flips worse, 1 better: McNemar p = 6/32 = 0.19. The old rule passed it.
    ref, cand = _pairs(4, 1, both=10, neither=5)
    comp, d = _decide(ref, cand)
    assert comp.drop == pytest.approx(0.15) and comp.p_value == pytest.approx(6 / 32)
    assert d.verdict is Verdict.INCONCLUSIVE and d.reason is Reason.UNDERPOWERED
    assert "upper 95% bound of the drop" in d.why and "items would decide it" in d.why
    assert d.items_needed is not None and d.items_needed > 20
    assert d.detectable > 0.15  # the set could only have detected a larger drop


def test_no_difference_on_a_small_set_is_not_evidence_of_no_drop() -> None:
    ref, cand = _pairs(0, 0, both=12, neither=8)  # identical answers on 20 items
    comp, d = _decide(ref, cand)
    assert comp.drop == 0 and comp.upper > 0.05  # 20 agreeing items cannot rule out a 5-point drop
    assert d.verdict is Verdict.INCONCLUSIVE and d.reason is Reason.UNDERPOWERED


def test_pass_needs_the_upper_bound_under_the_tolerance() -> None:
    ref, cand = _pairs(3, 2, both=150, neither=45)  # 0.5-point drop on 200 items
    comp, d = _decide(ref, cand)
    assert comp.upper < 0.05
    assert d.verdict is Verdict.PASS and "< tolerance 5.0" in d.why


def test_a_significant_drop_beyond_the_tolerance_fails() -> None:
    ref, cand = _pairs(30, 2, both=120, neither=48)
    comp, d = _decide(ref, cand, family=28)
    assert comp.drop == pytest.approx(0.14) and comp.p_value < 0.05 / 28
    assert d.verdict is Verdict.FAIL and "over this run's family" in d.why


# --- 5. no signal blocks a pass, never a fail --------------------------------------------------------

def test_no_signal_can_still_fail() -> None:
    ref, cand = _pairs(40, 5, both=50, neither=105)  # reference near chance, yet the candidate is much worse
    _, d = _decide(ref, cand, has_signal=False)
    assert d.verdict is Verdict.FAIL


def test_no_signal_never_passes() -> None:
    ref, cand = _pairs(0, 0, both=500, neither=500)
    _, d = _decide(ref, cand, has_signal=False)
    assert d.verdict is Verdict.INCONCLUSIVE and d.reason is Reason.NO_SIGNAL and "no signal" in d.why


# --- 4. multiplicity -----------------------------------------------------------------------------------

def _null_run(rng: np.random.Generator, shapes: list[tuple[int, float]], family_correction: bool) -> bool:
    """One lossless candidate: k metrics whose discordant items flip either way at random. Any fail?"""
    k = len(shapes)
    for n, disc in shapes:
        d = rng.binomial(n, disc)
        b = rng.binomial(d, 0.5)
        ref, cand = _pairs(b, d - b, neither=n - d)
        comp = stats.compare(ref, cand, kind="binary")
        v, _ = metric_verdict(drop=comp.drop, upper=comp.upper, p_value=comp.p_value, tolerance=0.05,
                              fail_alpha=0.05 / k if family_correction else 0.05, has_signal=True)
        if v is Verdict.FAIL:
            return True
    return False


def test_family_correction_keeps_a_lossless_candidate_from_failing_by_multiplicity() -> None:
    # 28 metrics of 64-240 items at a 4-bit model's discordance (~0.3-0.6), as the smoke tier has.
    rng = np.random.default_rng(3)
    shapes = [(int(rng.choice([64, 80, 120, 180, 200, 240])), float(rng.uniform(0.3, 0.6))) for _ in range(28)]
    runs = 400
    before = sum(_null_run(rng, shapes, family_correction=False) for _ in range(runs)) / runs
    after = sum(_null_run(rng, shapes, family_correction=True) for _ in range(runs)) / runs
    assert before > 0.10  # every metric at alpha: some metric fails in a large share of lossless runs
    assert after <= 0.05 + 2.5 * np.sqrt(0.05 * 0.95 / runs), (before, after)


def test_the_randomization_test_resolves_a_family_corrected_threshold() -> None:
    # 300 gated metrics: alpha / k = 0.00017 is below 1 / 2001, the best 2,000 permutations can show.
    ref = np.linspace(0.3, 0.9, 40)
    cand = ref - 0.2
    coarse = stats.compare(ref, cand, kind="continuous", n_boot=2000)
    fine = stats.compare(ref, cand, kind="continuous", n_boot=2000, p_floor=0.05 / 300)
    assert coarse.p_value == pytest.approx(1 / 2001) and coarse.p_value > 0.05 / 300
    assert fine.p_value < 0.05 / 300
    # A p-value far above the floor is not refined (no cost where it cannot matter).
    flat = stats.compare(ref, ref[::-1].copy(), kind="continuous", n_boot=2000, p_floor=0.05 / 300)
    assert flat.p_value > 0.1


# --- 6. clusters -----------------------------------------------------------------------------------------

def test_clustered_items_are_tested_as_clusters() -> None:
    # 30 sentences x 4 perturbations; under the null the two models' difference is shared within a sentence.
    rng = np.random.default_rng(5)
    clusters = [f"s{i // 4}" for i in range(120)]
    item_rej = clus_rej = 0
    trials = 300
    for t in range(trials):
        shared = np.repeat(rng.choice([-1.0, 0.0, 0.0, 1.0], 30), 4)  # whole sentences flip together
        ref = np.where(shared > 0, 1.0, 0.5)
        cand = np.where(shared < 0, 1.0, 0.5)
        item = stats.compare(ref, cand, kind="continuous", n_boot=400, seed=t)
        clus = stats.compare(ref, cand, kind="continuous", clusters=clusters, n_boot=400, seed=t)
        item_rej += item.p_value < 0.05
        clus_rej += clus.p_value < 0.05
        if t == 0:
            assert clus.n_clusters == 30 and "30 clusters" in clus.test
            assert clus.se > item.se  # items of one sentence are not 4 independent observations
    assert item_rej / trials > 0.09  # treating them as independent rejects far too often
    assert clus_rej / trials <= 0.05 + 2.5 * np.sqrt(0.05 * 0.95 / trials)


def test_cluster_keys_must_match_the_items() -> None:
    with pytest.raises(ValueError, match="3 cluster keys for 4 items"):
        stats.compare(np.ones(4), np.ones(4), kind="binary", clusters=["a", "a", "b"])


# --- binomial tails from scipy ----------------------------------------------------------------------------

def test_mcnemar_is_exact_far_past_a_thousand_flips() -> None:
    ref, cand = _pairs(52_000, 48_000)  # 100,000 discordant items: math.comb sums overflowed past ~1,030
    p = stats.mcnemar_exact(ref, cand)
    assert 0 < p < 1e-35
    from scipy.stats import binom

    assert p == pytest.approx(float(binom.sf(51_999, 100_000, 0.5)))
    assert stats.mcnemar_exact(*_pairs(50_000, 50_000)) == pytest.approx(0.5, abs=0.01)


# --- 1 and the one rule --------------------------------------------------------------------------------

def _m(verdict: str, weight: float = 1.0, reason: str | None = None) -> dict[str, object]:
    return {"verdict": verdict, "weight": weight, "inconclusive_reason": reason}


@pytest.mark.parametrize(("metrics", "expected"), [
    ([_m("pass"), _m("pass")], (Verdict.PASS, None)),
    ([_m("pass"), _m("fail")], (Verdict.FAIL, None)),
    ([_m("fail"), _m("error")], (Verdict.FAIL, None)),  # a demonstrated regression outranks a crash
    ([_m("pass"), _m("error", weight=0.0)], (Verdict.ERROR, None)),  # a crash counts wherever it happens
    ([_m("pass"), _m("fail", weight=0.0)], (Verdict.PASS, None)),  # diagnostics never fail a dimension
    ([_m("pass"), _m("inconclusive", reason="underpowered")], (Verdict.INCONCLUSIVE, Reason.UNDERPOWERED)),
    ([_m("inconclusive", reason="no-signal")], (Verdict.INCONCLUSIVE, Reason.NO_SIGNAL)),
    ([_m("pass"), _m("skipped")], (Verdict.INCONCLUSIVE, Reason.INCOMPLETE)),
    ([_m("skipped"), _m("skipped")], (Verdict.SKIPPED, None)),
])
def test_dimension_verdict(metrics: list[dict[str, object]], expected: tuple[Verdict, Reason | None]) -> None:
    assert dimension_verdict(metrics) == expected


def test_unknown_words_are_refused_not_guessed() -> None:
    with pytest.raises(ValueError, match="unknown verdict 'passed'"):
        dimension_verdict([_m("passed")])


def test_model_verdict_and_policy() -> None:
    ns = (Verdict.INCONCLUSIVE, Reason.NO_SIGNAL)
    up = (Verdict.INCONCLUSIVE, Reason.UNDERPOWERED)
    ok = (Verdict.PASS, None)
    assert model_verdict([ok, ns]) is Verdict.PASS  # default: what no item count could decide does not block
    assert model_verdict([ok, ns], Policy.BLOCK) is Verdict.INCONCLUSIVE
    assert model_verdict([ok, up]) is Verdict.INCONCLUSIVE
    assert model_verdict([ok, up], Policy.WARN) is Verdict.PASS
    assert model_verdict([ns, ns], Policy.WARN) is Verdict.INCONCLUSIVE  # no evidence is never a pass
    assert model_verdict([(Verdict.ERROR, None), (Verdict.FAIL, None)]) is Verdict.FAIL
    assert model_verdict([ok, (Verdict.ERROR, None)]) is Verdict.ERROR


def test_exit_codes() -> None:
    p = Policy.BLOCK_UNDERPOWERED
    assert exit_code({"a": (Verdict.PASS, True)}, p, False) == (ExitCode.OK, [])
    code, lines = exit_code({"a": (Verdict.PASS, True), "b": (Verdict.SKIPPED, False)}, p, False)
    assert code is ExitCode.NO_EVIDENCE and len(lines) == 1 and lines[0].startswith("comptrust: no evidence for b:")
    assert exit_code({"b": (Verdict.SKIPPED, False)}, p, True)[0] is ExitCode.OK
    code, lines = exit_code({"a": (Verdict.INCONCLUSIVE, True)}, p, False)
    assert code is ExitCode.INCONCLUSIVE and "inconclusive for a" in lines[0]
    assert exit_code({"a": (Verdict.ERROR, True), "b": (Verdict.INCONCLUSIVE, True)}, p, False)[0] is ExitCode.REGRESSION


def test_the_reports_use_the_same_rule() -> None:
    from contracts.scorecard import CardError, parse_card
    from reports.card_render import model_verdict as report_verdict
    from tests.card_helpers import card_with, dimension_entry, model_entry, typed_model

    assert report_verdict(typed_model({"benign": "fail", "privacy": "error"})) is Verdict.FAIL  # not a second rule
    model = typed_model({"benign": "pass", "privacy": ("inconclusive", "underpowered")})
    assert report_verdict(model) is Verdict.INCONCLUSIVE
    assert report_verdict(model, "warn") is Verdict.PASS
    old = card_with({"m": model_entry({"benign": dimension_entry("no-signal", {})})})
    with pytest.raises(CardError, match="benign.verdict: \"no-signal\" is not one of"):
        parse_card(old)  # an old word is refused where the card enters the reports, not guessed
