"""The artifact cache: keys, manifest, atomic writes, one builder per key, corruption detection and rebuild."""
from __future__ import annotations

import json
import multiprocessing
import os
import stat
import time
from pathlib import Path

import pytest

from fixtures.modelcache import (
    MANIFEST,
    ArtifactCache,
    compressed_model_key,
    content_fingerprint,
    file_sha256,
)


class Builder:
    """A build function that writes known files and counts its calls."""

    def __init__(self, payload: bytes = b"weights" * 1000) -> None:
        self.calls = 0
        self.payload = payload

    def __call__(self, out: Path) -> None:
        self.calls += 1
        (out / "model.bin").write_bytes(self.payload)
        (out / "sub").mkdir()
        (out / "sub" / "config.json").write_text('{"a": 1}')


def make_cache(root: Path, messages: list[str] | None = None, verify: str = "full") -> ArtifactCache:
    return ArtifactCache(root, report=(messages.append if messages is not None else lambda m: None), verify=verify)


def test_key_is_24_hex_of_canonical_json() -> None:
    a = ArtifactCache.key({"b": 1, "a": [1, 2], "c": {"y": 1.5, "x": None}})
    assert a == ArtifactCache.key({"c": {"x": None, "y": 1.5}, "a": [1, 2], "b": 1})  # order-free
    assert len(a) == 24 and int(a, 16) >= 0
    assert a != ArtifactCache.key({"b": 2, "a": [1, 2], "c": {"y": 1.5, "x": None}})
    assert a != ArtifactCache.key({"b": 1, "a": [2, 1], "c": {"y": 1.5, "x": None}})  # lists keep order


def test_build_once_then_hit_with_a_complete_manifest(tmp_path: Path) -> None:
    build = Builder()
    path = make_cache(tmp_path).get_or_build("compressed", "k1", build, {"method": "demo"})
    assert path == tmp_path / "compressed" / "k1" and build.calls == 1
    manifest = json.loads((path / MANIFEST).read_text())
    assert manifest["meta"] == {"method": "demo"}
    assert set(manifest["files"]) == {"model.bin", "sub/config.json"}
    for rel, info in manifest["files"].items():
        assert info == {"size": (path / rel).stat().st_size, "sha256": file_sha256(path / rel)}
    assert manifest["libraries"]["torch"] and manifest["build_seconds"] >= 0
    assert make_cache(tmp_path).get_or_build("compressed", "k1", build, {}) == path
    assert build.calls == 1
    assert [p.name for p in (tmp_path / "compressed").iterdir() if not p.name.startswith(".")] == ["k1"]


def test_the_before_build_hook_runs_before_a_build_and_never_on_a_hit(tmp_path: Path) -> None:
    """The session frees its resident models there: a build holds a second copy of the weights."""
    events: list[str] = []
    build = Builder()

    def recording_build(out: Path) -> None:
        events.append("build")
        build(out)

    cache = ArtifactCache(tmp_path, report=lambda m: None, before_build=lambda: events.append("free"))
    cache.get_or_build("compressed", "k1", recording_build, {})
    cache.get_or_build("compressed", "k1", recording_build, {})
    assert events == ["free", "build"]


def test_failed_build_leaves_nothing_behind(tmp_path: Path) -> None:
    def broken(out: Path) -> None:
        (out / "model.bin").write_bytes(b"half")
        raise RuntimeError("killed mid-build")

    cache = make_cache(tmp_path)
    with pytest.raises(RuntimeError, match="killed mid-build"):
        cache.get_or_build("compressed", "k2", broken, {})
    leftovers = [p.name for p in (tmp_path / "compressed").iterdir() if not p.name.endswith(".lock")]
    assert leftovers == []
    build = Builder()
    cache.get_or_build("compressed", "k2", build, {})
    assert build.calls == 1


def test_half_written_temp_folder_from_a_killed_builder_is_cleaned(tmp_path: Path) -> None:
    stale = tmp_path / "compressed" / ".tmp-k3-deadbeef"
    stale.mkdir(parents=True)
    (stale / "model.bin").write_bytes(b"partial")
    make_cache(tmp_path).get_or_build("compressed", "k3", Builder(), {})
    assert not stale.exists()


def test_entry_without_manifest_is_reported_and_rebuilt(tmp_path: Path) -> None:
    partial = tmp_path / "compressed" / "k4"
    partial.mkdir(parents=True)
    (partial / "model.bin").write_bytes(b"copied halfway")
    messages: list[str] = []
    build = Builder()
    path = make_cache(tmp_path, messages).get_or_build("compressed", "k4", build, {})
    assert build.calls == 1 and (path / "model.bin").read_bytes() == build.payload
    assert len(messages) == 1 and "k4" in messages[0] and "no readable manifest" in messages[0]


def _safetensors_builder(out: Path) -> None:
    import numpy as np
    from safetensors.numpy import save_file

    save_file({"w": np.arange(4096, dtype=np.float32).reshape(64, 64)}, str(out / "model.safetensors"))


def test_truncated_safetensors_is_detected_reported_and_rebuilt(tmp_path: Path) -> None:
    path = make_cache(tmp_path).get_or_build("compressed", "k5", _safetensors_builder, {})
    good = (path / "model.safetensors").read_bytes()
    (path / "model.safetensors").write_bytes(good[: len(good) // 2])
    messages: list[str] = []
    again = make_cache(tmp_path, messages, verify="size").get_or_build("compressed", "k5", _safetensors_builder, {})
    assert again == path and (path / "model.safetensors").read_bytes() == good
    assert len(messages) == 1 and "truncated" in messages[0] and "rebuilding" in messages[0]


def test_same_size_corruption_needs_full_verification(tmp_path: Path) -> None:
    path = make_cache(tmp_path).get_or_build("compressed", "k6", _safetensors_builder, {})
    data = bytearray((path / "model.safetensors").read_bytes())
    data[-5] ^= 0xFF  # one flipped byte inside the tensor data: same size, different content
    (path / "model.safetensors").write_bytes(bytes(data))
    assert make_cache(tmp_path, verify="size").check(path) is None
    problem = make_cache(tmp_path, verify="full").check(path)
    assert problem is not None and "sha256" in problem
    messages: list[str] = []
    make_cache(tmp_path, messages).get_or_build("compressed", "k6", _safetensors_builder, {})
    assert len(messages) == 1 and make_cache(tmp_path).check(path) is None


def _slow_build(out: Path) -> None:
    # Appending to a shared log shows how many processes really built.
    with open(out.parent.parent / "builds.log", "a") as fh:
        fh.write(f"{os.getpid()}\n")
    time.sleep(1.5)
    (out / "model.bin").write_bytes(b"x" * 100)


def _worker(root: str, queue: multiprocessing.Queue) -> None:
    messages: list[str] = []
    path = ArtifactCache(Path(root), report=messages.append).get_or_build("compressed", "k7", _slow_build, {})
    queue.put((str(path), messages))


def test_concurrent_builders_wait_on_the_lock_instead_of_building_twice(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(str(tmp_path), queue)) for _ in range(2)]
    for p in procs:
        p.start()
        time.sleep(0.3)  # let the first one take the lock
    results = [queue.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    assert len((tmp_path / "builds.log").read_text().split()) == 1
    assert {r[0] for r in results} == {str(tmp_path / "compressed" / "k7")}
    waited = [m for _, msgs in results for m in msgs]
    assert len(waited) == 1 and "waiting" in waited[0]


def test_compressed_key_covers_base_params_calibration_and_library_versions(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.metadata as md  # contracts/versions.py reads versions through it at each call

    base = compressed_model_key("fp", "gptq", {"bits": 4}, "c1")
    assert base == compressed_model_key("fp", "gptq", {"bits": 4}, "c1")
    variants = [compressed_model_key("fp2", "gptq", {"bits": 4}, "c1"),
                compressed_model_key("fp", "awq", {"bits": 4}, "c1"),
                compressed_model_key("fp", "gptq", {"bits": 3}, "c1"),
                compressed_model_key("fp", "gptq", {"bits": 4}, "c2")]
    assert len({base, *variants}) == 5
    real = md.version
    monkeypatch.setattr(md, "version", lambda pkg: "0.0.0-other" if pkg == "llmcompressor" else real(pkg))
    assert compressed_model_key("fp", "gptq", {"bits": 4}, "c1") != base
    # magnitude pruning does not use llm-compressor, so its key ignores that version
    monkeypatch.setattr(md, "version", real)
    mag = compressed_model_key("fp", "magnitude", {"sparsity": 0.5}, None)
    monkeypatch.setattr(md, "version", lambda pkg: "0.0.0-other" if pkg == "llmcompressor" else real(pkg))
    assert compressed_model_key("fp", "magnitude", {"sparsity": 0.5}, None) == mag


def test_content_fingerprint_follows_content_not_location(tmp_path: Path) -> None:
    import shutil

    a = tmp_path / "a"
    a.mkdir()
    (a / "model.safetensors").write_bytes(b"abc")
    (a / "config.json").write_text("{}")
    b = tmp_path / "b"
    shutil.copytree(a, b)
    assert content_fingerprint(a) == content_fingerprint(b)
    (b / "model.safetensors").write_bytes(b"abd")
    assert content_fingerprint(a) != content_fingerprint(b)
    entry = make_cache(tmp_path / "cache").get_or_build("embedded", "e1", Builder(), {})
    assert content_fingerprint(entry) == content_fingerprint(entry)  # manifest path: no re-hashing needed


def test_damaged_manifest_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    path = make_cache(tmp_path).get_or_build("compressed", "k8", Builder(), {})
    manifest = json.loads((path / MANIFEST).read_text())
    manifest["files"]["model.bin"] = {"bytes": 1}
    (path / MANIFEST).write_text(json.dumps(manifest))
    problem = make_cache(tmp_path).check(path)
    assert problem is not None and "unreadable entry (KeyError" in problem


def _exec_builder(out: Path) -> None:
    (out / "sub").mkdir()
    (out / "sub" / "run.sh").write_text("#!/bin/sh\necho never run\n")
    (out / "sub" / "run.sh").chmod(0o755)  # a compressor that leaves an exec bit behind
    (out / "model.bin").write_bytes(b"w" * 64)


@pytest.mark.parametrize("mask", [0o022, 0o027, 0o077])
def test_built_entries_are_private_whatever_the_umask_and_carry_no_exec_bit(
    tmp_path: Path, mask: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COMPTRUST_SHARED_CACHE", raising=False)
    old = os.umask(mask)
    try:
        path = make_cache(tmp_path).get_or_build("compressed", "k-umask", _exec_builder, {})
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700  # the kind folder it created too
    for f in (p for p in path.rglob("*") if p.is_file()):
        assert stat.S_IMODE(f.stat().st_mode) == 0o600, f
    assert stat.S_IMODE((path / "sub").stat().st_mode) == 0o700


@pytest.mark.parametrize("mask", [0o022, 0o027])
def test_a_shared_cache_follows_the_umask_when_configured(tmp_path: Path, mask: int,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMPTRUST_SHARED_CACHE", "1")
    old = os.umask(mask)
    try:
        path = make_cache(tmp_path).get_or_build("compressed", "k-umask", _exec_builder, {})
        from fixtures.perms import current_umask

        assert current_umask() == mask  # read without flipping it
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o777 & ~mask
    for f in (p for p in path.rglob("*") if p.is_file()):
        assert stat.S_IMODE(f.stat().st_mode) == 0o666 & ~mask, f
