"""The pinned-baseline workflow end to end: missing -> fail and write, rerun -> pass without loading
the reference, probe change -> stale failure with the fix, --update-baselines -> regenerated."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.plugin_helpers import CAND, COPY, REF, Picks, Project, SessionGrab, with_answers

pytest_plugins = ["pytester", "tests.plugin_helpers"]


def _baseline_file(root: Path, dimension: str = "benign") -> Path:
    return root / "bl" / "smoke" / REF / dimension / "accuracy.json"


def test_pinned_baseline_workflow(project: Project, picks: Picks) -> None:
    items = with_answers(picks.items, picks.ref)
    project.write(items)
    pinned = ("--baselines", "bl", "-k", "benign")
    path = _baseline_file(project.root)

    # 1. Missing: the reference runs, the file is written, and the test fails so that someone reviews it.
    result = project.run("--model", COPY, *pinned)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [f"*baseline {path} was missing; it has been written from {REF}. Review and commit it, then rerun."])
    data = json.loads(path.read_text())
    assert data["format"] == 1
    assert [it["id"] for it in data["items"]] == [it["id"] for it in items]
    assert [it["value"] for it in data["items"]] == [1.0] * len(items)  # the reference picks every answer
    assert data["provenance"]["model"] == REF and data["provenance"]["fingerprint"].startswith("local:")
    first_text = path.read_text()

    # 2. Rerun: served from the file; the reference model is never asked.
    grab = SessionGrab()
    project.inline("--model", COPY, *pinned, plugins=[grab]).assertoutcome(passed=1)
    assert REF not in grab.session._lms
    assert path.read_text() == first_text

    # 3. A damaged candidate against the pinned file fails exactly as it does against the live reference.
    result = project.run("--model", CAND, *pinned)
    result.assert_outcomes(failed=1)
    score = 100 * picks.agreement / len(items)
    result.stdout.fnmatch_lines([f"*TRUST REGRESSION: benign/accuracy on {CAND} vs {REF}",
                                 f"*score {score:.1f} vs reference 100.0*"])

    # 4. The probes change: the pinned file is stale, and the failure says how to regenerate it.
    changed = [dict(it) for it in items]
    changed[0]["prompt"] = [{"role": "user", "content": "A reworded first item. Pick one word."}]
    project.set_items(changed)
    result = project.run("--model", COPY, *pinned)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"*stale baseline {path}: it was made from probe set {data['probe_version']}*"])
    result.stdout.fnmatch_lines(["*regenerate it with `pytest --update-baselines`*"])
    assert path.read_text() == first_text

    # 5. --update-baselines regenerates it from the reference, and the next plain run passes.
    project.run("--model", COPY, *pinned, "--update-baselines").assert_outcomes(passed=1)
    updated = json.loads(path.read_text())
    assert updated["probe_version"] != data["probe_version"]
    assert [it["id"] for it in updated["items"]] == [it["id"] for it in changed]
    project.run("--model", COPY, *pinned).assert_outcomes(passed=1)


def test_pinning_from_the_ini_file(project: Project, picks: Picks) -> None:
    project.write(with_answers(picks.items, picks.ref),
                  ini_extra="comptrust_pin_baselines = true\ncomptrust_baselines_dir = pinned\n")
    project.run("--model", COPY, "-k", "fairness").assert_outcomes(failed=1)
    assert (project.root / "pinned" / "smoke" / REF / "fairness" / "accuracy.json").is_file()
    assert project.scorecard()["pinned_baselines"] is True


def test_malformed_baseline_names_file_and_line(project: Project, picks: Picks) -> None:
    project.write(with_answers(picks.items, picks.ref))
    path = _baseline_file(project.root)
    path.parent.mkdir(parents=True)
    path.write_text('{\n "format": 1,\n "items": [\n')  # a truncated file
    result = project.run("--model", COPY, "--baselines", "bl", "-k", "benign")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"*{path}:4: malformed baseline*--update-baselines*"])
    card = project.scorecard()
    assert card["models"][COPY]["dimensions"]["benign"]["verdict"] == "error"


def test_update_baselines_needs_pinning(project: Project, picks: Picks) -> None:
    project.write(with_answers(picks.items, picks.ref))
    result = project.run("--update-baselines")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--update-baselines needs pinned baselines: pass --baselines DIR*"])
