"""Endpoint keys reach only the endpoint they are meant for, and hostile servers cannot feed the gate garbage.

Against a real scripted HTTP server on 127.0.0.1 (tests/endpoint_helpers.py).
"""
from __future__ import annotations

import json
from typing import Any

import pytest

from fixtures.backends.base import GenParams
from fixtures.backends.openai import Endpoint, EndpointError, OpenAIBackend, RetryPolicy, key_env_name
from fixtures.endpoints import parse_endpoints
from tests.endpoint_helpers import Scripted, server  # noqa: F401 - `server` is a fixture, requested by name

FAST = RetryPolicy(max_attempts=2, base_delay=0.0, max_delay=0.0)
KEY_VARS = ("COMPTRUST_ENDPOINT_KEY", "OPENAI_API_KEY", "COMPTRUST_ENDPOINT_ALLOW_HTTP_KEY",
            key_env_name("cand"), key_env_name("other"))


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in KEY_VARS:
        monkeypatch.delenv(var, raising=False)


def _noop(n: int) -> None:
    pass


def _backend(url: str, **kw: Any) -> OpenAIBackend:
    kw.setdefault("retry", FAST)
    return OpenAIBackend(Endpoint(url, kw.pop("model", "toy")), **kw)


# --- keys ------------------------------------------------------------------------------------------


def test_the_openai_key_is_never_sent_by_default(server: tuple[str, Scripted], monkeypatch: pytest.MonkeyPatch) -> None:
    url, script = server
    monkeypatch.setenv("OPENAI_API_KEY", "sk-real-openai-key-1234")
    _backend(url, model_id="cand").generate(["hi"], GenParams(4), [0], _noop)
    assert "Authorization" not in script.seen[0]["headers"]


def test_a_per_endpoint_key_goes_to_its_endpoint_only(server: tuple[str, Scripted], monkeypatch: pytest.MonkeyPatch) -> None:
    url, script = server
    assert key_env_name("tiny-cand+gptq(bits=4)") == "COMPTRUST_ENDPOINT_KEY_TINY_CAND_GPTQ_BITS_4_"
    monkeypatch.setenv(key_env_name("cand"), "key-for-cand-only")
    _backend(url, model_id="cand").generate(["hi"], GenParams(4), [0], _noop)
    _backend(url, model_id="other").generate(["hi"], GenParams(4), [0], _noop)
    assert script.seen[0]["headers"].get("Authorization") == "Bearer key-for-cand-only"
    assert "Authorization" not in script.seen[1]["headers"]
    monkeypatch.setenv("COMPTRUST_ENDPOINT_KEY", "shared-key")  # the general variable serves the rest
    _backend(url, model_id="other").generate(["hi"], GenParams(4), [0], _noop)
    assert script.seen[2]["headers"].get("Authorization") == "Bearer shared-key"


def test_no_key_over_plain_http_to_a_remote_host_unless_opted_in(monkeypatch: pytest.MonkeyPatch) -> None:
    remote = "http://203.0.113.7:8000/v1"  # TEST-NET-3: nothing is contacted, the refusal comes first
    with pytest.raises(EndpointError, match="refusing to send the API key over plain http.*COMPTRUST_ENDPOINT_ALLOW_HTTP_KEY"):
        OpenAIBackend(Endpoint(remote, "toy"), api_key="sk-secret-1234")
    OpenAIBackend(Endpoint(remote, "toy"))  # no key: nothing to protect
    OpenAIBackend(Endpoint("https://203.0.113.7/v1", "toy"), api_key="sk-secret-1234")  # https is fine
    OpenAIBackend(Endpoint("http://localhost:8000/v1", "toy"), api_key="sk-secret-1234")  # loopback is fine
    monkeypatch.setenv("COMPTRUST_ENDPOINT_ALLOW_HTTP_KEY", "1")
    OpenAIBackend(Endpoint(remote, "toy"), api_key="sk-secret-1234")


def test_configure_time_refuses_a_key_for_a_plain_http_remote_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMPTRUST_ENDPOINT_KEY", "sk-secret-1234")
    with pytest.raises(ValueError, match="cand.*COMPTRUST_ENDPOINT_KEY is set, but refusing") as err:
        parse_endpoints(["cand=http://203.0.113.7:8000"], lambda m: m)
    assert "sk-secret" not in str(err.value)
    assert parse_endpoints(["cand=http://127.0.0.1:8000"], lambda m: m)


# --- hostile servers -------------------------------------------------------------------------------


def test_an_oversized_response_is_refused(server: tuple[str, Scripted]) -> None:
    url, script = server
    script.default = (200, {}, json.dumps({"choices": [{"text": "x" * 5000}]}))
    with pytest.raises(EndpointError, match=r"127\.0\.0\.1.*over the 1024-byte limit") as err:
        _backend(url, max_response_bytes=1024).generate(["hi"], GenParams(4), [0], _noop)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("body", ["[1, 2]", '"text"', "3", "null"])
def test_a_json_body_that_is_not_an_object_is_a_one_line_error(server: tuple[str, Scripted], body: str) -> None:
    url, script = server
    script.default = (200, {}, body)
    with pytest.raises(EndpointError, match=r"127\.0\.0\.1.*JSON that is not an object") as err:
        _backend(url).generate(["hi"], GenParams(4), [0], _noop)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("bad", ["NaN", "Infinity", "3.5", '"-1"'])
def test_echoed_logprobs_must_be_finite_and_not_positive(server: tuple[str, Scripted], bad: str) -> None:
    url, script = server
    lp = '{"tokens": ["Hello", " world"], "token_logprobs": [null, %s], "text_offset": [0, 5]}' % bad
    script.default = (200, {}, '{"choices": [{"text": "Hello world", "logprobs": %s}]}' % lp)
    with pytest.raises(EndpointError, match=r"127\.0\.0\.1.*/completions.*logprob") as err:
        _backend(url, verify_echo=False).loglik([("Hello", " world")], _noop)
    assert "\n" not in str(err.value)


def test_generated_text_must_be_a_string(server: tuple[str, Scripted]) -> None:
    url, script = server
    script.default = (200, {}, json.dumps({"choices": [{"text": {"evil": 1}}]}))
    with pytest.raises(EndpointError, match="127.0.0.1.*text of type dict"):
        _backend(url).generate(["hi"], GenParams(4), [0], _noop)
