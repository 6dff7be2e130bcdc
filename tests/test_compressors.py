"""Compressor correctness on a tiny random Llama: sparsity, N:M, quantization grids, GPTQ vs RTN, cache reload."""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from compressors import ArchInfo, ConfigError, get_compressor, known_methods

# Tiny calibration keeps every build under a second or two on one core.
SMALL_CALIB = {"calib_samples": 8, "calib_seq_len": 32}
SMOLLM2 = ArchInfo(hidden_size=576, intermediate_size=1536, num_layers=30)


@pytest.fixture(scope="module", autouse=True)
def _one_thread() -> None:
    import torch

    torch.set_num_threads(1)


def make_byte_llama(out: Path, seed: int = 0, **overrides: Any) -> Path:
    """A random tied-embedding Llama with a 257-token byte-level tokenizer: compresses in well under a second."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    vocab = {ch: i for i, ch in enumerate(sorted(pre_tokenizers.ByteLevel.alphabet()))}
    vocab["<|endoftext|>"] = eos = len(vocab)
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|endoftext|>", pad_token="<|endoftext|>")
    fast.save_pretrained(out)
    torch.manual_seed(seed)
    config = {"vocab_size": len(vocab), "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
              "num_attention_heads": 4, "num_key_value_heads": 2, "max_position_embeddings": 256,
              "tie_word_embeddings": True, "eos_token_id": eos, "pad_token_id": eos, "bos_token_id": None}
    LlamaForCausalLM(LlamaConfig(**{**config, **overrides})).save_pretrained(out, safe_serialization=True)
    return out


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_byte_llama(tmp_path_factory.mktemp("tiny"))


@pytest.fixture(scope="module")
def wide_tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """MLP input width 256 spans two of SparseGPT's 128-column blocks."""
    return make_byte_llama(tmp_path_factory.mktemp("wide"), intermediate_size=256)


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from fixtures.modelcache import ArtifactCache

    return ArtifactCache(tmp_path_factory.mktemp("cache"), report=lambda msg: None)


def build_and_load(cache: Any, base: Path, method: str, params: Mapping[str, Any]) -> Any:
    from fixtures.modelcache import build_compressed

    path = build_compressed(cache, base, method, params, "cpu")
    return get_compressor(method).load(path, params, "cpu")


def linears(model: Any) -> dict[str, Any]:
    from compressors.magnitude import prunable_linears

    return prunable_linears(model)


def assert_embeddings_untouched(model: Any, base: Path) -> None:
    """The output head (tied to the input embeddings here) must stay exactly dense."""
    import torch

    dense = _dense(base)
    assert torch.equal(model.get_output_embeddings().weight, dense.get_output_embeddings().weight)
    assert torch.equal(model.get_input_embeddings().weight, dense.get_input_embeddings().weight)


def test_registry_lists_every_method() -> None:
    assert known_methods() == sorted(
        ["awq", "bnb", "gptq", "gptqmodel", "magnitude", "quanto", "rtn", "sparsegpt", "wanda"]
    )


# --- pruning -------------------------------------------------------------------------------------------


def _expected_zeros(method: str, rows: int, cols: int, sparsity: float) -> int:
    if method == "magnitude":
        return int(rows * cols * sparsity)  # per layer
    if method == "wanda":
        return rows * int(cols * sparsity)  # per output row
    # SparseGPT (upstream reference code): int(n * s) + 1 per 128-column block, from its `<=` threshold
    blocks = [min(128, cols - start) for start in range(0, cols, 128)]
    return sum(int(rows * b * sparsity) + 1 for b in blocks)


@pytest.mark.parametrize(("method", "sparsity"), [("magnitude", 0.5), ("magnitude", 0.7), ("wanda", 0.5),
                                                  ("wanda", 0.3), ("sparsegpt", 0.5)])
def test_unstructured_pruning_hits_the_requested_count_in_every_layer(
        cache: Any, wide_tiny_dir: Path, method: str, sparsity: float) -> None:
    params = {"sparsity": sparsity, **({} if method == "magnitude" else SMALL_CALIB)}
    model = build_and_load(cache, wide_tiny_dir, method, params)
    layers = linears(model)
    assert len(layers) == 2 * 7  # q, k, v, o, gate, up, down per decoder layer; the head stays dense
    for name, mod in layers.items():
        rows, cols = mod.weight.shape
        zeros = int((mod.weight == 0).sum())
        assert zeros == _expected_zeros(method, rows, cols, sparsity), name
    assert_embeddings_untouched(model, wide_tiny_dir)


@pytest.mark.parametrize("method", ["magnitude", "wanda", "sparsegpt"])
@pytest.mark.parametrize("structure", ["2:4", "1:4", "4:8"])
def test_n_m_pattern_holds_in_every_group(cache: Any, tiny_dir: Path, method: str, structure: str) -> None:
    n, m = map(int, structure.split(":"))
    params = {"structure": structure, **({} if method == "magnitude" else SMALL_CALIB)}
    model = build_and_load(cache, tiny_dir, method, params)
    for name, mod in linears(model).items():
        rows, cols = mod.weight.shape
        zeros_per_group = (mod.weight == 0).view(rows, cols // m, m).sum(dim=2)
        assert bool((zeros_per_group == n).all()), f"{name}: groups with != {n} zeros in {structure}"
    assert_embeddings_untouched(model, tiny_dir)


def test_magnitude_prunes_the_smallest_weights() -> None:
    import torch

    from compressors.magnitude import magnitude_mask

    w = torch.tensor([[0.1, -4.0, 0.3, 2.0, -0.2, 5.0, 0.05, -1.0]])
    assert magnitude_mask(w, 0.5, None).tolist() == [[True, False, True, False, True, False, True, False]]
    assert magnitude_mask(w, 0.5, (2, 4)).tolist() == [[True, False, True, False, True, False, True, False]]
    assert magnitude_mask(w, 0.25, (1, 4)).tolist() == [[True, False, False, False, False, False, True, False]]
    # ties: exactly k weights go, never more
    assert int(magnitude_mask(torch.ones(4, 4), 0.5, None).sum()) == 8


# --- quantization ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "bits", "group_size"), [
    ("rtn", 2, 32), ("rtn", 4, -1), ("rtn", 8, 64),
    ("gptq", 3, 32), ("gptq", 4, 64),
    ("awq", 4, 32), ("awq", 3, 64),
])
def test_quantized_weights_take_at_most_2_to_the_bits_values_per_group(
        cache: Any, tiny_dir: Path, method: str, bits: int, group_size: int) -> None:
    import torch

    params = {"bits": bits, "group_size": group_size, **({} if method == "rtn" else SMALL_CALIB)}
    model = build_and_load(cache, tiny_dir, method, params)
    dense = _dense(tiny_dir)
    for name, mod in linears(model).items():
        w = mod.weight.detach()
        rows, cols = w.shape
        g = cols if group_size == -1 else group_size
        groups = w.reshape(rows, cols // g, g).reshape(-1, g)
        distinct = torch.tensor([row.unique().numel() for row in groups])
        assert int(distinct.max()) <= 2**bits, name
        assert not torch.equal(w, linears(dense)[name].weight), f"{name} was left dense"
    assert_embeddings_untouched(model, tiny_dir)


def test_a_build_leaves_no_model_alive(tmp_path: Path, tiny_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """llm-compressor's global session kept the dense model after oneshot: the run held it to the end."""
    import gc
    import weakref

    import torch

    from compressors._llmc_compat import run_oneshot
    from compressors.llmc import RTN

    models: list[weakref.ref[Any]] = []
    real_init = torch.nn.Module.__init__

    def tracking_init(self: Any, *args: Any, **kwargs: Any) -> None:
        real_init(self, *args, **kwargs)
        if type(self).__name__.endswith("ForCausalLM"):
            models.append(weakref.ref(self))

    params = RTN().validate({"bits": 8, "group_size": 32})
    monkeypatch.setattr(torch.nn.Module, "__init__", tracking_init)
    run_oneshot(tiny_dir, tmp_path / "out", RTN().recipe(params), None, 0)
    monkeypatch.undo()
    gc.collect()
    assert models, "the build loaded no model?"
    assert all(ref() is None for ref in models), "a model outlived its build"


def _dense(path: Path) -> Any:
    from transformers import AutoModelForCausalLM

    return AutoModelForCausalLM.from_pretrained(path, dtype="float32")


def _layer0_inputs(model: Any, tokenizer: Any, texts: list[str], seq_len: int) -> dict[str, Any]:
    """Inputs of every Linear in decoder layer 0 on the calibration texts (dense model, so identical for all)."""
    import torch

    seen: dict[str, list[Any]] = {}
    layer0 = model.model.layers[0]
    hooks = [mod.register_forward_hook(
        lambda _m, args, _out, n=name: seen.setdefault(n, []).append(args[0].reshape(-1, args[0].shape[-1])))
        for name, mod in layer0.named_modules() if isinstance(mod, torch.nn.Linear)]
    with torch.no_grad():
        for ids in tokenizer(texts, truncation=True, max_length=seq_len)["input_ids"]:
            model(torch.tensor([ids]))
    for h in hooks:
        h.remove()
    return {name: torch.cat(xs) for name, xs in seen.items()}


@pytest.mark.parametrize("bits", [3, 4])
def test_gptq_output_error_is_below_rtn_on_the_same_layer_and_data(
        cache: Any, tiny_dir: Path, bits: int) -> None:
    from transformers import AutoTokenizer

    from compressors.calibration import calibration_for

    quant = {"bits": bits, "group_size": 32, "sym": True}
    gptq_params = {**quant, **SMALL_CALIB}
    gptq = build_and_load(cache, tiny_dir, "gptq", gptq_params)
    rtn = build_and_load(cache, tiny_dir, "rtn", quant)
    dense = _dense(tiny_dir)
    texts = calibration_for(get_compressor("gptq").validate(gptq_params))
    inputs = _layer0_inputs(dense, AutoTokenizer.from_pretrained(tiny_dir), texts, SMALL_CALIB["calib_seq_len"])
    assert len(inputs) == 7
    for name, x in inputs.items():
        w = dense.model.layers[0].get_submodule(name).weight
        err = {label: float(((x @ (m.model.layers[0].get_submodule(name).weight - w).T) ** 2).sum().detach())
               for label, m in (("gptq", gptq), ("rtn", rtn))}
        assert err["gptq"] < err["rtn"], f"{name}: {err}"


# --- cache reload -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "params"), [
    ("gptq", {"bits": 4, "group_size": 32, **SMALL_CALIB}),
    ("awq", {"bits": 4, "group_size": 32, **SMALL_CALIB}),
    ("wanda", {"sparsity": 0.5, **SMALL_CALIB}),
    ("magnitude", {"structure": "2:4"}),
])
def test_reload_from_cache_gives_identical_logits(tmp_path: Path, tiny_dir: Path, method: str,
                                                  params: dict[str, Any]) -> None:
    import torch

    from fixtures.modelcache import MANIFEST, ArtifactCache, build_compressed

    ids = torch.arange(5, 45)[None]
    first_cache = ArtifactCache(tmp_path, report=lambda msg: None)
    path = build_compressed(first_cache, tiny_dir, method, params, "cpu")
    built_at = (path / MANIFEST).stat().st_mtime_ns
    with torch.no_grad():
        first = get_compressor(method).load(path, params, "cpu")(ids).logits
    # a fresh cache object stands in for a later run: it must verify and reuse, not rebuild
    again = build_compressed(ArtifactCache(tmp_path, report=pytest.fail), tiny_dir, method, params, "cpu")
    assert again == path and (again / MANIFEST).stat().st_mtime_ns == built_at
    with torch.no_grad():
        second = get_compressor(method).load(again, params, "cpu")(ids).logits
    assert torch.equal(first, second)


def test_saved_magnitude_model_matches_pruning_in_memory(cache: Any, tiny_dir: Path) -> None:
    import torch

    from compressors.magnitude import prune_model

    ids = torch.arange(5, 45)[None]
    in_memory = _dense(tiny_dir)
    prune_model(in_memory, 0.5, (2, 4))
    reloaded = build_and_load(cache, tiny_dir, "magnitude", {"structure": "2:4"})
    with torch.no_grad():
        assert torch.equal(in_memory(ids).logits, reloaded(ids).logits)


# --- on-load quantizers ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "params", "layer_type"), [
    ("bnb", {"mode": "nf4"}, "Linear4bit"),
    ("bnb", {"mode": "int8"}, "Linear8bitLt"),
    ("quanto", {"weights": "int8"}, "QLinear"),
])
def test_on_load_quantizers_replace_linears_and_stay_close_to_dense(
        tiny_dir: Path, method: str, params: dict[str, Any], layer_type: str) -> None:
    import torch

    comp = get_compressor(method)
    assert comp.on_load
    model = comp.load(tiny_dir, params, "cpu")
    assert type(model.model.layers[0].self_attn.q_proj).__name__ == layer_type
    ids = torch.arange(5, 45)[None]
    with torch.no_grad():
        got, want = model(ids).logits, _dense(tiny_dir)(ids).logits
    assert not torch.equal(got, want)
    assert torch.allclose(got, want, atol=0.25), float((got - want).abs().max())


# --- bad configs ----------------------------------------------------------------------------------------------


BAD_CONFIGS: list[tuple[str, dict[str, Any], ArchInfo | None, str | None, str]] = [
    ("gptq", {"bits": 5}, None, None, "bits=5 is not supported"),
    ("awq", {"bits": 16, "group_size": 64}, None, None, "bits=16 is not supported"),
    ("rtn", {"bits": True}, None, None, "not an integer"),
    ("magnitude", {"sparsity": 1.0}, None, None, "outside (0, 1)"),
    ("wanda", {"sparsity": 0.0}, None, None, "outside (0, 1)"),
    ("sparsegpt", {"sparsity": -0.2}, None, None, "outside (0, 1)"),
    ("magnitude", {"structure": "4:4"}, None, None, "0 < N < M"),
    ("wanda", {"structure": "6:4"}, None, None, "0 < N < M"),
    ("sparsegpt", {"structure": "2:4", "sparsity": 0.7}, None, None, "contradicts structure"),
    ("magnitude", {"structure": "2:5"}, SMOLLM2, None, "M=5 does not divide"),
    ("gptq", {"bits": 4, "group_size": 128}, SMOLLM2, None, "does not divide the layer width(s) 576"),
    ("awq", {"group_size": 100}, SMOLLM2, None, "does not divide"),
    ("gptqmodel", {"bits": 4, "group_size": 64, "backend": "marlin"}, SMOLLM2, "cpu", "only on a CUDA GPU"),
    ("gptq", {"bits": 4, "groupsize": 64}, None, None, "unknown parameter(s) groupsize"),
    ("bnb", {"mode": "int4"}, None, None, "mode='int4' is not supported"),
    ("quanto", {"weights": "int3"}, None, None, "weights='int3' is not supported"),
    ("gptq", {"calib_source": "wikipedia"}, None, None, "calib_source='wikipedia' is not supported"),
    ("magnitude", {"calib_seed": 1}, None, None, "unknown parameter(s) calib_seed"),
]


@pytest.mark.parametrize(("method", "params", "arch", "device", "problem"), BAD_CONFIGS,
                         ids=[f"{m}-{'-'.join(map(str, p.values()))}" for m, p, *_ in BAD_CONFIGS])
def test_bad_config_names_the_config_and_the_remedy(method: str, params: dict[str, Any], arch: ArchInfo | None,
                                                    device: str | None, problem: str) -> None:
    with pytest.raises(ConfigError) as info:
        get_compressor(method).validate(params, arch, device)
    msg = str(info.value)
    assert msg.startswith(f"{method}(") and problem in msg and "Remedy: " in msg, msg
    for key in params:  # the config is echoed back
        assert f"{key}=" in msg


def test_group_size_error_lists_the_sizes_that_work() -> None:
    with pytest.raises(ConfigError, match=r"use group_size in \{64, 32, 16\}"):
        get_compressor("gptq").validate({"group_size": 128}, SMOLLM2)


def test_cuda_requested_without_a_gpu_is_a_config_error() -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA GPU")
    with pytest.raises(ConfigError, match="no CUDA GPU.*Remedy: "):
        get_compressor("rtn").validate({"bits": 4, "group_size": 64}, SMOLLM2, "cuda")


def test_unknown_method_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError, match="known methods: awq, bnb"):
        get_compressor("squeezellm")


def test_validation_normalizes_defaults() -> None:
    assert get_compressor("gptq").validate({"bits": 4, "group_size": 64}, SMOLLM2) == {
        "bits": 4, "group_size": 64, "sym": True, "act_order": False, "calib_samples": 64, "calib_seq_len": 128,
        "calib_source": "embedded", "calib_seed": 0}
    assert get_compressor("awq").validate({"group_size": 64})["sym"] is False
    assert get_compressor("wanda").validate({"structure": "2:4"})["sparsity"] == 0.5
    assert get_compressor("magnitude").validate({}) == {"sparsity": 0.5, "structure": "unstructured"}
    assert get_compressor("rtn").validate({"group_size": None}) == {"bits": 4, "group_size": -1, "sym": True}


def test_validation_is_light_enough_for_collection() -> None:
    """validate() without a device must not import torch/transformers: it runs at collection time."""
    import subprocess
    import sys

    code = ("import sys; from compressors import get_compressor as g\n"
            "for m in ('gptq','awq','rtn','sparsegpt','wanda','magnitude','bnb','quanto'): g(m).validate({})\n"
            "heavy = [m for m in ('torch', 'transformers', 'llmcompressor') if m in sys.modules]\n"
            "assert not heavy, heavy")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[1])
