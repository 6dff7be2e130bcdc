"""The built report in a real headless chromium: overview, categories, a failed test with its
attachments expanded, history, and scorecard.html — and a planted model output that must show as
text and never run. Skips (with the installer to run) without chromium or reports/node_modules, except
under CI (CI=true), where a browser check that cannot run is a failure, not a quiet skip."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from contracts.versions import library_versions
from reports.allure_support import write_environment
from reports.browser_check import ToolsMissing, find_tools, run_check, sandbox_possible
from reports.build import BuildError, build_report, check_tools
from reports.card_render import write_scorecard
from tests.test_reports import PLANT, hand_card, run_allure_project

pytestmark = pytest.mark.browser


def unavailable(reason: str) -> None:
    """Skip locally; under CI the browser tests must run, so their absence fails the job."""
    if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
        pytest.fail(f"CI=true but the browser check cannot run: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def tools() -> None:
    try:
        find_tools()
        check_tools()
    except (ToolsMissing, BuildError) as exc:
        unavailable(str(exc))


def _failed(result: dict[str, Any]) -> list[str]:
    return [f"{c['name']}: {c['detail']}" for c in result["checks"] if not c["ok"]]


def test_report_in_chromium(tools: None, tmp_path: Path) -> None:
    results = run_allure_project(tmp_path)
    write_environment(results, {**{f"lib.{k}": v for k, v in library_versions(("pytest",)).items()},
                                "device": "cpu"})
    card_dir = tmp_path / "latest"
    write_scorecard(hand_card(), card_dir)
    out = tmp_path / "html"
    build_report(results, out, scorecard=card_dir)
    build_report(results, out, scorecard=card_dir)  # a second build: history has one earlier run
    shots = tmp_path / "shots"
    result = run_check(
        out, shots, planted=PLANT, failed_test="m-mag50", expect_sections=["privacy"], expect_history=1,
        expect_categories=["Trust regressions", "Infrastructure errors", "Inconclusive (not a pass)"],
        expect_environment=["lib.pytest", "device"], expect_inconclusive=True,
    )
    assert result["ok"], _failed(result)
    sandboxed, _ = sandbox_possible()
    assert result["sandbox"] == sandboxed == (os.geteuid() != 0)
    assert result["scorecard_javascript"] is sandboxed  # unsandboxed: the model-output page is read without JS
    names = sorted(Path(s).name for s in result["screenshots"])
    assert names == ["allure-categories.png", "allure-failed-test-csv.png", "allure-failed-test.png",
                     "allure-history.png", "allure-overview.png", "scorecard.png"]
    assert all(Path(s).stat().st_size > 10_000 for s in result["screenshots"])


def test_browser_check_catches_an_unescaped_page(tools: None, tmp_path: Path) -> None:
    # Negative control: the same payload written raw must be caught, else the check above proves nothing.
    page = tmp_path / "scorecard.html"
    page.write_text(f"<!doctype html><html><head><title>card</title></head><body>{PLANT}</body></html>")
    # JavaScript on explicitly: this page is the test's own, and the control must see the payload run.
    result = run_check(tmp_path, tmp_path / "shots", scorecard=page, planted=PLANT, allure=False,
                       scorecard_javascript=True)
    failed = {c["name"] for c in result["checks"] if not c["ok"]}
    assert {"scorecard: no script elements", "scorecard: no inline event handlers",
            "scorecard: planted script did not run", "scorecard: planted model output shown as text"} <= failed


def test_without_a_sandbox_the_scorecard_is_read_with_javascript_off(tools: None, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMPTRUST_BROWSER_NO_SANDBOX", "1")
    page = tmp_path / "scorecard.html"
    page.write_text(f"<!doctype html><html><head><title>card</title></head><body>{PLANT}</body></html>")
    result = run_check(tmp_path, tmp_path / "shots", scorecard=page, planted=PLANT, allure=False)
    assert result["sandbox"] is False and result["scorecard_javascript"] is False
    by_name = {c["name"]: c["ok"] for c in result["checks"]}
    assert by_name["scorecard: planted script did not run"] is True  # JavaScript was off: nothing ran
    assert by_name["scorecard: no script elements"] is False  # the static checks still catch the raw page


def test_under_ci_a_missing_browser_fails_instead_of_skipping(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true but the browser check cannot run: no chromium"):
        unavailable("no chromium")
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception):
        unavailable("no chromium")


def test_ci_stops_when_the_browser_cannot_be_installed(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parent.parent
    (tmp_path / ".ci").mkdir()
    (tmp_path / "scripts").mkdir()
    (tmp_path / ".ci" / "run").write_text((root / ".ci" / "run").read_text())
    (tmp_path / "scripts" / "install_browser.sh").write_text("echo 'apt-get: no network' >&2; exit 100\n")
    (tmp_path / "Makefile").write_text("test:\n\t@echo SELF-TESTS-RAN\n")
    done = subprocess.run(["bash", str(tmp_path / ".ci" / "run")], capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "SELF-TESTS-RAN" not in done.stdout, done
