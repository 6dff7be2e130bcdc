"""Every llm-compressor 0.14 / compressed-tensors 0.19 workaround in one place (see shared/STACK.md).

Traps handled here or pointed to:
- AWQ on a CPU-only torch calls `IntermediatesCache.pin_memory`, which fails with "Cannot access accelerator
  device when none is available": `cpu_safe()` makes it a no-op while no accelerator exists.
- Quantized output is saved packed and reloads without `.weight`: `load_model()` passes
  `CompressedTensorsConfig(dequantize=True)`, so inference runs on CPU with plain Linear layers.
- A group size that does not divide a layer's width dies deep inside calibration (`unflatten`):
  `params.group_size_param` rejects it up front.
- `MagnitudePruningModifier` is a no-op in `oneshot` (masks apply on optimizer steps only), so
  `compressors/magnitude.py` prunes with its own code instead.
- `actorder="group"` is gone from compressed-tensors; act-order maps to "weight" (static).
- SparseGPT/Wanda match `ignore` against "lm_head." (their layer name plus a dot), so `ignore=["lm_head"]`
  silently prunes the output head, and with tied embeddings the input embeddings too: PRUNE_IGNORE uses
  a regex. (The warning they print about it is hidden by the log filter, hence this note.)
- `oneshot` leaves the model in llm-compressor's global session, so a build kept the dense model and its
  working copies alive (0.8 GB of an 8-bit RTN build of the embedded model, for the rest of the run):
  `run_oneshot()` resets the session and hands the freed heap back (`release_session()`).
"""
from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from compressors.weights import WeightsPolicy

if TYPE_CHECKING:
    from transformers import PreTrainedModel

LLMC_LIBRARIES = ("torch", "transformers", "safetensors", "llmcompressor", "compressed-tensors")
QUANT_IGNORE = ["lm_head"]  # the output head stays dense, as in the study's checkpoints
PRUNE_IGNORE = ["re:.*lm_head"]  # see the module docstring: a plain name does not match for pruning


def _accelerator_available() -> bool:
    import torch

    return bool(torch.accelerator.is_available())


@contextlib.contextmanager
def cpu_safe() -> Iterator[None]:
    """Neutralise pinned-memory staging on CPU-only torch (AWQ); quiet llm-compressor's per-module logging."""
    from llmcompressor.pipelines.cache import IntermediatesCache
    from loguru import logger

    original = IntermediatesCache.pin_memory
    if not _accelerator_available():
        # Pinning only speeds host-to-device copies; with no device there is nothing to speed up.
        IntermediatesCache.pin_memory = lambda self, *args, **kwargs: None  # type: ignore[method-assign]
    logger.disable("llmcompressor")
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*offloaded modules.*")
            yield
    finally:
        IntermediatesCache.pin_memory = original  # type: ignore[method-assign]
        logger.enable("llmcompressor")


def compute_dtype(config_dtype: Any) -> Any:
    """The dtype to compress and run in: the checkpoint's own, except half precision on a CPU-only machine."""
    import torch

    dtype = config_dtype if isinstance(config_dtype, torch.dtype) else getattr(torch, str(config_dtype or "float32"),
                                                                                torch.float32)
    if dtype in (torch.float16, torch.bfloat16) and not _accelerator_available():
        return torch.float32  # CPU half-precision matmuls are slow and GPTQ's Hessian math wants fp32
    return dtype


def tokenized_dataset(tokenizer: Any, texts: Sequence[str], seq_len: int) -> Any:
    """A `datasets.Dataset` of input_ids/attention_mask, truncated to `seq_len`, in the given order."""
    from datasets import Dataset

    enc = tokenizer(list(texts), truncation=True, max_length=seq_len)
    return Dataset.from_dict({"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]})


def run_oneshot(base_dir: Path, out_dir: Path, recipe: Any, calibration: Sequence[str] | None, seq_len: int,
                policy: WeightsPolicy = WeightsPolicy()) -> None:
    """Load the dense folder, run the recipe (with calibration when given) and save, packed where quantized."""
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    policy.check(base_dir)

    with cpu_safe():
        from llmcompressor import oneshot

        config = AutoConfig.from_pretrained(base_dir)
        tokenizer = AutoTokenizer.from_pretrained(base_dir)
        model = AutoModelForCausalLM.from_pretrained(base_dir, dtype=compute_dtype(getattr(config, "dtype", None)),
                                                     **policy.from_pretrained_kwargs())
        kwargs: dict[str, Any] = {}
        if calibration:
            kwargs = {
                "dataset": tokenized_dataset(tokenizer, calibration, seq_len),
                "num_calibration_samples": len(calibration),
                "max_seq_length": seq_len,
                "shuffle_calibration_samples": False,  # the seed already fixed the order
            }
        try:
            oneshot(model=model, tokenizer=tokenizer, recipe=recipe, output_dir=str(out_dir), save_compressed=True,
                    **kwargs)
        finally:
            del model
            release_session()


def release_session() -> None:
    """Drop what llm-compressor's global session holds (the model, its recipe state) and return the freed heap."""
    from llmcompressor.core import active_session

    from contracts.heap import release_freed

    active_session().reset()
    release_freed()


def is_compressed_tensors(path: Path) -> bool:
    import json

    qc = json.loads((Path(path) / "config.json").read_text()).get("quantization_config") or {}
    return qc.get("quant_method") == "compressed-tensors"


def load_model(path: Path, device: str) -> PreTrainedModel:
    """Reload an llm-compressor output folder for inference on `device` (dequantized when packed)."""
    from transformers import AutoConfig, AutoModelForCausalLM, CompressedTensorsConfig

    config = AutoConfig.from_pretrained(path)
    kwargs: dict[str, Any] = {"dtype": compute_dtype(getattr(config, "dtype", None)), "use_safetensors": True,
                              "device_map": device}
    if is_compressed_tensors(path):
        kwargs["quantization_config"] = CompressedTensorsConfig(dequantize=True)
    with warnings.catch_warnings():
        # transformers warns that the folder's own quantization_config wins; that is what we want.
        warnings.filterwarnings("ignore", message=".*already has a `quantization_config`.*")
        model = AutoModelForCausalLM.from_pretrained(path, **kwargs)
    return model.eval()
