"""Installed library versions, the one way every record states them (fingerprints, cache keys, manifests,
the Allure environment). Read from package metadata, never by importing the library."""
from __future__ import annotations

from collections.abc import Sequence

# What changes a model's outputs here: its runtime and the compression stacks.
RUNTIME_LIBRARIES = ("torch", "transformers", "llmcompressor", "compressed-tensors", "optimum-quanto", "bitsandbytes",
                     "gguf")


def library_versions(packages: Sequence[str] = RUNTIME_LIBRARIES) -> dict[str, str]:
    """Distribution name -> installed version; a distribution that is not installed is left out.

    Left out rather than named by a placeholder: these dicts go into cache keys, and a key must not change
    with how absence happens to be spelled.
    """
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in packages:
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            pass
    return out
