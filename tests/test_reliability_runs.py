"""Whole-run faults and guarantees: concurrency, a failed model load, determinism, secrets, file modes.

Every test runs the real plugin in real subprocesses on the tiny zoo (tests/plugin_helpers.py) and
compares what a user would compare: the verdict-carrying fields of the scorecard.
"""
from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.plugin_helpers import CAND, COPY, Picks, Project, with_answers
from tests.reliability_helpers import (
    backend_calls,
    db_check,
    files_under,
    finish,
    junit_results,
    outcomes,
    run,
    scorecard,
    start,
    zoo_with_local,
)

pytest_plugins = ["pytester", "tests.plugin_helpers"]


def _home(project: Project, name: str) -> dict[str, str]:
    return {"COMPTRUST_HOME": str(project.root / name)}


def _xdist_available() -> bool:
    return subprocess.run([sys.executable, "-c", "import xdist"], check=False, capture_output=True).returncode == 0


# --- concurrency ------------------------------------------------------------------------------------


def test_two_processes_sharing_one_cache_match_a_serial_run(project: Project, picks: Picks) -> None:
    project.write(with_answers(picks.items, picks.ref), models=(CAND, COPY))
    serial = run(project, "--report-dir", "reports/serial", env=_home(project, "home-serial"))
    assert serial.returncode == 1, serial  # tiny-cand regresses, tiny-copy passes: both verdicts are exercised
    expected = outcomes(scorecard(project, "reports/serial"))

    procs = [start(project, "--report-dir", f"reports/p{i}") for i in range(2)]  # one shared COMPTRUST_HOME
    done = [finish(p) for p in procs]
    for d in done:
        assert d.returncode == 1, d
    for i in range(2):
        assert outcomes(scorecard(project, f"reports/p{i}")) == expected
    status, rows, distinct = db_check(project.home / "results.sqlite")
    assert status == "ok" and rows == distinct  # every row intact, no key twice


@pytest.mark.skipif(not _xdist_available(), reason="pytest-xdist is not installed")
def test_xdist_two_workers_give_the_scorecard_of_one_process(project: Project, picks: Picks) -> None:
    project.write(with_answers(picks.items, picks.ref), models=(CAND, COPY))
    one = run(project, "--report-dir", "reports/n0", env=_home(project, "home-n0"))
    assert one.returncode == 1, one
    two = run(project, "-p", "xdist.plugin", "-n", "2", "--dist", "loadgroup", "--report-dir", "reports/n2",
              env=_home(project, "home-n2"))
    assert two.returncode == 1, two
    assert outcomes(scorecard(project, "reports/n2")) == outcomes(scorecard(project, "reports/n0"))
    assert db_check(project.root / "home-n2" / "results.sqlite")[0] == "ok"


# --- a model that cannot load -----------------------------------------------------------------------


def test_a_model_that_fails_to_load_fails_its_own_tests_and_the_others_still_run(
    project: Project, picks: Picks, tmp_path: Path
) -> None:
    broken = tmp_path / "broken-model"
    shutil.copytree(project.zoo.cand_dir, broken)
    weights = broken / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:4096])  # a download cut short
    reg = zoo_with_local(project, "tiny-broken", broken)
    project.write(with_answers(picks.items, picks.ref), models=("tiny-broken", COPY), registry=reg)
    result = run(project, "--junitxml", "junit.xml")
    assert result.returncode == 1, result
    cases = junit_results(project.root / "junit.xml")
    broken_cases = {k: v for k, v in cases.items() if "tiny-broken" in k}
    copy_cases = {k: v for k, v in cases.items() if COPY in k}
    assert broken_cases and all(outcome == "failed" for outcome, _ in broken_cases.values()), broken_cases
    assert all("tiny-broken" in msg and "load" in msg for _, msg in broken_cases.values()), broken_cases
    assert "Traceback" not in "".join(msg for _, msg in broken_cases.values())
    assert copy_cases and all(outcome == "passed" for outcome, _ in copy_cases.values()), copy_cases
    card = scorecard(project)
    assert {d["verdict"] for d in card["models"][COPY]["dimensions"].values()} == {"pass"}


# --- determinism ------------------------------------------------------------------------------------


def test_same_seed_twice_and_any_batch_size_give_the_same_scorecard(project: Project, picks: Picks) -> None:
    project.write(with_answers(picks.items, picks.ref), models=(CAND,))
    first = run(project, "--report-dir", "reports/a", env=_home(project, "home-a"))
    again = run(project, "--report-dir", "reports/b", env=_home(project, "home-b"))
    small = run(project, "--report-dir", "reports/c", "--batch-tokens", "48", env=_home(project, "home-c"))
    for r in (first, again, small):
        assert r.returncode == 1, r
    base = outcomes(scorecard(project, "reports/a"))
    assert outcomes(scorecard(project, "reports/b")) == base
    assert outcomes(scorecard(project, "reports/c")) == base  # 48-token batches: one or two rows per forward
    # Each run computed everything itself: the equality is not the result cache talking.
    for d in ("a", "b", "c"):
        assert sum(backend_calls(scorecard(project, f"reports/{d}")).values()) > 0


# --- secrets and file modes -------------------------------------------------------------------------

SECRETS = {
    "HF_TOKEN": "hf_PLANTEDsecretTOKEN0000000000000000",
    "HUGGING_FACE_HUB_TOKEN": "hf_PLANTEDsecondTOKEN111111111111111",
    "OPENAI_API_KEY": "sk-PLANTED-openai-2222222222222222",
    "COMPTRUST_ENDPOINT_KEY": "PLANTED-endpoint-3333333333333333",
    "PERSPECTIVE_API_KEY": "PLANTED-perspective-44444444444444",
    "AWS_SECRET_ACCESS_KEY": "PLANTED/aws/5555555555555555555555",
}


def test_planted_secrets_reach_no_report_log_or_cache_file(project: Project, picks: Picks) -> None:
    project.write(with_answers(picks.items, picks.ref), models=(CAND, COPY))
    result = run(project, "-p", "allure_pytest", "--alluredir", "reports/allure-results", "--junitxml",
                 "reports/junit.xml", "-rA", "--log-level", "DEBUG", env=SECRETS)
    assert result.returncode == 1, result  # a failing run: failure messages and attachments are written too
    written = list(files_under(project.root / "reports", project.home))
    assert any(p.name == "scorecard.json" for p in written) and any(p.suffix == ".xml" for p in written)
    assert any("environment" in p.name for p in written)  # Allure's environment.properties was written
    leaks = [(str(p), name) for p in written for name, value in SECRETS.items() if value.encode() in p.read_bytes()]
    leaks += [("pytest output", name) for name, value in SECRETS.items() if value in result.output]
    assert leaks == []


def test_cache_files_are_private_report_files_follow_the_umask_and_none_is_executable(
    project: Project, picks: Picks
) -> None:
    project.write(with_answers(picks.items, picks.ref), models=(CAND,))
    result = run(project, umask=0o022)  # a umask that would make everything world-readable
    assert result.returncode == 1, result
    files = list(files_under(project.home, project.root / "reports"))
    assert any(p.name == "results.sqlite" for p in files)
    for p in files:
        mode = stat.S_IMODE(p.stat().st_mode)
        assert mode & 0o111 == 0, f"{p} is executable ({oct(mode)})"
        if project.home in p.parents:  # caches hold model outputs: private to the user
            assert mode & 0o077 == 0, f"{p} is readable by others ({oct(mode)})"
        else:  # the report is meant to be shared: it follows the umask
            assert mode & 0o022 == 0, f"{p} ignores the umask 022 ({oct(mode)})"
    assert os.access(project.home / "results.sqlite", os.R_OK | os.W_OK)
