"""The built report in a real headless chromium: overview, categories, a failed test with its
attachments expanded, history, and scorecard.html — and a planted model output that must show as
text and never run. Skips (with the installer to run) without chromium or reports/node_modules."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reports.allure_support import library_versions, write_environment
from reports.browser_check import ToolsMissing, find_tools, run_check
from reports.build import BuildError, build_report, check_tools
from reports.scorecard import write_scorecard
from tests.test_reports import PLANT, hand_card, run_allure_project

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def tools() -> None:
    try:
        find_tools()
        check_tools()
    except (ToolsMissing, BuildError) as exc:
        pytest.skip(str(exc))


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
        expect_categories=["Trust regressions", "Infrastructure errors", "No signal (reference at chance)"],
        expect_environment=["lib.pytest", "device"], expect_no_signal=True,
    )
    assert result["ok"], _failed(result)
    names = sorted(Path(s).name for s in result["screenshots"])
    assert names == ["allure-categories.png", "allure-failed-test-csv.png", "allure-failed-test.png",
                     "allure-history.png", "allure-overview.png", "scorecard.png"]
    assert all(Path(s).stat().st_size > 10_000 for s in result["screenshots"])


def test_browser_check_catches_an_unescaped_page(tools: None, tmp_path: Path) -> None:
    # Negative control: the same payload written raw must be caught, else the check above proves nothing.
    page = tmp_path / "scorecard.html"
    page.write_text(f"<!doctype html><html><head><title>card</title></head><body>{PLANT}</body></html>")
    result = run_check(tmp_path, tmp_path / "shots", scorecard=page, planted=PLANT, allure=False)
    failed = {c["name"] for c in result["checks"] if not c["ok"]}
    assert {"scorecard: no script elements", "scorecard: no inline event handlers",
            "scorecard: planted script did not run", "scorecard: planted model output shown as text"} <= failed
