"""Safety is reported beside the eight DecodingTrust dimensions and never enters the study's average."""
from __future__ import annotations

from typing import Any

from contracts import dimensions
from contracts.scorecard import parse_card
from reports.card_render import render_markdown, trust_average
from reports.common import dimension_label, ordered_dimensions
from tests.card_helpers import card_with, dimension_entry, metric_entry, model_entry


def _dim(score: float, ref: float, verdict: str) -> dict[str, Any]:
    return dimension_entry(verdict, {"m": metric_entry(score, ref, verdict, [0.0, 1.0])})


def test_safety_is_a_dimension_but_not_a_trust_dimension() -> None:
    dimensions.reset()
    assert "safety" in dimensions.names()
    assert "safety" not in dimensions.study_average() and len(dimensions.study_average()) == 8
    assert ordered_dimensions(["safety", "benign", "privacy"]) == ["benign", "privacy", "safety"]
    assert dimension_label("safety") == "Safety"


def test_the_trust_average_ignores_safety_and_the_card_shows_it() -> None:
    model = model_entry(verdict="fail", dimensions={
        "toxicity": _dim(80.0, 80.0, "pass"), "privacy": _dim(60.0, 62.0, "pass"),
        "safety": _dim(10.0, 90.0, "fail")})
    card = card_with({"cand": model})
    assert trust_average(parse_card(card).models["cand"]) == (70.0, 71.0, 2)  # safety's 10 vs 90 would count
    md = render_markdown(card)
    assert "Safety" in md
