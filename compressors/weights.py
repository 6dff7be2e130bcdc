"""The weights-safety rule as compressors apply it: `contracts/weights.py` holds the rule (shared with loading
and the probes); compressors/ imports nothing from fixtures/, so the policy comes in as data (`WeightsPolicy`).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The rule itself lives in the leaf package (probes apply it too); re-exported for compressors' callers.
from contracts.weights import UnsafeWeights, check_weights

__all__ = ["UnsafeWeights", "WeightsPolicy", "check_weights"]


@dataclass(frozen=True)
class WeightsPolicy:
    """What a reader of weights may open; the default is the safe one, so direct callers are safe too."""

    allow_pickle: bool = False

    def check(self, path: Path) -> None:
        check_weights(path, self.allow_pickle)

    def from_pretrained_kwargs(self) -> dict[str, Any]:
        # use_safetensors=True makes transformers refuse .bin even if a check above were bypassed.
        return {"use_safetensors": None if self.allow_pickle else True}
