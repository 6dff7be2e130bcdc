"""The study: each DecodingTrust dimension's settings object (declared by its slice), by dimension name."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from types import MappingProxyType
from typing import Any

from .slice import DTSlice, known_slices, slice_for


@dataclass(frozen=True)
class Study:
    """Frozen: tests and quick looks pass a reduced copy (`customize`). `study.<dimension>` reads that
    dimension's settings, e.g. `study.toxicity.subsets`."""

    dimensions: Mapping[str, Any]  # dimension -> an instance of its slice's `settings_type`

    def __post_init__(self) -> None:
        # Read-only, as the study is frozen; a plain dict is accepted and copied.
        object.__setattr__(self, "dimensions", MappingProxyType(dict(self.dimensions)))

    def __reduce__(self) -> tuple[type[Study], tuple[dict[str, Any]]]:
        return type(self), (dict(self.dimensions),)  # a mappingproxy does not pickle; copy and pickle the dict

    def __getattr__(self, name: str) -> Any:
        # Only reached for names that are not attributes; dunders and the field itself (absent while copying
        # or unpickling) must not recurse or pose as dimensions.
        if name.startswith("__") or name == "dimensions":
            raise AttributeError(name)
        held = self.__dict__.get("dimensions", {})
        if name in held:
            return held[name]
        if name in DTSlice._registry:  # a slice registered after this study was made: its defaults
            return DTSlice._registry[name].settings_type()
        raise AttributeError(f"the study has no dimension {name!r}; expected one of {sorted(held)}")


def default_study() -> Study:
    """The study's settings: every slice's `settings_type()`."""
    return Study({dim: slice_for(dim).settings_type() for dim in known_slices()})


_DEFAULT: Study | None = None


def __getattr__(name: str) -> Study:
    # STUDY is built on first use: the registry imports the slices, and the slices import this package's
    # modules, so building it while they load would see half a registry.
    global _DEFAULT
    if name == "STUDY":
        if _DEFAULT is None:
            _DEFAULT = default_study()
        return _DEFAULT
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def customize(study: Study, overrides: Mapping[str, Mapping[str, object]]) -> Study:
    """A copy of `study` with some settings changed, e.g. `{"privacy": {"enron_modes": [...]}}`.

    Each value goes through its slice's `coerce_setting`: lists become tuples, a `generation` (or
    `*_generation`) setting is an object of Generation's fields, and a slice adds its own cases (fairness
    `settings` may be names). Unknown dimensions or fields raise, so a typo never silently runs the full study.
    """
    changed = dict(study.dimensions)
    for dim, values in overrides.items():
        if dim not in known_slices():
            raise ValueError(f"unknown dimension {dim!r} in study overrides")
        piece = slice_for(dim)
        current = getattr(study, dim)
        known = {f.name for f in fields(current)}
        kw: dict[str, object] = {}
        for key, value in values.items():
            if key not in known:
                raise ValueError(f"unknown setting {dim}.{key}; expected one of {sorted(known)}")
            kw[key] = piece.coerce_setting(key, value)
        changed[dim] = replace(current, **kw)
    return Study(changed)
