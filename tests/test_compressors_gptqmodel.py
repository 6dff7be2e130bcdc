"""GPTQ through optimum + gptqmodel (the optional extra): runs only where requirements/gptq.txt is installed."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from compressors import get_compressor
from compressors.gptqmodel_backend import extra_missing

pytestmark = pytest.mark.skipif(bool(extra_missing()), reason="the gptq extra is not installed "
                                "(pip install -c requirements/lock.txt -r requirements/gptq.txt)")

PARAMS = {"bits": 4, "group_size": 32, "calib_samples": 8, "calib_seq_len": 32}


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.test_compressors import make_byte_llama

    return make_byte_llama(tmp_path_factory.mktemp("tiny"))


def test_gptqmodel_builds_a_gptq_checkpoint_that_reloads_identically(tmp_path: Path, tiny_dir: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM

    from fixtures.modelcache import ArtifactCache, build_compressed

    torch.set_num_threads(1)
    path = build_compressed(ArtifactCache(tmp_path, report=lambda m: None), tiny_dir, "gptqmodel", PARAMS, "cpu")
    qc = json.loads((path / "config.json").read_text())["quantization_config"]
    assert (qc["quant_method"], qc["bits"], qc["group_size"]) == ("gptq", 4, 32)
    comp = get_compressor("gptqmodel")
    ids = torch.arange(5, 45)[None]
    with torch.no_grad():
        first = comp.load(path, PARAMS, "cpu")(ids).logits
        second = comp.load(path, PARAMS, "cpu")(ids).logits
        dense = AutoModelForCausalLM.from_pretrained(tiny_dir, dtype="float32")(ids).logits
    assert torch.equal(first, second)
    assert not torch.equal(first, dense) and torch.allclose(first, dense, atol=0.25)
