"""The SQLite result cache: stable keys, persistence, self-healing, and resuming an interrupted run."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fixtures.engine import LM
from fixtures.resultcache import ResultCache, request_key

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=12,
)


def _cache(path: Path, messages: list[str] | None = None) -> ResultCache:
    return ResultCache(path, report=(messages.append if messages is not None else lambda _: None))


def test_request_key_is_stable_and_sensitive_to_every_part() -> None:
    key = request_key("loglik", "fp", [["user", "hi"]], " yes")
    assert key == request_key("loglik", "fp", [["user", "hi"]], " yes")
    assert len(key) == 64 and int(key, 16) >= 0
    variants = [("generate", "fp", [["user", "hi"]], " yes"), ("loglik", "fp2", [["user", "hi"]], " yes"),
                ("loglik", "fp", [["system", "hi"]], " yes"), ("loglik", "fp", "hi", " yes"),
                ("loglik", "fp", [["user", "hi"]], "yes"), ("loglik", "fp", [["user", "hi"]], " yes", None)]
    assert len({request_key(*v) for v in variants} | {key}) == len(variants) + 1
    assert request_key({"b": 1, "a": 2}) == request_key({"a": 2, "b": 1})  # dict order is not part of a request


@settings(max_examples=40, deadline=None)
@given(st.dictionaries(st.text(min_size=1), json_values, max_size=5))
def test_values_round_trip(tmp_path_factory: pytest.TempPathFactory, items: dict[str, object]) -> None:
    cache = _cache(tmp_path_factory.mktemp("rt") / "c.sqlite")
    cache.put_many(items)
    assert cache.get_many(list(items) + ["absent"]) == items
    assert len(cache) == len(items)
    cache.close()


def test_results_persist_across_reopening(tmp_path: Path) -> None:
    path = tmp_path / "results.sqlite"
    cache = _cache(path)
    cache.put_many({"a": 1.5, "b": ["x", "y"]})
    cache.put_many({"a": 2.5})  # a recomputed row replaces the old one
    cache.close()
    reopened = _cache(path)
    assert reopened.get_many(["a", "b", "a"]) == {"a": 2.5, "b": ["x", "y"]}
    assert len(reopened) == 2
    reopened.close()


def test_a_row_that_fails_its_digest_is_dropped_and_reported(tmp_path: Path) -> None:
    path = tmp_path / "results.sqlite"
    messages: list[str] = []
    cache = _cache(path, messages)
    cache.put_many({"good": 1.0, "bad": 2.0})
    with sqlite3.connect(path) as conn:  # bit rot: the value changes, its digest does not
        conn.execute("UPDATE results SET value = '3.0' WHERE key = 'bad'")
    assert cache.get_many(["good", "bad"]) == {"good": 1.0}
    assert messages == ["comptrust: 1 corrupt result-cache rows dropped; they will be recomputed"]
    assert len(cache) == 1
    cache.close()


def test_a_corrupt_database_file_is_moved_aside_and_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / "results.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    messages: list[str] = []
    cache = _cache(path, messages)
    assert len(cache) == 0
    cache.put_many({"k": "v"})
    assert cache.get_many(["k"]) == {"k": "v"}
    aside = [p.name for p in tmp_path.iterdir() if ".corrupt-" in p.name]
    assert len(aside) == 1 and aside[0].startswith("results.sqlite.corrupt-")
    assert len(messages) == 1 and "is corrupt" in messages[0] and "rebuilding" in messages[0]
    cache.close()


def test_an_interrupted_run_resumes_after_the_last_committed_chunk(tiny_model_dir: Path, tmp_path: Path) -> None:
    from fixtures.loading import load_hf_folder

    backend = load_hf_folder(tiny_model_dir)
    requests = [(f"Item {i}:", f" answer {i % 3}") for i in range(10)]
    cache = _cache(tmp_path / "results.sqlite")
    served = []

    def dies_on_third_chunk() -> object:
        served.append(1)
        if len(served) == 3:
            raise KeyboardInterrupt  # what a Ctrl-C (or a kill mid-batch) looks like to the engine
        return backend

    first = LM("tiny", "fp", dies_on_third_chunk, cache, chunk=2)
    with pytest.raises(KeyboardInterrupt):
        first.loglik(requests)
    assert first.calls["loglik"] == 4 and len(cache) == 4  # two chunks of two were committed

    second = LM("tiny", "fp", lambda: backend, cache, chunk=2)
    resumed = second.loglik(requests)
    assert second.calls["loglik"] == len(requests) - 4
    fresh = LM("tiny", "fp", lambda: backend, None).loglik(requests)
    assert resumed == pytest.approx(fresh, rel=1e-5, abs=1e-4)
    cache.close()
