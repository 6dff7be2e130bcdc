"""GPTQ, AWQ, RTN, SparseGPT and Wanda through llm-compressor's `oneshot` (traps live in _llmc_compat)."""
from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from compressors._llmc_compat import LLMC_LIBRARIES, PRUNE_IGNORE, QUANT_IGNORE, load_model, run_oneshot
from compressors.base import ArchInfo, Compressor, CompressorError
from compressors.calibration import SOURCES
from compressors.weights import WeightsPolicy
from compressors.params import (
    CALIBRATION_DEFAULTS,
    bool_param,
    calibration_params,
    check_keys,
    group_size_param,
    int_param,
    sparsity_params,
)

if TYPE_CHECKING:
    from transformers import PreTrainedModel

QUANT_BITS = (2, 3, 4, 8)  # widths compressed-tensors packs and dequantizes on CPU
PAPER_GROUP_SIZE = 128  # the study's setting; SmolLM2's 576/1536 widths need 64 or 32


def _weight_scheme(bits: int, group_size: int, sym: bool) -> Any:
    from compressed_tensors.quantization import QuantizationArgs, QuantizationScheme

    grouped = group_size > 0
    weights = QuantizationArgs(num_bits=bits, type="int", symmetric=sym, strategy="group" if grouped else "channel",
                               group_size=group_size if grouped else None)
    return QuantizationScheme(targets=["Linear"], weights=weights)


class _Llmc(Compressor):
    """Shared compress/load for the llm-compressor methods; subclasses give their keys and recipe."""

    libraries: ClassVar[tuple[str, ...]] = LLMC_LIBRARIES
    own_keys: ClassVar[tuple[str, ...]] = ()

    @abstractmethod
    def recipe(self, params: Mapping[str, Any]) -> Any:
        """llm-compressor modifier(s) for normalized params."""

    def allowed_keys(self) -> tuple[str, ...]:
        return self.own_keys + (tuple(CALIBRATION_DEFAULTS) if self.needs_calibration else ())

    def calibration_params(self, params: Mapping[str, Any]) -> dict[str, Any]:
        return calibration_params(self.name, params, SOURCES) if self.needs_calibration else {}

    def compress(self, base_dir: Path, out_dir: Path, params: Mapping[str, Any],
                 calibration: Sequence[str] | None, *, policy: WeightsPolicy = WeightsPolicy()) -> None:
        policy.check(base_dir)
        norm = self.validate(params, ArchInfo.from_dir(base_dir))
        if self.needs_calibration and not calibration:
            raise CompressorError(f"{self.name} needs calibration texts; pass calibration_for(params)")
        texts = list(calibration) if self.needs_calibration and calibration else None
        run_oneshot(base_dir, out_dir, self.recipe(norm), texts, int(norm.get("calib_seq_len", 0)), policy)

    def load(self, path: Path, params: Mapping[str, Any], device: str) -> PreTrainedModel:
        self.validate(params)
        return load_model(path, device)


class _Quant(_Llmc):
    own_keys: ClassVar[tuple[str, ...]] = ("bits", "group_size", "sym")
    default_sym: ClassVar[bool] = True

    def normalize(self, params: Mapping[str, Any], arch: ArchInfo | None) -> dict[str, Any]:
        check_keys(self.name, params, self.allowed_keys())
        return {
            "bits": int_param(self.name, params, "bits", 4, choices=QUANT_BITS),
            "group_size": group_size_param(self.name, params, PAPER_GROUP_SIZE, arch),
            "sym": bool_param(self.name, params, "sym", self.default_sym),
            **self.calibration_params(params),
        }


class GPTQ(_Quant):
    """GPTQ (Frantar et al. 2023): column-wise quantization with Hessian-based error compensation."""

    name = "gptq"
    needs_calibration = True
    own_keys = ("bits", "group_size", "act_order", "sym")

    def normalize(self, params: Mapping[str, Any], arch: ArchInfo | None) -> dict[str, Any]:
        norm = super().normalize(params, arch)
        norm["act_order"] = bool_param(self.name, params, "act_order", False)
        return norm

    def recipe(self, params: Mapping[str, Any]) -> Any:
        from llmcompressor.modifiers.gptq import GPTQModifier

        scheme = _weight_scheme(params["bits"], params["group_size"], params["sym"])
        # dampening 0.01 and block 128 are AutoGPTQ's defaults, which the study used.
        return GPTQModifier(config_groups={"group_0": scheme}, ignore=QUANT_IGNORE, block_size=128, dampening_frac=0.01,
                            actorder="weight" if params["act_order"] else None)


class AWQ(_Quant):
    """AWQ (Lin et al. 2024): activation-aware per-channel scaling, then group quantization (asymmetric)."""

    name = "awq"
    needs_calibration = True
    default_sym = False  # AWQ's reference implementation uses a zero point

    def recipe(self, params: Mapping[str, Any]) -> Any:
        from llmcompressor.modifiers.quantization import QuantizationModifier
        from llmcompressor.modifiers.transform.awq import AWQModifier

        scheme = _weight_scheme(params["bits"], params["group_size"], params["sym"])
        quantize = QuantizationModifier(config_groups={"group_0": scheme}, ignore=QUANT_IGNORE)
        return [AWQModifier(duo_scaling=True), quantize]


class RTN(_Quant):
    """Round-to-nearest with min-max scales: the no-calibration control."""

    name = "rtn"

    def recipe(self, params: Mapping[str, Any]) -> Any:
        from llmcompressor.modifiers.quantization import QuantizationModifier

        scheme = _weight_scheme(params["bits"], params["group_size"], params["sym"])
        return QuantizationModifier(config_groups={"group_0": scheme}, ignore=QUANT_IGNORE)


class _Prune(_Llmc):
    own_keys = ("sparsity", "structure")
    needs_calibration = True

    def normalize(self, params: Mapping[str, Any], arch: ArchInfo | None) -> dict[str, Any]:
        check_keys(self.name, params, self.allowed_keys())
        return {**sparsity_params(self.name, params, arch), **self.calibration_params(params)}

    @staticmethod
    def mask_structure(params: Mapping[str, Any]) -> str:
        # llm-compressor's "N:M" also means N pruned in every M; "0:0" is its unstructured mask.
        return "0:0" if params["structure"] == "unstructured" else str(params["structure"])


class SparseGPT(_Prune):
    """SparseGPT (Frantar & Alistarh 2023): OBS-style pruning with weight updates.

    Its unstructured mask keeps everything `<=` the int(n * sparsity)-th smallest score of each 128-column
    block, so each block prunes one weight more than requested (the reference implementation does the same).
    """

    name = "sparsegpt"

    def recipe(self, params: Mapping[str, Any]) -> Any:
        from llmcompressor.modifiers.pruning.sparsegpt import SparseGPTModifier

        return SparseGPTModifier(sparsity=params["sparsity"], mask_structure=self.mask_structure(params),
                                 targets=["Linear"], ignore=PRUNE_IGNORE, block_size=128, dampening_frac=0.01)


class Wanda(_Prune):
    """Wanda (Sun et al. 2024): prune by |weight| x input-activation norm, per output row."""

    name = "wanda"

    def recipe(self, params: Mapping[str, Any]) -> Any:
        from llmcompressor.modifiers.pruning import WandaPruningModifier

        return WandaPruningModifier(sparsity=params["sparsity"], mask_structure=self.mask_structure(params),
                                    targets=["Linear"], ignore=PRUNE_IGNORE)
