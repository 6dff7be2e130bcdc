"""Faults the other reliability files leave open: a real out-of-memory at load, GPU-only models on a CPU
machine, and a damaged converted-GGUF cache entry.

Already covered elsewhere: SIGKILL and resume (test_reliability_resume.py),
damaged result cache and compressed-model entries (test_reliability_caches.py), concurrency, failed load and
determinism (test_reliability_runs.py).
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.plugin_helpers import COPY, REF, Picks, Project, registry_toml, with_answers
from tests.reliability_helpers import junit_results, outcomes, registry, run, scorecard, write_tiny_gguf, zoo_with_local

pytest_plugins = ["pytester", "tests.plugin_helpers"]


def _cases(project: Project, model: str, junit: str = "junit.xml") -> dict[str, tuple[str, str]]:
    return {k: v for k, v in junit_results(project.root / junit).items() if f"[{model}]" in k}


def assert_all(cases: dict[str, tuple[str, str]], outcome: str, *words: str) -> None:
    """Every case has `outcome`, and (for failures and skips) a message with every one of `words`."""
    __tracebackhide__ = True
    if not cases:
        raise AssertionError("no test cases for this model")
    wrong = {k: v for k, v in cases.items() if v[0] != outcome or not all(w in v[1] for w in words)}
    if wrong:
        raise AssertionError(f"expected {outcome} with {words}; got {wrong}")


# --- out of memory while loading -------------------------------------------------------------------------


def _model_that_cannot_fit(project: Project, folder: Path) -> Path:
    """The tiny model with a 2**36-token vocabulary declared and its embeddings left out of the checkpoint:
    transformers allocates them at load (4 TiB each), and torch's allocator really fails: a real OOM."""
    from safetensors.torch import load_file, save_file

    shutil.copytree(project.zoo.cand_dir, folder)
    weights = load_file(folder / "model.safetensors")
    kept = {k: v for k, v in weights.items() if k not in ("model.embed_tokens.weight", "lm_head.weight")}
    assert len(kept) == len(weights) - 2
    save_file(kept, folder / "model.safetensors", metadata={"format": "pt"})
    config = json.loads((folder / "config.json").read_text())
    config["vocab_size"] = 2**36
    (folder / "config.json").write_text(json.dumps(config))
    return folder


def test_out_of_memory_at_load_fails_that_models_tests_clearly_and_the_others_run(
    project: Project, picks: Picks, tmp_path: Path
) -> None:
    huge = _model_that_cannot_fit(project, tmp_path / "huge")
    reg = zoo_with_local(project, "tiny-huge", huge)
    project.write(with_answers(picks.items, picks.ref), models=("tiny-huge", COPY), registry=reg)
    result = run(project, "--junitxml", "junit.xml")
    assert result.returncode == 1, result
    assert_all(_cases(project, "tiny-huge"), "failed", "'tiny-huge' failed to load", "out of memory",
               "can't allocate memory")  # never a skip, and torch's own words are kept
    assert "Traceback" not in "".join(m for _, m in _cases(project, "tiny-huge").values())
    assert_all(_cases(project, COPY), "passed")
    card = scorecard(project)
    assert {d["verdict"] for d in card["models"][COPY]["dimensions"].values()} == {"pass"}
    assert "tiny-huge" not in card["models"] or all(
        d["verdict"] != "pass" for d in card["models"]["tiny-huge"]["dimensions"].values())


# --- GPU-only models on a CPU machine --------------------------------------------------------------------


def _no_cuda() -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA GPU")


def test_gpu_only_model_on_cpu_skips_with_the_reason_or_fails_under_require_gpu(project: Project, picks: Picks) -> None:
    _no_cuda()
    reg = registry_toml(project.zoo) + (f"\n[models.tiny-gpu]\nbase = 'local:{project.zoo.cand_dir}'\n"
                                        f"reference = '{REF}'\ngpu_only = true\n")
    project.write(with_answers(picks.items, picks.ref), models=("tiny-gpu", COPY), registry=reg)

    plain = project.run("--junitxml", "plain.xml")
    # A skip is not a failure, but a named model that could not be judged at all is no evidence: exit 6, one line.
    assert plain.ret == 6, plain.stdout.str()
    plain.stdout.fnmatch_lines(["comptrust: no evidence for tiny-gpu: *"])
    assert_all(_cases(project, "tiny-gpu", "plain.xml"), "skipped", "tiny-gpu", "needs a CUDA GPU")  # ...and says why
    assert_all(_cases(project, COPY, "plain.xml"), "passed")
    assert project.run("--allow-no-evidence").ret == 0

    strict = project.run("--junitxml", "strict.xml", "--require-gpu")
    assert strict.ret == 1, strict.stdout.str()
    assert_all(_cases(project, "tiny-gpu", "strict.xml"), "failed", "needs a CUDA GPU", "--require-gpu")
    assert_all(_cases(project, COPY, "strict.xml"), "passed")


@pytest.mark.parametrize(("params", "gpu"), [("backend=marlin", True), ("backend=exllama_v2", True),
                                             ("backend=torch", False), ("", False)])
def test_gpu_only_method_parameters_make_the_model_unavailable_on_cpu(
    project: Project, params: str, gpu: bool
) -> None:
    """The check runs before any build, so the model skips (or fails under --require-gpu) with the reason
    instead of failing in the compressor. It did not see parameter-dependent needs before this test."""
    from fixtures.loading import LoadOptions, Materializer, NeedsGPU
    from fixtures.registry import Registry

    _no_cuda()
    (project.root / "models.toml").write_text(registry_toml(project.zoo))
    entry = Registry.load(project.root / "models.toml").resolve(f"{REF}+gptqmodel(bits=4,group_size=32{',' * bool(params)}{params})")
    materializer = Materializer(project.home / "models", LoadOptions(device="cpu"), print)
    if gpu:
        with pytest.raises(NeedsGPU, match=r"gptqmodel.*needs a CUDA GPU \(device is cpu\)"):
            materializer.check_available(entry)
    else:
        materializer.check_available(entry)  # CPU kernels: available (the missing extra is a usage error earlier)


# --- a damaged converted-GGUF cache entry ----------------------------------------------------------------


def test_damaged_converted_gguf_entry_is_reported_and_rebuilt(project: Project, picks: Picks, tmp_path: Path) -> None:
    gguf = write_tiny_gguf(tmp_path / "tiny.gguf")
    models = {"tiny-gguf": {"base": f"gguf:{gguf}"}, "tiny-gguf-copy": {"base": f"gguf:{gguf}", "reference": "tiny-gguf"}}
    project.write(with_answers(picks.items, picks.ref), models=("tiny-gguf-copy",), registry=registry(models))
    first = run(project, "-k", "benign")
    # Random weights: the verdict may be inconclusive (exit 6 without any evidence, 7 when undecided).
    assert first.returncode in (0, 1, 6, 7), first
    card = scorecard(project)
    [entry] = [p for p in (project.home / "models" / "embedded").iterdir() if not p.name.startswith(".")]
    weights = entry / "model.safetensors"
    size = weights.stat().st_size
    with open(weights, "r+b") as fh:
        fh.truncate(size // 2)
    for p in project.home.glob("results.sqlite*"):  # without results the rerun must load the model again
        p.unlink()

    again = run(project, "-k", "benign")
    assert again.returncode == first.returncode, again
    assert f"embedded/{entry.name}" in again.output and "truncated" in again.output, again
    from fixtures.modelcache import ArtifactCache

    assert weights.stat().st_size == size and ArtifactCache(project.home / "models").check(entry) is None
    assert outcomes(scorecard(project)) == outcomes(card)


# --- a result cache whose schema text is no longer UTF-8 -------------------------------------------------


def test_result_cache_with_an_undecodable_schema_is_reported_and_rebuilt(tmp_path: Path) -> None:
    """Found by test_reliability_caches' overwrite fuzzing (offset 4053, bytes 00 80): sqlite's error text
    quoted the damaged schema, Python could not decode it, and the UnicodeDecodeError escaped the cache."""
    from fixtures.resultcache import ResultCache
    from tests.test_reliability_caches import _assert_never_wrong, _reopen_damaged, _values

    path = tmp_path / "results.sqlite"
    cache = ResultCache(path, report=lambda _: None)
    cache.put_many(_values())
    cache.close()
    blob = bytearray(path.read_bytes())
    at = blob.index(b"CREATE TABLE results")  # the schema row on page 1
    blob[at + 7] = 0x80  # "CREATE T\x80BLE": no longer UTF-8
    got, messages = _reopen_damaged(bytes(blob))
    _assert_never_wrong(got, messages, len(blob))
    assert got == {} and any("corrupt" in m and "utf-8" in m for m in messages), messages
