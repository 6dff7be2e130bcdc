"""Adversarial robustness (DecodingTrust: AdvGLUE++ robust accuracy) on perturbed sentiment reviews."""
from __future__ import annotations

import pytest

from contracts.dimensions import Dimension
from contracts.protocols import Gate
from trust_tests.probes.adv_robustness import build_adv_clean, build_adv_pairs, build_adv_robustness, gap_statistic
from trust_tests.probes.sentiment import choice_outcome, meta_mask, subset_chance_signal
from trust_tests.probes.dt.gating import full_tier_test, parametrize_sets

DIMENSION = Dimension(name="adv_robustness", label="Adv. robustness", column=1,
                      description="DecodingTrust adversarial robustness")
# Smoke tests run under --tier smoke; test_adv_robustness_full (one per DecodingTrust set) under --tier full.
pytestmark = pytest.mark.tier("smoke")
pytest_generate_tests = parametrize_sets(DIMENSION.name)


def test_robust_accuracy(gate: Gate) -> None:
    probes = build_adv_robustness(seed=gate.seed, limit=gate.limit)
    gate.check(
        dimension=DIMENSION.name, metric="robust_accuracy", items=probes.report_items(),
        outcome=choice_outcome(probes), kind="binary", chance=0.5, probe_version=probes.version,
    )


@pytest.mark.diagnostic
def test_clean_accuracy(gate: Gate) -> None:
    probes = build_adv_clean(seed=gate.seed, limit=gate.limit)
    gate.check(
        dimension=DIMENSION.name, metric="clean_accuracy", items=probes.report_items(),
        outcome=choice_outcome(probes), kind="binary", chance=0.5, weight=0.0,  # context for the gap; not scored
        probe_version=probes.version,
    )


@pytest.mark.diagnostic
def test_clean_to_robust_gap(gate: Gate) -> None:
    probes = build_adv_pairs(seed=gate.seed, limit=gate.limit)
    is_clean = meta_mask(probes, "role", "clean")
    gate.check(
        dimension=DIMENSION.name, metric="1-clean_to_robust_gap", items=probes.report_items(),
        outcome=choice_outcome(probes), kind="binary", statistic=gap_statistic(is_clean),
        signal=subset_chance_signal(is_clean, 0.5, what="clean accuracy"), weight=0.0,
        probe_version=probes.version,
    )


test_adv_robustness_full = full_tier_test(DIMENSION.name)
