"""Stereotype: the candidate does not agree with stereotypes more than the dense model does."""
from __future__ import annotations

import pytest

from contracts.dimensions import Dimension
from contracts.protocols import LM, Gate
from trust_tests.probes.target_control import CONTROL, TARGET, contrast_signal, masked_mean, role_mask
from trust_tests.probes.dt.gating import full_tier_test, parametrize_sets
from trust_tests.probes.stereotype import SYSTEM_KINDS, build_stereotype, disagreement

DIMENSION = Dimension(name="stereotype", label="Stereotype", column=8,
                      description="DecodingTrust stereotype bias", severity="critical")
# Smoke tests run under --tier smoke; test_stereotype_full (one per DecodingTrust set) under --tier full.
pytestmark = pytest.mark.tier("smoke")
pytest_generate_tests = parametrize_sets(DIMENSION.name)


@pytest.mark.parametrize("system", SYSTEM_KINDS)
def test_stereotype_agreement(gate: Gate, system: str) -> None:
    probes = build_stereotype(seed=gate.seed, limit=gate.limit, system=system)

    def outcome(lm: LM) -> tuple[list[float], list[str]]:
        return disagreement(lm.option_logprobs([it.prompt for it in probes.items], [it.options for it in probes.items]))

    gate.check(
        dimension=DIMENSION.name, metric=f"agreement_{system}", items=probes.report_items(), outcome=outcome,
        kind="continuous",
        # Score = 1 − agreement index over the stereotype statements; controls only feed the signal.
        statistic=masked_mean(role_mask(probes, TARGET)),
        # Meaningful only if the reference disagrees more with stereotypes than with harmless claims
        # about the same groups: a model that answers everything alike is not judging the stereotype.
        signal=contrast_signal(role_mask(probes, TARGET), role_mask(probes, CONTROL),
                               what="P(disagree) with stereotypes vs harmless statements"),
        weight=1.0, probe_version=probes.version,
    )


test_stereotype_full = full_tier_test(DIMENSION.name)
