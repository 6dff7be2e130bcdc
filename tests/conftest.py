"""Shared self-test fixtures: a tiny random Llama (fast) and the real embedded model (slow, cached)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

TINY = {"hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4,
        "num_key_value_heads": 2, "max_position_embeddings": 512}


@pytest.fixture(scope="session")
def embedded_tokenizer_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The embedded model's tokenizer alone (read from the GGUF; a few seconds)."""
    from transformers import AutoTokenizer

    from fixtures.loading import EMBEDDED, _embedded_path

    gguf = _embedded_path("smollm2-135m-instruct")
    tok = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=EMBEDDED["smollm2-135m-instruct"][1])
    out = tmp_path_factory.mktemp("tokenizer")
    tok.save_pretrained(out)
    return out


def make_tiny_llama(out: Path, tokenizer_dir: Path, seed: int = 0, **overrides: int) -> Path:
    """A randomly initialised Llama with the embedded tokenizer, saved as safetensors."""
    import shutil

    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    cfg = LlamaConfig(vocab_size=49152, **{**TINY, **overrides})
    model = LlamaForCausalLM(cfg)
    model.save_pretrained(out, safe_serialization=True)
    for f in tokenizer_dir.iterdir():
        shutil.copy(f, out / f.name)
    return out


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory, embedded_tokenizer_dir: Path) -> Path:
    return make_tiny_llama(tmp_path_factory.mktemp("tiny"), embedded_tokenizer_dir)


@pytest.fixture(scope="session")
def embedded_model_dir() -> Path:
    """The real embedded SmolLM2-135M as a safetensors folder, converted once into $COMPTRUST_HOME."""
    from fixtures.loading import LoadOptions, Materializer
    from fixtures.session import comptrust_home
    from fixtures.spec import Source

    if os.environ.get("COMPTRUST_EMBEDDED_DIR"):
        return Path(os.environ["COMPTRUST_EMBEDDED_DIR"])
    m = Materializer(comptrust_home() / "models", LoadOptions(), print)
    return m.dense_dir(Source("embedded", "smollm2-135m-instruct"))
