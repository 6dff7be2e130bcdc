"""The plugin's backend wiring through pytester: --endpoint (a real HTTP server on loopback), --backend vllm,
and --device auto's xdist worker -> GPU mapping."""
from __future__ import annotations

import os
import textwrap
from typing import Any

import pytest

from fixtures.backends.vllm import vllm_available
from fixtures.loading import visible_device_for, worker_device
from tests.endpoint_helpers import Scripted, server  # noqa: F401 - `server` is a fixture, requested by name
from tests.plugin_helpers import CAND, INNER_FLAGS, REF, Project, SessionGrab, make_items, preimport, registry_toml

pytest_plugins = ["pytester", "tests.plugin_helpers"]

KEY = "sk-plugin-5e1d77-never-logged"
SMOL, SMOL_RTN = "smollm2-135m", "smollm2-135m-rtn8"
SMOL_REGISTRY = textwrap.dedent(f"""\
    [models.{SMOL}]
    base = 'embedded:smollm2-135m-instruct'

    [models.{SMOL_RTN}]
    base = '{SMOL}'
    method = 'rtn(bits=8,group_size=64)'
    """)


@pytest.fixture(autouse=True, scope="module")
def _preimported() -> None:
    # pytester drops modules first imported inside an inner run; these must survive between runs.
    preimport()
    import gguf  # noqa: F401
    import httpx  # noqa: F401

    import fixtures.backends.openai  # noqa: F401
    import fixtures.endpoints  # noqa: F401


# --- usage errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("args", "message"), [
    (["--endpoint", SMOL], "--endpoint expects MODEL_ID=URL[#served_model_name]"),
    (["--endpoint", f"{SMOL}=localhost:8000"], "endpoint URL must be http(s)://"),
    (["--endpoint", "smollm2-999m=http://127.0.0.1:9"], "unknown model 'smollm2-999m'"),
    (["--endpoint", f"{SMOL}=http://alice:hunter2@127.0.0.1:9"], "credentials in the URL"),
    (["--endpoint", f"{SMOL}=http://127.0.0.1:9/v1?api_key=hunter2"], "looks like a secret"),
    (["--endpoint", f"{SMOL}=http://127.0.0.1:9", "--endpoint", f"{SMOL}=http://127.0.0.1:10"], "given twice"),
    (["--endpoint-concurrency", "0"], "--endpoint-concurrency must be >= 1, got 0"),
    (["--endpoint-timeout", "-1"], "--endpoint-timeout must be > 0 seconds, got -1.0"),
])
def test_bad_endpoint_values_are_usage_errors(project: Project, args: list[str], message: str) -> None:
    project.write(make_items(4), models=(SMOL_RTN,), registry=SMOL_REGISTRY)
    result = project.run(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    err = result.stderr.str()
    assert message in err and "hunter2" not in err + result.stdout.str()


def test_bad_endpoint_in_the_ini_is_a_usage_error(project: Project) -> None:
    project.write(make_items(4), models=(SMOL_RTN,), registry=SMOL_REGISTRY,
                  ini_extra=f"comptrust_endpoints =\n    {SMOL}=ftp://127.0.0.1:9\n")
    result = project.run()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "comptrust: --endpoint: endpoint URL must be http(s)://" in result.stderr.str()


# --- a trust test end to end through a real (scripted) OpenAI-compatible server ---------------------------


def _toy_answers(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # The scripted server's toy model scores a token by -len(token): the shortest option wins, ties to the first.
    return [{**it, "answer": min(range(4), key=lambda k: (len(it["options"][k]), k))} for it in items]


def test_endpoint_serves_candidate_and_reference_through_the_gate_and_the_result_cache(
    project: Project, server: tuple[str, Scripted], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, script = server
    monkeypatch.setenv("COMPTRUST_ENDPOINT_KEY", KEY)
    items = _toy_answers(make_items(12))
    # The reference comes from the ini list, the candidate from the command line: both are read.
    project.write(items, models=(SMOL_RTN,), registry=SMOL_REGISTRY,
                  ini_extra=f"comptrust_endpoints =\n    {SMOL}={url}#ref\n")
    args = [*INNER_FLAGS, "-k", "benign", "--endpoint", f"{SMOL_RTN}={url}/v1#cand", "--endpoint-concurrency", "3"]
    result = project.pytester.runpytest(*args)
    # The toy model answers alike for both: 12 agreeing items are too few to show a drop under 5 points.
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines([f"{SMOL_RTN} vs {SMOL}: INCONCLUSIVE — benign=inconclusive (underpowered) (100.0 vs 100.0)"])

    completions = [s for s in script.seen if s["path"] == "/v1/completions"]
    by_model = {m: [s for s in completions if s["body"]["model"] == m] for m in ("cand", "ref")}
    # Per model: one echo-alignment probe, then one request per distinct (prompt, option) text.
    assert {m: len(v) for m, v in by_model.items()} == {"cand": 1 + 4 * len(items), "ref": 1 + 4 * len(items)}
    assert len(script.seen) == len(completions)  # served names given: no /v1/models round trip
    assert script.max_in_flight <= 3
    # Chat prompts were rendered with the model's own chat template (its tokenizer, read from the GGUF).
    assert by_model["cand"][1]["body"]["prompt"].startswith("<|im_start|>system\n")
    assert {s["headers"]["Authorization"] for s in script.seen} == {f"Bearer {KEY}"}

    card = project.scorecard()["models"][SMOL_RTN]
    dim = card["dimensions"]["benign"]
    assert (card["reference"], dim["score"], dim["reference_score"], dim["verdict"]) == (SMOL, 100.0, 100.0, "inconclusive")
    reports = project.root / "reports"
    leaked = [p for p in reports.rglob("*") if p.is_file() and KEY in p.read_text(errors="replace")]
    assert leaked == [] and KEY not in result.stdout.str() + result.stderr.str()

    # The rerun is answered by the result cache: not one request reaches the server.
    n = len(script.seen)
    grab = SessionGrab()
    project.pytester.inline_run(*args, plugins=[grab]).assertoutcome(skipped=1)
    assert len(script.seen) == n
    assert grab.calls() == {SMOL_RTN: {"loglik": 0, "generate": 0}, SMOL: {"loglik": 0, "generate": 0}}
    assert project.scorecard()["models"][SMOL_RTN]["dimensions"]["benign"]["verdict"] == "inconclusive"


def test_endpoint_failure_fails_the_test_with_the_servers_words(
    project: Project, server: tuple[str, Scripted], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, script = server
    script.late = True  # echoes logprobs one token late, as llama-cpp-python 0.3.x does
    project.write(_toy_answers(make_items(4)), models=(SMOL_RTN,), registry=SMOL_REGISTRY)
    result = project.run("-k", "benign", "--endpoint", f"{SMOL_RTN}={url}#cand", "--endpoint", f"{SMOL}={url}#ref")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*echoes prompt logprobs one token late*"])


# --- --backend vllm -----------------------------------------------------------------------------------


def test_backend_vllm_without_cuda_skips_with_the_reason_or_fails_under_require_gpu(project: Project) -> None:
    ok, why = vllm_available()
    if ok:
        pytest.skip("vLLM and a CUDA GPU are usable here: the no-CUDA behaviour cannot be shown")
    project.write(make_items(4), models=(CAND,))
    result = project.run("-k", "benign", "--backend", "vllm", "-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines([f"SKIPPED*{CAND}: --backend vllm is unavailable here: {why}*"])

    result = project.run("-k", "benign", "--backend", "vllm", "--require-gpu")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*--backend vllm is unavailable here*--require-gpu turns this skip into a failure*"])


def test_backend_vllm_usage_errors(project: Project) -> None:
    project.write(make_items(4), models=(CAND,))
    result = project.run("--backend", "vllm", "--device", "cpu")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--backend vllm runs on CUDA GPUs only; it contradicts --device cpu" in result.stderr.str()

    registry = registry_toml(project.zoo) + f"\n[models.tiny-nf4]\nbase = '{REF}'\nmethod = 'bnb(mode=nf4)'\n"
    project.write(make_items(4), models=("tiny-nf4",), registry=registry)
    result = project.run("--backend", "vllm")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--backend vllm cannot run 'tiny-nf4': bnb quantizes while transformers loads" in result.stderr.str()

    result = project.run("--backend", "tgi")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "argument --backend: invalid choice: 'tgi'" in result.stderr.str()


def test_models_served_by_an_endpoint_do_not_need_the_local_backend(
    project: Project, server: tuple[str, Scripted]
) -> None:
    """--backend vllm on a CPU machine skips local models, never the ones an endpoint serves."""
    url, _ = server
    project.write(_toy_answers(make_items(4)), models=(SMOL_RTN,), registry=SMOL_REGISTRY)
    result = project.run("-k", "benign", "--backend", "vllm", "--endpoint", f"{SMOL_RTN}={url}#cand",
                         "--endpoint", f"{SMOL}={url}#ref", "-rs")
    result.assert_outcomes(skipped=1)  # judged (inconclusive on 4 items), not skipped for want of a GPU
    result.stdout.fnmatch_lines(["*inconclusive (underpowered): benign/accuracy*"])


# --- --device auto under xdist ------------------------------------------------------------------------


def test_worker_device_maps_xdist_workers_round_robin_onto_gpus() -> None:
    assert [worker_device(f"gw{k}", 4) for k in range(6)] == ["cuda:0", "cuda:1", "cuda:2", "cuda:3", "cuda:0", "cuda:1"]
    assert worker_device("gw3", 1) == "cuda:0"
    assert worker_device(None, 2) == "cuda"  # not an xdist worker: the default GPU
    assert worker_device("master", 2) == "cuda"
    assert worker_device("gw0", 0) == "cpu"


def test_visible_device_keeps_the_ids_the_user_chose() -> None:
    assert visible_device_for(1, None) == "1"
    assert visible_device_for(1, "2,5,7") == "5"
    assert visible_device_for(0, "GPU-3f2a, GPU-9b1c") == "GPU-3f2a"


def test_pin_worker_gpu_leaves_cpu_machines_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    from fixtures.loading import pin_worker_gpu

    if torch.cuda.device_count() > 0:
        pytest.skip("this machine has a GPU: pinning is exercised by an xdist run on it")
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    assert pin_worker_gpu("gw1") is None
    assert "CUDA_VISIBLE_DEVICES" not in os.environ


def test_pin_worker_gpu_on_a_gpu_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    from fixtures.loading import pin_worker_gpu

    count = torch.cuda.device_count()
    if count == 0:
        pytest.skip("no CUDA device here: GPU pinning needs at least one")
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", ",".join(str(i) for i in range(count)))
    assert pin_worker_gpu(f"gw{count + 1}") == f"cuda:{(count + 1) % count}"
    assert os.environ["CUDA_VISIBLE_DEVICES"] == str((count + 1) % count)
