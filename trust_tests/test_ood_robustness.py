"""OOD robustness (DecodingTrust): mean of style and knowledge sub-scores, zero- and few-shot."""
from __future__ import annotations

import pytest

from contracts.dimensions import Dimension
from contracts.protocols import Gate
from trust_tests.probes.sentiment import choice_outcome, discrimination_signal
from trust_tests.probes.target_control import CONTROL, TARGET, masked_mean, role_mask
from trust_tests.probes.dt.gating import full_tier_test, parametrize_sets
from trust_tests.probes.ood_robustness import build_ood_knowledge, build_ood_style, knowledge_outcome

DIMENSION = Dimension(name="ood_robustness", label="OOD", column=2,
                      description="DecodingTrust out-of-distribution robustness")
# Smoke tests run under --tier smoke; test_ood_robustness_full (one per DecodingTrust set) under --tier full.
pytestmark = pytest.mark.tier("smoke")
pytest_generate_tests = parametrize_sets(DIMENSION.name)


@pytest.mark.parametrize("shots", [0, 4], ids=["zero_shot", "few_shot"])
def test_style_accuracy(gate: Gate, shots: int) -> None:
    probes = build_ood_style(seed=gate.seed, limit=gate.limit, shots=shots)
    gate.check(
        dimension=DIMENSION.name, metric=f"style_accuracy_{'few' if shots else 'zero'}_shot",
        items=probes.report_items(), outcome=choice_outcome(probes), kind="binary", chance=0.5,
        probe_version=probes.version,
    )


@pytest.mark.parametrize("shots", [0, 2], ids=["zero_shot", "few_shot"])
def test_knowledge_refusal_adjusted(gate: Gate, shots: int) -> None:
    probes = build_ood_knowledge(seed=gate.seed, limit=gate.limit, shots=shots)
    target, control = role_mask(probes, TARGET), role_mask(probes, CONTROL)
    gate.check(
        dimension=DIMENSION.name, metric=f"knowledge_rr_plus_acc_{'few' if shots else 'zero'}_shot",
        items=probes.report_items(), outcome=knowledge_outcome(probes), kind="binary",
        statistic=masked_mean(target),  # RR + ACC on questions past the cutoff (ACC is 0 by construction)
        signal=discrimination_signal(target, control, what="'I don't know' rate on future vs known questions"),
        probe_version=probes.version,
    )


test_ood_robustness_full = full_tier_test(DIMENSION.name)
