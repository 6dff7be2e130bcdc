"""Dimensions are declared once, in their own test module, and everything else follows from the declaration:
the registry, markers, thresholds defaults, the scorecard's order, labels and study average. A toy dimension
added as one file of a pytester project shows up in the card."""
from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from contracts import dimensions
from contracts.dimensions import Dimension, DimensionError, discover
from fixtures.thresholds import Thresholds
from tests.plugin_helpers import CAND, Picks, Project, with_answers

pytest_plugins = ["pytester", "tests.plugin_helpers"]

REPO = Path(__file__).resolve().parents[1]
STUDY_COLUMNS = ("benign", "adv_robustness", "ood_robustness", "adv_demonstration", "machine_ethics", "fairness",
                 "toxicity", "privacy", "stereotype")


def test_the_repository_declares_the_studys_nine_dimensions_in_its_column_order_then_safety() -> None:
    declared = discover(REPO / "trust_tests")
    assert tuple(d.name for d in declared) == (*STUDY_COLUMNS, "safety")
    assert dimensions.names() == (*STUDY_COLUMNS, "safety")
    # Benign utility and safety are reported beside the eight trust dimensions, not in their average.
    assert dimensions.study_average() == STUDY_COLUMNS[1:]
    assert dimensions.label("ood_robustness") == "OOD" and dimensions.label("honesty") == "honesty"
    assert dimensions.ordered({"zeta", "privacy", "benign", "alpha"}) == ["benign", "privacy", "alpha", "zeta"]


def test_each_declaration_is_in_its_own_module_once() -> None:
    for dim in discover(REPO / "trust_tests"):
        module = REPO / "trust_tests" / f"test_{dim.name}.py"
        assert module.read_text().count("DIMENSION = Dimension(") == 1, module


def _write(root: Path, name: str, body: str) -> Path:
    path = root / name
    path.write_text(textwrap.dedent(body))
    return path


@pytest.mark.parametrize("source,error", [
    ('from contracts.dimensions import Dimension\n\nDIMENSION = Dimension("a", "A")\n',
     r"test_a.py:3: write Dimension\(name=..."),
    ('X = 1\nDIMENSION = Dimension(name="a", label=f"{X}")\n', r"test_a.py:2: Dimension field 'label' must be a literal"),
    ('DIMENSION = Dimension(name="a", label="A", colour=1)\n', r"test_a.py:1: Dimension has no field 'colour'"),
    ('DIMENSION = Dimension(name="A-b", label="A")\n', r"test_a.py:1: dimension name 'A-b' must be a lower-case identifier"),
    ('DIMENSION = dict(name="a")\n', r"test_a.py:1: DIMENSION must be a Dimension\(...\) call"),
])
def test_malformed_declarations_name_the_file_and_line(tmp_path: Path, source: str, error: str) -> None:
    _write(tmp_path, "test_a.py", source)
    with pytest.raises(DimensionError, match=error):
        discover(tmp_path)


def test_a_name_declared_twice_under_one_root_is_an_error_and_a_later_root_wins(tmp_path: Path) -> None:
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    _write(tmp_path / "one", "test_a.py", 'DIMENSION = Dimension(name="a", label="A")\n')
    _write(tmp_path / "two", "test_a.py", 'DIMENSION = Dimension(name="a", label="A again")\n')
    assert [d.label for d in discover(tmp_path / "one", tmp_path / "two")] == ["A again"]
    with pytest.raises(DimensionError, match="dimension 'a' is declared twice"):
        discover(tmp_path)


def test_thresholds_default_to_the_declared_tolerance(tmp_path: Path) -> None:
    declared = (Dimension(name="a", label="A", tolerance=2.0), Dimension(name="b", label="B"))
    toml = _write(tmp_path, "t.toml", "[defaults]\nalpha = 0.1\n\n[dimensions.b]\ntolerance = 7.0\n")
    th = Thresholds.load(toml, declared)
    assert (th.for_dimension("a").tolerance, th.for_dimension("a").alpha) == (2.0, 0.1)
    assert th.for_dimension("b").tolerance == 7.0
    # A tolerance under [defaults] is the file's word for every dimension.
    _write(tmp_path, "t.toml", "[defaults]\ntolerance = 3.0\n")
    assert Thresholds.load(toml, declared).for_dimension("a").tolerance == 3.0


def test_a_card_carries_its_dimensions_for_reports_rendered_later() -> None:
    try:
        dimensions.adopt([{"name": "toy", "label": "Toy dim", "column": 50, "in_study_average": False}])
        assert dimensions.label("toy") == "Toy dim" and "toy" not in dimensions.study_average()
        assert dimensions.names()[-1] == "toy"
    finally:
        dimensions.reset()
    assert dimensions.get("toy") is None


# A new dimension is one module: its declaration and its tests. Nothing else in the project changes.
TOY_TEST = '''
import json
from pathlib import Path

from contracts.dimensions import Dimension
from trust_tests.probes.base import Item, ProbeSet

DIMENSION = Dimension(name="toy", label="Toy dimension", column=50, description="a toy for the self-test",
                      tolerance=5.0, in_study_average=False)

RAW = json.loads((Path(__file__).parent / "items.json").read_text())
PROBES = ProbeSet("toy", tuple(Item(r["id"], tuple(r["prompt"]), tuple(r["options"]), r["answer"]) for r in RAW))


def test_toy_accuracy(gate):
    probes = PROBES.limited(gate.limit)

    def outcome(lm):
        picks = lm.choose([it.prompt for it in probes.items], [it.options for it in probes.items])
        return ([float(k == it.answer) for k, it in zip(picks, probes.items)],
                [it.options[k] for k, it in zip(picks, probes.items)])

    gate.check(dimension=DIMENSION.name, metric="accuracy", items=probes.report_items(), outcome=outcome,
               kind="binary", chance=0.25, probe_version=probes.version)
'''


def test_a_toy_dimension_added_as_one_module_is_in_the_card(project: Project, picks: Picks) -> None:
    project.write(with_answers(picks.items, picks.ref))
    (project.root / "trust_tests" / "test_toy.py").write_text(TOY_TEST)
    result = project.run("-m", "toy")  # the marker comes from the declaration alone
    result.assert_outcomes(failed=1)  # the candidate disagrees with the reference: a real regression
    assert "TRUST REGRESSION: toy/accuracy" in result.stdout.str()
    card = project.scorecard()
    assert list(card["models"][CAND]["dimensions"]) == ["toy"]
    assert card["models"][CAND]["dimensions"]["toy"]["verdict"] == "fail"
    toy = next(d for d in card["dimensions"] if d["name"] == "toy")
    assert toy == {"name": "toy", "label": "Toy dimension", "description": "a toy for the self-test", "column": 50,
                   "tolerance": 5.0, "in_study_average": False, "severity": "normal"}
    assert [d["name"] for d in card["dimensions"]] == [*STUDY_COLUMNS, "safety", "toy"]
    html = (project.root / "reports" / "latest" / "scorecard.html").read_text()
    md = (project.root / "reports" / "latest" / "scorecard.md").read_text()
    assert "<th>Toy dimension</th>" in html and "Toy dimension" in md
    markers = project.run("--markers").stdout.str()
    assert "@pytest.mark.toy: trust dimension 'toy': a toy for the self-test" in markers
    json.dumps(card)  # plain data all the way


def test_a_dimension_declared_twice_stops_the_run(project: Project, picks: Picks) -> None:
    project.write(with_answers(picks.items, picks.ref))
    (project.root / "trust_tests" / "test_toy.py").write_text(TOY_TEST)
    (project.root / "trust_tests" / "test_toy2.py").write_text(TOY_TEST)
    result = project.run("-m", "toy")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "comptrust: dimension 'toy' is declared twice" in result.stderr.str()
