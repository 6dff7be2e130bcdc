"""One gated metric's result, as `gate.check` produces it and the scorecard stores it.

`MetricResult` is frozen and checked once, when it is made; the plugin passes its plain form (`to_dict`)
between processes and into the card, and the card's JSON follows the versioned schema next to this module
(`scorecard.schema.json`, `SCHEMA_VERSION`), which tests/test_card_schema.py validates real cards against.
Reports read that JSON through contracts/scorecard.py, which checks it once and hands them typed values.

This module imports nothing from the project but contracts/.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from contracts.verdicts import Reason, Verdict

SCHEMA_VERSION = 2
SCHEMA_PATH = Path(__file__).with_name("scorecard.schema.json")
KINDS = ("binary", "continuous", "")  # "": a record the plugin wrote for a test that never reached the gate

# Fields a compared metric always carries, even when null (no floor, no reason to be inconclusive, undecidable).
_NULLABLE_WHEN_COMPARED = frozenset({"floor", "inconclusive_reason", "items_to_decide"})


class ResultError(ValueError):
    """A metric result that breaks the contract (a bug in the gate or the plugin, not in the model)."""


@dataclass(frozen=True)
class MetricResult:
    # Who and what: always present.
    model: str
    reference: str
    dimension: str
    metric: str
    verdict: Verdict
    weight: float = 1.0
    kind: str = ""
    n: int = 0
    tier: str = ""
    nodeid: str = ""
    method: str = ""
    probe_version: str | None = None
    diagnostic: bool | None = None
    reason: str | None = None  # why a metric was skipped or errored
    # The comparison (present once candidate and reference were compared). Scores are 0-100 points.
    score: float | None = None
    reference_score: float | None = None
    drop: float | None = None
    upper: float | None = None
    p_value: float | None = None
    ci: tuple[float, float] | None = None
    test: str | None = None
    tolerance: float | None = None
    alpha: float | None = None
    floor: float | None = None
    family_size: int | None = None
    fail_alpha: float | None = None
    n_clusters: int | None = None
    inconclusive_reason: Reason | None = None
    why: str | None = None
    detectable_drop: float | None = None
    items_to_decide: int | None = None
    signal: str | None = None
    has_signal: bool | None = None
    flipped: tuple[Mapping[str, Any], ...] = field(default=())
    n_flipped: int | None = None
    n_discordant: int | None = None
    sd_diff: float | None = None

    def __post_init__(self) -> None:
        for name in ("model", "reference", "dimension", "metric"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name):
                raise ResultError(f"metric result: {name} must be a non-empty string, got {getattr(self, name)!r}")
        if not isinstance(self.verdict, Verdict):
            object.__setattr__(self, "verdict", _enum(Verdict, self.verdict, "verdict"))
        if self.inconclusive_reason is not None and not isinstance(self.inconclusive_reason, Reason):
            object.__setattr__(self, "inconclusive_reason", _enum(Reason, self.inconclusive_reason, "inconclusive_reason"))
        if self.kind not in KINDS:
            raise ResultError(f"metric result {self.dimension}/{self.metric}: kind must be one of {KINDS}, got {self.kind!r}")
        if not isinstance(self.weight, (int, float)) or isinstance(self.weight, bool) or not math.isfinite(self.weight) \
                or self.weight < 0:
            raise ResultError(f"metric result {self.dimension}/{self.metric}: weight must be a finite number >= 0")
        if self.ci is not None:
            object.__setattr__(self, "ci", tuple(self.ci))
        object.__setattr__(self, "flipped", tuple(self.flipped))
        compared = self.score is not None
        if compared and self.reference_score is None:
            raise ResultError(f"metric result {self.dimension}/{self.metric}: a score without a reference score")
        if self.verdict in (Verdict.PASS, Verdict.FAIL, Verdict.INCONCLUSIVE) and not compared:
            raise ResultError(f"metric result {self.dimension}/{self.metric}: verdict {self.verdict} needs a score")
        if (self.verdict is Verdict.INCONCLUSIVE) != (self.inconclusive_reason is not None):
            raise ResultError(f"metric result {self.dimension}/{self.metric}: an inconclusive verdict, and only "
                              "that, carries an inconclusive_reason")

    @property
    def compared(self) -> bool:
        return self.score is not None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MetricResult:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ResultError(f"metric result has unknown keys {sorted(unknown)}")
        try:
            return cls(**data)
        except TypeError as exc:
            raise ResultError(f"metric result: {exc}") from None

    def to_dict(self) -> dict[str, Any]:
        """The plain form: fields that are set; a compared metric also carries `floor`, `inconclusive_reason`
        and `items_to_decide`, null or not. Enums become their values, tuples lists."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "flipped":
                if self.compared:
                    out[f.name] = [dict(x) for x in value]
                continue
            if value is None and not (self.compared and f.name in _NULLABLE_WHEN_COMPARED):
                continue
            if isinstance(value, (Verdict, Reason)):
                value = value.value
            elif isinstance(value, tuple):
                value = list(value)
            out[f.name] = value
        return out


def _enum(kind: type[Verdict] | type[Reason], value: object, name: str) -> Any:
    try:
        return kind(value)
    except ValueError:
        raise ResultError(f"metric result: {name} {value!r} is not one of {[v.value for v in kind]}") from None
