"""Parameter parsing, calibration draws and the hub path: fast, no model needed."""
from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compressors import ArchInfo, ConfigError, SourceUnavailable, get_compressor
from compressors.calibration import (
    calibration_hash,
    calibration_key,
    calibration_texts,
    embedded_passages,
    heldout_texts,
)
from compressors.hub import hub_available, offline_flag
from compressors.params import parse_structure, sparsity_params

SMOLLM2 = ArchInfo(hidden_size=576, intermediate_size=1536, num_layers=30)
METHODS = ("gptq", "awq", "rtn", "sparsegpt", "wanda", "magnitude", "bnb", "quanto")
KEYS = ("bits", "group_size", "sym", "act_order", "sparsity", "structure", "mode", "weights", "calib_samples",
        "calib_seq_len", "calib_source", "calib_seed", "backend")
scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True),
                    st.text(max_size=12), st.sampled_from(["2:4", "4:8", "unstructured", "int8", "nf4", "c4", "64"]))


# --- properties: any input in, a normalized config or a ConfigError out -----------------------------------


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=20))
def test_structure_parser_gives_a_valid_pattern_or_a_config_error(text: str) -> None:
    try:
        nm = parse_structure("wanda", {"structure": text})
    except ConfigError as exc:
        assert "Remedy: " in str(exc)
        return
    assert nm is None or 0 < nm[0] < nm[1]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(METHODS), st.dictionaries(st.sampled_from(KEYS), scalars, max_size=4),
       st.sampled_from([None, SMOLLM2]))
def test_validate_returns_normalized_params_or_raises_config_error(method: str, params: dict[str, Any],
                                                                   arch: ArchInfo | None) -> None:
    comp = get_compressor(method)
    try:
        norm = comp.validate(params, arch)
    except ConfigError as exc:
        assert str(exc).startswith(f"{method}(") and "Remedy: " in str(exc)
        return
    assert comp.validate(norm, arch) == norm  # normalizing is idempotent
    if "sparsity" in norm:
        assert 0 < norm["sparsity"] < 1
    if "bits" in norm:
        assert norm["bits"] in (2, 3, 4, 8)
    if "group_size" in norm and arch is not None and norm["group_size"] != -1:
        assert all(w % norm["group_size"] == 0 for w in arch.linear_widths)


@pytest.mark.parametrize(("params", "expected"), [
    ({}, {"sparsity": 0.5, "structure": "unstructured"}),
    ({"sparsity": 0.7}, {"sparsity": 0.7, "structure": "unstructured"}),
    ({"structure": "2:4"}, {"sparsity": 0.5, "structure": "2:4"}),
    ({"structure": " 1 : 4 "}, {"sparsity": 0.25, "structure": "1:4"}),
    ({"structure": "4:8", "sparsity": 0.5}, {"sparsity": 0.5, "structure": "4:8"}),
])
def test_sparsity_params_by_hand(params: dict[str, Any], expected: dict[str, Any]) -> None:
    assert sparsity_params("magnitude", params, SMOLLM2) == expected


# --- calibration ----------------------------------------------------------------------------------------------


def test_embedded_corpus_has_disjoint_calibration_and_heldout_splits() -> None:
    calib, held = embedded_passages("calib"), heldout_texts()
    assert len(calib) >= 200 and len(held) >= 20
    assert not set(calib) & set(held)
    assert all(250 <= len(p) <= 500 for p in calib + held)


def test_calibration_draw_is_seeded_sized_and_never_touches_heldout() -> None:
    a = calibration_texts("embedded", 64, seed=0, min_chars=768)
    assert a == calibration_texts("embedded", 64, seed=0, min_chars=768)
    b = calibration_texts("embedded", 64, seed=1, min_chars=768)
    assert len(a) == len(b) == 64 and a != b
    assert calibration_hash(a) == calibration_hash(list(a)) != calibration_hash(b)
    assert all(len(t) >= 768 for t in a)
    held = set(heldout_texts())
    assert not any(part in held for t in a + b for part in t.split("\n\n"))


def test_large_draws_reuse_passages_in_a_new_order() -> None:
    texts = calibration_texts("embedded", 500, seed=3)
    assert len(texts) == 500 and len(set(texts)) < 500


def test_calibration_key_hashes_embedded_texts_and_names_hub_requests() -> None:
    params = {"calib_source": "embedded", "calib_samples": 4, "calib_seed": 0, "calib_seq_len": 16}
    assert calibration_key(params) == calibration_hash(calibration_texts("embedded", 4, 0, min_chars=6 * 16))
    assert calibration_key({**params, "calib_seed": 1}) != calibration_key(params)
    hub = calibration_key({**params, "calib_source": "c4"})  # no network needed to compute it
    assert hub.startswith("request:") and hub != calibration_key({**params, "calib_source": "pile-val"})


@pytest.mark.parametrize("source", ["c4", "pile-val", "alpaca"])
def test_hub_sources_skip_with_a_reason_offline(monkeypatch: pytest.MonkeyPatch, source: str) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(SourceUnavailable, match=f"calib_source='{source}'.*HF_HUB_OFFLINE is set"):
        calibration_texts(source, 4, seed=0)


# --- the hub ------------------------------------------------------------------------------------------------


def test_hub_available_says_why_not(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert hub_available() == (False, "HF_HUB_OFFLINE is set, so hub downloads are disabled "
                                      "(unset it on a machine with internet)")
    monkeypatch.delenv("HF_HUB_OFFLINE")
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # the discard port: nothing listens there
    ok, why = hub_available()
    assert not ok and "127.0.0.1:9 is unreachable" in why


@pytest.mark.parametrize("hf_hub_offline", [None, "", "1", "0", "true", "True", "TRUE", "yes", "no", "on", "off",
                                            "false", " 1", "2"])
@pytest.mark.parametrize("transformers_offline", [None, "1", "no"])
def test_offline_follows_huggingface_hubs_own_rule(
    monkeypatch: pytest.MonkeyPatch, hf_hub_offline: str | None, transformers_offline: str | None
) -> None:
    """One rule for loading, calibration and provenance: the hub client's (HF_HUB_OFFLINE=no is online)."""
    from huggingface_hub.constants import _is_true

    for var, value in (("HF_HUB_OFFLINE", hf_hub_offline), ("TRANSFORMERS_OFFLINE", transformers_offline)):
        if value is None:
            monkeypatch.delenv(var, raising=False)
        else:
            monkeypatch.setenv(var, value)
    # huggingface_hub.constants.HF_HUB_OFFLINE, evaluated now rather than at its import.
    expected = _is_true(os.environ.get("HF_HUB_OFFLINE") or os.environ.get("TRANSFORMERS_OFFLINE"))
    assert (offline_flag() is not None) == expected
    if expected:
        assert hub_available()[0] is False and f"{offline_flag()} is set" in hub_available()[1]


def test_missing_gptq_extra_names_the_install_command() -> None:
    from compressors.gptqmodel_backend import extra_missing

    if not extra_missing():
        pytest.skip("the gptq extra is installed here")
    with pytest.raises(ConfigError, match=r"optional extra 'gptq'.*pip install -c requirements/lock.txt "
                                          r"-r requirements/gptq.txt"):
        get_compressor("gptqmodel").validate({"bits": 4, "group_size": 64}, SMOLLM2, "cpu")
