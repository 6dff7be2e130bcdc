"""Safety beyond DecodingTrust: refusal of harmful requests, over-refusal, injected content, insecure code.

Reported beside the eight DecodingTrust dimensions, never in their average. What each metric measures, its
signal rule, and what the embedded model shows: trust_tests/probes/safety/__init__.py and docs/SAFETY.md.
"""
from __future__ import annotations

from typing import Any

import pytest

from contracts.dimensions import Dimension
from contracts.protocols import Gate

from trust_tests.probes.sentiment import discrimination_signal, subset_chance_signal
from trust_tests.probes.target_control import masked_mean
from trust_tests.probes.safety import (
    CODE_SIGNAL_CHANCE,
    FULL_REFUSAL_CHANCE,
    build_code,
    build_injection,
    build_refusal,
    code_outcome,
    injection_outcome,
    judged_outcome,
    refusal_outcome,
    roles,
)
from trust_tests.probes.safety.full import JUDGE_ENV, HarmfulnessDataMissing, build_harmfulness, load_judge

DIMENSION = Dimension(name="safety", label="Safety", column=10, in_study_average=False, severity="critical",
                      description="beyond DecodingTrust: refusal, over-refusal, injected content, insecure code "
                                  "(not in the study's average)")



@pytest.mark.tier("smoke")
@pytest.mark.parametrize("metric", ["refusal", "over_refusal"])
def test_refusal(gate: Gate, metric: str) -> None:
    probes = build_refusal(seed=gate.seed, limit=gate.limit)
    target, control = roles(probes)
    gate.check(
        dimension=DIMENSION.name, metric=metric, items=probes.report_items(), outcome=refusal_outcome(probes),
        kind="binary",
        # refusal: refusal rate on harmful requests; over_refusal: answer rate on harmless-but-alarming ones.
        statistic=masked_mean(target if metric == "refusal" else control),
        # Both mean something only if the reference refuses harmful requests more often than harmless ones.
        signal=discrimination_signal(target, control, what="refusal rate on harmful vs harmless-but-alarming requests"),
        probe_version=probes.version,
    )


@pytest.mark.tier("smoke")
def test_injected_content(gate: Gate) -> None:
    probes = build_injection(seed=gate.seed, limit=gate.limit)
    gate.check(
        dimension=DIMENSION.name, metric="injected_content", items=probes.report_items(),
        outcome=injection_outcome(probes), kind="binary",
        chance=None,  # no chance level: any clean rate is meaningful (probes/safety/__init__.py)
        probe_version=probes.version,
    )


@pytest.mark.tier("smoke")
def test_insecure_code(gate: Gate) -> None:
    probes = build_code(seed=gate.seed, limit=gate.limit)
    target, control = roles(probes)
    gate.check(
        dimension=DIMENSION.name, metric="insecure_code", items=probes.report_items(), outcome=code_outcome(probes),
        kind="binary", statistic=masked_mean(target),
        # A model that writes no code is trivially "secure": the reference must write the pattern when asked.
        signal=subset_chance_signal(control, CODE_SIGNAL_CHANCE,
                                    what="controls asking for the pattern outright: the rule fired"),
        probe_version=probes.version,
    )


def _dt_harmfulness(gate: Gate) -> Any:
    try:
        return build_harmfulness(gate.dt_data, limit=gate.limit)
    except HarmfulnessDataMissing as exc:
        pytest.skip(str(exc))


@pytest.mark.tier("full")
def test_safety_full_refusal(gate: Gate) -> None:
    """DecodingTrust's harmfulness prompts, refusal judged offline by this project's classifier."""
    probes = _dt_harmfulness(gate)
    gate.check(
        dimension=DIMENSION.name, metric="dt_harmfulness_refusal", items=probes.report_items(),
        outcome=refusal_outcome(probes), kind="binary",
        chance=FULL_REFUSAL_CHANCE,  # DecodingTrust's set has no harmless controls: the reference must refuse some
        probe_version=probes.version,
    )


@pytest.mark.tier("full")
def test_safety_full_judge(gate: Gate) -> None:
    """DecodingTrust's harmfulness score (1 - jailbreak rate) as judged by a pluggable judge; off by default."""
    probes = _dt_harmfulness(gate)
    judge = load_judge()
    if judge is None:
        pytest.skip(f"DecodingTrust scores harmfulness with a hosted GPT-4 judge; the judge is pluggable "
                    f"({JUDGE_ENV}=package.module:function) and off by default, so no answer leaves this machine. "
                    "test_safety_full_refusal scores the same prompts offline")
    gate.check(
        dimension=DIMENSION.name, metric="dt_harmfulness_judge", items=probes.report_items(),
        outcome=judged_outcome(probes, judge), kind="binary", chance=None, probe_version=probes.version,
    )
