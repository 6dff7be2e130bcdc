"""SIGKILL part-way through a gate run, then rerun: nothing lost, nothing recomputed twice.

The inner run gates tiny-cand against tiny-ref on 250 four-way items: 1,000 distinct loglik requests
per model, committed to the result cache in chunks of 256. The kill lands once a quarter of the
2,000 rows are committed; the rerun must then call the models for exactly the rows that were not.
"""
from __future__ import annotations

import os
import signal

from tests.plugin_helpers import CAND, Project, make_items
from tests.reliability_helpers import backend_calls, db_check, db_rows, finish, outcomes, run, scorecard, start, wait_until

pytest_plugins = ["pytester", "tests.plugin_helpers"]

N_ITEMS = 250
OPTIONS = 4


def test_sigkill_midway_then_rerun_matches_an_uninterrupted_run(project: Project) -> None:
    project.write(make_items(N_ITEMS), models=(CAND,))
    total = 2 * N_ITEMS * OPTIONS  # reference and candidate; every (prompt, option) pair is distinct
    clean = run(project, "--report-dir", "reports/clean", env={"COMPTRUST_HOME": str(project.root / "home-clean")})
    assert clean.returncode in (0, 1, 6, 7), clean  # whatever the verdict: this test is about resuming
    clean_card = scorecard(project, "reports/clean")
    assert sum(backend_calls(clean_card).values()) == total, clean_card["runtime"]

    db = project.home / "results.sqlite"
    proc = start(project)
    landed = wait_until(lambda: db_rows(db) >= total // 4, timeout=600, alive=proc)
    os.killpg(proc.pid, signal.SIGKILL)
    killed = finish(proc)
    assert landed, f"the run ended before a quarter of its results were committed:\n{killed}"
    assert killed.returncode == -signal.SIGKILL, killed
    committed = db_rows(db)
    assert 0 < committed < total
    assert not (project.root / "reports" / "latest" / "scorecard.json").exists()

    rerun = run(project)
    assert rerun.returncode == clean.returncode, rerun
    card = scorecard(project)
    assert outcomes(card) == outcomes(clean_card)
    # Only the requests whose chunk had not been committed reach a model again.
    assert sum(backend_calls(card).values()) == total - committed, (card["runtime"], committed)
    assert db_check(db) == ("ok", total, total)
