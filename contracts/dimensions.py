"""Trust dimensions: one declaration each, read by every layer.

A dimension is declared once, in its own test module (`trust_tests/test_<name>.py`, or any `test_*.py`
under `trust_tests/`), as a module-level literal:

    DIMENSION = Dimension(name="fairness", label="Fairness", column=6,
                          description="DecodingTrust fairness")

Everything else is derived from the declarations: the pytest markers (the plugin registers one per
dimension and puts it on the module's tests), the dimensions `gate.check` accepts, the tolerance a
dimension gets when config/thresholds.toml names none, the scorecard's order and labels, and which
dimensions the study's average and radar take.

`discover` reads the declarations from the source without importing it (ast + literal_eval), so the
plugin knows every dimension before collection and reports/ knows them without importing test code.
This module imports nothing else from the project, so trust_tests/, fixtures/ and reports/ may all
read it. A written card carries the table (`as_table`), so reports rendered later from the JSON alone
show the dimensions the run declared (`adopt`).
"""
from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

DECLARATION = "DIMENSION"
# The repository's own slices: the registry every process starts from.
SEVERITIES = ("blocker", "critical", "normal", "minor", "trivial")  # Allure's five levels
HOME = Path(__file__).resolve().parents[1] / "trust_tests"


class DimensionError(ValueError):
    """A malformed or duplicated declaration; the message names the file and line."""


@dataclass(frozen=True)
class Dimension:
    name: str                       # the key in gate.check, the scorecard, thresholds.toml; also the marker
    label: str                      # the column header in reports
    description: str = ""           # the marker's help line (`pytest --markers`)
    column: int = 100               # position in the scorecard's tables (the study's column order); ties by name
    tolerance: float = 5.0          # score points; config/thresholds.toml [dimensions.<name>] overrides it
    in_study_average: bool = True   # counted in the study's trust average and drawn on its radar
    severity: str = "normal"        # Allure severity of its tests (reports/allure_support.py says why)

    def __post_init__(self) -> None:
        if not self.name.isidentifier() or not self.name.islower():
            raise DimensionError(f"dimension name {self.name!r} must be a lower-case identifier (it is a marker)")
        if not isinstance(self.label, str) or not self.label:
            raise DimensionError(f"dimension {self.name!r} needs a label")
        if isinstance(self.tolerance, bool) or not isinstance(self.tolerance, (int, float)) or not 0 <= self.tolerance <= 100:
            raise DimensionError(f"dimension {self.name!r}: tolerance is in score points, in [0, 100]")
        if self.severity not in SEVERITIES:
            raise DimensionError(f"dimension {self.name!r}: severity must be one of {', '.join(SEVERITIES)}")
        if not isinstance(self.in_study_average, bool):
            raise DimensionError(f"dimension {self.name!r}: in_study_average must be true or false")

    @property
    def marker(self) -> str:
        return self.name


_FIELDS = {f.name for f in fields(Dimension)}


def _declaration(path: Path) -> Dimension | None:
    """The `DIMENSION = Dimension(...)` of one module, read from its source; None if it has none."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (OSError, SyntaxError, UnicodeDecodeError):
        return None  # pytest reports a module it cannot import; discovery does not
    for node in tree.body:
        target = node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1 else (
            node.target if isinstance(node, ast.AnnAssign) else None)
        if not (isinstance(target, ast.Name) and target.id == DECLARATION):
            continue
        call = node.value
        func = getattr(call, "func", None)
        if not (isinstance(call, ast.Call) and (getattr(func, "id", None) or getattr(func, "attr", None)) == "Dimension"):
            raise DimensionError(f"{path}:{node.lineno}: {DECLARATION} must be a Dimension(...) call")
        if call.args:
            raise DimensionError(f"{path}:{node.lineno}: write Dimension(name=..., label=..., ...) with keywords")
        kwargs: dict[str, Any] = {}
        for kw in call.keywords:
            if kw.arg not in _FIELDS:
                raise DimensionError(f"{path}:{node.lineno}: Dimension has no field {kw.arg!r}; fields: {sorted(_FIELDS)}")
            try:
                kwargs[kw.arg] = ast.literal_eval(kw.value)
            except ValueError:
                raise DimensionError(f"{path}:{kw.value.lineno}: Dimension field {kw.arg!r} must be a literal") from None
        try:
            return Dimension(**kwargs)
        except (TypeError, DimensionError) as e:
            raise DimensionError(f"{path}:{node.lineno}: {e}") from None
    return None


def _modules(root: Path) -> Iterable[Path]:
    if root.is_file():
        yield root
        return
    for path in sorted(root.rglob("test_*.py")):
        if not any(part.startswith(".") or part == "__pycache__" for part in path.relative_to(root).parts):
            yield path


def discover(*roots: Path) -> tuple[Dimension, ...]:
    """Every declaration in `test_*.py` under the roots, in table order. A name declared twice under one root is
    an error; a later root's declaration replaces an earlier root's (a project's own copy of a slice wins)."""
    found: dict[str, Dimension] = {}
    seen: set[Path] = set()
    for root in roots:
        here: dict[str, Path] = {}
        for path in _modules(Path(root)):
            real = path.resolve()
            if real in seen:
                continue
            seen.add(real)
            dim = _declaration(path)
            if dim is None:
                continue
            if dim.name in here:
                raise DimensionError(f"dimension {dim.name!r} is declared twice: {here[dim.name]} and {path}")
            here[dim.name] = path
            found[dim.name] = dim
    return _ordered(found.values())


def _ordered(dims: Iterable[Dimension]) -> tuple[Dimension, ...]:
    return tuple(sorted(dims, key=lambda d: (d.column, d.name)))


# The registry: the repository's declarations until a run (the plugin) or a card (reports) says otherwise.
_registry: tuple[Dimension, ...] | None = None


def declared() -> tuple[Dimension, ...]:
    """The declared dimensions, in table order."""
    global _registry
    if _registry is None:
        _registry = discover(HOME)
    return _registry


def use(dims: Iterable[Dimension]) -> None:
    """Make `dims` the registry (the plugin: what this run's trust tests declare)."""
    global _registry
    _registry = _ordered(dims)


def reset() -> None:
    """Back to the repository's own declarations."""
    global _registry
    _registry = None


def names() -> tuple[str, ...]:
    return tuple(d.name for d in declared())


def study_average() -> tuple[str, ...]:
    """The dimensions the study averages and draws on its radar, in table order."""
    return tuple(d.name for d in declared() if d.in_study_average)


def get(name: str) -> Dimension | None:
    return next((d for d in declared() if d.name == name), None)


def label(name: str) -> str:
    """The dimension's label; an undeclared key is shown as written."""
    dim = get(name)
    return dim.label if dim else name


def ordered(present: Iterable[str]) -> list[str]:
    """Declared dimensions in table order, then any undeclared ones alphabetically (never dropped)."""
    seen = set(present)
    known = names()
    return [d for d in known if d in seen] + sorted(seen - set(known))


def as_table(dims: Sequence[Dimension] | None = None) -> list[dict[str, Any]]:
    """Plain rows for the scorecard JSON."""
    return [asdict(d) for d in (declared() if dims is None else dims)]


def adopt(table: object) -> None:
    """Add a card's dimension rows to the registry (a card's row wins over a declaration of the same name),
    so a card rendered from its JSON alone shows the labels and average of the run that wrote it."""
    if not isinstance(table, list):
        return  # an old card: a list of names, or nothing
    rows = [r for r in table if isinstance(r, Mapping)]
    try:
        from_card = {d.name: d for d in (Dimension(**{k: v for k, v in r.items() if k in _FIELDS}) for r in rows)}
    except (TypeError, DimensionError):
        return  # a malformed table does not stop a report; the declarations stand
    use([*(d for d in declared() if d.name not in from_card), *from_card.values()])
