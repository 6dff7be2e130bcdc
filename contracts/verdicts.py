"""The one verdict rule: metric -> dimension -> model -> exit code. Used by the gate, the terminal summary,
the scorecard and every report, so they cannot disagree. Imports nothing from the project.

A metric is
- PASS: the data show the drop is within the tolerance (the one-sided upper confidence bound of the drop is
  below it) and the reference has signal on the set;
- FAIL: a drop beyond the tolerance that is significant after the family correction (or a score under an
  absolute floor);
- INCONCLUSIVE: neither; `reason` says why: NO_SIGNAL (the reference is at chance: it can still fail, never
  pass), UNDERPOWERED (too few items to tell), INCOMPLETE (some of a dimension's metrics never ran);
- ERROR: no verdict could be reached (a crash, a stale baseline); never hidden, never a pass;
- SKIPPED: not evaluated here (hub offline, GPU-only on a CPU machine).
Weight-0 metrics are diagnostics: they carry a verdict of their own but never decide a dimension or a run
(errors aside: a crash is an error wherever it happens).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import IntEnum, StrEnum
from typing import Any


class Verdict(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    INCONCLUSIVE = "inconclusive"
    ERROR = "error"
    SKIPPED = "skipped"


class Reason(StrEnum):
    """Why a metric or dimension is inconclusive."""

    NO_SIGNAL = "no-signal"
    UNDERPOWERED = "underpowered"
    INCOMPLETE = "incomplete"


class Policy(StrEnum):
    """How inconclusive metrics count for the exit code (--inconclusive)."""

    BLOCK = "block"  # every inconclusive gated metric blocks the run
    BLOCK_UNDERPOWERED = "block-underpowered"  # the default: only what more items could decide blocks
    WARN = "warn"  # inconclusive is reported, never blocks (a run still needs evidence)


class ExitCode(IntEnum):
    """The run's exit status. 1-5 are pytest's own; 6 and 7 are the gate's."""

    OK = 0  # every candidate passed
    REGRESSION = 1  # a metric failed, or a test errored (pytest: tests failed)
    INTERRUPTED = 2
    INTERNAL_ERROR = 3
    USAGE_ERROR = 4
    NO_TESTS = 5
    NO_EVIDENCE = 6  # a candidate ended without a single pass or fail (--allow-no-evidence accepts)
    INCONCLUSIVE = 7  # nothing failed, but a gated metric could not be decided (--inconclusive)


# Severity order, strongest first: a demonstrated regression outranks "could not judge", which outranks
# "could not tell", which outranks a pass.
_ORDER = (Verdict.FAIL, Verdict.ERROR, Verdict.INCONCLUSIVE, Verdict.PASS, Verdict.SKIPPED)
DEFAULT_POLICY = Policy.BLOCK_UNDERPOWERED


def parse(value: object) -> Verdict:
    """A verdict from a record; anything else (an old 'no-signal', a typo) is refused, not guessed."""
    try:
        return Verdict(str(value))
    except ValueError:
        raise ValueError(f"unknown verdict {value!r}; expected one of {[v.value for v in Verdict]}") from None


def reason_of(record: Mapping[str, Any]) -> Reason | None:
    value = record.get("inconclusive_reason")
    return Reason(value) if value else None


def is_gated(record: Mapping[str, Any]) -> bool:
    """A metric that decides its dimension (weight > 0); weight-0 metrics are diagnostics."""
    return float(record.get("weight", 1.0)) > 0


def worst(verdicts: Iterable[Verdict]) -> Verdict | None:
    present = set(verdicts)
    return next((v for v in _ORDER if v in present), None)


def metric_verdict(*, drop: float, upper: float, p_value: float, tolerance: float, fail_alpha: float,
                   has_signal: bool, under_floor: bool = False) -> tuple[Verdict, Reason | None]:
    """One metric, all numbers in the same units. Fail needs a drop beyond the tolerance that is significant
    at the family-adjusted level; pass needs the upper bound of the drop under the tolerance and a reference
    with signal; everything else is inconclusive. No signal takes away the right to pass, never to fail."""
    if under_floor or (drop > tolerance and p_value < fail_alpha):
        return Verdict.FAIL, None
    if not has_signal:
        return Verdict.INCONCLUSIVE, Reason.NO_SIGNAL
    if upper < tolerance:
        return Verdict.PASS, None
    return Verdict.INCONCLUSIVE, Reason.UNDERPOWERED


def dimension_verdict(metrics: Iterable[Mapping[str, Any]]) -> tuple[Verdict, Reason | None]:
    """Fail if a gated metric fails; error if any metric errored; pass only if every gated metric passed;
    skipped if none ran; otherwise inconclusive, with the weakest link's reason."""
    metrics = list(metrics)
    verdicts = [parse(m["verdict"]) for m in metrics]
    gated = [(v, m) for v, m in zip(verdicts, metrics) if is_gated(m)]
    if any(v is Verdict.FAIL for v, _ in gated):
        return Verdict.FAIL, None
    if Verdict.ERROR in verdicts:
        return Verdict.ERROR, None
    if not gated or all(v is Verdict.SKIPPED for v, _ in gated):
        return Verdict.SKIPPED, None
    if all(v is Verdict.PASS for v, _ in gated):
        return Verdict.PASS, None
    reasons = [reason_of(m) for v, m in gated if v is Verdict.INCONCLUSIVE]
    if Reason.UNDERPOWERED in reasons:
        return Verdict.INCONCLUSIVE, Reason.UNDERPOWERED
    if Reason.NO_SIGNAL in reasons:
        # Skipped metrics beside no-signal ones: still nothing more items could decide.
        return Verdict.INCONCLUSIVE, Reason.NO_SIGNAL if all(v is not Verdict.SKIPPED for v, _ in gated) else Reason.INCOMPLETE
    return Verdict.INCONCLUSIVE, Reason.INCOMPLETE


def blocks(verdict: Verdict, reason: Reason | None, policy: Policy) -> bool:
    """Does an inconclusive dimension stop a pass under this policy?"""
    if verdict is not Verdict.INCONCLUSIVE or policy is Policy.WARN:
        return False
    return policy is Policy.BLOCK or reason is not Reason.NO_SIGNAL


def has_evidence(dimensions: Iterable[tuple[Verdict, Reason | None]]) -> bool:
    """At least one dimension with a pass or a fail: the run judged something."""
    return any(v in (Verdict.PASS, Verdict.FAIL) for v, _ in dimensions)


def model_verdict(dimensions: Iterable[tuple[Verdict, Reason | None]], policy: Policy = DEFAULT_POLICY) -> Verdict:
    """FAIL > ERROR > INCONCLUSIVE (what blocks under the policy, or no evidence at all) > PASS > SKIPPED."""
    dims = list(dimensions)
    if not dims or all(v is Verdict.SKIPPED for v, _ in dims):
        return Verdict.SKIPPED
    verdicts = [v for v, _ in dims]
    if Verdict.FAIL in verdicts:
        return Verdict.FAIL
    if Verdict.ERROR in verdicts:
        return Verdict.ERROR
    if not has_evidence(dims) or any(blocks(v, r, policy) for v, r in dims):
        return Verdict.INCONCLUSIVE
    return Verdict.PASS


def exit_code(models: Mapping[str, tuple[Verdict, bool]], policy: Policy, allow_no_evidence: bool) -> tuple[ExitCode, list[str]]:
    """The gate's exit status from each candidate's (verdict, has evidence), with one line per reason.
    A regression or error outranks missing evidence, which outranks an inconclusive run."""
    lines: list[str] = []
    codes = {ExitCode.OK}
    for model_id, (verdict, evidence) in models.items():
        if verdict in (Verdict.FAIL, Verdict.ERROR):
            codes.add(ExitCode.REGRESSION)
        elif not evidence:
            if not allow_no_evidence:
                codes.add(ExitCode.NO_EVIDENCE)
                lines.append(f"comptrust: no evidence for {model_id}: no gated metric passed or failed "
                             "(all skipped, errored or inconclusive); --allow-no-evidence accepts this")
        elif verdict is Verdict.INCONCLUSIVE:
            codes.add(ExitCode.INCONCLUSIVE)
            lines.append(f"comptrust: inconclusive for {model_id}: a gated metric could not show its drop is within "
                         f"tolerance (--inconclusive={policy.value}); the scorecard says how many items would decide it")
    for code in (ExitCode.REGRESSION, ExitCode.NO_EVIDENCE, ExitCode.INCONCLUSIVE):
        if code in codes:
            return code, lines
    return ExitCode.OK, lines
