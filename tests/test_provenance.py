"""The verdict binds to the exact bytes: hub refs resolve to commits, weights and tokenizer are content-hashed,
precision/device/backend are part of the result-cache key, baselines go stale when any of it changes, and
a pinned sha256 that the bytes do not match stops the run before any test, in one line.

Hub resolution runs offline: through an injected resolver and through a fake hub cache layout
(models--ORG--NAME/refs/<ref>), which is what the real resolver reads when the hub is unreachable.
"""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from fixtures.loading import LoadError, LoadOptions, Materializer
from fixtures.provenance import cached_commit, resolve_hub_commit, weights_sha256
from fixtures.registry import Registry
from fixtures.session import ComptrustSession
from tests.plugin_helpers import COPY, REF, Picks, Project, with_answers
from tests.reliability_helpers import backend_calls, scorecard

pytest_plugins = ["pytester", "tests.plugin_helpers"]

A, B = "a" * 40, "b" * 40


def _registry(tmp_path: Path, body: str) -> Registry:
    (tmp_path / "models.toml").write_text(body)
    return Registry.load(tmp_path / "models.toml")


def _session(reg: Registry, home: Path, mid: str, **options: Any) -> ComptrustSession:
    return ComptrustSession(
        registry=reg, candidates=[reg.get(mid)], baseline_override=None, thresholds=None,  # type: ignore[arg-type]
        tier="smoke", seed=0, limit=None, load_options=LoadOptions(**{"device": "cpu", **options}), baselines=None,
        update_baselines=False, progress=SimpleNamespace(message=lambda m: None), home=home,  # type: ignore[arg-type]
        probe_options={}, threads=1, result_cache_path=None)


def _folder(root: Path, weights: bytes) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "config.json").write_text(json.dumps({"model_type": "llama", "hidden_size": 8}))
    (root / "model.safetensors").write_bytes(weights)
    (root / "tokenizer.json").write_text('{"v": 1}')
    return root


def _by_hand(folder: Path, names: list[str]) -> str:
    lines = "".join(f"{hashlib.sha256((folder / n).read_bytes()).hexdigest()}  {n}\n" for n in sorted(names))
    return hashlib.sha256(lines.encode()).hexdigest()


# --- hub commits -----------------------------------------------------------------------------------


def test_a_mutable_hub_ref_is_resolved_to_a_commit_that_keys_results_and_provenance(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reg = _registry(tmp_path, "[models.m]\ncheckpoint = 'hf:org/model@3bit_128g'\n")
    entry = reg.get("m")
    asked: list[tuple[str, str | None]] = []
    head = {"commit": A}

    def resolver(repo: str, rev: str | None) -> str:
        asked.append((repo, rev))
        return head["commit"]

    first = Materializer(tmp_path, LoadOptions(device="cpu"), lambda m: None, resolver=resolver)
    assert first.fingerprint(entry).startswith(f"hf:org/model@{A}|")
    assert first.fingerprint(entry) == first.fingerprint(entry) and asked == [("org/model", "3bit_128g")]  # once
    fetched: dict[str, Any] = {}

    def snapshot_download(repo: str, **kw: Any) -> str:
        fetched.update(kw, repo=repo)
        return str(tmp_path)

    monkeypatch.setattr("huggingface_hub.snapshot_download", snapshot_download)
    first.dense_dir(entry.source)
    assert fetched["revision"] == A  # the bytes fetched are the commit the fingerprint names

    head["commit"] = B  # the branch moved: a new run sees new weights, so old results are not reused
    second = Materializer(tmp_path, LoadOptions(device="cpu"), lambda m: None, resolver=resolver)
    assert second.fingerprint(entry) != first.fingerprint(entry) and B in second.fingerprint(entry)


def test_the_real_resolver_reads_an_offline_hub_cache_layout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "hub"
    refs = cache / "models--org--model" / "refs"
    refs.mkdir(parents=True)
    (refs / "main").write_text(A)
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert resolve_hub_commit("org/model", None) == A == cached_commit("org/model", "main")
    assert resolve_hub_commit("org/model", B) == B  # a commit is already pinned
    with pytest.raises(LookupError, match="cannot resolve hf:org/model@other"):
        resolve_hub_commit("org/model", "other")
    reg = _registry(tmp_path, "[models.m]\ncheckpoint = 'hf:org/model'\n")
    session = _session(reg, tmp_path / "home", "m")
    assert session.model_provenance("m")["resolved_commit"] == A
    assert A in session.fingerprint("m")
    (refs / "main").write_text(B)  # a later fetch moved main
    again = _session(reg, tmp_path / "home", "m")
    assert again.model_provenance("m")["resolved_commit"] == B and again.fingerprint("m") != session.fingerprint("m")


def test_list_models_shows_which_entries_are_pinned(tmp_path: Path) -> None:
    reg = _registry(tmp_path, f"""
[models.branch]
checkpoint = 'hf:org/m@3bit_128g'
[models.commit]
checkpoint = 'hf:org/m@{A}'
[models.hashed]
base = 'local:/models/x'
sha256 = '{"c" * 64}'
[models.hashed-mag]
base = 'hashed'
method = 'magnitude(sparsity=0.5)'
""")
    rows = {line.split()[0]: line.split()[-1] for line in reg.table().splitlines()[2:]}
    assert rows == {"branch": "-", "commit": "commit", "hashed": "sha256", "hashed-mag": "sha256"}
    assert reg.get("hashed-mag").sha256 == "c" * 64  # it reads the base's bytes


def test_a_malformed_sha256_is_a_registry_error(tmp_path: Path) -> None:
    from fixtures.registry import RegistryError

    with pytest.raises(RegistryError, match="models.toml:2: model 'x': sha256 must be 64 lowercase hex"):
        _registry(tmp_path, "\n[models.x]\nbase = 'local:/m'\nsha256 = 'abc'\n")


# --- content hashes and the runtime ------------------------------------------------------------------


def test_provenance_names_the_content_hash_of_the_weights_and_it_follows_the_bytes(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "m", b"weights v1")
    reg = _registry(tmp_path, f"[models.m]\nbase = 'local:{folder}'\n")
    prov = _session(reg, tmp_path / "home", "m").model_provenance("m")
    assert prov["weights_sha256"] == _by_hand(folder, ["model.safetensors"]) == weights_sha256(folder)
    assert prov["tokenizer_sha256"] == _by_hand(folder, ["tokenizer.json"])
    assert (prov["dtype"], prov["device"], prov["backend"]) == ("float32", "cpu", "hf")
    assert "torch" in prov["libraries"] and prov["resolved_commit"] is None
    fp = _session(reg, tmp_path / "home", "m").fingerprint("m")

    (folder / "model.safetensors").write_bytes(b"weights v2")  # the weights behind the same source change
    later = _session(reg, tmp_path / "home", "m")
    assert later.model_provenance("m")["weights_sha256"] == _by_hand(folder, ["model.safetensors"])
    assert later.model_provenance("m")["weights_sha256"] != prov["weights_sha256"]
    assert later.fingerprint("m") != fp  # so cached results and baselines of the old bytes are not reused


def test_precision_device_and_backend_are_part_of_the_result_cache_key(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "m", b"w")
    entry = _registry(tmp_path, f"[models.m]\nbase = 'local:{folder}'\n").get("m")
    prints = {Materializer(tmp_path, LoadOptions(device=d, backend=b), lambda m: None).fingerprint(entry)
              for d, b in (("cpu", "hf"), ("cuda", "hf"), ("cuda", "vllm"))}
    assert len(prints) == 3
    assert any(p.endswith("|run:hf/cpu/float32") for p in prints)
    assert any(p.endswith("|run:hf/cuda/bfloat16") for p in prints)


def test_a_wrong_pinned_sha256_fails_at_load_for_any_source(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "m", b"w")
    reg = _registry(tmp_path, f"[models.m]\nbase = 'local:{folder}'\nsha256 = '{'0' * 64}'\n")
    mat = Materializer(tmp_path, LoadOptions(device="cpu"), lambda m: None)
    with pytest.raises(LoadError, match=r"^m: the weights of local:.* have sha256 [0-9a-f]{64}, the registry pins 0{64}"):
        mat.verify_pin(reg.get("m"))
    good = _registry(tmp_path, f"[models.m]\nbase = 'local:{folder}'\nsha256 = '{weights_sha256(folder)}'\n")
    mat.verify_pin(good.get("m"))


# --- end to end: the real plugin on the tiny zoo --------------------------------------------------------


def _zoo(project: Project, ref_dir: Path, sha: str | None = None) -> str:
    pin = f"sha256 = '{sha}'\n" if sha else ""
    return (f"[models.{REF}]\nbase = 'local:{ref_dir}'\n{pin}\n"
            f"[models.{COPY}]\nbase = 'local:{project.zoo.ref_dir}'\nreference = '{REF}'\n")


def test_a_wrong_sha256_stops_the_run_before_any_test_in_one_line(project: Project, picks: Picks) -> None:
    bad = "0" * 64
    project.write(with_answers(picks.items, picks.ref), models=(COPY,), registry=_zoo(project, project.zoo.ref_dir, bad))
    result = project.run("-k", "benign")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    lines = [line for line in result.stderr.lines if "sha256" in line]
    assert len(lines) == 1 and f"the registry pins {bad}" in lines[0] and lines[0].startswith("ERROR: comptrust: tiny-ref:"), result.stderr.lines
    assert "passed" not in result.stdout.str() and "failed" not in result.stdout.str()
    good = weights_sha256(project.zoo.ref_dir)
    project.write(with_answers(picks.items, picks.ref), models=(COPY,), registry=_zoo(project, project.zoo.ref_dir, good))
    project.run("-k", "benign").assert_outcomes(passed=1)


def test_new_weights_behind_a_local_source_are_not_served_old_results_or_baselines(
    project: Project, picks: Picks, tmp_path: Path
) -> None:
    ref_dir = tmp_path / "ref"
    shutil.copytree(project.zoo.ref_dir, ref_dir)
    # REF gated against itself: its own LM, so its backend calls show whether cached results were reused.
    project.write(with_answers(picks.items, picks.ref), models=(REF,), registry=_zoo(project, ref_dir))
    project.run("-k", "benign").assert_outcomes(passed=1)
    assert backend_calls(scorecard(project))[REF] > 0
    project.run("-k", "benign").assert_outcomes(passed=1)
    assert backend_calls(scorecard(project))[REF] == 0  # the control: same bytes, served from the cache
    pinned = ("--baselines", "bl", "-k", "benign")
    project.run(*pinned).assert_outcomes(failed=1)  # the missing baseline is written, for review
    baseline = project.root / "bl" / "smoke" / REF / "benign" / "accuracy.json"
    recorded = json.loads(baseline.read_text())["provenance"]
    assert recorded["weights_sha256"] == weights_sha256(ref_dir) and recorded["dtype"] == "float32"
    project.run(*pinned).assert_outcomes(passed=1)

    shutil.copy(project.zoo.cand_dir / "model.safetensors", ref_dir / "model.safetensors")  # new weights
    project.run("-k", "benign")
    assert backend_calls(scorecard(project))[REF] > 0  # recomputed, not the old weights' cached results
    result = project.run(*pinned)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"*stale baseline {baseline}: it was made from {REF} as local:*, and {REF} is now "
                                 "local:*; regenerate it with `pytest --update-baselines`*"])

    project.run(*pinned, "--update-baselines").assert_outcomes(passed=1)
    data = json.loads(baseline.read_text())
    assert data["provenance"]["weights_sha256"] == weights_sha256(ref_dir) != recorded["weights_sha256"]
    # A baseline made on another device or precision is stale too.
    data["provenance"]["fingerprint"] = data["provenance"]["fingerprint"].replace("|run:hf/cpu/float32", "|run:hf/cuda/bfloat16")
    baseline.write_text(json.dumps(data))
    project.run(*pinned).stdout.fnmatch_lines(["*stale baseline*run:hf/cuda/bfloat16*run:hf/cpu/float32*"])
