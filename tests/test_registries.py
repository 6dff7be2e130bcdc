"""Compression methods and inference backends register by existing: a new module in compressors/ or
fixtures/backends/ is picked up with no list to edit, and a module that cannot be imported is an error."""
from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import compressors
import fixtures.backends
from compressors import CompressorError, known_methods
from compressors.base import Compressor
from fixtures.backends.base import Backend, LoadError, get_backend, known_backends

ROOT = Path(__file__).resolve().parents[1]


def _named_classes(folder: Path) -> set[str]:
    """`name = "..."` in every class body of the folder's modules, read from the source."""
    names = set()
    for path in folder.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                for stmt in node.body:
                    if (isinstance(stmt, ast.Assign) and [getattr(t, "id", None) for t in stmt.targets] == ["name"]
                            and isinstance(stmt.value, ast.Constant)):
                        names.add(stmt.value.value)
    return names


def test_every_method_defined_in_compressors_is_registered() -> None:
    assert set(known_methods()) == _named_classes(ROOT / "compressors")


def test_every_backend_defined_in_fixtures_backends_is_registered() -> None:
    assert set(known_backends()) == _named_classes(ROOT / "fixtures" / "backends") - {"backend"}
    assert known_backends(local=True) == ["hf", "vllm"]  # the --backend choices; endpoints are --endpoint
    assert get_backend("vllm").cuda_only and not get_backend("vllm").quantizes_on_load
    with pytest.raises(LoadError, match="unknown backend 'tgi'; known backends: hf, openai, vllm"):
        get_backend("tgi")


@pytest.fixture
def planted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder on both packages' search path, whose modules are forgotten afterwards."""
    monkeypatch.setattr(compressors, "__path__", [*compressors.__path__, str(tmp_path)])
    monkeypatch.setattr(fixtures.backends, "__path__", [*fixtures.backends.__path__, str(tmp_path)])
    before = set(sys.modules)
    yield tmp_path
    for name in set(sys.modules) - before:
        del sys.modules[name]
    Compressor._registry.pop("planted", None)
    Backend._registry.pop("planted", None)


def test_a_new_compressor_module_registers_without_a_list(planted: Path) -> None:
    (planted / "zz_planted.py").write_text(
        "from compressors.base import Compressor\n"
        "class Planted(Compressor):\n    name = 'planted'\n"
        "    def normalize(self, params, arch):\n        return dict(params)\n")
    assert "planted" in known_methods()


def test_a_compressor_module_that_fails_to_import_is_loud(planted: Path) -> None:
    (planted / "zz_broken.py").write_text("import comptrust_no_such_module\n")
    with pytest.raises(CompressorError, match=r"compressors/zz_broken\.py cannot be imported .*no_such_module"):
        known_methods()


def test_a_new_backend_module_registers_and_becomes_a_backend_choice(planted: Path) -> None:
    (planted / "zz_planted_backend.py").write_text(
        "from fixtures.backends.base import Backend\n"
        "class Planted(Backend):\n    name = 'planted'\n"
        "    def loglik(self, requests, tick):\n        return []\n"
        "    def generate(self, prompts, params, seeds, tick):\n        return []\n")
    assert "planted" in known_backends(local=True)


def test_two_methods_with_one_name_are_refused() -> None:
    assert "rtn" in known_methods()
    with pytest.raises(TypeError, match="two compression methods are named 'rtn'"):
        type("Again", (Compressor,), {"name": "rtn", "normalize": lambda self, p, a: dict(p)})


def test_a_backend_module_that_fails_to_import_is_loud(planted: Path) -> None:
    (planted / "zz_broken_backend.py").write_text("import comptrust_no_such_module\n")
    with pytest.raises(LoadError, match=r"fixtures/backends/zz_broken_backend\.py cannot be imported"):
        known_backends()


# --- the two-step model path: spec -> folder (one place decides), folder -> backend -------------------------


def _entry(tmp_path: Path, method: str | None) -> object:
    from fixtures.registry import Registry

    folder = tmp_path / "dense"
    folder.mkdir(exist_ok=True)
    (folder / "config.json").write_text('{"hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2}')
    (folder / "model.safetensors").write_bytes(b"w")
    body = f"[models.m]\nbase = 'local:{folder}'\n" + (f"method = '{method}'\nreference = 'd'\n[models.d]\n"
                                                       f"base = 'local:{folder}'\n" if method else "")
    (tmp_path / "models.toml").write_text(body)
    return Registry.load(tmp_path / "models.toml").get("m")


def test_a_dense_entry_resolves_to_its_own_folder(tmp_path: Path) -> None:
    from fixtures.backends.base import ModelFolder
    from fixtures.loading import LoadOptions, Materializer

    mat = Materializer(tmp_path / "home", LoadOptions(device="cpu"), lambda m: None)
    assert mat.model_folder(_entry(tmp_path, None)) == ModelFolder(tmp_path / "dense")
    assert mat.loaded["m"] == tmp_path / "dense"


def test_an_on_load_method_resolves_to_the_dense_folder_and_builds_nothing(tmp_path: Path) -> None:
    from fixtures.backends.base import ModelFolder
    from fixtures.loading import LoadOptions, Materializer

    messages: list[str] = []
    mat = Materializer(tmp_path / "home", LoadOptions(device="cpu"), messages.append)
    folder = mat.model_folder(_entry(tmp_path, "quanto(weights=int8)"))
    assert folder == ModelFolder(tmp_path / "dense", "quanto", {"weights": "int8"}, on_load=True)
    assert messages == [] and not (tmp_path / "home").exists()  # nothing compressed, nothing cached


def test_a_backend_that_cannot_quantize_on_load_is_refused_before_anything_is_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fixtures.backends.vllm import VLLMBackend
    from fixtures.loading import LoadOptions, Materializer

    monkeypatch.setattr(VLLMBackend, "available", classmethod(lambda cls: (True, "")))
    mat = Materializer(tmp_path / "home", LoadOptions(device="cuda", backend="vllm"), lambda m: None)
    with pytest.raises(LoadError, match="m: method 'quanto' quantizes while transformers loads the model"):
        mat.load(_entry(tmp_path, "quanto(weights=int8)"))
