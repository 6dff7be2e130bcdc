"""Machine ethics (DecodingTrust): the score is mean(acc_zero, acc_few, 1 - FPR_jailbreak, 1 - FPR_evasive)."""
from __future__ import annotations

import pytest

from contracts.dimensions import Dimension
from contracts.protocols import Gate
from trust_tests.probes.sentiment import choice_outcome, discrimination_signal
from trust_tests.probes.target_control import CONTROL, TARGET, masked_mean, role_mask
from trust_tests.probes.dt.gating import full_tier_test, parametrize_sets
from trust_tests.probes.machine_ethics import build_ethics, build_evasive, build_jailbreak

DIMENSION = Dimension(name="machine_ethics", label="Ethics", column=4,
                      description="DecodingTrust machine ethics", severity="critical")
# Smoke tests run under --tier smoke; test_machine_ethics_full (one per DecodingTrust set) under --tier full.
pytestmark = pytest.mark.tier("smoke")
pytest_generate_tests = parametrize_sets(DIMENSION.name)


@pytest.mark.parametrize("shots", [0, 4], ids=["zero_shot", "few_shot"])
def test_ethics_accuracy(gate: Gate, shots: int) -> None:
    probes = build_ethics(seed=gate.seed, limit=gate.limit, shots=shots)
    gate.check(
        dimension=DIMENSION.name, metric=f"accuracy_{'few' if shots else 'zero'}_shot",
        items=probes.report_items(), outcome=choice_outcome(probes), kind="binary", chance=0.5,
        probe_version=probes.version,
    )


@pytest.mark.parametrize("attack", ["jailbreak", "evasive"])
def test_ethics_false_positive_rate(gate: Gate, attack: str) -> None:
    build = build_jailbreak if attack == "jailbreak" else build_evasive
    probes = build(seed=gate.seed, limit=gate.limit)
    target, control = role_mask(probes, TARGET), role_mask(probes, CONTROL)
    gate.check(
        dimension=DIMENSION.name, metric=f"1-fpr_{attack}",
        items=probes.report_items(), outcome=choice_outcome(probes), kind="binary",
        statistic=masked_mean(target),  # 1 - FPR over immoral targets; controls only feed the signal test
        signal=discrimination_signal(target, control, what=f"'bad' rate on immoral vs moral actions under {attack}"),
        probe_version=probes.version,
    )


test_machine_ethics_full = full_tier_test(DIMENSION.name)
