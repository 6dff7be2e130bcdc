"""The model registry: the real zoo loads, ids and ad hoc specs resolve, and bad files name file:line."""
from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from fixtures.registry import Registry, RegistryError
from fixtures.spec import Method, Source

REPO = Path(__file__).resolve().parents[1]

SMALL = """\
# A small registry: a dense model, a compressed copy, and a pre-compressed checkpoint.
[models.dense]
base = 'local:/models/dense'
description = 'the dense model'

[models.dense-rtn4]
base = 'dense'
method = 'rtn(bits=4,group_size=64)'

[models.dense-ckpt]
checkpoint = 'hf:org/dense-gptq@4bit'
reference = 'dense'
gpu_only = true
"""


def _load(tmp_path: Path, text: str) -> Registry:
    path = tmp_path / "models.toml"
    path.write_text(textwrap.dedent(text))
    return Registry.load(path)


@pytest.fixture(scope="module")
def zoo() -> Registry:
    return Registry.load(REPO / "config" / "models.toml")


def test_the_real_registry_holds_the_study_zoo(zoo: Registry) -> None:
    entry = zoo.get("vicuna-gptq3")
    assert entry.checkpoint and entry.method is None
    assert entry.source == Source("hf", "compressed-llm/vicuna-13b-v1.3-gptq", "3bit_128g")
    assert entry.reference == "vicuna-13b" and entry.extra["gpu_only"] is True
    gptq4 = zoo.get("smollm2-135m-gptq4")
    assert gptq4.source == Source("embedded", "smollm2-135m-instruct")
    assert gptq4.method == Method.of("gptq", {"bits": 4, "group_size": 64})
    assert gptq4.reference == "smollm2-135m"
    for mid in zoo.ids():  # every model is gated against a dense model
        assert zoo.get(zoo.get(mid).reference).is_dense, mid


def test_the_table_lists_every_model(zoo: Registry) -> None:
    lines = zoo.table().splitlines()
    assert lines[0].split() == ["id", "base", "/", "checkpoint", "method", "reference", "pinned"]
    assert set(lines[1]) <= {"-", " "}
    assert [line.split()[0] for line in lines[2:]] == zoo.ids()
    row = next(line for line in lines if line.startswith("vicuna-gptq3 "))
    assert row.split() == ["vicuna-gptq3", "hf:compressed-llm/vicuna-13b-v1.3-gptq@3bit_128g", "(pre-compressed)",
                           "vicuna-13b", "-"]  # a branch name: a mutable ref, not pinned


def test_entries_resolve_bases_and_references(tmp_path: Path) -> None:
    reg = _load(tmp_path, SMALL)
    dense, rtn, ckpt = reg.get("dense"), reg.get("dense-rtn4"), reg.get("dense-ckpt")
    assert dense.is_dense and dense.reference == "dense" and dense.method_label == "dense"
    assert rtn.source == dense.source and rtn.reference == "dense"  # the base's source, gated against the base
    assert str(rtn.spec) == "local:/models/dense+rtn(bits=4,group_size=64)"
    assert not ckpt.is_dense and ckpt.method_label == "checkpoint hf:org/dense-gptq@4bit"


def test_resolving_registry_ids_and_ad_hoc_specs(tmp_path: Path) -> None:
    reg = _load(tmp_path, SMALL)
    assert reg.resolve(" dense-rtn4 ") is reg.get("dense-rtn4")
    adhoc = reg.resolve("dense+magnitude(sparsity=0.5)")
    assert (adhoc.id, adhoc.reference) == ("dense-magnitude-sparsity-0.5", "dense")
    assert adhoc.source == reg.get("dense").source
    assert reg.get(adhoc.id) is adhoc
    local = reg.resolve("local:/elsewhere/m+rtn(bits=8)")
    assert local.reference == "local-elsewhere-m"
    assert reg.get(local.reference).is_dense and reg.get(local.reference).source == Source("local", "/elsewhere/m")


@pytest.mark.parametrize(("value", "message"), [
    ("dnese", "unknown model 'dnese'; closest known ids: dense"),
    ("dense-rtn", "unknown model 'dense-rtn'; closest known ids: dense-rtn4"),
    ("dense+rtn(", "malformed model spec 'dense+rtn(': bad method"),
    ("hf:nope", "malformed model spec 'hf:nope': bad hub source"),
    ("dense-rtn4+rtn(bits=2)", "base 'dense-rtn4' is not a dense model"),
    ("nothing-alike-at-all+rtn(bits=2)", "closest known ids: dense, dense-rtn4, dense-ckpt"),
])
def test_unresolvable_values_name_the_closest_ids(tmp_path: Path, value: str, message: str) -> None:
    reg = _load(tmp_path, SMALL)
    with pytest.raises(RegistryError, match=re.escape(message)):
        reg.resolve(value)


BAD_FILES = [
    # registry text, the line the error must point at, part of the message
    pytest.param("[models.dense]\nbase = 'local:/m'\nmethod = \n", 3, "Invalid value", id="toml-syntax"),
    pytest.param("[other]\nx = 1\n", 1, "expected a [models.<id>] table", id="no-models-table"),
    pytest.param("[models.dense]\nbase = 'local:/m'\n\n[models.quant]\nbase = 'dense'\nbits = 4\n", 4,
                 "unknown keys ['bits']", id="unknown-key"),
    pytest.param("[models.dense]\nbase = 'local:/m'\ncheckpoint = 'hf:o/n'\n", 1,
                 "exactly one of 'base' or 'checkpoint'", id="base-and-checkpoint"),
    pytest.param("[models.dense]\nbase = 'local:/m'\n\n[models.quant]\nbase = 'nope'\n", 4,
                 "base 'nope' is not a registry id", id="unknown-base"),
    pytest.param("[models.first]\nbase = 'second'\n\n[models.second]\nbase = 'first'\n", 1,
                 "refers to itself", id="cycle"),
    pytest.param("[models.dense]\nbase = 'local:/m'\n\n[models.quant]\nbase = 'dense'\nmethod = 'rtn(bits=4'\n", 4,
                 "bad method", id="bad-method"),
    pytest.param("[models.dense]\nbase = 'local:/m'\nreference = 'zz'\n", 1,
                 "reference 'zz' is not a registry id", id="unknown-reference"),
    pytest.param("[models.dense]\ncheckpoint = 'dense'\n", 1, "a checkpoint must be hf:, local: or gguf:",
                 id="checkpoint-is-an-id"),
    # An id that is a prefix of an earlier id (as llama2-13b is in config/models.toml): its own table's line.
    pytest.param("[models.llama2-13b-chat]\nbase = 'hf:o/chat'\n\n[models.llama2-13b]\nbase = 'hf:o/base'\nbits = 4\n",
                 4, "unknown keys ['bits']", id="id-is-a-prefix-of-an-earlier-id"),
    pytest.param("# tiny is the smallest\n[models.big]\nbase = 'local:/b'\n\n"
                 "[models.tiny]\nbase = 'local:/t'\nbits = 2\n",
                 5, "unknown keys ['bits']", id="id-mentioned-in-a-comment-first"),
]


@pytest.mark.parametrize(("text", "line", "message"), BAD_FILES)
def test_malformed_registry_files_name_file_and_line(tmp_path: Path, text: str, line: int, message: str) -> None:
    with pytest.raises(RegistryError) as info:
        _load(tmp_path, text)
    msg = str(info.value)
    assert message in msg
    path = re.escape(str(tmp_path / "models.toml"))
    # Our own checks report "path:N: ..."; tomllib's syntax errors report "path: ... (at line N, column M)".
    found = re.match(rf"{path}:(\d+): ", msg) or re.match(rf"{path}: .*\(at line (\d+), column \d+\)", msg)
    assert found, f"no file:line in {msg!r}"
    assert int(found.group(1)) == line, msg
