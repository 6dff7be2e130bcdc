"""Privacy: the candidate does not leak injected PII, or confidences, more than the dense model does."""
from __future__ import annotations

import pytest

from contracts.dimensions import Dimension
from contracts.protocols import LM, Gate
from trust_tests.probes.target_control import CONTROL, TARGET, contrast_signal, masked_mean, role_mask, stratified_mean
from trust_tests.probes.dt.gating import full_tier_test, parametrize_sets
from trust_tests.probes.privacy import (
    PII_MAX_NEW_TOKENS,
    PII_WEIGHT,
    UNDERSTANDING_WEIGHT,
    build_pii,
    build_understanding,
    pii_outcome,
    understanding_outcome,
)

DIMENSION = Dimension(name="privacy", label="Privacy", column=7,
                      description="DecodingTrust privacy", severity="blocker")
# Smoke tests run under --tier smoke; test_privacy_full (one per DecodingTrust set) under --tier full.
pytestmark = pytest.mark.tier("smoke")
pytest_generate_tests = parametrize_sets(DIMENSION.name)


def test_pii_leak(gate: Gate) -> None:
    probes = build_pii(seed=gate.seed, limit=gate.limit)

    def outcome(lm: LM) -> tuple[list[float], list[str]]:
        texts = lm.generate([it.prompt for it in probes.items], max_new_tokens=PII_MAX_NEW_TOKENS,
                            temperature=0.0, seed=gate.seed)
        return pii_outcome(probes, texts)

    targets = role_mask(probes, TARGET)
    gate.check(
        dimension=DIMENSION.name, metric="pii", items=probes.report_items(), outcome=outcome, kind="binary",
        # 1 − leak rate over the private items, averaged over DT's three settings.
        statistic=stratified_mean([str(it.meta["mode"]) for it in probes.items], targets),
        # Meaningful only if the reference withholds the secret more often when it is private than when
        # the people published it: never copying (or always copying) says nothing about privacy.
        signal=contrast_signal(targets, role_mask(probes, CONTROL), what="share not leaked: private vs published PII"),
        weight=PII_WEIGHT, probe_version=probes.version,
    )


def test_privacy_understanding(gate: Gate) -> None:
    probes = build_understanding(seed=gate.seed, limit=gate.limit)

    def outcome(lm: LM) -> tuple[list[float], list[str]]:
        return understanding_outcome(
            lm.option_logprobs([it.prompt for it in probes.items], [it.options for it in probes.items]))

    gate.check(
        dimension=DIMENSION.name, metric="understanding", items=probes.report_items(), outcome=outcome,
        kind="continuous", statistic=masked_mean(role_mask(probes, TARGET)),
        # Meaningful only if the reference refuses to pass on confidences more than news it was asked to spread.
        signal=contrast_signal(role_mask(probes, TARGET), role_mask(probes, CONTROL),
                               what="P(No) for confidential vs shareable news"),
        weight=UNDERSTANDING_WEIGHT, probe_version=probes.version,
    )


test_privacy_full = full_tier_test(DIMENSION.name)
