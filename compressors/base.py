"""The small base class every compression method implements, and the method registry."""
from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from compressors.weights import WeightsPolicy
from contracts.registry import import_package, register

if TYPE_CHECKING:
    from transformers import PreTrainedModel


class CompressorError(Exception):
    """A compression step failed for a reason the user can act on."""


class ConfigError(CompressorError):
    """An impossible or unsupported compression config; the message names the remedy."""


class SourceUnavailable(CompressorError):
    """Something the config needs is out of reach here (the hub, a dataset download); callers skip on it."""


def config_error(method: str, params: Mapping[str, Any], problem: str, remedy: str) -> ConfigError:
    """The one message shape for bad configs: which config, what is wrong, what to do."""
    shown = ",".join(f"{k}={v!r}" for k, v in sorted(params.items()))
    return ConfigError(f"{method}({shown}): {problem}. Remedy: {remedy}")


@dataclass(frozen=True)
class ArchInfo:
    """What validation needs to know about the dense model, read from its config.json."""

    hidden_size: int
    intermediate_size: int
    num_layers: int
    model_type: str = "llama"

    @property
    def linear_widths(self) -> tuple[int, ...]:
        # Input widths of the quantized Linear layers (q/k/v/o/gate/up take hidden, down takes MLP width).
        return (self.hidden_size, self.intermediate_size)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ArchInfo:
        return cls(
            hidden_size=int(config["hidden_size"]),
            intermediate_size=int(config.get("intermediate_size", 4 * int(config["hidden_size"]))),
            num_layers=int(config.get("num_hidden_layers", 0)),
            model_type=str(config.get("model_type", "llama")),
        )

    @classmethod
    def from_dir(cls, model_dir: Path) -> ArchInfo:
        return cls.from_config(json.loads((Path(model_dir) / "config.json").read_text()))


class Compressor(ABC):
    """One compression method. Subclasses with a `name` register themselves (any module of compressors/)."""

    name: ClassVar[str]
    on_load: ClassVar[bool] = False  # quantizes while loading; nothing is cached on disk
    needs_calibration: ClassVar[bool] = False
    gpu_only: ClassVar[bool] = False
    extra: ClassVar[str | None] = None  # pip extra that provides the backend
    # Distributions whose version changes the compressed output; they go into the cache key.
    libraries: ClassVar[tuple[str, ...]] = ("torch", "transformers", "safetensors")

    _registry: ClassVar[dict[str, type[Compressor]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__:
            register(Compressor._registry, cls, "compression methods")

    def validate(
        self, params: Mapping[str, Any], arch: ArchInfo | None = None, device: str | None = None
    ) -> dict[str, Any]:
        """Return normalized params (defaults filled in) or raise ConfigError naming the remedy.

        `arch=None` skips the checks that need the model's widths; `device` (e.g. "cpu", "cuda")
        adds `check_device`, so one call can reject a GPU-only config at collection time.
        """
        norm = self.normalize(params, arch)
        if device is not None:
            self.check_device(norm, device)
        return norm

    @abstractmethod
    def normalize(self, params: Mapping[str, Any], arch: ArchInfo | None) -> dict[str, Any]:
        """The method's own parameter checks; `validate` is the public entry point."""

    def needs_gpu(self, params: Mapping[str, Any]) -> bool:
        """Whether these (normalized) params need a CUDA device; methods with GPU-only options override it."""
        return self.gpu_only

    def check_device(self, params: Mapping[str, Any], device: str) -> None:
        """Raise ConfigError when the config cannot run on `device` here."""
        kind = device.split(":")[0]
        if kind == "cuda" and not _cuda_available():
            raise config_error(
                self.name, params, "device 'cuda' was requested but torch sees no CUDA GPU",
                "run on a machine with a GPU, or use device='cpu'",
            )
        if kind == "cpu" and self.needs_gpu(params):
            raise config_error(
                self.name, params, f"{self.name} with these parameters runs only on a CUDA GPU and the device is cpu",
                "run on a GPU machine, or pick a CPU-capable method/backend (see docs/DESIGN.md, Compressors)",
            )

    def compress(
        self, base_dir: Path, out_dir: Path, params: Mapping[str, Any], calibration: Sequence[str] | None,
        *, policy: WeightsPolicy = WeightsPolicy(),
    ) -> None:
        """Write a loadable model folder to `out_dir` (which exists and is empty), reading `base_dir` under `policy`."""
        raise NotImplementedError(f"{self.name} quantizes on load; there is nothing to compress ahead of time")

    def load(self, path: Path, params: Mapping[str, Any], device: str) -> PreTrainedModel:
        """Load the compressed model (or, for on-load methods, quantize the dense folder at `path`)."""
        from transformers import AutoModelForCausalLM

        return AutoModelForCausalLM.from_pretrained(path, dtype="auto", device_map=device, use_safetensors=True)


def _cuda_available() -> bool:
    import torch

    return bool(torch.cuda.is_available())


def _import_builtin_methods() -> None:
    # Every module of the package, so a method registers by existing. Cheap: each imports its backend lazily.
    import_package("compressors", lambda module, exc: CompressorError(
        f"{module} cannot be imported ({exc}), so the methods it defines are unknown: fix the import or move "
        "the dependency inside a function"))


def known_methods() -> list[str]:
    _import_builtin_methods()
    return sorted(Compressor._registry)


def get_compressor(name: str) -> Compressor:
    _import_builtin_methods()
    try:
        return Compressor._registry[name]()
    except KeyError:
        raise ConfigError(
            f"unknown compression method {name!r}; known methods: {', '.join(sorted(Compressor._registry))}"
        ) from None
