"""What one DecodingTrust dimension's slice provides (`DTSlice`), and the registry that finds every slice in `slices/`."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, is_dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from contracts.registry import import_package, register

from ..base import Item, ProbeSet
from .files import OFTEN_MISSING, DTDataError
from .settings import coerce_setting as generic_setting

if TYPE_CHECKING:
    from contracts.protocols import Signal, Statistic

    from .study import Study  # study.py builds a Study from this registry

SLICES = "trust_tests.probes.dt.slices"

ToxicityScorer = Callable[[Sequence[str]], Sequence[float]]
Generations = Mapping[str, Sequence[Sequence[str]]]
# A set whose own file is missing or malformed holds the error instead of items: the others still run.
Sets = dict[str, "list[Item] | DTDataError"]


@dataclass(frozen=True)
class DimensionScore:
    dimension: str
    score: float  # 0..100, the study's number for this dimension
    parts: dict[str, float] = field(default_factory=dict)  # the breakdown the study reports
    refusal: float | None = None  # mean refusal rate (%), where DecodingTrust reports one


@dataclass(frozen=True)
class ScoreOptions:
    """What scoring needs besides the generations; each slice reads the options that concern it."""

    toxicity: ToxicityScorer | None = None  # texts -> probabilities in [0, 1]
    seed: int = 0
    privacy_weights: Mapping[str, float] | None = None
    fairness_formula: str = "dpd_eod"


class SliceError(Exception):
    """A slice module cannot be imported: its dimension would silently lose its full tier."""


class DTSlice(ABC):
    """Everything specific to one DecodingTrust dimension: data, loaders, builder, set plan, per-item values,
    dimension score and gate hooks. Subclasses with a `name` register themselves (any module of `slices/`)."""

    name: ClassVar[str]  # the dimension, as declared in trust_tests/test_<name>.py and named in `Study`
    # Its settings: a frozen dataclass whose no-argument construction is the study's (`study.<name>`).
    settings_type: ClassVar[type]
    folder: ClassVar[str]  # its folder inside DecodingTrust's `data/` (the HF dataset mirrors the names)
    expected_files: ClassVar[tuple[str, ...]] = ()  # what it reads under `data/` with the study's settings
    # Files a plain checkout often lacks (path prefix under `data/` -> what they feed), named when missing.
    # Sizes are not listed: comptrust could not check them offline.
    often_missing: ClassVar[Mapping[str, str]] = {}
    uses_toxicity_scorer: ClassVar[bool] = False  # the gate hands `item_values` a toxicity scorer

    _registry: ClassVar[dict[str, type[DTSlice]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__:
            register(DTSlice._registry, cls, "DecodingTrust slices")
            if not is_dataclass(getattr(cls, "settings_type", None)):  # the study is built from it
                del DTSlice._registry[cls.name]
                raise TypeError(f"DecodingTrust slice {cls.name!r} needs `settings_type`, its settings' dataclass")
            OFTEN_MISSING.update(cls.often_missing)

    # ---- settings ----

    def coerce_setting(self, key: str, value: object) -> object:
        """A `--dt-study` override's JSON value as the setting `key` (`customize` has checked the name)."""
        return generic_setting(key, value)

    # ---- plan: known before any file is read ----

    @abstractmethod
    def set_names(self, study: Study) -> tuple[str, ...]:
        """The names `build` gives its sets (extras excluded), in build order."""

    def part(self, name: str) -> str:
        """Which part of the dimension's score a set feeds ("" = reported, not scored)."""
        return "all"  # a plain mean over sets

    def share(self, part: str, parts: Sequence[str], study: Study) -> float:
        """The part's weight in the dimension's score; its sets share it equally."""
        return 1.0 / len(parts)

    def is_accuracy(self, name: str) -> bool:
        """Whether the set's score is an accuracy (so it has a chance level)."""
        return False

    def chance(self, name: str, n_options: int) -> float | None:
        """The accuracy of a model that ignores its input, where the set's score is an accuracy; else None."""
        return 1.0 / n_options if self.is_accuracy(name) and n_options > 0 else None

    # ---- build ----

    @abstractmethod
    def build(self, root: Path, study: Study, seed: int, extras: bool) -> Sets:
        """Every set's items (or the error of the file only it needs), in `set_names` order, extras last."""

    # ---- evaluate ----

    @abstractmethod
    def item_values(
        self, set_name: str, probes: ProbeSet, generations: Sequence[Sequence[str]], opt: ScoreOptions
    ) -> list[float]:
        """One value in [0, 1] per item whose mean is the set's DecodingTrust sub-score (1 = trustworthy)."""

    @abstractmethod
    def score(self, sets: Mapping[str, ProbeSet], generations: Generations, opt: ScoreOptions) -> DimensionScore:
        """The study's score for the dimension from the generations of its sets (see scoring.py)."""

    # ---- gate ----

    def binary(self, set_name: str) -> bool:
        """Whether the set's per-item values are 0/1 outcomes (else continuous)."""
        return False

    def gate_statistic(self, probes: ProbeSet, study: Study) -> tuple[Statistic | None, Signal | None]:
        """A set statistic other than the mean, and a signal the reference must show; default neither."""
        return None, None


def _import_slices() -> None:
    # Every module of slices/, so a dimension's full tier exists by its module existing.
    import_package(SLICES, lambda module, exc: SliceError(
        f"{module} cannot be imported ({exc}), so its dimension has no full tier: fix the import"))


def known_slices() -> tuple[str, ...]:
    """The dimensions with a DecodingTrust slice, sorted."""
    _import_slices()
    return tuple(sorted(DTSlice._registry))


def slice_for(dimension: str) -> DTSlice:
    """The slice of `dimension`; ValueError for a dimension without one."""
    _import_slices()
    try:
        return DTSlice._registry[dimension]()
    except KeyError:
        raise ValueError(f"unknown dimension {dimension!r}; expected one of {sorted(DTSlice._registry)}") from None
