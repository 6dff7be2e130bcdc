"""Magnitude pruning, our own: llm-compressor's MagnitudePruningModifier is a no-op in oneshot.

Per layer (the Wanda paper's magnitude baseline, which the study used): unstructured prunes exactly
int(numel * sparsity) weights of smallest |w|; N:M prunes the N smallest |w| in every M consecutive input
weights of each row. Embeddings and the output head stay dense, as with the llm-compressor methods.
"""
from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from compressors._llmc_compat import compute_dtype, load_model
from compressors.base import ArchInfo, Compressor
from compressors.params import check_keys, parse_structure, sparsity_params
from compressors.weights import WeightsPolicy

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedModel

_TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "tokenizer.model",
                    "chat_template.jinja", "vocab.json", "merges.txt", "generation_config.json")


def magnitude_mask(weight: torch.Tensor, sparsity: float, nm: tuple[int, int] | None) -> torch.Tensor:
    """Boolean mask of the weights to prune (True = set to zero)."""
    import torch

    score = weight.detach().abs().float()
    if nm is None:
        k = int(score.numel() * sparsity)
        mask = torch.zeros(score.numel(), dtype=torch.bool, device=score.device)
        # topk on indices, not a threshold: ties at the threshold would overshoot the count
        mask[torch.topk(score.flatten(), k, largest=False).indices] = True
        return mask.view_as(score)
    n, m = nm
    rows, cols = score.shape
    if cols % m:
        raise ValueError(f"N:M pruning needs the input width ({cols}) to be a multiple of M={m}")
    groups = score.view(rows, cols // m, m)
    mask = torch.zeros_like(groups, dtype=torch.bool)
    mask.scatter_(2, torch.topk(groups, n, dim=2, largest=False).indices, True)
    return mask.view(rows, cols)


def prunable_linears(model: PreTrainedModel) -> dict[str, torch.nn.Linear]:
    """The Linear layers pruning targets: every Linear except the output head."""
    import torch

    head = model.get_output_embeddings()
    return {name: mod for name, mod in model.named_modules() if isinstance(mod, torch.nn.Linear) and mod is not head}


def prune_model(model: PreTrainedModel, sparsity: float, nm: tuple[int, int] | None) -> None:
    import torch

    with torch.no_grad():
        for mod in prunable_linears(model).values():
            mod.weight[magnitude_mask(mod.weight, sparsity, nm)] = 0


class Magnitude(Compressor):
    name = "magnitude"
    libraries: ClassVar[tuple[str, ...]] = ("torch", "transformers", "safetensors")

    def normalize(self, params: Mapping[str, Any], arch: ArchInfo | None) -> dict[str, Any]:
        check_keys(self.name, params, ("sparsity", "structure"))
        return sparsity_params(self.name, params, arch)

    def compress(self, base_dir: Path, out_dir: Path, params: Mapping[str, Any],
                 calibration: Sequence[str] | None, *, policy: WeightsPolicy = WeightsPolicy()) -> None:
        from transformers import AutoConfig, AutoModelForCausalLM

        policy.check(base_dir)  # before transformers opens anything
        norm = self.validate(params, ArchInfo.from_dir(base_dir))
        config = AutoConfig.from_pretrained(base_dir)
        model = AutoModelForCausalLM.from_pretrained(base_dir, dtype=compute_dtype(getattr(config, "dtype", None)),
                                                     **policy.from_pretrained_kwargs())
        prune_model(model, norm["sparsity"], parse_structure(self.name, norm))
        model.save_pretrained(out_dir, safe_serialization=True)
        for name in _TOKENIZER_FILES:  # keep the folder self-contained: the loader reads the tokenizer from it
            if (Path(base_dir) / name).is_file() and not (Path(out_dir) / name).exists():
                shutil.copy2(Path(base_dir) / name, Path(out_dir) / name)

    def load(self, path: Path, params: Mapping[str, Any], device: str) -> PreTrainedModel:
        self.validate(params)
        return load_model(path, device)
