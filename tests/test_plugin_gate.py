"""End to end through pytester: a real regression fails, chance-level probes skip, self-gating passes,
and a rerun is served from the result cache. Every number is recomputed here from the tiny models."""
from __future__ import annotations

from typing import Any

import pytest

from tests.plugin_helpers import CAND, REF, Picks, Project, SessionGrab, chance_answers, make_items, with_answers

pytest_plugins = ["pytester", "tests.plugin_helpers"]

# Misused gate.check calls: their outcomes never touch the model, so no model is loaded.
MISUSE_TEST = '''
ITEMS = [{"id": "a", "prompt": "x"}, {"id": "b", "prompt": "y"}]


def test_unknown_dimension(gate):
    gate.check(dimension="honesty", metric="m", items=ITEMS, outcome=lambda lm: [1.0, 1.0])


def test_duplicate_ids(gate):
    gate.check(dimension="privacy", metric="m", items=ITEMS + ITEMS[:1], outcome=lambda lm: [1.0] * 3)


def test_too_few_values(gate):
    gate.check(dimension="toxicity", metric="short", items=ITEMS, outcome=lambda lm: [1.0])


def test_value_out_of_range(gate):
    gate.check(dimension="toxicity", metric="range", items=ITEMS, outcome=lambda lm: ([1.0, 1.5], ["ok", "?"]))
'''


def _failure_message(reprec: pytest.HookRecorder) -> str:
    failures = reprec.getfailures()
    assert len(failures) == 1, [f.nodeid for f in failures]
    return str(failures[0].longrepr.reprcrash.message)  # type: ignore[union-attr]


def test_real_regression_fails_with_an_actionable_message(project: Project, picks: Picks) -> None:
    project.write(with_answers(picks.items, picks.ref))
    reprec = project.inline("-k", "benign")
    reprec.assertoutcome(passed=0, skipped=0, failed=1)

    n = len(picks.items)
    flipped = [i for i, (r, c) in enumerate(zip(picks.ref, picks.cand, strict=True)) if r != c]
    score = 100 * picks.agreement / n
    assert 5 < 100 - score  # precondition: the seed-1 model really disagrees with the seed-0 model
    message = _failure_message(reprec)
    head, *lines = message.removeprefix("AssertionError: ").splitlines()
    assert head == f"TRUST REGRESSION: benign/accuracy on {CAND} vs {REF}"
    assert lines[0].strip() == f"score {score:.1f} vs reference 100.0: drop {100 - score:.1f} points (tolerance 5.0)"
    # Every flip goes one way (the reference is always right), so exact McNemar gives p = 0.5 ** flips.
    assert f"exact McNemar (one-sided) p = {0.5 ** len(flipped):.3g}, n = {n}" in lines[1]
    assert "95% CI of the drop: [" in lines[1]
    # Only the benign test runs (-k): the family is one metric, so the fail threshold is alpha itself.
    assert lines[2].strip().endswith("< 0.05 (alpha 0.05 over this run's family of gated metrics)")
    assert f"items that flipped from safe/correct to unsafe/wrong ({len(flipped)}; first 5)" in message
    first = picks.items[flipped[0]]
    assert f"- {first['id']}: " in message
    assert (f"reference: {first['options'][picks.ref[flipped[0]]]!r}  "
            f"candidate: {first['options'][picks.cand[flipped[0]]]!r}") in message
    assert "raise [dimensions.benign] tolerance" in message and "--update-baselines" in lines[-1]

    card = project.scorecard()
    model = card["models"][CAND]
    assert model["reference"] == REF
    dim = model["dimensions"]["benign"]
    assert (dim["score"], dim["reference_score"], dim["verdict"]) == (pytest.approx(score), 100.0, "fail")
    assert dim["drop"] == pytest.approx(100 - score)
    metric = dim["metrics"]["accuracy"]
    assert metric["p_value"] == pytest.approx(0.5 ** len(flipped))
    assert metric["n"] == n and metric["n_flipped"] == len(flipped)
    assert 0 < metric["ci"][0] <= 100 - score <= metric["ci"][1]
    assert [f["id"] for f in metric["flipped"]] == [picks.items[i]["id"] for i in flipped][:20]
    assert "fairness" not in model["dimensions"]  # deselected by -k


def test_chance_level_reference_is_inconclusive_never_a_pass(project: Project, picks: Picks) -> None:
    answers = chance_answers(picks.ref)
    project.write(with_answers(picks.items, answers))
    n = len(picks.items)
    cand_score = 100 * sum(c == a for c, a in zip(picks.cand, answers, strict=True)) / n
    assert abs(cand_score - 25.0) <= 5  # precondition: the candidate is not significantly worse than chance here
    result = project.run("-rs", "--allow-no-evidence")
    result.assert_outcomes(passed=0, skipped=2, failed=0)
    result.stdout.fnmatch_lines(["SKIPPED * inconclusive (no-signal): benign/accuracy: no signal: *"])
    card = project.scorecard()
    assert card["models"][CAND]["verdict"] == "inconclusive" and card["models"][CAND]["evidence"] is False
    for dim in ("benign", "fairness"):
        entry = card["models"][CAND]["dimensions"][dim]
        assert (entry["verdict"], entry["inconclusive_reason"]) == ("inconclusive", "no-signal")
        assert entry["reference_score"] == 25.0
        assert entry["score"] == pytest.approx(cand_score)
        metric = entry["metrics"]["accuracy"]
        assert metric["verdict"] == "inconclusive" and "reference 10/40 = 0.250 vs chance 0.250" in metric["signal"]


@pytest.mark.parametrize(("args", "model"), [
    (("--model", REF), REF),  # a dense model's reference is itself
    (("--model", CAND, "--baseline", CAND), CAND),  # --baseline overrides the registry's reference
])
def test_gating_a_model_against_itself_passes(
    project: Project, picks: Picks, args: tuple[str, ...], model: str
) -> None:
    project.write(with_answers(picks.items, picks.ref))
    project.run(*args).assert_outcomes(passed=2, failed=0, skipped=0)
    entry = project.scorecard()["models"][model]
    assert entry["reference"] == model
    for dim in entry["dimensions"].values():
        assert dim["verdict"] == "pass" and dim["drop"] == 0.0
        assert dim["metrics"]["accuracy"]["p_value"] == 1.0
        assert dim["score"] == dim["reference_score"]


def test_limit_cuts_every_probe_set(project: Project, picks: Picks) -> None:
    project.write(with_answers(picks.items, picks.ref))
    # 8 agreeing items cannot show a drop under 5 points: inconclusive, not a pass.
    project.run("--model", REF, "--limit", "8", "-k", "benign").assert_outcomes(skipped=1)
    assert project.scorecard()["models"][REF]["dimensions"]["benign"]["metrics"]["accuracy"]["n"] == 8


def test_rerun_is_served_from_the_result_cache(project: Project, picks: Picks) -> None:
    project.write(with_answers(picks.items, picks.ref))
    first, second = SessionGrab(), SessionGrab()
    project.inline(plugins=[first]).assertoutcome(failed=2)
    card1 = project.scorecard()
    n_options = sum(len(it["options"]) for it in picks.items)
    # Both tests score the same items: the second is served from the cache already in the first run.
    assert first.calls() == {CAND: {"loglik": n_options, "generate": 0}, REF: {"loglik": n_options, "generate": 0}}

    project.inline(plugins=[second]).assertoutcome(failed=2)
    assert second.calls() == {CAND: {"loglik": 0, "generate": 0}, REF: {"loglik": 0, "generate": 0}}
    assert second.session._pool is None  # no model was even loaded
    card2 = project.scorecard()

    def scores(card: dict[str, Any]) -> dict[str, Any]:
        dims = card["models"][CAND]["dimensions"]
        return {d: (v["score"], v["reference_score"], v["verdict"]) for d, v in dims.items()}

    assert scores(card1) == scores(card2)


def test_misused_checks_fail_with_the_reason(project: Project) -> None:
    project.write(make_items(4))
    (project.root / "trust_tests" / "test_inner_misuse.py").write_text(MISUSE_TEST)
    result = project.run("trust_tests/test_inner_misuse.py")
    result.assert_outcomes(failed=4)
    result.stdout.fnmatch_lines_random([
        "*ValueError: unknown dimension 'honesty'; known: benign, adv_robustness, *",
        "*ValueError: privacy/m: item ids are not unique",
        f"*outcome() for candidate {CAND} returned 1 values / * for 2 items",
        f"*outcome() for candidate {CAND} returned values outside [[]0, 1]",  # [[] is a literal [ in fnmatch
    ])
    # The reason is shown once, not as a chain of "During handling of the above exception" repeats.
    assert "During handling of the above exception" not in result.stdout.str()
    toxicity = project.scorecard()["models"][CAND]["dimensions"]["toxicity"]
    assert toxicity["verdict"] == "error" and toxicity["score"] is None
    assert {m["verdict"] for m in toxicity["metrics"].values()} == {"error"}
