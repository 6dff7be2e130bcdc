"""Self-tests of the OpenAI-compatible endpoint backend.

Three layers: pure helpers with hand-computed values; retries, timeouts, concurrency and key handling
against a small real HTTP server on 127.0.0.1 that answers scripted statuses; and scoring and
generation against llama.cpp's server (llama-cpp-python[server]) serving the embedded GGUF, compared
with the local HF backend. The llama.cpp tests skip, with the reason, when no server is installed:
point COMPTRUST_LLAMA_SERVER_PYTHON at a Python that has it (requirements/endpoint.txt).
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from email.utils import formatdate
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fixtures.backends.base import GenParams
from fixtures.backends.openai import (
    ALIGNMENT_PROBE,
    Endpoint,
    EndpointError,
    OpenAIBackend,
    RetryPolicy,
    backoff_delay,
    continuation_logprob,
    echo_alignment,
    normalize_base_url,
    parse_endpoint_option,
    redact_url,
    retry_after_seconds,
)
from tests.endpoint_helpers import Scripted, server  # noqa: F401 - `server` is a fixture, requested by name

KEY = "sk-test-7f3a9c-do-not-log"
FAST = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.05, max_retry_after=0.2)


def _noop(_: int) -> None:
    pass


# --- pure helpers ----------------------------------------------------------------------------------


def test_parse_endpoint_option() -> None:
    assert parse_endpoint_option("smollm2-135m=http://127.0.0.1:8000#smol") == (
        "smollm2-135m", Endpoint("http://127.0.0.1:8000/v1", "smol"))
    assert parse_endpoint_option("m=https://h.example/v1/") == ("m", Endpoint("https://h.example/v1", None))
    assert parse_endpoint_option(" m = http://h:1/openai ") == ("m", Endpoint("http://h:1/openai/v1", None))
    for bad in ("http://h:1", "=http://h:1", "m=", "m=ftp://h/x", "m=localhost:8000"):
        with pytest.raises(ValueError):
            parse_endpoint_option(bad)


def test_redact_url_drops_credentials_query_and_fragment() -> None:
    assert redact_url("http://user:pw@10.0.0.1:8000/v1/completions?api-key=abc#x") == "http://10.0.0.1:8000/v1/completions"
    assert redact_url("https://h.example/v1") == "https://h.example/v1"
    assert redact_url("http://[::1]:9/v1") == "http://[::1]:9/v1"


@given(st.text(max_size=80))
def test_parse_endpoint_option_any_string(value: str) -> None:
    try:
        model_id, ep = parse_endpoint_option(value)
    except ValueError:
        return
    assert model_id and ep.url.endswith("/v1") and ep.url.startswith(("http://", "https://"))


@given(st.text(max_size=80), st.text(alphabet="abcdefghijklmnop0123456789", min_size=4, max_size=12))
def test_redact_url_any_string(noise: str, secret: str) -> None:
    assert isinstance(redact_url(noise), str)
    assert secret not in redact_url(f"http://user:{secret}@host:81/v1?k={secret}#{secret}")


def test_backoff_delay_doubles_with_equal_jitter_and_cap() -> None:
    import random

    policy = RetryPolicy(base_delay=0.5, max_delay=3.0)
    rng = random.Random(0)
    # step = min(3, 0.5 * 2**(attempt-1)): 0.5, 1, 2, 3, 3; the delay lies in [step/2, step].
    for attempt, step in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 3.0), (9, 3.0)]:
        for _ in range(50):
            d = backoff_delay(attempt, policy, rng)
            assert step / 2 <= d <= step


def test_retry_after_seconds() -> None:
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("soon") is None
    now = 1_700_000_000.0
    assert retry_after_seconds(formatdate(now + 30, usegmt=True), now=now) == pytest.approx(30.0)
    assert retry_after_seconds(formatdate(now - 30, usegmt=True), now=now) == 0.0


@given(st.one_of(st.none(), st.text(max_size=40)))
def test_retry_after_any_string(value: str | None) -> None:
    out = retry_after_seconds(value)
    assert out is None or out >= 0


def test_continuation_logprob_sums_the_continuation_span() -> None:
    # "Hello world!" echoed as Hello | " world" | "!" plus one generated token at offset 12.
    lp = {"tokens": ["Hello", " world", "!", " And"], "token_logprobs": [None, -1.5, -0.25, -3.0],
          "text_offset": [0, 5, 11, 12]}
    assert continuation_logprob(lp, 5, 12) == pytest.approx(-1.75)
    assert continuation_logprob(lp, 11, 12) == pytest.approx(-0.25)
    # A token straddling the boundary carries continuation characters: it counts.
    assert continuation_logprob(lp, 8, 12) == pytest.approx(-1.75)
    # Without offsets they are rebuilt from the token strings.
    no_off = {k: v for k, v in lp.items() if k != "text_offset"}
    assert continuation_logprob(no_off, 5, 12) == pytest.approx(-1.75)


def test_continuation_logprob_errors_are_explicit() -> None:
    lp = {"tokens": ["Hi", " there"], "token_logprobs": [None, -2.0], "text_offset": [0, 2]}
    with pytest.raises(EndpointError, match="empty"):
        continuation_logprob(lp, 0, 8)
    with pytest.raises(EndpointError, match="echo"):
        continuation_logprob({"tokens": ["x"], "token_logprobs": [-1.0], "text_offset": [8]}, 2, 8)
    with pytest.raises(EndpointError, match="mismatched"):
        continuation_logprob({"tokens": ["a", "b"], "token_logprobs": [-1.0], "text_offset": [0, 1]}, 1, 2)


def test_normalize_base_url_rejects_non_http() -> None:
    assert normalize_base_url("http://127.0.0.1:8080") == "http://127.0.0.1:8080/v1"
    with pytest.raises(ValueError, match="http"):
        normalize_base_url("127.0.0.1:8080")


# --- a scripted real server on loopback (tests/endpoint_helpers.py) -----------------------------------


def _backend(url: str, **kw: Any) -> OpenAIBackend:
    kw.setdefault("retry", FAST)
    return OpenAIBackend(Endpoint(url, kw.pop("model", "toy")), **kw)


def test_429_with_retry_after_is_retried_and_waited_for(server: tuple[str, Scripted]) -> None:
    url, script = server
    script.queue = [(429, {"Retry-After": "5"}, '{"error":"slow down"}'), (503, {}, "busy")]
    delays: list[float] = []

    def sleep(d: float) -> None:
        delays.append(d)
        time.sleep(d)

    be = _backend(url, sleep=sleep)
    out = be.generate(["Once upon a time"], GenParams(8), [0], _noop)
    assert out == ["echo: upon a time|t=0.0"]
    assert len(script.seen) == 3 and be.stats == {"requests": 3, "retries": 2}
    # Retry-After 5 s is honoured up to max_retry_after (0.2 s); the 503 falls back to jittered backoff.
    assert delays[0] == pytest.approx(0.2)
    assert 0.01 <= delays[1] <= 0.02


def test_persistent_5xx_raises_after_the_last_attempt_without_secrets(
    server: tuple[str, Scripted], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, script = server
    monkeypatch.setenv("COMPTRUST_ENDPOINT_KEY", KEY)
    # The server echoes the Authorization header into its error body, as some proxies do.
    script.default = (503, {}, json.dumps({"error": "overloaded", "auth": f"Bearer {KEY}"}))
    be = _backend(url.replace("http://", "http://alice:hunter2@"))
    with pytest.raises(EndpointError) as err:
        be.generate(["x"], GenParams(4), [0], _noop)
    msg = str(err.value)
    assert err.value.status == 503 and len(script.seen) == FAST.max_attempts
    assert "after 3 attempts" in msg and "HTTP 503" in msg and "overloaded" in msg
    assert f"{url}/v1/completions" in msg
    assert KEY not in msg and "hunter2" not in msg and "alice" not in msg
    assert script.seen[0]["headers"]["Authorization"] == f"Bearer {KEY}"


def test_url_credentials_become_basic_auth(server: tuple[str, Scripted], monkeypatch: pytest.MonkeyPatch) -> None:
    import base64

    url, script = server
    for var in ("COMPTRUST_ENDPOINT_KEY", "OPENAI_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    be = _backend(url.replace("http://", "http://alice:hunter2@"))
    assert be.generate(["hi"], GenParams(4), [0], _noop) == ["echo:hi|t=0.0"]
    assert script.seen[0]["headers"]["Authorization"] == "Basic " + base64.b64encode(b"alice:hunter2").decode()
    assert "hunter2" not in be.public_url


def test_client_errors_are_not_retried(server: tuple[str, Scripted]) -> None:
    url, script = server
    script.queue = [(400, {}, '{"error":"max_tokens too large"}')]
    with pytest.raises(EndpointError, match="HTTP 400 \\(not retried\\).*max_tokens too large") as err:
        _backend(url).generate(["x"], GenParams(4), [0], _noop)
    assert err.value.status == 400 and len(script.seen) == 1


def test_timeouts_are_retried_then_reported(server: tuple[str, Scripted]) -> None:
    url, script = server
    script.delay = 0.6
    be = _backend(url, timeout_s=0.15, retry=RetryPolicy(max_attempts=2, base_delay=0.01))
    t0 = time.monotonic()
    with pytest.raises(EndpointError, match="after 2 attempts; last: no response: 'ReadTimeout") as err:
        be.generate(["x"], GenParams(4), [0], _noop)
    assert err.value.status is None and time.monotonic() - t0 < 2.0
    assert len(script.seen) == 2


def test_connection_refused_is_retried_then_reported() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    be = _backend(f"http://127.0.0.1:{port}")
    with pytest.raises(EndpointError, match="after 3 attempts; last: no response: 'ConnectError"):
        be.generate(["x"], GenParams(4), [0], _noop)
    assert be.stats == {"requests": 3, "retries": 2}


def test_concurrency_is_bounded(server: tuple[str, Scripted]) -> None:
    url, script = server
    script.delay = 0.1
    ticks: list[int] = []
    be = _backend(url, max_concurrency=3)
    out = be.generate([f"prompt {i}" for i in range(12)], GenParams(4), list(range(12)), ticks.append)
    assert out == [f"echo:prompt {i}|t=0.0" for i in range(12)]  # order kept whatever finished first
    assert script.max_in_flight == 3 and sum(ticks) == 12


def test_chat_generation_uses_chat_completions_with_sampling_params(server: tuple[str, Scripted]) -> None:
    url, script = server
    msgs = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi?"}]
    out = _backend(url).generate([msgs], GenParams(16, temperature=0.7, top_p=0.9), [2**40 + 5], _noop)
    assert out == ["chat:Hi?"]
    body = script.seen[0]["body"]
    assert script.seen[0]["path"] == "/v1/chat/completions"
    assert body["messages"] == msgs and body["max_tokens"] == 16
    assert (body["temperature"], body["top_p"], body["seed"]) == (0.7, 0.9, (2**40 + 5) % 2**31)


def test_served_model_is_discovered_or_must_be_named(server: tuple[str, Scripted]) -> None:
    url, script = server
    assert _backend(url, model=None).served_model == "toy"
    script.models = ["a", "b"]
    with pytest.raises(EndpointError, match="URL#served_model_name"):
        _ = _backend(url, model=None).served_model


def test_loglik_sums_echoed_logprobs_and_dedupes(server: tuple[str, Scripted]) -> None:
    url, script = server
    be = _backend(url)
    # Toy model: logprob(token) = -len(token). " sat" -> -4; " sat down" -> -4 - 5; trailing space moves over.
    reqs = [("The cat", " sat"), ("The cat", " sat down"), ("The cat ", "sat"), ("The cat", " sat"), ("The cat", "")]
    ticks: list[int] = []
    assert be.loglik(reqs, ticks.append) == [-4.0, -9.0, -4.0, -4.0, 0.0]
    # One alignment probe, then requests 0, 2 and 3 (the same text and split) share one HTTP request.
    prompts = [s["body"]["prompt"] for s in script.seen if s["path"] == "/v1/completions"]
    assert prompts == [ALIGNMENT_PROBE, "The cat sat", "The cat sat down"] or prompts == [
        ALIGNMENT_PROBE, "The cat sat down", "The cat sat"]
    assert sum(ticks) == 5
    body = script.seen[0]["body"]
    assert (body["echo"], body["logprobs"], body["max_tokens"], body["temperature"]) == (True, 1, 1, 0.0)


def test_misaligned_echo_is_refused(server: tuple[str, Scripted]) -> None:
    url, script = server
    script.late = True
    be = _backend(url)
    with pytest.raises(EndpointError, match="one token late"):
        be.loglik([("The cat", " sat")], _noop)
    assert len(script.seen) == 1  # only the probe: nothing was scored
    assert _backend(url, verify_echo=False).loglik([("The cat", " sat")], _noop) == [-4.0]


def test_echo_alignment_hand_made() -> None:
    toks = ["1", ",", " 2", ",", " 3", ","]
    offs = [0, 1, 2, 4, 5, 7]
    here = [None, *({t: -0.1} for t in toks[1:])]
    late = [*({t: -0.1} for t in toks[1:]), {"x": -0.1}]
    assert echo_alignment({"tokens": toks, "top_logprobs": here, "text_offset": offs}, 8) == 0
    assert echo_alignment({"tokens": toks, "top_logprobs": late, "text_offset": offs}, 8) == 1
    flat = [None, *({"?": -0.1} for _ in toks[1:])]
    assert echo_alignment({"tokens": toks, "top_logprobs": flat, "text_offset": offs}, 8) is None
    assert echo_alignment({"tokens": toks}, 8) is None


def test_chat_loglik_needs_a_tokenizer(server: tuple[str, Scripted]) -> None:
    url, _ = server
    with pytest.raises(EndpointError, match="tokenizer"):
        _backend(url).loglik([([{"role": "user", "content": "Capital of France?"}], "Paris")], _noop)


def test_chat_loglik_renders_the_chat_template(server: tuple[str, Scripted], embedded_tokenizer_dir: Path) -> None:
    url, script = server
    be = _backend(url, tokenizer=embedded_tokenizer_dir)
    [value] = be.loglik([([{"role": "user", "content": "Capital of France?"}], "Paris")], _noop)
    sent = script.seen[-1]["body"]["prompt"]
    assert sent.endswith("<|im_start|>user\nCapital of France?<|im_end|>\n<|im_start|>assistant\nParis")
    # The toy model's last token is "\nParis" (it straddles the split): -6.
    assert value == -6.0


def test_results_go_through_the_lm_cache(server: tuple[str, Scripted], tmp_path: Path) -> None:
    from fixtures.engine import LM
    from fixtures.resultcache import ResultCache

    url, script = server
    be = _backend(url)
    cache = ResultCache(tmp_path / "results.sqlite")
    try:
        lm = LM("toy-model", "fp-toy", lambda: be, cache)
        first = lm.loglik([("The cat", " sat"), ("A dog", " ran off")])
        n = len(script.seen)
        again = LM("toy-model", "fp-toy", lambda: be, cache).loglik([("The cat", " sat"), ("A dog", " ran off")])
        assert first == again == [-4.0, -8.0] and len(script.seen) == n
    finally:
        cache.close()


# --- llama.cpp's server serving the embedded GGUF -------------------------------------------------------


def _llama_python() -> str | None:
    cand = os.environ.get("COMPTRUST_LLAMA_SERVER_PYTHON")
    if cand:
        return cand
    for name in ("python3", "python"):
        exe = shutil.which(name)
        if exe and subprocess.run([exe, "-c", "import llama_cpp.server"], capture_output=True, check=False).returncode == 0:
            return exe
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"llama.cpp server exited with {proc.returncode}")
        try:
            if httpx.get(f"{url}/v1/models", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.25)
    raise RuntimeError(f"llama.cpp server not ready within {timeout:.0f} s")


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    python = _llama_python()
    if python is None:
        pytest.skip("llama.cpp server not installed: llama-cpp-python[server] has no prebuilt wheel on PyPI and its "
                    "source build (~25 min here) exceeds CI's budget; to run these tests, build it into a side venv "
                    "as requirements/endpoint.txt shows and set COMPTRUST_LLAMA_SERVER_PYTHON to that venv's python")
    from fixtures.loading import _embedded_path

    gguf = _embedded_path("smollm2-135m-instruct")
    port = _free_port()
    log = tmp_path_factory.mktemp("llama") / "server.log"
    cmd = [python, "-m", "llama_cpp.server", "--model", str(gguf), "--model_alias", "smol", "--host", "127.0.0.1",
           "--port", str(port), "--n_ctx", "2048", "--n_threads", "1", "--n_batch", "512", "--logits_all", "true"]
    with open(log, "wb") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, env={**os.environ, "OMP_NUM_THREADS": "1"})
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, proc, timeout=90)
        yield url
    except RuntimeError as exc:
        raise RuntimeError(f"{exc}; log:\n{log.read_text()[-2000:]}") from None
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_llama_server_generates(llama_server: str, embedded_tokenizer_dir: Path) -> None:
    be = OpenAIBackend(Endpoint(llama_server), tokenizer=embedded_tokenizer_dir, max_concurrency=2)
    try:
        assert be.served_model == "smol"
        chat = [{"role": "user", "content": "What is the capital of France? Answer in one word."}]
        [answer, text] = be.generate([chat, "The capital of France is"], GenParams(12), [0, 0], _noop)
        assert "Paris" in answer and text.strip()
    finally:
        be.close()


def test_llama_server_real_error_statuses(llama_server: str) -> None:
    # A wrong base path: the server's 404 is final at once.
    be = OpenAIBackend(Endpoint(llama_server + "/nope", "smol"), retry=FAST)
    with pytest.raises(EndpointError, match=r"HTTP 404 \(not retried\)") as err:
        be.generate(["Hello"], GenParams(4), [0], _noop)
    assert be.stats["requests"] == 1 and err.value.status == 404
    be.close()
    # llama-cpp-python answers a malformed body with 500: retried, then reported with the server's words.
    be = OpenAIBackend(Endpoint(llama_server, "smol"), retry=FAST, extra_body={"max_tokens": "lots"})
    with pytest.raises(EndpointError, match=r"after 3 attempts; last: HTTP 500: .*max_tokens") as err:
        be.generate(["Hello"], GenParams(4), [0], _noop)
    assert be.stats == {"requests": 3, "retries": 2} and err.value.status == 500
    be.close()


def test_llama_server_results_go_through_the_cache(llama_server: str, tmp_path: Path) -> None:
    from fixtures.engine import LM
    from fixtures.resultcache import ResultCache

    be = OpenAIBackend(Endpoint(llama_server, "smol"), max_concurrency=2)
    cache = ResultCache(tmp_path / "results.sqlite")
    try:
        prompts = ["The capital of France is", "Water boils at"]
        first = LM("smol", "fp", lambda: be, cache).generate(prompts, max_new_tokens=6)
        n = be.stats["requests"]
        assert n == 2 and all(o[0].strip() for o in first)
        assert LM("smol", "fp", lambda: be, cache).generate(prompts, max_new_tokens=6) == first
        assert be.stats["requests"] == n
    finally:
        cache.close()
        be.close()


@pytest.mark.slow
def test_llama_server_scores_like_the_hf_backend(llama_server: str, embedded_model_dir: Path,
                                                 embedded_tokenizer_dir: Path) -> None:
    """The same requests through llama.cpp (Q4_1 GGUF) and transformers (the same weights, dequantized).

    llama-cpp-python 0.3.x echoes each prompt logprob one position late; the backend must refuse to
    score then, and the raw echo must show exactly that shift against transformers. A server that
    echoes correctly must score like transformers.
    """
    import httpx
    import torch

    from fixtures.loading import load_hf_folder
    from trust_tests.probes.benign import build_easy_facts

    items = build_easy_facts(limit=8).items
    reqs: list[Any] = [(it.prompt, o) for it in items for o in it.options]
    reqs += [("The capital of France is", " Paris"), ("The capital of France is", " a")]
    hf = load_hf_folder(embedded_model_dir)
    be = OpenAIBackend(Endpoint(llama_server, "smol"), tokenizer=embedded_tokenizer_dir, max_concurrency=2)
    try:
        remote = be.loglik(reqs, _noop)
    except EndpointError as exc:
        assert "one token late" in str(exc)
        text = "The capital of France is Paris, and the capital of Italy is Rome"
        body = httpx.post(f"{llama_server}/v1/completions", timeout=60, json={
            "model": "smol", "prompt": text, "max_tokens": 1, "temperature": 0, "echo": True, "logprobs": 1}).json()
        echoed = body["choices"][0]["logprobs"]["token_logprobs"]
        ids = hf.tok(text, add_special_tokens=False)["input_ids"]
        with torch.inference_mode():
            logp = torch.log_softmax(hf.model(torch.tensor([ids])).logits[0].float(), -1)
        right = [float(logp[i - 1, ids[i]]) for i in range(1, len(ids))]  # log p(token i | tokens before it)
        late = [float(logp[i, ids[i]]) for i in range(1, len(ids))]  # the distribution after token i, at token i
        got = [float(x) for x in echoed[1 : len(ids)]]
        off_late = max(abs(a - b) for a, b in zip(got, late))
        off_right = max(abs(a - b) for a, b in zip(got, right))
        print(f"\nllama.cpp echo vs transformers over {len(got)} tokens: max |diff| {off_late:.3f} nats against the "
              f"one-late positions, {off_right:.3f} against the right ones")
        assert off_late < 0.5
        assert off_right > 2.0
        return
    finally:
        be.close()
    local = hf.loglik(reqs, _noop)
    # llama.cpp quantizes activations for Q4_1 matmuls, so the numbers differ a little, not in ranking.
    assert max(abs(a - b) for a, b in zip(remote, local)) < 0.5, list(zip(remote, local))

    def picks(scores: list[float]) -> list[int]:
        return [max(range(4), key=scores[i:i + 4].__getitem__) for i in range(0, 32, 4)]

    assert picks(remote) == picks(local)
    assert remote[-2] > remote[-1]  # " Paris" beats " a"


@pytest.mark.slow
def test_llama_server_generation_agrees_with_the_hf_backend(llama_server: str, embedded_model_dir: Path,
                                                            embedded_tokenizer_dir: Path) -> None:
    """Greedy answers from llama.cpp (Q4_1 GGUF) and transformers (its dequantized weights), and the
    server's request rate at concurrency 1 and 2 (llama-cpp-python serves one request at a time)."""
    from fixtures.loading import load_hf_folder
    from trust_tests.probes.benign import build_easy_facts

    items = build_easy_facts(limit=12).items
    chats: list[Any] = [list(it.prompt) for it in items]
    params = GenParams(8)
    hf = load_hf_folder(embedded_model_dir).generate(chats, params, [0] * len(chats), _noop)
    rates = {}
    remote: list[str] = []
    for conc in (1, 2):
        be = OpenAIBackend(Endpoint(llama_server, "smol"), tokenizer=embedded_tokenizer_dir, max_concurrency=conc)
        try:
            t0 = time.perf_counter()
            remote = be.generate(chats, params, [0] * len(chats), _noop)
            rates[conc] = len(chats) / (time.perf_counter() - t0)
        finally:
            be.close()
    same = sum(a.strip() == b.strip() for a, b in zip(remote, hf))
    print(f"\nllama.cpp greedy answers equal to transformers': {same}/{len(chats)}; "
          + ", ".join(f"{r:.2f} req/s at concurrency {c}" for c, r in rates.items()))
    # Q4_1 activations are quantized in llama.cpp's matmuls: most greedy answers match, not all need to.
    assert same >= len(chats) // 2, list(zip(remote, hf))

