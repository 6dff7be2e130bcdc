"""The model seam: the session asks a model's binding (fixtures/backends/binding.py), and the backend registry
decides which binding a model gets, so a model served by --endpoint is a backend like the others.

No server is reached: the served names are given (URL#name), so nothing here needs a request.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from fixtures.backends.binding import WeightsBinding
from fixtures.backends.hf import HFBackend
from fixtures.backends.openai import Endpoint, EndpointBinding, OpenAIBackend
from fixtures.endpoints import EndpointSettings
from fixtures.loading import LoadOptions
from fixtures.registry import Registry
from fixtures.session import ComptrustSession


@pytest.fixture
def session(tmp_path: Path) -> ComptrustSession:
    dense = tmp_path / "dense"
    dense.mkdir()
    (dense / "config.json").write_text('{"model_type": "llama"}')
    (dense / "model.safetensors").write_bytes(b"w")
    (tmp_path / "models.toml").write_text(
        f"[models.loc]\nbase = 'local:{dense}'\n\n"
        "[models.loc-rtn]\nbase = 'loc'\nmethod = 'rtn(bits=8,group_size=64)'\n\n"
        "[models.gone]\ncheckpoint = 'gguf:/nonexistent/m.gguf'\nprompt_format = 'vicuna_v1.1'\n")
    reg = Registry.load(tmp_path / "models.toml")
    served = {"loc-rtn": Endpoint("http://127.0.0.1:9/v1", "cand"), "gone": Endpoint("https://example.org/v1", "g")}
    return ComptrustSession(
        registry=reg, candidates=[reg.get("loc-rtn")], baseline_override=None, thresholds=None,  # type: ignore[arg-type]
        tier="smoke", seed=0, limit=None, load_options=LoadOptions(device="cpu"), baselines=None,
        update_baselines=False, progress=SimpleNamespace(message=lambda m: None), home=tmp_path / "home",  # type: ignore[arg-type]
        probe_options={}, threads=1, result_cache_path=None, endpoints=EndpointSettings(served, concurrency=3))


def _by_hand(claimed: str, url: str, served: str) -> str:
    parts = {"model": claimed, "url": url, "served": served}
    return "endpoint:" + hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:24]


def test_the_backend_registry_binds_served_models_to_the_endpoint_backend(session: ComptrustSession) -> None:
    served, local = session.binding("loc-rtn"), session.binding("loc")
    assert isinstance(served, EndpointBinding) and not served.pooled
    assert isinstance(local, WeightsBinding) and local.pooled and local.backend is HFBackend
    assert session.binding("loc-rtn") is served  # one binding (and one client) per model and run


def test_a_served_model_keys_results_by_what_it_claims_where_and_under_which_name(
    session: ComptrustSession, tmp_path: Path
) -> None:
    # The cache key of served models must not move: results cached by earlier runs stay valid.
    local_fp = session.binding("loc").fingerprint().split("|run:")[0]
    assert session.fingerprint("loc-rtn") == _by_hand(f"{local_fp}|rtn(bits=8,group_size=64)|False",
                                                      "http://127.0.0.1:9/v1", "cand")
    # Source bytes not on this machine: the spec as written; a study template is part of the model.
    assert session.fingerprint("gone") == _by_hand("gguf:/nonexistent/m.gguf||True",
                                                   "https://example.org/v1", "g") + "|prompt:vicuna_v1.1"


def test_a_served_model_needs_nothing_here_and_says_where_it_ran(session: ComptrustSession) -> None:
    session.check_available("gone")  # its weights are nowhere here: no skip, no error
    session.verify_pins()
    prov = session.model_provenance("loc-rtn")
    assert {k: prov[k] for k in ("backend", "endpoint", "device", "dtype", "weights_sha256", "tokenizer_sha256",
                                 "weights_path", "resolved_commit")} == {
        "backend": "endpoint", "endpoint": "http://127.0.0.1:9/v1", "device": None, "dtype": None,
        "weights_sha256": None, "tokenizer_sha256": None, "weights_path": None, "resolved_commit": None}
    assert session.model_provenance("loc")["backend"] == "hf"


def test_the_served_backend_is_opened_once_outside_the_pool_and_closed_with_the_session(
    session: ComptrustSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed: list[str] = []
    monkeypatch.setattr(OpenAIBackend, "close", lambda self: closed.append(self.public_url))
    backend = session.binding("loc-rtn").open()
    assert isinstance(backend, OpenAIBackend) and backend is session.binding("loc-rtn").open()
    assert backend.max_concurrency == 3 and backend.served_model == "cand"
    session.lm("loc-rtn")
    assert session._pool is None  # no model pool (and no torch) for a served model
    session.close()
    assert closed == ["http://127.0.0.1:9/v1"]
