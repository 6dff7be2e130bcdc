"""Self-tests of the vLLM backend. The engine tests need vllm and a CUDA GPU and skip without them;
the prompt-logprob arithmetic and the tokenization parity with the HF backend run everywhere."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from fixtures.backends.base import GenParams
from fixtures.backends.vllm import VLLMBackend, sum_prompt_logprobs, vllm_available

AVAILABLE, WHY = vllm_available()
needs_vllm = pytest.mark.skipif(not AVAILABLE, reason=f"vLLM backend: {WHY}")


@dataclass
class Logprob:  # the shape of vllm.sequence.Logprob: the value plus rank data we ignore
    logprob: float
    rank: int = 1


def _noop(_: int) -> None:
    pass


def test_sum_prompt_logprobs_hand_computed() -> None:
    ids = [7, 3, 9, 4]
    # Position 0 has no logprob; each later position holds the prompt token and maybe the top-1 token.
    plp: list[dict[int, Any] | None] = [None, {3: Logprob(-0.5), 1: Logprob(-0.1)}, {9: Logprob(-2.0)}, {4: -0.25}]
    assert sum_prompt_logprobs(plp, ids, 2) == pytest.approx(-2.25)
    assert sum_prompt_logprobs(plp, ids, 1) == pytest.approx(-2.75)
    assert sum_prompt_logprobs(plp, ids, 4) == 0.0
    with pytest.raises(ValueError, match="at least one token"):
        sum_prompt_logprobs(plp, ids, 0)
    with pytest.raises(RuntimeError, match="position 2"):
        sum_prompt_logprobs([None, {3: -1.0}, {5: -1.0}, {4: -1.0}], ids, 1)


def test_unavailable_backend_says_why() -> None:
    if AVAILABLE:
        pytest.skip("vLLM is usable here")
    with pytest.raises(RuntimeError, match="VLLMBackend unavailable: .*(vllm|CUDA|torch)"):
        VLLMBackend("/nonexistent")


def test_tokenization_matches_the_hf_backend(tiny_model_dir: Path) -> None:
    """The vLLM (and endpoint) backends split (prompt, continuation) with the HF backend's own rules."""
    from fixtures.backends.tokenization import PromptEncoder
    from fixtures.loading import load_hf_folder

    hf = load_hf_folder(tiny_model_dir)
    enc = PromptEncoder(hf.tok)
    chat: list[dict[str, str]] = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Capital of Peru?"}]
    cases: list[tuple[Any, str]] = [(chat, "Lima"), ("The sky is ", "blue"), ("2 + 2 =", " 4"), ("", "Hello")]
    for prompt, cont in cases:
        assert enc.encode_pair(prompt, cont) == hf.encode_pair(prompt, cont)
        assert enc.render(prompt) == hf.render(prompt)
    ctx, cont_ids = enc.encode_pair(chat, "Lima")
    assert hf.tok.decode(cont_ids) == "Lima" and str(hf.tok.decode(ctx)).endswith("<|im_start|>assistant\n")


@pytest.fixture(scope="module")
def vllm_backend(embedded_model_dir: Path) -> Any:
    be = VLLMBackend(embedded_model_dir, dtype="float32", gpu_memory_utilization=0.3, max_model_len=2048)
    yield be
    be.close()


@needs_vllm
def test_vllm_scores_like_the_hf_backend(vllm_backend: VLLMBackend, embedded_model_dir: Path) -> None:
    from fixtures.loading import load_hf_folder
    from trust_tests.probes.benign import build_easy_facts

    items = build_easy_facts(limit=16).items
    reqs: list[Any] = [(it.prompt, o) for it in items for o in it.options]
    ours = vllm_backend.loglik(reqs, _noop)
    ref = load_hf_folder(embedded_model_dir, device="cuda").loglik(reqs, _noop)
    assert max(abs(a - b) for a, b in zip(ours, ref)) < 0.05


@needs_vllm
def test_vllm_generates_greedy_and_seeded(vllm_backend: VLLMBackend) -> None:
    chat = [{"role": "user", "content": "What is the capital of France? Answer in one word."}]
    [greedy] = vllm_backend.generate([chat], GenParams(8), [0], _noop)
    assert "Paris" in greedy
    hot = GenParams(16, temperature=1.0, top_p=0.95)
    a = vllm_backend.generate([chat, chat], hot, [1, 2], _noop)
    b = vllm_backend.generate([chat, chat], hot, [1, 2], _noop)
    assert a == b  # a request's seed fixes its sample, whatever runs beside it
