"""Fidelity diagnostics: the KL / top-1 / margin arithmetic on hand-computed values, the HF backend's full
distributions on the tiny model, and "unavailable" where a backend cannot give them."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from trust_tests.probes.fidelity import (
    HELD_OUT,
    build_held_out,
    geometric_mean,
    kl_and_top1,
    kl_value,
    margin_value,
    margins,
    median_statistic,
)


def test_kl_and_top1_by_hand() -> None:
    p = np.log(np.array([[0.5, 0.25, 0.25], [0.1, 0.8, 0.1]]))
    q = np.log(np.array([[0.25, 0.5, 0.25], [0.1, 0.8, 0.1]]))
    kl, top1 = kl_and_top1(p, q)
    # position 0: 0.5 ln 2 + 0.25 ln 0.5 = 0.25 ln 2; position 1: 0. Argmax: 0 vs 1, then 1 vs 1.
    assert kl == pytest.approx(0.125 * math.log(2))
    assert top1 == 0.5
    assert kl_and_top1(p, p) == (0.0, 1.0)
    with pytest.raises(ValueError, match="differ"):
        kl_and_top1(p, q[:1])


def test_statistics_invert_to_the_documented_quantities() -> None:
    kls = np.array([0.1, 0.3])
    values = np.array([kl_value(k) for k in kls])
    assert -math.log(geometric_mean(values, np.arange(2))) == pytest.approx(0.2)  # the mean KL
    assert kl_value(1e6) == 1e-12
    m = margins([[-0.1, -2.0, -3.0], [-1.0, -1.5], [-0.5]])
    assert m == pytest.approx([1.9, 0.5, 0.0])
    vals = np.array([margin_value(x) for x in m])
    assert -math.log(1 - median_statistic(vals, np.arange(3))) == pytest.approx(0.5)  # the median margin


def test_held_out_text_is_stable() -> None:
    probes = build_held_out()
    assert len(probes) == len(HELD_OUT) == 12 and len(build_held_out(limit=3)) == 3
    assert all(isinstance(it.prompt, str) and len(it.prompt) > 150 for it in probes.items)


def test_hf_backend_gives_normalised_full_distributions(tiny_model_dir: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from fixtures.engine import load_lm

    text = HELD_OUT[0]
    (lp,) = load_lm(tiny_model_dir, "tiny").token_logprobs([text])
    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    ids = tok(text)["input_ids"]
    assert lp.shape == (len(ids) - 1, len(tok))
    assert np.allclose(np.exp(lp).sum(axis=1), 1.0, atol=1e-4)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype="float32")
    with torch.no_grad():
        direct = torch.log_softmax(model(torch.tensor([ids])).logits[0, :-1], -1).numpy()
    assert np.allclose(lp, direct, atol=1e-4)
    kl, top1 = kl_and_top1(lp, lp)
    assert (kl, top1) == (0.0, 1.0)


def test_an_endpoint_says_unavailable() -> None:
    from fixtures.backends.openai import Endpoint, OpenAIBackend
    from fixtures.engine import LM, DistributionsUnavailable

    backend = OpenAIBackend(Endpoint("http://127.0.0.1:9", "toy"))  # never contacted: the check is local
    lm = LM("served", "fp", lambda: backend, None)
    with pytest.raises(DistributionsUnavailable, match="returns no full next-token distributions"):
        lm.token_logprobs(["text"])


def test_a_paired_measure_is_result_cached_so_a_warm_run_loads_no_model(tiny_model_dir: Path, tmp_path: Path) -> None:
    from fixtures.engine import LM, load_lm
    from fixtures.resultcache import ResultCache

    cache = ResultCache(tmp_path / "results.sqlite", report=lambda m: None)
    ref, cand = load_lm(tiny_model_dir, "ref", cache), load_lm(tiny_model_dir, "cand", cache)
    cold = cand.paired_measure(ref, HELD_OUT[:2], lambda r, c: kl_and_top1(r, c), "kl_top1/test")
    assert [v[1] for v in cold] == [1.0, 1.0]

    def no_model() -> object:
        raise AssertionError("a cached measure loaded a model")

    warm_ref = LM("ref", ref.fingerprint, no_model, cache)  # type: ignore[arg-type]
    warm = LM("cand", cand.fingerprint, no_model, cache)  # type: ignore[arg-type]
    assert warm.paired_measure(warm_ref, HELD_OUT[:2], lambda r, c: kl_and_top1(r, c), "kl_top1/test") == cold
