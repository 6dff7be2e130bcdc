"""Every path that reads weights goes through one check (compressors/weights.py): a `.bin`-only folder is
refused on each of them before anything unpickles it, unless the policy allows pickle.

The planted `pytorch_model.bin` drops a marker file when unpickled, so "not unpickled" is observed.
"""
from __future__ import annotations

import json
import os
import pickle
from pathlib import Path

import pytest

from compressors.weights import UnsafeWeights, WeightsPolicy, check_weights

CONFIG = {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "hidden_size": 64, "intermediate_size": 128,
          "num_hidden_layers": 1, "num_attention_heads": 4, "num_key_value_heads": 4, "vocab_size": 128}


class _Bomb:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple:
        return (os.mkdir, (str(self.marker),))


@pytest.fixture
def bin_only(tmp_path: Path) -> tuple[Path, Path]:
    folder = tmp_path / "pickled"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(CONFIG))
    marker = tmp_path / "UNPICKLED"
    (folder / "pytorch_model.bin").write_bytes(pickle.dumps({"w": _Bomb(marker)}))
    return folder, marker


def _refused(exc: BaseException) -> bool:
    text = str(exc)
    return "pickle" in text and "--allow-pickle" in text and "arbitrary code" in text


def test_the_rule_refuses_pickle_only_folders_unless_allowed(bin_only: tuple[Path, Path]) -> None:
    folder, _ = bin_only
    with pytest.raises(UnsafeWeights):
        check_weights(folder, allow_pickle=False)
    check_weights(folder, allow_pickle=True)
    assert WeightsPolicy().from_pretrained_kwargs() == {"use_safetensors": True}


@pytest.mark.parametrize("method", ["magnitude", "gptq", "sparsegpt", "gptqmodel"])
def test_compress_refuses_a_pickle_only_dense_folder(bin_only: tuple[Path, Path], tmp_path: Path, method: str) -> None:
    from compressors import get_compressor

    folder, marker = bin_only
    out = tmp_path / "out"
    out.mkdir()
    params = {"sparsity": 0.5} if method in ("magnitude", "sparsegpt") else {"bits": 4, "group_size": 32}
    with pytest.raises(UnsafeWeights) as err:
        get_compressor(method).compress(folder, out, params, ["some calibration text"])
    assert _refused(err.value) and not marker.exists()


def test_llmc_oneshot_refuses_a_pickle_only_dense_folder(bin_only: tuple[Path, Path], tmp_path: Path) -> None:
    from compressors._llmc_compat import run_oneshot

    folder, marker = bin_only
    with pytest.raises(UnsafeWeights):
        run_oneshot(folder, tmp_path / "out", recipe=None, calibration=None, seq_len=16)
    assert not marker.exists()


def test_quantize_on_load_refuses_a_pickle_only_dense_folder(bin_only: tuple[Path, Path]) -> None:
    from compressors import get_compressor

    folder, marker = bin_only
    with pytest.raises(UnsafeWeights):
        get_compressor("quanto").load(folder, {"weights": "int8"}, "cpu")
    assert not marker.exists()


def test_build_compressed_checks_the_dense_folder(bin_only: tuple[Path, Path], tmp_path: Path) -> None:
    from fixtures.modelcache import ArtifactCache, build_compressed

    folder, marker = bin_only
    cache = ArtifactCache(tmp_path / "cache", report=lambda m: None)
    with pytest.raises(UnsafeWeights) as err:
        build_compressed(cache, folder, "magnitude", {"sparsity": 0.5}, "cpu")
    assert _refused(err.value) and not marker.exists()
    assert not (tmp_path / "cache" / "compressed").exists() or not any((tmp_path / "cache" / "compressed").iterdir())


def test_a_local_folder_plus_magnitude_spec_is_refused_without_allow_pickle(bin_only: tuple[Path, Path],
                                                                          tmp_path: Path) -> None:
    from fixtures.loading import LoadError, LoadOptions, Materializer
    from fixtures.registry import Registry

    folder, marker = bin_only
    entry = Registry({}).resolve(f"local:{folder}+magnitude(sparsity=0.5)")
    mat = Materializer(tmp_path / "home", LoadOptions(device="cpu"), lambda m: None)
    with pytest.raises((LoadError, UnsafeWeights)) as err:
        mat.load(entry)
    assert _refused(err.value) and not marker.exists()


def test_the_local_toxicity_classifier_refuses_pickle_weights(bin_only: tuple[Path, Path]) -> None:
    from trust_tests.probes.toxicity_scorers import HFClassifierScorer, ScorerError

    folder, marker = bin_only
    with pytest.raises(ScorerError) as err:
        HFClassifierScorer(folder).score(["a text"])
    assert _refused(err.value) and not marker.exists()
