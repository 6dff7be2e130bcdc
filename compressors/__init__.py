"""Dense model folder + method + params -> compressed model. Imports nothing from fixtures/ or trust_tests/."""
from compressors.base import (
    ArchInfo,
    Compressor,
    CompressorError,
    ConfigError,
    SourceUnavailable,
    get_compressor,
    known_methods,
)

__all__ = [
    "ArchInfo",
    "Compressor",
    "CompressorError",
    "ConfigError",
    "SourceUnavailable",
    "get_compressor",
    "known_methods",
]
