"""The scorecard JSON follows its versioned schema (contracts/scorecard.schema.json), and the metric results in it
are MetricResults (contracts/results.py): checked once, where they are made."""
from __future__ import annotations

import json

import jsonschema
import pytest

from contracts.results import SCHEMA_PATH, SCHEMA_VERSION, MetricResult, ResultError
from contracts.verdicts import Reason, Verdict
from tests.plugin_helpers import CAND, Picks, Project, make_items, with_answers

pytest_plugins = ["pytester", "tests.plugin_helpers"]

SCHEMA = json.loads(SCHEMA_PATH.read_text())
IDENTITY = {"model": "m", "reference": "r", "dimension": "benign", "metric": "accuracy", "kind": "binary", "n": 4,
            "tier": "smoke", "nodeid": "t::x", "method": "rtn"}
COMPARED = {"score": 75.0, "reference_score": 100.0, "drop": 25.0, "upper": 40.0, "p_value": 0.25, "ci": [5.0, 40.0],
            "test": "mcnemar-exact", "tolerance": 5.0, "alpha": 0.05, "floor": None, "family_size": 1,
            "fail_alpha": 0.05, "n_clusters": 4, "why": "w", "detectable_drop": 30.0, "items_to_decide": None,
            "signal": "s", "has_signal": True, "flipped": [], "n_flipped": 0, "n_discordant": 1, "sd_diff": 0.5}


def _validate(card: dict) -> None:
    errors = sorted(jsonschema.Draft202012Validator(SCHEMA).iter_errors(card), key=lambda e: e.json_path)
    assert not errors, [f"{e.json_path}: {e.message[:200]}" for e in errors[:5]]


def test_the_schema_is_a_valid_schema_of_this_version() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["properties"]["schema_version"] == {"const": SCHEMA_VERSION}


def test_metric_results_round_trip_and_refuse_what_nothing_writes() -> None:
    result = MetricResult(**IDENTITY, **COMPARED, verdict=Verdict.INCONCLUSIVE, inconclusive_reason=Reason.UNDERPOWERED)
    plain = result.to_dict()
    assert plain["verdict"] == "inconclusive" and plain["inconclusive_reason"] == "underpowered"
    assert plain["floor"] is None and plain["ci"] == [5.0, 40.0] and "reason" not in plain
    assert MetricResult.from_dict(plain) == result
    with pytest.raises(dataclasses_frozen()):
        result.score = 1.0  # type: ignore[misc]
    for bad in ({"verdict": "passed"}, {"verdict": "ok"}, {"verdict": "broken"}):
        with pytest.raises(ResultError, match="verdict"):
            MetricResult.from_dict({**IDENTITY, **COMPARED, **bad})
    with pytest.raises(ResultError, match="needs a score"):
        MetricResult(**IDENTITY, verdict=Verdict.PASS)
    with pytest.raises(ResultError, match="inconclusive_reason"):
        MetricResult(**IDENTITY, **COMPARED, verdict=Verdict.INCONCLUSIVE)
    with pytest.raises(ResultError, match="unknown keys"):
        MetricResult.from_dict({**IDENTITY, "verdict": "error", "colour": "red"})
    error = MetricResult(**IDENTITY, verdict=Verdict.ERROR, reason="boom").to_dict()
    assert "score" not in error and "flipped" not in error and "floor" not in error


def dataclasses_frozen() -> type[Exception]:
    import dataclasses

    return dataclasses.FrozenInstanceError


def test_cards_of_real_runs_follow_the_schema(project: Project, picks: Picks) -> None:
    # A regression (compared metrics: fail) ...
    project.write(with_answers(picks.items, picks.ref))
    project.run("-k", "benign")
    card = project.scorecard()
    assert card["schema_version"] == SCHEMA_VERSION
    assert card["models"][CAND]["dimensions"]["benign"]["verdict"] == "fail"
    _validate(card)
    # ... and misused checks (error records from the gate and from the plugin).
    project.write(make_items(4))
    (project.root / "trust_tests" / "test_inner_broken.py").write_text(
        'ITEMS = [{"id": "a", "prompt": "x"}, {"id": "b", "prompt": "y"}]\n\n\n'
        'def test_short(gate):\n'
        '    gate.check(dimension="toxicity", metric="short", items=ITEMS, outcome=lambda lm: [1.0])\n\n\n'
        'def test_never_checks(gate):\n'
        '    pass\n')
    project.run("trust_tests/test_inner_broken.py")
    card = project.scorecard()
    verdicts = {m: e["verdict"] for d in card["models"][CAND]["dimensions"].values() for m, e in d["metrics"].items()}
    assert verdicts == {"short": "error", "never_checks": "error"}
    _validate(card)


# --- the reports' own check (contracts/scorecard.py) agrees with a full JSON-schema validator -----------------


def _paths(node: object, at: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    out = [at] if at else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*at, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*at, i))
    return out


def test_the_reports_check_agrees_with_jsonschema_on_broken_cards() -> None:
    import copy
    import random

    from contracts.scorecard import schema_errors
    from tests.test_reports import hand_card

    validator = jsonschema.Draft202012Validator(SCHEMA)
    base = hand_card()
    assert schema_errors(base) == [] and not list(validator.iter_errors(base))
    rng = random.Random(0)
    values: list[object] = ["passed", "ok", None, 1, 2.5, True, [], {}, -1, 200, [1.0], "no-signal", "x"]
    paths = _paths(base)
    for path in (rng.choice(paths) for _ in range(400)):
        card = copy.deepcopy(base)
        parent: object = card
        for key in path[:-1]:
            parent = parent[key]  # type: ignore[index]
        if isinstance(parent, dict) and rng.random() < 0.3:
            del parent[path[-1]]
        else:
            parent[path[-1]] = rng.choice(values)  # type: ignore[index]
        assert bool(schema_errors(card)) == bool(list(validator.iter_errors(card))), path
