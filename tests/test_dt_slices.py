"""Each DecodingTrust dimension's full tier is one slice module in trust_tests/probes/dt/slices/: the registry
finds a slice by its module existing, covers exactly the dimensions with DecodingTrust data, and a module that
cannot be imported is loud. The stage modules name no dimension."""
from __future__ import annotations

import ast
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import trust_tests.probes.dt.slices as slices_package
from tests.test_imports import import_graph
from trust_tests.probes.dt import DIMENSIONS
from trust_tests.probes.dt.builders import build_full
from trust_tests.probes.dt.evaluate import item_values, score_dimension
from trust_tests.probes.dt.files import missing_file_message
from trust_tests.probes.dt.plan import chance, load_study, set_names, set_weight
from trust_tests.probes.dt.slice import DTSlice, SliceError, known_slices, slice_for
from trust_tests.probes.dt.study import STUDY, customize

ROOT = Path(__file__).resolve().parents[1]
DT = ROOT / "trust_tests" / "probes" / "dt"
DATA = ROOT / "tests" / "data" / "dt" / "data"
# Shared machinery, settings included (each dimension's settings are in its slice); scoring.py and parsers.py
# (DecodingTrust's formulas and answer parsers) are plain functions named after what they compute, so they are left out.
STAGES = ("__init__", "files", "slice", "source", "loaders", "settings", "study", "prompts", "builders", "evaluate",
          "plan", "gating")


def _full_tier_modules() -> set[str]:
    """The dimensions whose trust_tests module has a DecodingTrust full tier."""
    return {p.stem.removeprefix("test_") for p in (ROOT / "trust_tests").glob("test_*.py")
            if "full_tier_test(" in p.read_text(encoding="utf-8")}


def test_the_registry_covers_exactly_the_dimensions_with_decodingtrust_data() -> None:
    assert DIMENSIONS == known_slices()
    assert set(DIMENSIONS) == set(STUDY.dimensions) == _full_tier_modules()
    assert {p.stem for p in (DT / "slices").glob("*.py")} - {"__init__"} == set(DIMENSIONS)
    for dim in DIMENSIONS:
        piece = slice_for(dim)
        assert type(piece).__module__ == f"trust_tests.probes.dt.slices.{dim}"
        assert (DATA / piece.folder).is_dir(), piece.folder  # the fixtures mirror DecodingTrust's data/ layout
        assert piece.expected_files and all(f.startswith(f"{piece.folder}/") for f in piece.expected_files)
        assert all(prefix.startswith(f"{piece.folder}/") for prefix in piece.often_missing)
        # Its settings are declared beside it, and the study's are their defaults.
        assert piece.settings_type.__module__ == type(piece).__module__
        assert getattr(STUDY, dim) == piece.settings_type()
    with pytest.raises(AttributeError, match="the study has no dimension 'benign'"):
        STUDY.benign  # noqa: B018


def test_no_stage_module_names_a_dimension() -> None:
    for stage in STAGES:
        path = DT / f"{stage}.py"
        literals = {n.value for n in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                    if isinstance(n, ast.Constant) and isinstance(n.value, str)}
        assert not literals & set(DIMENSIONS), (path, literals & set(DIMENSIONS))


def test_often_missing_files_come_from_the_slices() -> None:
    assert "It feeds the Enron context-50/100/200 sets only" in missing_file_message("privacy/enron_data/context.json")


def test_the_full_tier_imports_nothing_from_fixtures() -> None:
    graph = import_graph(ROOT)
    bad = [f"{mod} imports {target}" for mod, edges in sorted(graph.items()) if mod.startswith("trust_tests.probes.dt")
           for target in edges if target.split(".")[0] == "fixtures"]
    assert bad == []


# ---- a new slice registers by existing ----------------------------------------------------------

TOY = '''
"""A toy dimension: two sets, one scored and one reported."""
from dataclasses import dataclass

from trust_tests.probes.base import Item
from trust_tests.probes.dt.settings import Generation
from trust_tests.probes.dt.slice import DimensionScore, DTSlice


@dataclass(frozen=True)
class ToySettings:
    sets: tuple[str, ...] = ("scored", "reported")
    items: int = 3
    generation: Generation = Generation(1)


class Toy(DTSlice):
    name = "toy"
    folder = "toy"
    settings_type = ToySettings

    def set_names(self, study):
        return study.toy.sets

    def part(self, name):
        return "" if name == "reported" else "all"

    def is_accuracy(self, name):
        return True

    def build(self, root, study, seed, extras):
        gen = study.toy.generation.as_meta()
        return {n: [Item(f"{n}/{i}", "q", ("x", "y"), 0, gen) for i in range(study.toy.items)]
                for n in self.set_names(study)}

    def item_values(self, set_name, probes, generations, opt):
        return [float(g[0] == "x") for g in generations]

    def score(self, sets, generations, opt):
        values = [self.item_values("scored", sets["scored"], generations["scored"], opt)]
        return DimensionScore("toy", 100.0 * sum(values[0]) / len(values[0]))
'''


@pytest.fixture
def planted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder on the slices package's search path, whose modules are forgotten afterwards."""
    monkeypatch.setattr(slices_package, "__path__", [*slices_package.__path__, str(tmp_path)])
    before = set(sys.modules)
    yield tmp_path
    for name in set(sys.modules) - before:
        del sys.modules[name]
    DTSlice._registry.pop("toy", None)


def test_a_planted_slice_module_is_a_dimension_for_every_stage(planted: Path) -> None:
    (planted / "zz_toy.py").write_text(TOY)
    assert "toy" in known_slices()
    assert set_names("toy") == ("scored", "reported")
    assert set_weight("toy", "scored") == 1.0 and set_weight("toy", "reported") == 0.0
    assert chance("toy", "scored", 2) == 0.5
    sets = build_full("toy", planted, seed=0, limit=2)
    assert [p.name for p in sets.values()] == ["dt/toy/scored", "dt/toy/reported"] and len(sets["scored"]) == 2
    gens = {name: [["x"], ["y"]] for name in sets}
    assert item_values("toy", "scored", sets["scored"], gens["scored"]) == [1.0, 0.0]
    assert score_dimension("toy", sets, gens).score == 50.0
    assert sets["scored"].items[0].meta == {"max_new_tokens": 1, "temperature": 0.0, "n": 1}


def test_a_planted_slice_brings_its_settings_and_dt_study_overrides_them(planted: Path) -> None:
    (planted / "zz_toy.py").write_text(TOY)
    overrides = {"_note": "a quick look", "toy": {"sets": ["scored"], "items": 2, "generation": {"max_new_tokens": 4}}}
    (planted / "study.json").write_text(json.dumps(overrides))
    study = load_study(planted / "study.json")
    assert type(study.toy).__name__ == "ToySettings" and study.toy.sets == ("scored",)
    assert study.privacy == STUDY.privacy  # the other dimensions keep the study's settings
    assert set_names("toy", study) == ("scored",) and set_weight("toy", "scored", study) == 1.0
    sets = build_full("toy", planted, seed=0, limit=None, study=study)
    assert list(sets) == ["scored"] and len(sets["scored"]) == 2
    assert sets["scored"].items[0].meta == {"max_new_tokens": 4, "temperature": 0.0, "n": 1}
    with pytest.raises(ValueError, match=r"unknown setting toy\.colour; expected one of \['generation', 'items', 's"):
        customize(STUDY, {"toy": {"colour": "red"}})


def test_a_slice_module_that_fails_to_import_is_loud(planted: Path) -> None:
    (planted / "zz_broken.py").write_text("import comptrust_no_such_module\n")
    with pytest.raises(SliceError, match=r"trust_tests/probes/dt/slices/zz_broken\.py cannot be imported"):
        known_slices()


def test_two_slices_with_one_name_are_refused() -> None:
    with pytest.raises(TypeError, match="two DecodingTrust slices are named 'privacy'"):
        type("Again", (DTSlice,), {"name": "privacy"})


def test_a_slice_without_settings_is_refused() -> None:
    with pytest.raises(TypeError, match="slice 'unsettled' needs `settings_type`"):
        type("Unsettled", (DTSlice,), {"name": "unsettled"})
    assert "unsettled" not in DTSlice._registry


def test_an_unknown_dimension_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown dimension 'benign'; expected one of \['adv_demonstration'"):
        slice_for("benign")
