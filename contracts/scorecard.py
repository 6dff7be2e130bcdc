"""The scorecard as reports read it: checked once against its versioned schema, then typed.

`parse_card` (a card in memory) and `read_card` (a scorecard.json) are the one way into reports/: they check the
card against `scorecard.schema.json` and return a frozen `Scorecard` whose verdicts are `Verdict`s and whose
metrics are `MetricResult`s, so no report re-checks or re-normalizes what it reads. A card that does not match
(an old schema_version, a verdict word nothing writes) is refused with a `CardError` naming where it came from.

The schema is checked here without a JSON-schema library (none is a runtime dependency): `schema_errors`
implements the keywords the schema uses and refuses a schema that uses any other. Imports nothing from the
project but contracts/.
"""
from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from contracts.results import SCHEMA_PATH, SCHEMA_VERSION, MetricResult, ResultError
from contracts.verdicts import Policy, Reason, Verdict


class CardError(ValueError):
    """A scorecard that is not one this version of comptrust writes; the message names its source."""


@dataclass(frozen=True)
class DimensionCard:
    score: float | None
    reference_score: float | None
    drop: float | None
    verdict: Verdict
    inconclusive_reason: Reason | None
    metrics: Mapping[str, MetricResult]


@dataclass(frozen=True)
class ModelCard:
    id: str
    reference: str
    spec: str
    method: str | None
    description: str | None
    verdict: Verdict
    evidence: bool
    family_size: int
    dimensions: Mapping[str, DimensionCard]
    provenance: Mapping[str, Any]
    reference_provenance: Mapping[str, Any]
    settings: Any = None  # not written by the gate; shown when a hand-made card carries it


@dataclass(frozen=True)
class Scorecard:
    schema_version: int
    tier: str
    seed: int
    generated: str
    policy: Policy
    pinned_baselines: bool
    dimensions: tuple[Mapping[str, Any], ...]  # the run's dimension declarations (contracts/dimensions.py rows)
    models: Mapping[str, ModelCard]
    notes: tuple[str, ...]
    environment: Mapping[str, Any]
    runtime: Mapping[str, Any]


def read_card(path: Path) -> Scorecard:
    """A scorecard.json from disk, checked and typed; CardError names the file."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CardError(f"{path}: cannot read a scorecard: {exc}") from None
    return parse_card(data, str(path))


def as_scorecard(card: Scorecard | Mapping[str, Any], source: str = "the scorecard") -> Scorecard:
    """`card` itself when already checked, else `parse_card(card, source)`."""
    return card if isinstance(card, Scorecard) else parse_card(card, source)


def parse_card(data: object, source: str = "the scorecard") -> Scorecard:
    """A card in its JSON form, checked against the schema once, as typed objects; CardError names `source`."""
    if not isinstance(data, Mapping):
        raise CardError(f"{source}: a scorecard is a JSON object, got {type(data).__name__}")
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        raise CardError(f"{source}: scorecard schema_version {version!r}, but this comptrust reads version "
                        f"{SCHEMA_VERSION} (contracts/scorecard.schema.json); rerun the gate to write a current card")
    errors = schema_errors(data)
    if errors:
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise CardError(f"{source}: does not match scorecard schema_version {SCHEMA_VERSION}: {errors[0]}{more}")
    try:
        models = {str(mid): _model(str(mid), m) for mid, m in data["models"].items()}
    except ResultError as exc:  # the metric contract is stricter than the schema (e.g. inconclusive needs a reason)
        raise CardError(f"{source}: {exc}") from None
    return Scorecard(
        schema_version=version, tier=data["tier"], seed=data["seed"], generated=data["generated"],
        policy=Policy(data["policy"]), pinned_baselines=data["pinned_baselines"],
        dimensions=tuple(data["dimensions"]), models=models, notes=tuple(data["notes"]),
        environment=data["environment"], runtime=data["runtime"])


def _model(model_id: str, m: Mapping[str, Any]) -> ModelCard:
    return ModelCard(
        id=model_id, reference=m["reference"], spec=m["spec"], method=m["method"], description=m["description"],
        verdict=Verdict(m["verdict"]), evidence=m["evidence"], family_size=m["family_size"],
        dimensions={str(d): _dimension(model_id, str(d), e) for d, e in m["dimensions"].items()},
        provenance=m["provenance"], reference_provenance=m["reference_provenance"], settings=m.get("settings"))


def _dimension(model_id: str, dim: str, e: Mapping[str, Any]) -> DimensionCard:
    reason = e["inconclusive_reason"]
    metrics = {str(k): MetricResult.from_dict({**v, "model": model_id, "dimension": dim, "metric": str(k)})
               for k, v in e["metrics"].items()}
    return DimensionCard(score=e["score"], reference_score=e["reference_score"], drop=e["drop"],
                         verdict=Verdict(e["verdict"]), inconclusive_reason=Reason(reason) if reason else None,
                         metrics=metrics)


# --- the schema check ------------------------------------------------------------------------------

# Keywords checked below, and those that only annotate. A schema using any other is refused, never half-checked.
_CHECKED = frozenset({"type", "const", "enum", "required", "properties", "additionalProperties", "items",
                      "minItems", "maxItems", "minimum", "maximum", "pattern", "$ref", "if", "then"})
_ANNOTATIONS = frozenset({"$schema", "$id", "title", "description", "$defs"})


@cache
def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return loaded


def schema_errors(card: object) -> list[str]:
    """Where `card` breaks scorecard.schema.json, as 'path: problem' lines (empty: it matches)."""
    return list(_errors(card, schema(), "$"))


def _is_type(value: object, kind: str) -> bool:
    if kind == "object":
        return isinstance(value, Mapping)
    if kind == "array":
        return isinstance(value, (list, tuple))
    if kind == "string":
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "null":
        return value is None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    # As JSON Schema counts: 2.0 is an integer; a float NaN (written as null) is still a number.
    return kind == "number" or (kind == "integer" and (isinstance(value, int) or (math.isfinite(value)
                                                                                   and value.is_integer())))


def _resolve(ref: str) -> Mapping[str, Any]:
    if not ref.startswith("#/$defs/"):
        raise CardError(f"scorecard.schema.json: unsupported $ref {ref!r}")
    found: Mapping[str, Any] = schema()["$defs"][ref.removeprefix("#/$defs/")]
    return found


def _errors(value: object, rule: Mapping[str, Any], path: str) -> Iterator[str]:
    unknown = set(rule) - _CHECKED - _ANNOTATIONS
    if unknown:
        raise CardError(f"scorecard.schema.json uses {sorted(unknown)}, which contracts/scorecard.py does not check")
    if "$ref" in rule:
        yield from _errors(value, _resolve(rule["$ref"]), path)
    if "type" in rule:
        kinds = [rule["type"]] if isinstance(rule["type"], str) else list(rule["type"])
        if not any(_is_type(value, k) for k in kinds):
            yield f"{path}: {_show(value)} is not of type {' or '.join(kinds)}"
            return
    if "const" in rule and not _same(value, rule["const"]):
        yield f"{path}: {_show(value)} is not {rule['const']!r}"
    if "enum" in rule and not any(_same(value, option) for option in rule["enum"]):
        yield f"{path}: {_show(value)} is not one of {rule['enum']}"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in rule and value < rule["minimum"]:
            yield f"{path}: {value!r} is less than {rule['minimum']}"
        if "maximum" in rule and value > rule["maximum"]:
            yield f"{path}: {value!r} is more than {rule['maximum']}"
    if isinstance(value, str) and "pattern" in rule and not re.search(rule["pattern"], value):
        yield f"{path}: {_show(value)} does not match {rule['pattern']!r}"
    if isinstance(value, (list, tuple)):
        if "minItems" in rule and len(value) < rule["minItems"]:
            yield f"{path}: {len(value)} items, at least {rule['minItems']} expected"
        if "maxItems" in rule and len(value) > rule["maxItems"]:
            yield f"{path}: {len(value)} items, at most {rule['maxItems']} expected"
        if "items" in rule:
            for i, item in enumerate(value):
                yield from _errors(item, rule["items"], f"{path}[{i}]")
    if isinstance(value, Mapping):
        yield from _object_errors(value, rule, path)


def _object_errors(value: Mapping[str, Any], rule: Mapping[str, Any], path: str) -> Iterator[str]:
    for key in rule.get("required", ()):
        if key not in value:
            yield f"{path}: {key!r} is missing"
    props = rule.get("properties", {})
    extra = rule.get("additionalProperties", True)
    for key, item in value.items():
        where = f"{path}.{key}"
        if key in props:
            yield from _errors(item, props[key], where)
        elif extra is False:
            yield f"{path}: {key!r} is not a field of this object"
        elif isinstance(extra, Mapping):
            yield from _errors(item, extra, where)
    if "if" in rule and not list(_errors(value, rule["if"], path)):
        yield from _errors(value, rule.get("then", {}), path)


def _same(a: object, b: object) -> bool:
    # JSON equality: true is not 1 (Python says it is), null is only null, and 1 is 1.0.
    if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None:
        return a is b
    return a == b


def _show(value: object) -> str:
    text = json.dumps(value, default=str) if not isinstance(value, float) or math.isfinite(value) else repr(value)
    return text if len(text) <= 60 else text[:59] + "…"
