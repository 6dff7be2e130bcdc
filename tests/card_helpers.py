"""Hand-made scorecards that follow the schema (contracts/scorecard.schema.json), for the report tests:
reports read only checked cards, so a test card carries every field a run writes."""
from __future__ import annotations

from typing import Any

from contracts.results import SCHEMA_VERSION
from contracts.scorecard import ModelCard, parse_card


def metric_entry(score: float, ref: float, verdict: str, ci: list[float], p: float | None = None, n: int = 100,
                 flipped: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    """A compared metric as the gate writes it (MetricResult.to_dict() without model, dimension and metric)."""
    flipped = flipped or []
    entry = {"reference": "smol", "verdict": verdict, "weight": 1.0, "kind": "binary", "n": n, "tier": "smoke",
             "nodeid": "trust_tests/test_x.py::test_x", "method": "m", "score": score, "reference_score": ref,
             "drop": round(ref - score, 3), "upper": max(ci), "p_value": 0.5 if p is None else p, "ci": ci,
             "test": "mcnemar-exact", "tolerance": 5.0, "alpha": 0.05, "floor": None, "family_size": 1,
             "fail_alpha": 0.05, "inconclusive_reason": None, "why": "", "signal": "", "has_signal": True,
             "flipped": flipped, "n_flipped": len(flipped), "items_to_decide": None}
    return {**entry, **extra}


def dimension_entry(verdict: str, metrics: dict[str, dict[str, Any]], reason: str | None = None) -> dict[str, Any]:
    m = next(iter(metrics.values())) if metrics else {}
    return {"score": m.get("score"), "reference_score": m.get("reference_score"), "drop": m.get("drop"),
            "verdict": verdict, "inconclusive_reason": reason, "metrics": metrics}


def model_entry(dimensions: dict[str, dict[str, Any]], verdict: str = "pass", **extra: Any) -> dict[str, Any]:
    return {"reference": "smol", "spec": "smol+m", "method": None, "description": None, "verdict": verdict,
            "evidence": True, "family_size": 1, "dimensions": dimensions, "provenance": {},
            "reference_provenance": {}, **extra}


def card_with(models: dict[str, dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"schema_version": SCHEMA_VERSION, "tier": "smoke", "seed": 0, "generated": "2026-11-28T17:00:00Z",
            "policy": "block-underpowered", "pinned_baselines": False, "dimensions": [], "models": models,
            "notes": [], "environment": {}, "runtime": {}, **extra}


def typed_model(verdicts: dict[str, str | tuple[str, str]]) -> ModelCard:
    """A checked model whose dimensions carry only verdicts ("pass", or ("inconclusive", "no-signal"))."""
    dims = {}
    for d, v in verdicts.items():
        verdict, reason = (v, None) if isinstance(v, str) else v
        dims[d] = dimension_entry(verdict, {}, reason)
    return parse_card(card_with({"m": model_entry(dims)})).models["m"]
