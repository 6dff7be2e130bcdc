"""Progress lines: no ETA before a rate exists, one updating line in a terminal, held-back lines in logs."""
from __future__ import annotations

import time

import pytest

from fixtures.progress import Progress

pytest_plugins = ["pytester"]


def test_no_rate_and_no_eta_before_the_first_item() -> None:
    lines: list[str] = []
    p = Progress(lines.append, min_interval=0.0)
    with p.step("dense loglik", 10) as tick:
        tick(0)
        tick(5)
    assert "ETA" not in lines[0] and "inf" not in lines[0] and lines[0].endswith("0/10")
    assert "/s" in lines[1] and "ETA" in lines[1] and "inf" not in " ".join(lines)
    assert lines[-1].startswith("[comptrust] dense loglik: 5/10")  # the closing line of the step


def test_a_log_gets_one_line_per_step_and_none_for_a_failed_one() -> None:
    lines: list[str] = []
    p = Progress(lines.append)  # a log: the default minute between lines
    with p.step("a", 3) as tick:
        tick(3)
    with pytest.raises(RuntimeError), p.step("b", 3) as tick:
        tick(1)
        raise RuntimeError("boom")
    assert len(lines) == 1 and lines[0].startswith("[comptrust] a: 3/3 (") and "ETA" not in lines[0]


def test_a_terminal_line_is_rewritten_in_place_and_given_back() -> None:
    events: list[tuple[str, str]] = []
    p = Progress(lambda s: events.append(("line", s)), tty=True, live=lambda s: events.append(("live", s)),
                 restore=lambda: events.append(("restore", "")))
    p._min_interval = 0.0
    with p.step("mag50 generate", 4) as tick:
        for _ in range(4):
            time.sleep(0.001)
            tick(1)
    kinds = [k for k, _ in events]
    assert kinds == ["live"] * 4 + ["restore"]  # never a whole line: pytest's own line is not broken


def test_log_lines_are_held_until_flushed(pytester: pytest.Pytester) -> None:
    config = pytester.parseconfig()  # not a terminal: a log
    p = Progress.from_config(config)
    with p.step("x", 1) as tick:
        tick(1)
    assert p._live is None
    p.flush()  # the plugin calls this after each test's result; with no reporter it goes to stderr


def test_quiet_runs_write_nothing(pytester: pytest.Pytester) -> None:
    assert Progress.from_config(pytester.parseconfig("-q"))._write is None
