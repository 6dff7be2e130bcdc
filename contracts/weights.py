"""The one weights-safety rule, for every path that reads model weights (loading, compressing, scoring).

Unpickling a `.bin`/`.pt` checkpoint can run arbitrary code, so a folder is read only when it holds
safetensors (or GGUF), unless the caller allows pickle. Here, in the leaf package, so that compressors/,
fixtures/ and the pure probes (the toxicity classifier) all apply the same rule without importing each other.
"""
from __future__ import annotations

from pathlib import Path

PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl")
SAFE_SUFFIXES = (".safetensors", ".gguf")


class UnsafeWeights(ValueError):
    """A folder whose weights the policy forbids reading (pickle only), or that holds no weights at all."""


def check_weights(path: Path, allow_pickle: bool) -> None:
    """Refuse pickle-only folders unless allowed, and folders with no weights at all."""
    path = Path(path)
    files = [p for p in path.iterdir() if p.is_file()] if path.is_dir() else []
    has_safe = any(p.suffix in SAFE_SUFFIXES for p in files)
    pickles = [p.name for p in files if p.suffix in PICKLE_SUFFIXES]
    if not has_safe and pickles and not allow_pickle:
        raise UnsafeWeights(
            f"{path} holds only pickle weights ({', '.join(sorted(pickles))}); unpickling can execute arbitrary code. "
            "Convert the checkpoint to safetensors, or pass --allow-pickle if you trust it."
        )
    if not has_safe and not pickles:
        raise UnsafeWeights(f"{path} holds no model weights (*.safetensors)")
