"""GPTQ through transformers' GPTQConfig -> optimum -> gptqmodel: an optional extra (requirements/gptq.txt).

The extra installs next to the main set (pip check clean; verified with gptqmodel 7.6.0, optimum 2.3.0), but
it compiles C code at install and a CPU kernel on first use (~20-35 s), hard-pins numpy and pulls torchao,
so it stays out of the default install. Its GPU kernels (marlin, exllama_v2, triton) are CUDA-only.
"""
from __future__ import annotations

import importlib.util
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from compressors._llmc_compat import compute_dtype
from compressors.base import ArchInfo, Compressor, CompressorError, config_error
from compressors.calibration import SOURCES
from compressors.weights import WeightsPolicy
from compressors.params import (
    CALIBRATION_DEFAULTS,
    bool_param,
    calibration_params,
    check_keys,
    choice_param,
    group_size_param,
    int_param,
)

if TYPE_CHECKING:
    from transformers import PreTrainedModel

EXTRA_INSTALL = "pip install -c requirements/lock.txt -r requirements/gptq.txt"
BACKENDS = ("auto", "torch", "triton", "exllama_v2", "marlin")
GPU_BACKENDS = frozenset({"triton", "exllama_v2", "marlin"})
_MODULES = ("optimum", "gptqmodel")


def extra_missing() -> list[str]:
    """Modules of the extra that are not installed (checked without importing: gptqmodel's import is slow)."""
    return [m for m in _MODULES if importlib.util.find_spec(m) is None]


class GPTQModelGPTQ(Compressor):
    name = "gptqmodel"
    needs_calibration = True
    extra = "gptq"
    libraries: ClassVar[tuple[str, ...]] = ("torch", "transformers", "safetensors", "optimum", "gptqmodel")

    def normalize(self, params: Mapping[str, Any], arch: ArchInfo | None) -> dict[str, Any]:
        check_keys(self.name, params, ("bits", "group_size", "act_order", "sym", "backend", *CALIBRATION_DEFAULTS))
        return {
            "bits": int_param(self.name, params, "bits", 4, choices=(2, 3, 4, 8)),
            "group_size": group_size_param(self.name, params, 128, arch),
            "act_order": bool_param(self.name, params, "act_order", False),
            "sym": bool_param(self.name, params, "sym", True),
            "backend": choice_param(self.name, params, "backend", "auto", BACKENDS),
            **calibration_params(self.name, params, SOURCES),
        }

    def validate(self, params: Mapping[str, Any], arch: ArchInfo | None = None,
                 device: str | None = None) -> dict[str, Any]:
        norm = super().validate(params, arch, device)
        missing = extra_missing()
        if missing:  # after the parameter and device checks, so those errors come first
            raise config_error(self.name, params, f"the optional extra {self.extra!r} is not installed "
                               f"(missing: {', '.join(missing)})", EXTRA_INSTALL)
        return norm

    def needs_gpu(self, params: Mapping[str, Any]) -> bool:
        return params.get("backend") in GPU_BACKENDS

    def compress(self, base_dir: Path, out_dir: Path, params: Mapping[str, Any],
                 calibration: Sequence[str] | None, *, policy: WeightsPolicy = WeightsPolicy()) -> None:
        policy.check(base_dir)  # before transformers opens anything
        import torch
        from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer, GPTQConfig

        norm = self.validate(params, ArchInfo.from_dir(base_dir))
        if not calibration:
            raise CompressorError("gptqmodel needs calibration texts; pass calibration_for(params)")
        tokenizer = AutoTokenizer.from_pretrained(base_dir)
        # optimum tokenizes strings without truncation, so cut each text to calib_seq_len tokens first.
        seq_len = int(norm["calib_seq_len"])
        texts = [str(tokenizer.decode(tokenizer(t)["input_ids"][:seq_len])) for t in calibration]
        config = GPTQConfig(
            bits=norm["bits"], group_size=norm["group_size"], desc_act=norm["act_order"], sym=norm["sym"],
            dataset=texts, tokenizer=tokenizer, damp_percent=0.01, model_seqlen=seq_len,
            backend=None if norm["backend"] == "auto" else norm["backend"],
        )
        dtype = compute_dtype(getattr(AutoConfig.from_pretrained(base_dir), "dtype", None))
        device = "cuda" if torch.cuda.is_available() else "cpu"
        model = AutoModelForCausalLM.from_pretrained(base_dir, quantization_config=config, dtype=dtype,
                                                     device_map=device, **policy.from_pretrained_kwargs())
        model.save_pretrained(out_dir)
        tokenizer.save_pretrained(out_dir)

    def load(self, path: Path, params: Mapping[str, Any], device: str) -> PreTrainedModel:
        from transformers import AutoConfig, AutoModelForCausalLM, GPTQConfig

        norm = self.validate(params, None, device)
        dtype = compute_dtype(getattr(AutoConfig.from_pretrained(path), "dtype", None))
        kwargs: dict[str, Any] = {"dtype": dtype, "device_map": device, "use_safetensors": True}  # our own output
        if norm["backend"] != "auto":  # the kernel is a loading attribute, not stored in the folder
            kwargs["quantization_config"] = GPTQConfig(bits=norm["bits"], backend=norm["backend"])
        return AutoModelForCausalLM.from_pretrained(path, **kwargs).eval()
