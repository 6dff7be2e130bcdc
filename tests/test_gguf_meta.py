"""GGUF scalar metadata read without gguf's full parse: the same values as GGUFReader, arrays skipped."""
from __future__ import annotations

import struct
from pathlib import Path

import pytest

from fixtures.gguf_meta import GGUFFormatError, scalar_metadata


def _embedded() -> Path:
    from fixtures.loading import LoadError, _embedded_path

    try:
        return _embedded_path("smollm2-135m-instruct")
    except LoadError as exc:
        pytest.skip(str(exc))


def test_every_scalar_of_the_embedded_gguf_matches_ggufreader() -> None:
    gguf = pytest.importorskip("gguf")
    path = _embedded()
    mine = scalar_metadata(path)
    fields = gguf.GGUFReader(path).fields
    scalars = {k: f for k, f in fields.items()  # GGUFReader also lists the header as GGUF.* fields
               if not k.startswith("GGUF.") and f.types and f.types[0] != gguf.GGUFValueType.ARRAY}
    assert set(mine) == set(scalars)
    for key, field in scalars.items():
        value = field.parts[field.data[0]]
        want = bytes(value).decode() if field.types[0] == gguf.GGUFValueType.STRING else value.tolist()[0]
        assert mine[key] == pytest.approx(want), key


def test_arch_info_of_the_embedded_model() -> None:
    from fixtures.loading import arch_info
    from fixtures.spec import Source

    _embedded()
    arch = arch_info(Source("embedded", "smollm2-135m-instruct"))
    assert (arch.hidden_size, arch.intermediate_size, arch.num_layers) == (576, 1536, 30)


def _kv(key: str, vtype: int, payload: bytes) -> bytes:
    return struct.pack("<Q", len(key)) + key.encode() + struct.pack("<I", vtype) + payload


def test_arrays_are_skipped_and_reading_stops_once_the_wanted_keys_are_read(tmp_path: Path) -> None:
    words = b"".join(struct.pack("<Q", len(w)) + w for w in (b"a", b"bc", b""))
    kvs = [_kv("general.architecture", 8, struct.pack("<Q", 5) + b"llama"),
           _kv("tokens", 9, struct.pack("<IQ", 8, 3) + words),
           _kv("scores", 9, struct.pack("<IQ", 6, 3) + struct.pack("<3f", 1, 2, 3)),
           _kv("llama.block_count", 4, struct.pack("<I", 30)),
           _kv("nested", 9, struct.pack("<IQ", 9, 1) + struct.pack("<IQ", 4, 2) + struct.pack("<2I", 7, 8)),
           _kv("general.flag", 7, struct.pack("<?", True))]
    path = tmp_path / "m.gguf"
    path.write_bytes(b"GGUF" + struct.pack("<IQQ", 3, 0, len(kvs)) + b"".join(kvs) + b"tensor data")
    assert scalar_metadata(path) == {"general.architecture": "llama", "llama.block_count": 30, "general.flag": True}
    assert scalar_metadata(path, ["general.architecture"]) == {"general.architecture": "llama"}
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(GGUFFormatError, match="truncated"):
        scalar_metadata(path)
    path.write_bytes(b"GGML....")
    with pytest.raises(GGUFFormatError, match="not a GGUF file"):
        scalar_metadata(path)


@pytest.mark.parametrize("body", [
    struct.pack("<Q", 2**62),  # a key that claims 4 EiB
    _kv("k", 8, struct.pack("<Q", 2**62)),  # a string value that does
    _kv("k", 9, struct.pack("<IQ", 8, 2**62)),  # an array of 2^62 strings
    _kv("k", 9, struct.pack("<IQ", 4, 2**62)),  # an array of 2^62 integers
], ids=["key", "string", "string-array", "int-array"])
def test_hostile_lengths_are_a_format_error_not_an_allocation(tmp_path: Path, body: bytes) -> None:
    path = tmp_path / "hostile.gguf"
    path.write_bytes(b"GGUF" + struct.pack("<IQQ", 3, 0, 2) + body)
    with pytest.raises(GGUFFormatError, match="truncated"):
        scalar_metadata(path)


def test_a_malformed_gguf_source_is_a_load_error(tmp_path: Path) -> None:
    from fixtures.loading import LoadError, arch_info
    from fixtures.spec import Source

    path = tmp_path / "bad.gguf"
    path.write_bytes(b"not a gguf at all")
    with pytest.raises(LoadError, match="cannot read its GGUF metadata"):
        arch_info(Source("gguf", str(path)))
    path.write_bytes(b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + _kv("general.architecture", 8, struct.pack("<Q", 5) + b"llama"))
    with pytest.raises(LoadError, match="lacks llama.embedding_length"):
        arch_info(Source("gguf", str(path)))


def test_a_conversion_parses_the_gguf_once_and_leaves_gguf_as_it_was() -> None:
    gguf = pytest.importorskip("gguf")
    from fixtures.loading import _gguf_parsed_once

    path = _embedded()
    reader, name_map = gguf.GGUFReader, gguf.get_tensor_name_map
    with _gguf_parsed_once():
        assert gguf.GGUFReader(path) is gguf.GGUFReader(path)
        arch = next(iter(gguf.MODEL_ARCH_NAMES))
        assert gguf.get_tensor_name_map(arch, 2) is gguf.get_tensor_name_map(arch, 2)
    assert (gguf.GGUFReader, gguf.get_tensor_name_map) == (reader, name_map)
