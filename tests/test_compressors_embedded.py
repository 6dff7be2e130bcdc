"""The real embedded SmolLM2-135M: its widths reject the study's group size, and 8-bit RTN is near-lossless."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from compressors import ArchInfo, ConfigError, get_compressor

# embedded_model_dir converts the GGUF once into $COMPTRUST_HOME (about 30 s the first time).
pytestmark = [pytest.mark.slow]


def heldout_ppl(model: Any, tokenizer_dir: Path) -> float:
    import torch
    from transformers import AutoTokenizer

    from compressors.calibration import heldout_texts

    tok = AutoTokenizer.from_pretrained(tokenizer_dir)
    nll, count = 0.0, 0
    with torch.no_grad():
        for text in heldout_texts():
            ids = torch.tensor([tok(text)["input_ids"]])
            nll += float(torch.nn.functional.cross_entropy(model(ids).logits[0, :-1], ids[0, 1:], reduction="sum"))
            count += ids.shape[1] - 1
    return math.exp(nll / count)


def test_real_widths_reject_group_128_and_accept_64(embedded_model_dir: Path) -> None:
    arch = ArchInfo.from_dir(embedded_model_dir)
    assert arch.linear_widths == (576, 1536)
    with pytest.raises(ConfigError, match=r"group_size=128 does not divide the layer width\(s\) 576.*Remedy: use "
                                          r"group_size in \{64, 32, 16\}"):
        get_compressor("gptq").validate({"bits": 4, "group_size": 128}, arch)
    assert get_compressor("gptq").validate({"bits": 4, "group_size": 64}, arch)["group_size"] == 64


def test_rtn8_on_the_real_model_is_on_grid_reloads_identically_and_keeps_perplexity(
        tmp_path: Path, embedded_model_dir: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM

    from compressors.magnitude import prunable_linears
    from fixtures.modelcache import ArtifactCache, build_compressed

    torch.set_num_threads(1)
    params = {"bits": 8, "group_size": 64}
    path = build_compressed(ArtifactCache(tmp_path, report=lambda m: None), embedded_model_dir, "rtn", params, "cpu")
    comp = get_compressor("rtn")
    model = comp.load(path, params, "cpu")
    for name, mod in prunable_linears(model).items():
        groups = mod.weight.detach().reshape(-1, 64)
        assert max(row.unique().numel() for row in groups[:: max(1, len(groups) // 64)]) <= 256, name
    ids = torch.arange(100, 160)[None]
    with torch.no_grad():
        assert torch.equal(model(ids).logits, comp.load(path, params, "cpu")(ids).logits)
    dense = AutoModelForCausalLM.from_pretrained(embedded_model_dir, dtype="float32").eval()
    ppl_dense, ppl_rtn8 = heldout_ppl(dense, embedded_model_dir), heldout_ppl(model, embedded_model_dir)
    assert ppl_rtn8 < 1.02 * ppl_dense, (ppl_rtn8, ppl_dense)
