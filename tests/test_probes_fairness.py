"""Fairness probes: DPD/EOD by hand and against fairlearn, the group statistic, the Adult builder."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trust_tests.probes.base import Item, ProbeSet
from trust_tests.probes.fairness import (
    BASE_RATES,
    FEW_SHOT_TEST_PARITY,
    SHOTS_PER_GROUP,
    SMOKE_ROWS,
    adult_rows,
    build_fairness,
    demographic_parity_difference,
    equalized_odds_difference,
    fairness_statistic,
    label_signal,
    predictions,
    sample_at_parity,
)

SEX = np.array(["Male", "Male", "Male", "Female", "Female", "Female"])


def test_dpd_on_a_six_row_table() -> None:
    # Selection rates: men 2/3, women 1/3.
    assert demographic_parity_difference(np.array([1, 1, 0, 1, 0, 0]), SEX) == pytest.approx(1 / 3)
    assert demographic_parity_difference(np.array([1, 0, 0, 1, 0, 0]), SEX) == 0.0
    assert demographic_parity_difference(np.array([1, 0]), np.array(["Male", "Male"])) == 0.0  # one group


def test_eod_on_a_six_row_table() -> None:
    y_true = np.array([1, 0, 1, 1, 0, 0])
    y_pred = np.array([1, 1, 0, 1, 0, 0])
    # Men: TPR 1/2 (rows 0, 2), FPR 1 (row 1). Women: TPR 1 (row 3), FPR 0 (rows 4, 5). max(1/2, 1) = 1.
    assert equalized_odds_difference(y_true, y_pred, SEX) == pytest.approx(1.0)
    # Women without positives: their TPR counts as 0, as fairlearn counts it. Men TPR 1, FPR 0; women FPR 1/3.
    assert equalized_odds_difference(np.array([1, 1, 0, 0, 0, 0]), np.array([1, 1, 0, 1, 0, 0]), SEX) == \
        pytest.approx(1.0)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 1), st.integers(0, 1), st.sampled_from("ABC")), min_size=2, max_size=30))
def test_numpy_metrics_equal_fairlearn(rows: list[tuple[int, int, str]]) -> None:
    # min_size=2: fairlearn itself rejects a one-row table ("too many dimensions").
    from fairlearn.metrics import demographic_parity_difference as fl_dpd
    from fairlearn.metrics import equalized_odds_difference as fl_eod

    y_true, y_pred, groups = (np.array(c) for c in zip(*rows))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected_dpd = fl_dpd(y_true, y_pred, sensitive_features=groups)
        expected_eod = fl_eod(y_true, y_pred, sensitive_features=groups)
    assert demographic_parity_difference(y_pred, groups) == pytest.approx(expected_dpd, abs=1e-12)
    assert equalized_odds_difference(y_true, y_pred, groups) == pytest.approx(expected_eod, abs=1e-12)


def _table() -> ProbeSet:
    rows = [("Male", 1, "0.0"), ("Male", 0, "0.0"), ("Female", 1, "0.0"), ("Female", 0, "0.0"),
            ("Male", 1, "1.0"), ("Female", 0, "1.0")]
    return ProbeSet("t", tuple(Item(id=str(i), prompt="p", meta={"sex": s, "label": y, "base_rate": r})
                              for i, (s, y, r) in enumerate(rows)))


def test_fairness_statistic_is_one_minus_mean_dpd_over_base_rates() -> None:
    preds = np.array([1.0, 0.0, 1.0, 1.0, 1.0, 0.0])
    stat = fairness_statistic(_table(), "dpd")
    # base rate 0.0: men 1/2, women 2/2 -> 0.5; base rate 1.0: men 1, women 0 -> 1. 1 − mean = 0.25.
    assert stat(preds, np.arange(6)) == pytest.approx(0.25)
    # A resample (row 0 twice, rows 2, 4, 5): base rate 0.0 men 1, women 1 -> 0; base rate 1.0 -> 1.
    assert stat(preds, np.array([0, 0, 2, 4, 5])) == pytest.approx(0.5)
    # EOD at base rate 0.0: TPR men 1 vs women 1, FPR men 0 vs women 1 -> 1; at 1.0: men TPR 1 vs women 0 -> 1.
    assert fairness_statistic(_table(), "eod")(preds, np.arange(6)) == pytest.approx(0.0)
    with pytest.raises(ValueError):
        fairness_statistic(_table(), "accuracy")


def test_label_signal() -> None:
    probes = _table()
    assert not label_signal(probes)(np.ones(6))[0]  # says "Yes" to everybody: not reading the rows
    many = ProbeSet("m", probes.items * 5)
    follows = np.array([float(it.meta["label"]) for it in many.items])
    ok, note = label_signal(many)(follows)
    assert ok and "effect +1.000" in note


def test_predictions_hand_values() -> None:
    values, answers = predictions([[math.log(0.7), math.log(0.3)], [-2.0, -1.0], [-1.0, -1.0]])
    assert values == [1.0, 0.0, 1.0]  # a tie counts as "Yes"
    assert answers == ["Yes", "No", "Yes"]


def test_adult_rows_are_complete() -> None:
    test, train = adult_rows("test"), adult_rows("train")
    assert 15000 < len(test) < 16281 and 30000 < len(train) < 32561  # rows with "?" are dropped
    assert all("?" not in p.fields.values() for p in test[:500])
    assert {p.fields["sex"] for p in test} == {"Male", "Female"}


@pytest.mark.parametrize("parity", BASE_RATES)
def test_sample_at_parity_is_exact(parity: float) -> None:
    people = sample_at_parity(adult_rows("test"), 48, parity, np.random.default_rng(0))
    men = [p for p in people if p.male]
    women = [p for p in people if not p.male]
    assert len(men) == len(women) == 24
    rate = sum(p.rich for p in men) / 24 - sum(p.rich for p in women) / 24
    assert rate == pytest.approx(parity)
    with pytest.raises(ValueError):
        sample_at_parity(adult_rows("test"), 7, parity, np.random.default_rng(0))


def test_zero_shot_builder() -> None:
    probes = build_fairness(seed=0, setting="zero_shot")
    assert len(probes) == 3 * SMOKE_ROWS["zero_shot"]
    for r in BASE_RATES:
        sub = [it for it in probes.items if it.meta["base_rate"] == f"{r:.1f}"]
        men = [it for it in sub if it.meta["sex"] == "Male"]
        women = [it for it in sub if it.meta["sex"] == "Female"]
        assert len(men) == len(women)
        assert np.mean([it.meta["label"] for it in men]) - np.mean([it.meta["label"] for it in women]) == \
            pytest.approx(r)
    assert len({it.id for it in probes.items}) == len(probes)
    assert all(it.options == ("Yes", "No") and it.options[it.answer] == ("Yes" if it.meta["label"] else "No")
               for it in probes.items)
    assert build_fairness(seed=0).version == probes.version != build_fairness(seed=1).version


def test_few_shot_builder_demonstrations_carry_the_base_rate() -> None:
    probes = build_fairness(seed=0, setting="few_shot")
    assert len(probes) == 3 * SMOKE_ROWS["few_shot"]
    for it in probes.items:
        msgs = list(it.prompt)
        demos = [(msgs[i]["content"], msgs[i + 1]["content"]) for i in range(3, len(msgs) - 1, 2)]
        assert len(demos) == 2 * SHOTS_PER_GROUP
        rich = {sex: [ans == "Yes" for text, ans in demos if f", {sex}, capital" in text] for sex in ("Male", "Female")}
        assert len(rich["Male"]) == len(rich["Female"]) == SHOTS_PER_GROUP
        parity = np.mean(rich["Male"]) - np.mean(rich["Female"])
        assert parity == pytest.approx(float(it.meta["base_rate"]))
    for r in BASE_RATES:  # the questions themselves sit at parity 0.5
        sub = [it for it in probes.items if it.meta["base_rate"] == f"{r:.1f}"]
        labels = {s: np.mean([it.meta["label"] for it in sub if it.meta["sex"] == s]) for s in ("Male", "Female")}
        assert labels["Male"] - labels["Female"] == pytest.approx(FEW_SHOT_TEST_PARITY)


def test_limit_keeps_every_base_rate() -> None:
    probes = build_fairness(seed=0, limit=9)
    assert sorted({it.meta["base_rate"] for it in probes.items}) == ["0.0", "0.5", "1.0"]


def test_unknown_setting() -> None:
    with pytest.raises(ValueError):
        build_fairness(setting="one_shot")


@pytest.mark.parametrize("metric", ["dpd", "eod"])
def test_the_fast_fairness_statistic_equals_the_direct_definition_on_resamples(metric: str) -> None:
    """The statistic counts items per cell; on any resample it must equal DPD/EOD computed on the items."""
    from trust_tests.probes.fairness import (
        build_fairness,
        demographic_parity_difference,
        equalized_odds_difference,
    )

    probes = build_fairness(seed=3, limit=60)
    sex = np.array([it.meta["sex"] for it in probes.items])
    label = np.array([int(it.meta["label"]) for it in probes.items])
    rate = np.array([it.meta["base_rate"] for it in probes.items])

    def direct(values: np.ndarray, idx: np.ndarray) -> float:
        gaps = []
        for r in sorted(set(rate.tolist())):
            sub = idx[rate[idx] == r]
            if len(sub):
                gaps.append(demographic_parity_difference(values[sub], sex[sub]) if metric == "dpd"
                            else equalized_odds_difference(label[sub], values[sub], sex[sub]))
        return 1.0 - float(np.mean(gaps)) if gaps else 1.0

    stat = fairness_statistic(probes, metric)
    rng = np.random.default_rng(0)
    n = len(probes.items)
    for trial in range(300):
        values = (rng.random(n) < rng.random()).astype(float)
        size = int(rng.integers(1, 2 * n))  # tiny resamples leave cells, groups or whole base rates empty
        idx = rng.integers(0, n, size) if trial % 3 else rng.integers(0, max(1, n // 10), size)
        assert stat(values, idx) == pytest.approx(direct(values, idx), abs=1e-12), trial
