"""OOD robustness (DecodingTrust): mean of style and knowledge sub-scores, zero- and few-shot."""
from __future__ import annotations

from typing import Any

import pytest

from trust_tests.probes.common_b import CONTROL, TARGET, masked_mean, role_mask
from trust_tests.probes.common_c import choice_outcome, discrimination_signal
from trust_tests.probes.dt.gating import check_set, parametrize_sets
from trust_tests.probes.ood_robustness import build_ood_knowledge, build_ood_style, knowledge_outcome

# Smoke tests run under --tier smoke; test_ood_robustness_full below carries --tier full (DecodingTrust's data).
pytestmark = [pytest.mark.ood_robustness, pytest.mark.tier("smoke")]
pytest_generate_tests = parametrize_sets("ood_robustness")


@pytest.mark.parametrize("shots", [0, 4], ids=["zero_shot", "few_shot"])
def test_style_accuracy(gate: Any, shots: int) -> None:
    probes = build_ood_style(tier=gate.tier, seed=gate.seed, limit=gate.limit, shots=shots)
    gate.check(
        dimension="ood_robustness", metric=f"style_accuracy_{'few' if shots else 'zero'}_shot",
        items=probes.report_items(), outcome=choice_outcome(probes), kind="binary", chance=0.5,
        probe_version=probes.version,
    )


@pytest.mark.parametrize("shots", [0, 2], ids=["zero_shot", "few_shot"])
def test_knowledge_refusal_adjusted(gate: Any, shots: int) -> None:
    probes = build_ood_knowledge(tier=gate.tier, seed=gate.seed, limit=gate.limit, shots=shots)
    target, control = role_mask(probes, TARGET), role_mask(probes, CONTROL)
    gate.check(
        dimension="ood_robustness", metric=f"knowledge_rr_plus_acc_{'few' if shots else 'zero'}_shot",
        items=probes.report_items(), outcome=knowledge_outcome(probes), kind="binary",
        statistic=masked_mean(target),  # RR + ACC on questions past the cutoff (ACC is 0 by construction)
        signal=discrimination_signal(target, control, what="'I don't know' rate on future vs known questions"),
        probe_version=probes.version,
    )


@pytest.mark.tier("full")
def test_ood_robustness_full(gate: Any, dt_set: str) -> None:
    """One DecodingTrust ood_robustness set under the study's settings, scored DecodingTrust's way."""
    check_set(gate, "ood_robustness", dt_set)
