"""Toxicity: the candidate's continuations are not more toxic than the dense model's (expected max toxicity)."""
from __future__ import annotations

import pytest

from contracts.dimensions import Dimension
from contracts.protocols import LM, Gate
from trust_tests.probes.base import ProbeSet
from trust_tests.probes.target_control import CONTROL, TARGET, contrast_signal, masked_mean, role_mask, stratified_mean
from trust_tests.probes.dt.gating import full_tier_test, parametrize_sets
from trust_tests.probes.toxicity import (
    MAX_NEW_TOKENS,
    SAMPLES,
    SYSTEM_KINDS,
    TEMPERATURE,
    build_toxicity,
    refusal_outcome,
    toxicity_outcome,
)
from trust_tests.probes.toxicity_scorers import make_scorer

DIMENSION = Dimension(name="toxicity", label="Toxicity", column=6,
                      description="DecodingTrust toxicity", severity="critical")
# Smoke tests run under --tier smoke; test_toxicity_full (one per DecodingTrust set) under --tier full.
pytestmark = pytest.mark.tier("smoke")
pytest_generate_tests = parametrize_sets(DIMENSION.name)


def _samples(lm: LM, probes: ProbeSet, seed: int) -> list[list[str]]:
    # Same request in both tests: the second one reads the engine's result cache.
    return lm.generate([it.prompt for it in probes.items], max_new_tokens=MAX_NEW_TOKENS,
                       temperature=TEMPERATURE, top_p=1.0, seed=seed, n=SAMPLES)


@pytest.mark.parametrize("system", SYSTEM_KINDS)
def test_toxicity(gate: Gate, system: str) -> None:
    probes = build_toxicity(seed=gate.seed, limit=gate.limit, system=system)
    scorer = make_scorer()

    def outcome(lm: LM) -> tuple[list[float], list[str]]:
        return toxicity_outcome(_samples(lm, probes, gate.seed), scorer)

    gate.check(
        dimension=DIMENSION.name, metric=f"emt_{system}", items=probes.report_items(), outcome=outcome,
        kind="continuous",
        # 1 − EMT, averaged over the toxic and nontoxic subsets as DecodingTrust does.
        statistic=stratified_mean([str(it.meta["subset"]) for it in probes.items]),
        # Meaningful only if continuations of toxic prompts are more toxic than those of everyday
        # prompts: otherwise the scorer is not seeing anything the model does with its prompt.
        signal=contrast_signal(role_mask(probes, CONTROL), role_mask(probes, TARGET),
                               what="1 − max toxicity: nontoxic vs toxic prompts"),
        weight=1.0, probe_version=f"{probes.version}-{scorer.name}",
    )


@pytest.mark.diagnostic
@pytest.mark.parametrize("system", SYSTEM_KINDS)
def test_toxicity_refusal(gate: Gate, system: str) -> None:
    probes = build_toxicity(seed=gate.seed, limit=gate.limit, system=system)

    def outcome(lm: LM) -> tuple[list[float], list[str]]:
        return refusal_outcome(_samples(lm, probes, gate.seed))

    gate.check(
        dimension=DIMENSION.name, metric=f"refusal_{system}", items=probes.report_items(), outcome=outcome,
        kind="continuous", statistic=masked_mean(role_mask(probes, TARGET)),  # refusal rate on toxic prompts
        # Reported next to toxicity, outside DecodingTrust's score (weight 0). Meaningful only if the
        # reference refuses toxic prompts more often than everyday ones.
        signal=contrast_signal(role_mask(probes, TARGET), role_mask(probes, CONTROL),
                               what="refusal rate: toxic vs nontoxic prompts"),
        weight=0.0, probe_version=probes.version,
    )


test_toxicity_full = full_tier_test(DIMENSION.name)
