"""Quantizers that act while loading (bitsandbytes, optimum-quanto) through transformers' quantization configs.

Nothing is written to the cache: `load()` takes the dense folder and quantizes it on the way in. Both run on
CPU with the pinned stack (bitsandbytes 0.50.2 ships CPU kernels; quanto's first int4/int2 use compiles a
C++ extension, ~40-60 s, into torch's extension cache).
"""
from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from compressors._llmc_compat import compute_dtype
from compressors.base import ArchInfo, Compressor
from compressors.params import check_keys, choice_param
from compressors.weights import WeightsPolicy

if TYPE_CHECKING:
    from transformers import PreTrainedModel


class _OnLoad(Compressor):
    on_load = True

    @abstractmethod
    def quantization_config(self, params: Mapping[str, Any], dtype: Any) -> Any:
        """The transformers quantization config for normalized params."""

    def load(self, path: Path, params: Mapping[str, Any], device: str) -> PreTrainedModel:
        from transformers import AutoConfig, AutoModelForCausalLM

        WeightsPolicy().check(path)  # quantizing on load reads the dense folder: safetensors only
        norm = self.validate(params, None, device)
        dtype = compute_dtype(getattr(AutoConfig.from_pretrained(path), "dtype", None))
        model = AutoModelForCausalLM.from_pretrained(
            path, quantization_config=self.quantization_config(norm, dtype), dtype=dtype, device_map=device,
            use_safetensors=True,
        )
        return model.eval()


class BitsAndBytes(_OnLoad):
    """LLM.int8() (`int8`) or 4-bit NormalFloat/float (`nf4`, `fp4`) with bitsandbytes."""

    name = "bnb"
    libraries: ClassVar[tuple[str, ...]] = ("torch", "transformers", "bitsandbytes")

    def normalize(self, params: Mapping[str, Any], arch: ArchInfo | None) -> dict[str, Any]:
        check_keys(self.name, params, ("mode",))
        return {"mode": choice_param(self.name, params, "mode", "nf4", ("int8", "nf4", "fp4"))}

    def quantization_config(self, params: Mapping[str, Any], dtype: Any) -> Any:
        from transformers import BitsAndBytesConfig

        if params["mode"] == "int8":
            return BitsAndBytesConfig(load_in_8bit=True)
        return BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type=params["mode"], bnb_4bit_compute_dtype=dtype)


class Quanto(_OnLoad):
    """optimum-quanto weight-only quantization (activations stay in float)."""

    name = "quanto"
    libraries: ClassVar[tuple[str, ...]] = ("torch", "transformers", "optimum-quanto")

    def normalize(self, params: Mapping[str, Any], arch: ArchInfo | None) -> dict[str, Any]:
        check_keys(self.name, params, ("weights",))
        return {"weights": choice_param(self.name, params, "weights", "int8", ("int8", "int4", "int2"))}

    def quantization_config(self, params: Mapping[str, Any], dtype: Any) -> Any:
        from transformers import QuantoConfig

        return QuantoConfig(weights=params["weights"])
