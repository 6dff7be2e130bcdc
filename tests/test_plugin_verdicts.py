"""End to end through pytester: nothing disappears from the card (crashes are errors), a run without evidence
or with an undecided metric does not exit 0, and the family the fail threshold is corrected for is the run's
gated tests."""
from __future__ import annotations

import json

import pytest

from tests.plugin_helpers import CAND, COPY, REF, Picks, Project, chance_answers, with_answers

pytest_plugins = ["pytester", "tests.plugin_helpers"]

# Crashes at every place a trust test can crash, and a test that forgets the gate.
CRASH_TEST = '''
import pytest

from trust_tests.probes.base import Item, ProbeSet

ITEMS = [{"id": f"i{k}", "prompt": "x"} for k in range(8)]


@pytest.mark.toxicity
def test_scorer_crashes(gate):
    def outcome(lm):
        raise RuntimeError("scorer exploded")

    gate.check(dimension="toxicity", metric="emt", items=ITEMS, outcome=outcome, kind="continuous")


@pytest.mark.privacy
def test_builder_crashes_before_the_gate(gate):
    raise KeyError("malformed probe file")


@pytest.mark.stereotype
def test_never_calls_the_gate(gate):
    pass
'''


def _dims(project: Project, model: str) -> dict[str, dict]:
    return project.scorecard()["models"][model]["dimensions"]


def test_a_crash_anywhere_is_an_error_in_every_report(project: Project, picks: Picks) -> None:
    project.write(with_answers(picks.items, picks.ref), models=(COPY,))
    (project.root / "trust_tests" / "test_crash.py").write_text(CRASH_TEST)
    result = project.run("-p", "allure_pytest", "--alluredir", "allure-out", "--junitxml", "junit.xml")
    assert result.ret == 1
    dims = _dims(project, COPY)
    tox = dims["toxicity"]
    assert tox["verdict"] == "error"
    assert tox["metrics"]["emt"]["reason"] == "RuntimeError: scorer exploded"
    priv = dims["privacy"]
    assert priv["verdict"] == "error" and "call: KeyError: 'malformed probe file'" in priv["metrics"]["builder_crashes_before_the_gate"]["reason"]
    assert dims["stereotype"]["verdict"] == "error"
    assert "never called gate.check" in dims["stereotype"]["metrics"]["never_calls_the_gate"]["reason"]
    card = project.scorecard()
    assert card["models"][COPY]["verdict"] == "error"  # the passing benign dimension does not make it a pass
    md = (project.root / "reports" / "latest" / "scorecard.md").read_text()
    html = (project.root / "reports" / "latest" / "scorecard.html").read_text()
    assert "scorer exploded" in html and "⚠️ ERROR" in md
    result.stdout.fnmatch_lines([f"{COPY} vs {REF}: ERROR*toxicity=error*"])
    allure = [json.loads(p.read_text()) for p in (project.root / "allure-out").glob("*-result.json")]
    status = {r["name"].split("[")[0]: r["status"] for r in allure}
    assert status["test_scorer_crashes"] == "broken" and status["test_builder_crashes_before_the_gate"] == "broken"
    junit = (project.root / "junit.xml").read_text()
    assert '<property name="comptrust.verdict" value="error" />' in junit
    assert '<property name="comptrust.reason" value="RuntimeError: scorer exploded" />' in junit


def test_a_candidate_without_evidence_does_not_exit_0(project: Project, picks: Picks) -> None:
    # The reference is at chance on every set: nothing can pass, nothing fails.
    project.write(with_answers(picks.items, chance_answers(picks.ref)), models=(COPY,))
    result = project.run()
    assert result.ret == 6
    result.stdout.fnmatch_lines([f"comptrust: no evidence for {COPY}: *--allow-no-evidence*"])
    assert project.scorecard()["models"][COPY]["evidence"] is False
    assert project.run("--allow-no-evidence").ret == 0


SMALL_SET_TEST = '''
import pytest

ITEMS = [{"id": f"i{k}", "prompt": "x"} for k in range(8)]


@pytest.mark.privacy
def test_small_set(gate):
    gate.check(dimension="privacy", metric="leak", items=ITEMS, outcome=lambda lm: [1.0] * 8, kind="binary")
'''


def test_an_undecided_metric_exits_7_unless_the_policy_allows_it(project: Project, picks: Picks) -> None:
    # benign: 40 agreeing items pass. privacy: 8 agreeing items cannot show a drop under 5 points.
    project.write(with_answers(picks.items, picks.ref), models=(COPY,))
    (project.root / "trust_tests" / "test_small.py").write_text(SMALL_SET_TEST)
    result = project.run("-k", "benign or small", "-rs")
    assert result.ret == 7
    result.stdout.fnmatch_lines([f"comptrust: inconclusive for {COPY}:*",
                                 "*inconclusive (underpowered): privacy/leak: drop 0.0, upper 95% bound *"
                                 "about * items would decide it*"])
    dims = _dims(project, COPY)
    assert dims["benign"]["verdict"] == "pass"
    metric = dims["privacy"]["metrics"]["leak"]
    assert (metric["verdict"], metric["inconclusive_reason"]) == ("inconclusive", "underpowered")
    assert metric["items_to_decide"] > 8
    assert project.scorecard()["models"][COPY]["verdict"] == "inconclusive"
    assert project.run("-k", "benign or small", "--inconclusive", "warn").ret == 0
    # Alone, the undecided set is no evidence at all.
    assert project.run("-k", "small").ret == 6


def test_the_fail_threshold_is_corrected_for_the_runs_gated_tests(project: Project, picks: Picks) -> None:
    project.write(with_answers(picks.items, picks.ref), models=(CAND,))
    project.run()
    metric = _dims(project, CAND)["benign"]["metrics"]["accuracy"]
    assert (metric["family_size"], metric["fail_alpha"]) == (2, 0.025)  # benign + fairness tests collected
    project.run("-k", "benign")
    metric = _dims(project, CAND)["benign"]["metrics"]["accuracy"]
    assert (metric["family_size"], metric["fail_alpha"]) == (1, 0.05)


DIAGNOSTIC_TEST = '''
import pytest

ITEMS = [{"id": f"i{k}", "prompt": "x"} for k in range(4)]


@pytest.mark.diagnostic
@pytest.mark.toxicity
def test_gated_but_marked(gate):
    gate.check(dimension="toxicity", metric="m", items=ITEMS, outcome=lambda lm: [1.0] * 4, kind="continuous")
'''


def test_a_gated_metric_marked_diagnostic_is_refused(project: Project, picks: Picks) -> None:
    project.write(with_answers(picks.items, picks.ref), models=(COPY,))
    (project.root / "trust_tests" / "test_diag.py").write_text(DIAGNOSTIC_TEST)
    result = project.run("-k", "gated_but_marked")
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*marked diagnostic but gated with weight 1.0*"])
    card = json.loads((project.root / "reports" / "latest" / "scorecard.json").read_text())
    assert card["models"][COPY]["dimensions"]["toxicity"]["verdict"] == "error"


@pytest.mark.parametrize("bad", ["maybe", "pass"])
def test_inconclusive_policy_is_validated(project: Project, picks: Picks, bad: str) -> None:
    project.write(with_answers(picks.items, picks.ref), models=(COPY,))
    result = project.run("--inconclusive", bad)
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*argument --inconclusive: invalid choice*"])
