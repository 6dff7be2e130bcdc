"""The shared result cache under concurrency and crashes: a locked database is waited for (never moved
aside as corrupt), opening costs a quick check, the full integrity check runs after a crash or on request,
and the file is private to the user."""
from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from fixtures.resultcache import ResultCache


class _Flaky:
    """A connection whose first `n` statements fail as 'database is locked', as under another writer."""

    def __init__(self, conn: sqlite3.Connection, n: int) -> None:
        self.conn, self.n = conn, n

    def execute(self, *args: Any) -> Any:
        if self.n > 0:
            self.n -= 1
            raise sqlite3.OperationalError("database is locked")
        return self.conn.execute(*args)

    def executemany(self, *args: Any) -> Any:
        return self.conn.executemany(*args)

    def close(self) -> None:
        self.conn.close()


def _aside(path: Path) -> list[Path]:
    return list(path.parent.glob(f"{path.name}.corrupt-*"))


def test_a_locked_database_is_retried_not_moved_aside(tmp_path: Path) -> None:
    path = tmp_path / "results.sqlite"
    notes: list[str] = []
    cache = ResultCache(path, report=notes.append)
    cache.put_many({"k": [1, 2]})
    cache._conn = _Flaky(cache._conn, 2)  # type: ignore[assignment]
    assert cache.get_many(["k"]) == {"k": [1, 2]}
    assert _aside(path) == [] and not any("corrupt" in n for n in notes), notes
    cache.close()


def test_a_real_write_lock_held_by_another_process_is_waited_out(tmp_path: Path) -> None:
    path = tmp_path / "results.sqlite"
    cache = ResultCache(path, report=lambda m: None, busy_timeout_s=0.05, lock_wait_s=30)
    cache.put_many({"k": "v"})
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # another writer, longer than sqlite's own busy wait
    other.execute("INSERT OR REPLACE INTO results VALUES ('x', '1', 'd')")
    threading.Timer(0.6, lambda: (other.execute("COMMIT"), other.close())).start()
    started = time.monotonic()
    cache.put_many({"w": "z"})
    assert time.monotonic() - started >= 0.3  # it did wait for the other writer
    assert cache.get_many(["k", "w"]) == {"k": "v", "w": "z"}
    assert _aside(path) == []
    cache.close()


def test_open_runs_the_quick_check_and_the_full_one_after_a_crash(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COMPTRUST_CACHE_CHECK", raising=False)
    path = tmp_path / "results.sqlite"
    cache = ResultCache(path, report=lambda m: None)
    assert cache.last_check == "quick_check"
    cache.put_many({"k": 1})
    cache.close()
    assert ResultCache(path, report=lambda m: None).last_check == "quick_check"  # (left open: a live pid)
    # A process killed with the cache open leaves its marker: the next open checks the whole file.
    code = ("import os, sys; from fixtures.resultcache import ResultCache; "
            f"c = ResultCache({str(path)!r}, report=lambda m: None); c.put_many({{'j': 2}}); os._exit(9)")
    done = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).parent.parent, timeout=120)
    assert done.returncode == 9
    again = ResultCache(path, report=lambda m: None)
    assert again.last_check == "integrity_check"
    assert again.get_many(["k", "j"]) == {"k": 1, "j": 2}
    again.close()
    assert ResultCache(path, report=lambda m: None).last_check == "quick_check"  # the marker was cleared
    monkeypatch.setenv("COMPTRUST_CACHE_CHECK", "full")
    assert ResultCache(path, report=lambda m: None).last_check == "integrity_check"  # on request


def test_the_result_cache_is_private_whatever_the_umask(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COMPTRUST_SHARED_CACHE", raising=False)
    old = os.umask(0o022)
    try:
        path = tmp_path / "home" / "results.sqlite"
        cache = ResultCache(path, report=lambda m: None)
        cache.put_many({"k": 1})
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    for p in path.parent.iterdir():
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, p
    cache.close()
