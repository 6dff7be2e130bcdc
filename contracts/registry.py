"""Registration by existing, for the compression methods (compressors/), the backends (fixtures/backends/) and the
DecodingTrust slices (trust_tests/probes/dt/slices/): a subclass with a `name` registers itself, and every module of
the package is imported before a lookup."""
from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from typing import Any


def register(registry: dict[str, Any], cls: type, what: str) -> None:
    """registry[cls.name] = cls; another class under a taken name is an error (the same class imported
    again, as pytester does, replaces itself)."""
    known = registry.get(cls.name, cls)  # type: ignore[attr-defined]
    if (known.__module__, known.__qualname__) != (cls.__module__, cls.__qualname__):
        raise TypeError(f"two {what} are named {cls.name!r}: {known} and {cls}")  # type: ignore[attr-defined]
    registry[cls.name] = cls  # type: ignore[attr-defined]


def import_package(package: str, failed: Callable[[str, ImportError], Exception]) -> None:
    """Import every module of `package`; a module that fails to import raises failed(module file, error), so
    whatever it defines cannot silently go missing from its registry."""
    root = importlib.import_module(package)
    for info in pkgutil.iter_modules(root.__path__):
        try:
            importlib.import_module(f"{package}.{info.name}")
        except ImportError as exc:
            raise failed(f"{package.replace('.', '/')}/{info.name}.py", exc) from exc
