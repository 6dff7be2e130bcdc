"""The engine on a real tiny Llama: batching, prefix sharing and caching never change a result."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from fixtures.backends.base import GenParams, Prompt
from fixtures.backends.hf import HFBackend
from fixtures.engine import LM, ModelLoadError, ModelPool
from fixtures.resultcache import ResultCache

SYSTEM = ("You are a careful assistant. Read the question, think about every option, and answer with the single "
          "option that is correct. Do not explain your answer and do not add anything else to it.")
RAW = ["Q: 2 + 2 =", "The capital of France is", "A much longer raw prompt that goes on for a while, so that the "
       "batch mixes short and long rows and padding really matters:", "x"]
CHAT: list[Prompt] = [[{"role": "system", "content": SYSTEM}, {"role": "user", "content": f"Question {i}: {q}"}]
                      for i, q in enumerate(["Is ice cold?", "Which is bigger, 3 or 30?", "Name a colour."])]
REQUESTS: list[tuple[Prompt, str]] = (
    [(p, c) for p in RAW for c in (" 4", " Paris is nice", "")]
    + [(p, c) for p in CHAT for c in ("Yes", "No, it is not", "Blue")]
)


def _noop(_: int) -> None:
    pass


@pytest.fixture(scope="module")
def tiny(tiny_model_dir: Path) -> tuple[Any, Any]:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype="float32").eval()
    return model, AutoTokenizer.from_pretrained(tiny_model_dir)


def _backend(tiny: tuple[Any, Any], **kw: int) -> HFBackend:
    return HFBackend(*tiny, **kw)


def _direct_loglik(backend: HFBackend, prompt: Prompt, cont: str) -> float:
    """One unbatched full forward per request, read off the model's own logits."""
    import torch

    ctx, cont_ids = backend.encode_pair(prompt, cont)
    if not cont_ids:
        return 0.0
    with torch.inference_mode():
        logits = backend.model(input_ids=torch.tensor([ctx + cont_ids])).logits[0].float()
    logp = torch.log_softmax(logits, dim=-1)
    return float(sum(logp[len(ctx) - 1 + j, t] for j, t in enumerate(cont_ids)))


def test_loglik_is_the_same_batched_prefix_shared_and_unbatched(tiny: tuple[Any, Any]) -> None:
    shared = _backend(tiny, min_prefix=16)  # the chat prompts share a long system prompt
    batched = _backend(tiny, min_prefix=10**9)
    one_by_one = _backend(tiny, max_batch=1, min_prefix=10**9)
    direct = [_direct_loglik(one_by_one, p, c) for p, c in REQUESTS]
    for backend in (shared, batched, one_by_one):
        assert backend.loglik(REQUESTS, _noop) == pytest.approx(direct, rel=1e-5, abs=1e-4)
    assert [d for (_, c), d in zip(REQUESTS, direct, strict=True) if c == ""] == [0.0] * len(RAW)


def _mixed_requests() -> list[tuple[Prompt, str]]:
    """Few-shot blocks of very different lengths, questions of different lengths, options of different lengths,
    plus unrelated raw prompts: every packing path at once (trees in one row, trunks, cut units, plain rows)."""
    shots = [" ".join(f"Example {j}: {w} means {w[::-1]}." for j, w in enumerate(words))
             for words in (["red", "blue"], ["stone", "river", "cloud"], ["a", "bb", "ccc", "dddd", "eeeee"] * 6)]
    questions = ["sun", "the moon at night over a very long and winding river that never seems to end", "x"]
    return [
        (f"{block}\nQuestion {q}: what does {w} mean?\nAnswer:", opt)
        for block in shots for q, w in enumerate(questions) for opt in (" nus", " noom is long", " x", " a b c d e f")
    ] + [(p, c) for p in RAW for c in (" 4", " Paris is nice")]


@pytest.mark.parametrize(("row_cap", "token_budget", "line_width"),
                         [(1024, 8192, 256), (64, 8192, 256), (24, 96, 256), (10**6, 64, 256), (64, 4096, 12)])
def test_packed_rows_and_trunks_never_change_a_score(
    tiny: tuple[Any, Any], row_cap: int, token_budget: int, line_width: int
) -> None:
    """Small caps force trunks and rows cut mid-block; a tiny budget forces one row per forward; a narrow
    line width sends plain inputs alone through the unmasked causal path."""
    from fixtures.backends import packing

    requests = _mixed_requests()
    backend = _backend(tiny, min_prefix=8, token_budget=token_budget, row_cap=row_cap, line_width=line_width)
    inputs: dict[tuple[int, ...], list[tuple[int, int, int]]] = {}
    for r, (p, c) in enumerate(requests):
        ctx, cont = backend.encode_pair(p, c)
        seq = ctx + cont
        for j, t in enumerate(cont):
            inputs.setdefault(tuple(seq[:-1]), []).append((r, len(ctx) - 1 + j, t))
    work = packing.plan(inputs, row_cap, 8)
    assert work.tokens() >= packing.trie_size(sorted(inputs))
    if row_cap == 64:
        assert work.trunks and any(r.trunk == -1 and len({p for p in r.parents if p >= 0}) > 1 for r in work.rows)
    one_by_one = _backend(tiny, max_batch=1, min_prefix=10**9)
    direct = [_direct_loglik(one_by_one, p, c) for p, c in requests]
    assert backend.loglik(requests, _noop) == pytest.approx(direct, rel=1e-5, abs=1e-4)


@pytest.mark.parametrize("query_block", [8, 16])
def test_blocked_attention_over_packed_rows_never_changes_a_score(
    tiny: tuple[Any, Any], query_block: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Packed rows attend block by block to the keys each block may see (fixtures/backends/attention.py); the
    tiny model's rows are narrow, so blocks are made small enough to cut through trees, options and padding."""
    from fixtures.backends import attention

    monkeypatch.setattr(attention, "QUERY_BLOCK", query_block)
    monkeypatch.setattr(attention, "MIN_BLOCKED_QUERIES", 2 * query_block)
    calls: list[int] = []
    blocked = attention.blocked_attention
    monkeypatch.setattr(attention, "blocked_attention", lambda *a: calls.append(1) or blocked(*a))
    requests = _mixed_requests()
    backend = _backend(tiny, min_prefix=8, row_cap=64)
    if not backend.shared_kv_attention:
        pytest.skip("the tiny model does not run SDPA attention")
    one_by_one = _backend(tiny, max_batch=1, min_prefix=10**9)
    direct = [_direct_loglik(one_by_one, p, c) for p, c in requests]
    assert backend.loglik(requests, _noop) == pytest.approx(direct, rel=1e-5, abs=1e-4)
    assert calls


def test_a_packed_plan_computes_each_shared_token_once() -> None:
    from fixtures.backends import packing

    q = tuple(range(100, 140))
    inputs = {q + (o,) * k: [(i, len(q) + k - 1, 7)] for i, (o, k) in enumerate([(1, 1), (2, 3), (3, 2)])}
    inputs[(9, 9, 9)] = [(3, 2, 7)]
    work = packing.plan(inputs, row_cap=1024, min_prefix=8)
    assert work.tokens() == packing.trie_size(sorted(inputs)) == 40 + 1 + 3 + 2 + 3
    assert not work.trunks and len(work.rows) == 2
    tight = packing.plan(inputs, row_cap=16, min_prefix=8)
    assert tight.trunks == [q] and tight.tokens() == 40 + 6 + 3


def test_decode_runs_keep_neighbours_together_within_the_budget() -> None:
    from fixtures.backends import packing

    lengths = [5, 30, 6, 6, 40, 2]
    runs = packing.runs(lengths, token_budget=100, max_batch=3, extra=10)
    assert [i for run in runs for i in run] == list(range(len(lengths)))  # order kept, nothing dropped
    assert all(len(r) * (10 + max(lengths[i] for i in r)) <= 100 and len(r) <= 3 for r in runs if len(r) > 1)
    assert runs == [[0, 1], [2, 3], [4, 5]]  # 2 × (10 + 40) = 100 fits exactly
    assert packing.runs([500], token_budget=100, max_batch=3) == [[0]]  # too long for the budget: alone


def test_trailing_prompt_space_moves_into_the_continuation(tiny: tuple[Any, Any]) -> None:
    backend = _backend(tiny)
    a, b = backend.loglik([("Answer:", " yes"), ("Answer: ", "yes")], _noop)
    assert a == b


def test_greedy_generation_is_identical_batched_and_alone(tiny: tuple[Any, Any]) -> None:
    import torch

    prompts: list[Prompt] = [*RAW, *CHAT]
    params = GenParams(max_new_tokens=10)
    backend = _backend(tiny)
    together = backend.generate(prompts, params, [0] * len(prompts), _noop)
    alone = [backend.generate([p], params, [0], _noop)[0] for p in prompts]
    assert together == alone
    # And both agree with transformers' own greedy decoding (its growing DynamicCache, not our reserved one).
    for prompt, text in zip(prompts, alone):
        ids = torch.tensor([backend.encoder.encode_prompt(prompt, backend.max_len)])
        with torch.inference_mode():
            ref = backend.model.generate(ids, attention_mask=torch.ones_like(ids), do_sample=False, max_new_tokens=10,
                                         eos_token_id=sorted(backend.stop_ids), pad_token_id=backend.pad_id)
        assert text == backend.tok.decode(ref[0, ids.shape[1]:], skip_special_tokens=True)
    assert len(set(together)) > 1  # the prompts matter: not one string for everything


def test_the_reserved_kv_cache_appends_in_place_and_refuses_to_overflow() -> None:
    import torch

    from fixtures.backends.kvcache import reserved_cache

    keys, values = torch.zeros(2, 3, 5, 4), torch.zeros(2, 3, 5, 4)
    keys[:, :, :2], values[:, :, :2] = 1.0, 2.0
    cache = reserved_cache([(keys, values)], filled=2)
    step = torch.full((2, 3, 1, 4), 7.0)
    k, v = cache.update(step, step + 1, 0)
    assert k.shape[-2] == v.shape[-2] == cache.get_seq_length() == 3
    assert k.data_ptr() == keys.data_ptr() and torch.equal(keys[:, :, 2], step[:, :, 0])  # written in place
    assert torch.equal(v[:, :, :2], values[:, :, :2]) and torch.equal(v[:, :, 2], step[:, :, 0] + 1)
    cache.batch_select_indices(torch.tensor([1]))
    assert cache.layers[0].keys.shape == (1, 3, 3, 4)
    cache.update(torch.zeros(1, 3, 2, 4), torch.zeros(1, 3, 2, 4), 0)
    with pytest.raises(ValueError, match="reserved KV cache is full"):
        cache.update(step[:1], step[:1], 0)


@pytest.mark.parametrize("temperature", [0.0, 1.0])
def test_rows_that_stop_early_leave_the_batch_without_changing_the_others(
    tiny: tuple[Any, Any], temperature: float
) -> None:
    backend = _backend(tiny)
    # Every third token id stops a row: prompts finish at different steps, so the batch shrinks mid-way.
    backend.stop_ids = set(range(0, backend.model.config.vocab_size, 3)) | backend.stop_ids
    prompts: list[Prompt] = [*RAW, *CHAT]
    params = GenParams(max_new_tokens=12, temperature=temperature)
    seeds = list(range(len(prompts)))
    together = backend.generate(prompts, params, seeds, _noop)
    alone = [backend.generate([p], params, [s], _noop)[0] for p, s in zip(prompts, seeds)]
    assert together == alone
    lengths = {len(backend.tok.encode(t, add_special_tokens=False)) for t in together}
    assert len(lengths) > 1  # rows really did stop at different steps


@pytest.mark.parametrize("temperature", [0.0, 1.0])
def test_samples_of_one_prompt_share_a_prefill_without_changing_a_sample(
    tiny: tuple[Any, Any], temperature: float
) -> None:
    backend = _backend(tiny)
    prompts: list[Prompt] = [CHAT[0], CHAT[0], RAW[2], CHAT[0], RAW[2]]  # repeats: n samples of a prompt
    params = GenParams(max_new_tokens=8, temperature=temperature)
    seeds = [11, 12, 13, 14, 15]
    together = backend.generate(prompts, params, seeds, _noop)
    alone = [backend.generate([p], params, [s], _noop)[0] for p, s in zip(prompts, seeds)]
    assert together == alone
    if temperature > 0:
        assert len({together[0], together[1], together[3]}) > 1  # distinct seeds, distinct samples


def _prefix_prompts() -> list[Prompt]:
    """Few-shot blocks of very different lengths, each shared by questions of different lengths, plus raw prompts."""
    return [str(p) for p, _ in _mixed_requests()[::4]] + [*RAW, *CHAT]


@pytest.mark.parametrize("temperature", [0.0, 1.0])
@pytest.mark.parametrize(("row_cap", "token_budget"), [(1024, 4096), (48, 4096), (10**6, 120)])
def test_generation_shares_prefixes_without_changing_a_text(
    tiny: tuple[Any, Any], temperature: float, row_cap: int, token_budget: int
) -> None:
    """Shared prefixes are prefilled once (in tree rows, through trunks when row_cap is small, in small groups
    under a tiny budget): every text equals the one generated for its prompt alone, on the causal path."""
    prompts = _prefix_prompts()
    params = GenParams(max_new_tokens=8, temperature=temperature)
    seeds = list(range(len(prompts)))
    shared = _backend(tiny, min_prefix=8, row_cap=row_cap, token_budget=token_budget)
    alone_backend = _backend(tiny, min_prefix=10**9)
    together = shared.generate(prompts, params, seeds, _noop)
    alone = [alone_backend.generate([p], params, [s], _noop)[0] for p, s in zip(prompts, seeds)]
    assert together == alone
    assert len(set(together)) > len(prompts) // 2  # prompts matter: not a few strings for everything


def test_an_empty_prompt_is_conditioned_on_the_start_token(tiny: tuple[Any, Any]) -> None:
    """As in scoring (encode_pair): nothing to condition on means the start token, not a fully masked row."""
    import torch

    backend = _backend(tiny)
    params = GenParams(max_new_tokens=6)
    together = backend.generate(["", RAW[0], ""], params, [0, 0, 0], _noop)
    assert together == [backend.generate([p], params, [0], _noop)[0] for p in ["", RAW[0], ""]]
    ids = torch.tensor([backend.encoder.start_ids()])
    with torch.inference_mode():
        ref = backend.model.generate(ids, attention_mask=torch.ones_like(ids), do_sample=False, max_new_tokens=6,
                                     eos_token_id=sorted(backend.stop_ids), pad_token_id=backend.pad_id)
    assert together[0] == backend.tok.decode(ref[0, 1:], skip_special_tokens=True)


def test_generation_prefill_computes_each_shared_prompt_token_once(tiny: tuple[Any, Any]) -> None:
    from fixtures.backends import packing

    backend = _backend(tiny, min_prefix=8, token_budget=10**6)
    prompts = _prefix_prompts()
    keys = sorted({tuple(backend._encode(*backend.render(p))) for p in prompts})
    seen: list[int] = []
    hook = backend.model.get_input_embeddings().register_forward_hook(
        lambda _m, args, _o: seen.append(int(args[0].shape[0] * args[0].shape[1])))
    try:
        backend._prefill(keys, room=4)
    finally:
        hook.remove()
    # Lines pad to their width, so allow that; a per-prompt prefill would compute every prompt in full.
    assert packing.trie_size(keys) <= sum(seen) < sum(len(k) for k in keys)


def _lm(backend: HFBackend, cache: ResultCache | None = None, **kw: Any) -> LM:
    return LM("tiny", "test-fingerprint", lambda: backend, cache, **kw)


def test_sampling_depends_on_the_seed_not_on_batch_neighbours(tiny: tuple[Any, Any]) -> None:
    lm = _lm(_backend(tiny))
    target = CHAT[0]

    def samples(batch: Sequence[Prompt], seed: int) -> list[str]:
        out = lm.generate(batch, max_new_tokens=8, temperature=1.0, seed=seed, n=3)
        return out[list(batch).index(target)]

    alone = samples([target], seed=7)
    assert samples([RAW[2], target, CHAT[1]], seed=7) == alone
    assert samples([CHAT[2], RAW[0], RAW[1], target], seed=7) == alone
    assert len(set(alone)) == 3  # n samples differ from each other
    assert samples([target], seed=8) != alone


def test_shuffled_request_order_changes_no_result(tiny: tuple[Any, Any]) -> None:
    base = _lm(_backend(tiny))
    shuffled = _lm(_backend(tiny), shuffle_seed=3)
    assert shuffled.loglik(REQUESTS) == pytest.approx(base.loglik(REQUESTS), rel=1e-5, abs=1e-4)
    gen = {"max_new_tokens": 6, "temperature": 0.8, "seed": 1, "n": 2}
    assert shuffled.generate([*RAW, *CHAT], **gen) == base.generate([*RAW, *CHAT], **gen)


def test_greedy_n_copies_cost_one_call_per_prompt(tiny: tuple[Any, Any]) -> None:
    lm = _lm(_backend(tiny))
    out = lm.generate(RAW, max_new_tokens=4, n=3)
    assert all(len(row) == 3 and len(set(row)) == 1 for row in out)
    assert lm.calls == {"loglik": 0, "generate": len(RAW)}


def test_option_logprobs_and_choose(tiny: tuple[Any, Any]) -> None:
    lm = _lm(_backend(tiny))
    options = [[" 4", " 5", " four"], [" Paris", " Rome"]]
    scores = lm.option_logprobs(RAW[:2], options)
    flat = lm.loglik([(p, o) for p, opts in zip(RAW[:2], options, strict=True) for o in opts])
    assert scores == [flat[:3], flat[3:]]
    assert lm.choose(RAW[:2], options) == [max(range(len(s)), key=s.__getitem__) for s in scores]


def test_a_second_lm_over_the_same_cache_makes_no_backend_calls(tiny: tuple[Any, Any], tmp_path: Path) -> None:
    cache = ResultCache(tmp_path / "results.sqlite", report=lambda _: None)
    first = _lm(_backend(tiny), cache)
    values = first.loglik(REQUESTS)
    texts = first.generate(CHAT, max_new_tokens=5, temperature=0.7, seed=2, n=2)
    assert first.calls == {"loglik": len(REQUESTS), "generate": 2 * len(CHAT)}

    def unloadable() -> HFBackend:
        raise AssertionError("a cached request reached the backend")

    second = LM("tiny", "test-fingerprint", unloadable, cache)
    assert second.loglik(REQUESTS) == values
    assert second.generate(CHAT, max_new_tokens=5, temperature=0.7, seed=2, n=2) == texts
    assert second.calls == {"loglik": 0, "generate": 0}
    # Another model (fingerprint), decoding setting or seed is a different request.
    other = _lm(_backend(tiny), cache)
    other.fingerprint = "another-model"
    other.loglik(REQUESTS[:2])
    second._backend = lambda: _backend(tiny)
    second.generate(CHAT, max_new_tokens=5, temperature=0.7, seed=3, n=2)
    assert other.calls["loglik"] == 2 and second.calls["generate"] == 2 * len(CHAT)
    cache.close()


def test_model_pool_keeps_at_most_capacity_and_remembers_failures(tiny_model_dir: Path, tmp_path: Path) -> None:
    from fixtures.loading import load_hf_folder

    attempts: dict[str, int] = {}
    folders = {"a": tiny_model_dir, "b": tiny_model_dir, "missing": tmp_path / "no-such-model"}

    def load(mid: str) -> HFBackend:
        attempts[mid] = attempts.get(mid, 0) + 1
        return load_hf_folder(folders[mid])

    pool = ModelPool(load, capacity=1)
    first = pool.get("a")
    assert pool.get("a") is first
    pool.get("b")
    assert pool.resident() == ["b"] and first.model is None  # "a" was closed to make room
    pool.get("a")
    assert pool.loads == {"a": 2, "b": 1}
    assert pool.peak == 1
    for _ in range(2):
        with pytest.raises(ModelLoadError, match="'missing' failed to load"):
            pool.get("missing")
    assert attempts["missing"] == 1  # a failed load is not retried for every test
    pool.close()
    assert pool.resident() == []


def test_the_pool_frees_models_the_last_test_did_not_use(tiny_model_dir: Path) -> None:
    from fixtures.loading import load_hf_folder

    pool = ModelPool(lambda mid: load_hf_folder(tiny_model_dir), capacity=3)
    backends = {mid: pool.get(mid) for mid in ("candidate", "reference", "other")}
    assert pool.release_idle(keep={"candidate"}) == []  # all three were used since the last call
    pool.get("reference")
    assert pool.release_idle(keep={"candidate"}) == ["other"]  # the candidate stays even unused
    assert pool.resident() == ["candidate", "reference"] and backends["other"].model is None
    assert pool.release_idle(keep={"candidate"}) == ["reference"]
    assert pool.get("reference") is not backends["reference"] and pool.loads["reference"] == 2
    pool.close()


def test_out_of_memory_while_loading_is_a_clear_load_error_for_that_model_only() -> None:
    def load(mid: str) -> Any:
        if mid == "huge":
            raise MemoryError("CUDA out of memory. Tried to allocate 26.00 GiB")
        return _Closable()

    pool = ModelPool(load, capacity=2)
    with pytest.raises(ModelLoadError, match=r"'huge' failed to load.*out of memory"):
        pool.get("huge")
    assert isinstance(pool.get("small"), _Closable)  # the next model still loads
    assert pool.resident() == ["small"]


class _Closable:
    def close(self) -> None:
        pass
