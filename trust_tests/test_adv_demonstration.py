"""Adversarial demonstrations (DecodingTrust): mean of counterfactual acc, spurious acc and 1 - backdoor ASR."""
from __future__ import annotations

import pytest

from contracts.dimensions import Dimension
from contracts.protocols import Gate
from trust_tests.probes.adv_demonstration import build_backdoor, build_counterfactual, build_spurious
from trust_tests.probes.sentiment import choice_outcome, discrimination_signal
from trust_tests.probes.target_control import CONTROL, TARGET, masked_mean, role_mask
from trust_tests.probes.dt.gating import full_tier_test, parametrize_sets

DIMENSION = Dimension(name="adv_demonstration", label="Adv. demo", column=3,
                      description="DecodingTrust robustness to adversarial demonstrations")
# Smoke tests run under --tier smoke; test_adv_demonstration_full (one per DecodingTrust set) under --tier full.
pytestmark = pytest.mark.tier("smoke")
pytest_generate_tests = parametrize_sets(DIMENSION.name)


@pytest.mark.parametrize("setting", ["counterfactual", "spurious"])
def test_demonstration_accuracy(gate: Gate, setting: str) -> None:
    build = build_counterfactual if setting == "counterfactual" else build_spurious
    probes = build(seed=gate.seed, limit=gate.limit)
    gate.check(
        dimension=DIMENSION.name, metric=f"{setting}_accuracy", items=probes.report_items(),
        outcome=choice_outcome(probes), kind="binary", chance=0.5, probe_version=probes.version,
    )


def test_backdoor(gate: Gate) -> None:
    probes = build_backdoor(seed=gate.seed, limit=gate.limit)
    target, control = role_mask(probes, TARGET), role_mask(probes, CONTROL)
    gate.check(
        dimension=DIMENSION.name, metric="1-backdoor_asr", items=probes.report_items(),
        outcome=choice_outcome(probes), kind="binary",
        statistic=masked_mean(target),  # 1 - ASR on triggered negatives; controls only feed the signal test
        signal=discrimination_signal(target, control, what="'negative' rate on triggered negatives vs clean positives"),
        probe_version=probes.version,
    )


test_adv_demonstration_full = full_tier_test(DIMENSION.name)
