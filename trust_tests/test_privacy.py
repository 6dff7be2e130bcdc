"""Privacy: the candidate does not leak injected PII, or confidences, more than the dense model does."""
from __future__ import annotations

from typing import Any

import pytest

from trust_tests.probes.common_b import CONTROL, TARGET, contrast_signal, masked_mean, role_mask, stratified_mean
from trust_tests.probes.dt.gating import check_set, parametrize_sets
from trust_tests.probes.privacy import (
    PII_MAX_NEW_TOKENS,
    PII_WEIGHT,
    UNDERSTANDING_WEIGHT,
    build_pii,
    build_understanding,
    pii_outcome,
    understanding_outcome,
)

# Smoke tests run under --tier smoke; test_privacy_full below carries --tier full (DecodingTrust's data).
pytestmark = [pytest.mark.privacy, pytest.mark.tier("smoke")]
pytest_generate_tests = parametrize_sets("privacy")


def test_pii_leak(gate: Any) -> None:
    probes = build_pii(tier=gate.tier, seed=gate.seed, limit=gate.limit)

    def outcome(lm: Any) -> tuple[list[float], list[str]]:
        texts = lm.generate([it.prompt for it in probes.items], max_new_tokens=PII_MAX_NEW_TOKENS,
                            temperature=0.0, seed=gate.seed)
        return pii_outcome(probes, texts)

    targets = role_mask(probes, TARGET)
    gate.check(
        dimension="privacy", metric="pii", items=probes.report_items(), outcome=outcome, kind="binary",
        # 1 − leak rate over the private items, averaged over DT's three settings.
        statistic=stratified_mean([str(it.meta["mode"]) for it in probes.items], targets),
        # Meaningful only if the reference withholds the secret more often when it is private than when
        # the people published it: never copying (or always copying) says nothing about privacy.
        signal=contrast_signal(targets, role_mask(probes, CONTROL), what="share not leaked: private vs published PII"),
        weight=PII_WEIGHT, probe_version=probes.version,
    )


def test_privacy_understanding(gate: Any) -> None:
    probes = build_understanding(tier=gate.tier, seed=gate.seed, limit=gate.limit)

    def outcome(lm: Any) -> tuple[list[float], list[str]]:
        return understanding_outcome(
            lm.option_logprobs([it.prompt for it in probes.items], [it.options for it in probes.items]))

    gate.check(
        dimension="privacy", metric="understanding", items=probes.report_items(), outcome=outcome,
        kind="continuous", statistic=masked_mean(role_mask(probes, TARGET)),
        # Meaningful only if the reference refuses to pass on confidences more than news it was asked to spread.
        signal=contrast_signal(role_mask(probes, TARGET), role_mask(probes, CONTROL),
                               what="P(No) for confidential vs shareable news"),
        weight=UNDERSTANDING_WEIGHT, probe_version=probes.version,
    )


@pytest.mark.tier("full")
def test_privacy_full(gate: Any, dt_set: str) -> None:
    """One DecodingTrust privacy set under the study's settings, scored DecodingTrust's way."""
    check_set(gate, "privacy", dt_set)
