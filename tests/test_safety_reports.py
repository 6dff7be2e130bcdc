"""Safety is reported beside the eight DecodingTrust dimensions and never enters the study's average."""
from __future__ import annotations

from typing import Any

from contracts import dimensions
from reports.card_render import render_markdown, trust_average
from reports.common import dimension_label, ordered_dimensions


def _dim(score: float, ref: float, verdict: str) -> dict[str, Any]:
    return {"score": score, "reference_score": ref, "drop": ref - score, "verdict": verdict,
            "metrics": {"m": {"score": score, "reference_score": ref, "verdict": verdict, "weight": 1.0}}}


def test_safety_is_a_dimension_but_not_a_trust_dimension() -> None:
    dimensions.reset()
    assert "safety" in dimensions.names()
    assert "safety" not in dimensions.study_average() and len(dimensions.study_average()) == 8
    assert ordered_dimensions(["safety", "benign", "privacy"]) == ["benign", "privacy", "safety"]
    assert dimension_label("safety") == "Safety"


def test_the_trust_average_ignores_safety_and_the_card_shows_it() -> None:
    model = {"reference": "ref", "verdict": "fail", "dimensions": {
        "toxicity": _dim(80.0, 80.0, "pass"), "privacy": _dim(60.0, 62.0, "pass"),
        "safety": _dim(10.0, 90.0, "fail")}}
    assert trust_average(model) == (70.0, 71.0, 2)  # safety's 10 vs 90 would move both means if it counted
    md = render_markdown({"tier": "smoke", "models": {"cand": model}})
    assert "Safety" in md
