"""Damaged caches are detected, reported and rebuilt; a wrong result is never used silently.

Two layers: the result cache file damaged at any offset (truncation, overwritten bytes), checked on
the ResultCache class with hypothesis; then whole gate runs over a damaged result cache and a
damaged compressed-model cache entry, whose scorecards must equal the undamaged run's.
"""
from __future__ import annotations

import random
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.plugin_helpers import CAND, REF, Picks, Project, with_answers
from tests.reliability_helpers import backend_calls, db_check, outcomes, registry, run, scorecard

pytest_plugins = ["pytester", "tests.plugin_helpers"]

N_ROWS = 300


def _values() -> dict[str, Any]:
    from fixtures.resultcache import request_key

    # Values of varied length spread rows over many pages, as real loglik floats and generations do.
    return {request_key("loglik", "fp", i): {"logp": -0.25 * i, "text": "y" * (i % 97)} for i in range(N_ROWS)}


@dataclass(frozen=True)
class Pristine:
    """The bytes of a healthy, closed result cache (a short repr keeps hypothesis reports readable)."""

    blob: bytes

    def __repr__(self) -> str:
        return f"<result cache, {N_ROWS} rows, {len(self.blob)} bytes>"


@pytest.fixture(scope="module")
def pristine() -> Pristine:
    from fixtures.resultcache import ResultCache

    with tempfile.TemporaryDirectory() as tmp:
        cache = ResultCache(Path(tmp) / "results.sqlite", report=lambda _: None)
        cache.put_many(_values())
        cache.close()
        assert not Path(tmp, "results.sqlite-wal").exists()  # closing checkpointed everything into the file
        return Pristine(Path(tmp, "results.sqlite").read_bytes())


def _reopen_damaged(damaged: bytes, check: str | None = None) -> tuple[dict[str, Any], list[str]]:
    """Open a damaged cache the way a run does, read every key, write one row; return what was read.

    check: None opens it as a run does by default (quick_check); "full" as after a crash or on request."""
    from fixtures.resultcache import ResultCache

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "results.sqlite"
        path.write_bytes(damaged)
        messages: list[str] = []
        cache = ResultCache(path, report=messages.append, check=check)
        try:
            got = cache.get_many(_values())
            cache.put_many({"after-damage": 1.0})  # the run goes on writing to a usable cache
            assert cache.get_many(["after-damage"]) == {"after-damage": 1.0}
        finally:
            cache.close()
        return got, messages


def _assert_never_wrong(got: dict[str, Any], messages: list[str], damaged_size: int, *, silent_loss_ok: bool = False) -> None:
    expected = _values()
    wrong = {k: (v, expected[k]) for k, v in got.items() if v != expected[k]}
    assert not wrong, f"the cache returned wrong results for {len(wrong)} keys: {list(wrong.values())[:3]}"
    if silent_loss_ok:  # the quick open-time check: a damaged key index may hide rows (recomputed, never wrong)
        return
    if len(got) < len(expected) and damaged_size > 0:  # a 0-byte file is indistinguishable from a new cache
        assert messages, f"{len(expected) - len(got)} results were lost without a report"


@pytest.mark.parametrize("keep", [1, 100, 4096, 0.5, -100, -1], ids=lambda k: f"keep={k}")
def test_truncated_result_cache_never_returns_a_wrong_result(pristine: Pristine, keep: float) -> None:
    size = len(pristine.blob)
    cut = int(size * keep) if isinstance(keep, float) else (keep if keep > 0 else size + keep)
    got, messages = _reopen_damaged(pristine.blob[:cut])
    _assert_never_wrong(got, messages, cut)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_result_cache_truncated_anywhere_never_returns_a_wrong_result(pristine: Pristine, data: st.DataObject) -> None:
    cut = data.draw(st.integers(0, len(pristine.blob) - 1), label="cut")
    got, messages = _reopen_damaged(pristine.blob[:cut])
    _assert_never_wrong(got, messages, cut)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_result_cache_with_overwritten_bytes_never_returns_a_wrong_result(pristine: Pristine, data: st.DataObject) -> None:
    offset = data.draw(st.integers(0, len(pristine.blob) - 1), label="offset")
    noise = data.draw(st.binary(min_size=1, max_size=64), label="noise")
    damaged = bytearray(pristine.blob)
    damaged[offset : offset + len(noise)] = noise[: len(pristine.blob) - offset]
    got, messages = _reopen_damaged(bytes(damaged))  # the default quick check: never a wrong result
    _assert_never_wrong(got, messages, len(damaged), silent_loss_ok=True)
    got, messages = _reopen_damaged(bytes(damaged), check="full")  # the full check: nothing lost unreported
    _assert_never_wrong(got, messages, len(damaged))


def test_flipped_byte_in_the_key_index_is_not_served_as_another_keys_result(pristine: Pristine) -> None:
    """Found by the test above: quick_check passes a damaged primary-key index, which then maps a key to
    another row. The digest covers the key, so that row is dropped, never served for the key (default quick
    check); the full check (after a crash, or COMPTRUST_CACHE_CHECK=full) also loses nothing unreported."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "probe.sqlite"
        path.write_bytes(pristine.blob)
        with sqlite3.connect(path) as conn:
            root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'sqlite_autoindex_results_1'").fetchone()[0]
            page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        conn.close()
    rng = random.Random(0)
    start = (root - 1) * page_size
    for offset in rng.sample(range(start + 8, start + page_size), 64):
        damaged = bytearray(pristine.blob)
        damaged[offset] ^= 0xFF
        got, messages = _reopen_damaged(bytes(damaged))
        _assert_never_wrong(got, messages, len(damaged), silent_loss_ok=True)
        got, messages = _reopen_damaged(bytes(damaged), check="full")
        _assert_never_wrong(got, messages, len(damaged))


# --- whole runs -------------------------------------------------------------------------------------


def _results_db(project: Project) -> Path:
    return project.home / "results.sqlite"


@pytest.mark.parametrize("keep", ["half", "all-but-the-last-byte"])
def test_truncated_result_cache_in_a_run_is_reported_moved_aside_and_recomputed(
    project: Project, picks: Picks, keep: str
) -> None:
    project.write(with_answers(picks.items, picks.ref), models=(CAND,))
    first = run(project)
    assert first.returncode == 1, first  # tiny-cand really regresses against tiny-ref
    card = scorecard(project)
    total = sum(backend_calls(card).values())
    db = _results_db(project)
    size = db.stat().st_size
    assert not Path(f"{db}-wal").exists()
    with open(db, "r+b") as fh:
        fh.truncate(size // 2 if keep == "half" else size - 1)

    again = run(project)
    assert again.returncode == 1, again
    assert "result cache" in again.output and "corrupt" in again.output, again
    assert [p.name.split(".corrupt-")[0] for p in project.home.glob("results.sqlite.corrupt-*")][:1] == ["results.sqlite"]
    rerun_card = scorecard(project)
    assert outcomes(rerun_card) == outcomes(card)
    assert sum(backend_calls(rerun_card).values()) == total  # nothing was taken from the damaged file
    assert db_check(db) == ("ok", total, total)


MAGNITUDE = "magnitude(sparsity=0.5,structure=unstructured)"
PRUNED = "tiny-mag50"


def _compressed_entries(project: Project) -> list[Path]:
    root = project.home / "models" / "compressed"
    return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")) if root.is_dir() else []


def _forget_results(project: Project) -> None:
    # Cached results would let the rerun finish without loading the model: drop them, so it must load.
    for p in project.home.glob("results.sqlite*"):
        p.unlink()


def test_damaged_compressed_model_entry_is_reported_and_rebuilt(project: Project, picks: Picks) -> None:
    from fixtures.modelcache import ArtifactCache

    models = {REF: {"base": f"local:{project.zoo.ref_dir}"}, PRUNED: {"base": REF, "method": MAGNITUDE}}
    project.write(with_answers(picks.items, picks.ref), models=(PRUNED,), registry=registry(models))
    first = run(project, "-k", "benign")
    assert first.returncode in (0, 1), first
    card = scorecard(project)
    assert card["models"][PRUNED]["dimensions"]["benign"]["verdict"] in ("pass", "fail")
    [entry] = _compressed_entries(project)
    weights = entry / "model.safetensors"
    size = weights.stat().st_size

    # 1. A truncated weights file (a disk filled up, a copy cut short).
    with open(weights, "r+b") as fh:
        fh.truncate(size // 3)
    _forget_results(project)
    second = run(project, "-k", "benign")
    assert second.returncode == first.returncode, second
    assert f"compressed/{entry.name}" in second.output and "truncated" in second.output, second
    assert weights.stat().st_size == size and ArtifactCache(project.home / "models").check(entry) is None
    assert outcomes(scorecard(project)) == outcomes(card)

    # 2. A half-written folder: a builder killed before its manifest, and its temp folder left behind.
    (entry / "manifest.json").unlink()
    leftover = entry.parent / f".tmp-{entry.name}-killed"
    leftover.mkdir()
    shutil.copy(weights, leftover / "model.safetensors")
    _forget_results(project)
    third = run(project, "-k", "benign")
    assert third.returncode == first.returncode, third
    assert f"compressed/{entry.name}" in third.output and "manifest" in third.output, third
    assert not leftover.exists()
    assert _compressed_entries(project) == [entry] and ArtifactCache(project.home / "models").check(entry) is None
    assert outcomes(scorecard(project)) == outcomes(card)
    assert not [p for p in entry.parent.iterdir() if p.name.startswith((".tmp-", ".corrupt-"))]

