"""Shared pieces for the pytester self-tests: a throwaway comptrust project gating tiny local models.

The project has two randomly initialised tiny Llamas: `tiny-ref` (the dense reference) and
`tiny-cand` (another seed, standing in for a damaged compressed copy). Items are 4-way multiple
choice; their "correct" option is whichever the reference prefers (a real regression for the
candidate) or a balanced pattern that puts the reference exactly at chance (a real no-signal path).

Register with `pytest_plugins = ["pytester", "tests.plugin_helpers"]` in a test module. Test modules
import it before pytest registers it, so it opts out of assertion rewriting: PYTEST_DONT_REWRITE.
"""
from __future__ import annotations

import json
import random
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REF, CAND, COPY = "tiny-ref", "tiny-cand", "tiny-copy"
N_ITEMS = 40
INNER_FLAGS = ("--threads", "1", "-p", "no:cacheprovider")

_WORDS = ("apple", "river", "stone", "cloud", "tiger", "piano", "window", "garden", "silver", "doctor",
          "yellow", "castle", "pencil", "ocean", "button", "candle", "forest", "rocket", "violin", "marble")

# The inner trust test: the same shape as trust_tests/test_benign.py, over items.json next to it.
INNER_TEST = '''
import json
from pathlib import Path

import pytest

from trust_tests.probes.base import Item, ProbeSet

RAW = json.loads((Path(__file__).parent / "items.json").read_text())
PROBES = ProbeSet("inner", tuple(Item(r["id"], tuple(r["prompt"]), tuple(r["options"]), r["answer"]) for r in RAW))


def _outcome(probes):
    def outcome(lm):
        picks = lm.choose([it.prompt for it in probes.items], [it.options for it in probes.items])
        return ([float(k == it.answer) for k, it in zip(picks, probes.items)],
                [it.options[k] for k, it in zip(picks, probes.items)])

    return outcome


def _check(gate, dimension):
    probes = PROBES.limited(gate.limit)
    gate.check(dimension=dimension, metric="accuracy", items=probes.report_items(), outcome=_outcome(probes),
               kind="binary", chance=0.25, probe_version=probes.version)


@pytest.mark.benign
def test_benign_accuracy(gate):
    _check(gate, "benign")


@pytest.mark.fairness
def test_fairness_accuracy(gate):
    _check(gate, "fairness")
'''

THRESHOLDS = """\
[defaults]
alpha = 0.05
signal_alpha = 0.05
tolerance = 5.0
n_boot = 200
"""


@dataclass(frozen=True)
class TinyZoo:
    ref_dir: Path
    cand_dir: Path


def registry_toml(zoo: TinyZoo) -> str:
    """tiny-ref is dense; tiny-cand (other weights) and tiny-copy (the same folder) are gated against it."""
    return textwrap.dedent(f"""\
        [models.{REF}]
        base = 'local:{zoo.ref_dir}'
        description = 'tiny random Llama, seed 0'

        [models.{CAND}]
        base = 'local:{zoo.cand_dir}'
        reference = '{REF}'
        description = 'tiny random Llama, seed 1'

        [models.{COPY}]
        base = 'local:{zoo.ref_dir}'
        reference = '{REF}'
        description = 'a lossless "compression": the reference weights'
        """)


def make_items(n: int = N_ITEMS, seed: int = 0) -> list[dict[str, Any]]:
    """Chat prompts with four distinct one-word options each; `answer` is filled in by the caller."""
    rng = random.Random(seed)
    items = []
    for i in range(n):
        a, b = rng.sample(_WORDS, 2)
        prompt = [{"role": "user", "content": f"Item {i}: {a} or {b}? Pick one word."}]
        items.append({"id": f"q{i:03d}", "prompt": prompt, "options": rng.sample(_WORDS, 4), "answer": 0})
    return items


def with_answers(items: Sequence[Mapping[str, Any]], answers: Sequence[int]) -> list[dict[str, Any]]:
    return [{**it, "answer": int(k)} for it, k in zip(items, answers, strict=True)]


def chance_answers(ref_picks: Sequence[int]) -> list[int]:
    """The reference is right on exactly every fourth item: 25%, i.e. chance, by construction."""
    return [k if i % 4 == 0 else (k + 1 + i % 3) % 4 for i, k in enumerate(ref_picks)]


def preimport() -> None:
    """Import what inner runs import: pytester drops modules first imported inside a run, and torch
    and transformers cannot be imported twice in one process."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.backends.backend_agg  # noqa: F401
    import matplotlib.backends.backend_svg  # noqa: F401
    import matplotlib.pyplot  # noqa: F401
    import scipy.stats  # noqa: F401
    import torch
    import transformers  # noqa: F401

    import compressors  # noqa: F401
    import fixtures.gate  # noqa: F401
    import fixtures.modelcache  # noqa: F401
    import fixtures.plugin  # noqa: F401
    import fixtures.card  # noqa: F401
    import fixtures.session  # noqa: F401
    import reports.allure_support  # noqa: F401
    import reports.plots  # noqa: F401
    import reports.card_render  # noqa: F401
    import trust_tests.probes.base  # noqa: F401

    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def tiny_zoo(tiny_model_dir: Path, embedded_tokenizer_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> TinyZoo:
    from tests.conftest import make_tiny_llama

    preimport()
    cand = make_tiny_llama(tmp_path_factory.mktemp("tiny-cand"), embedded_tokenizer_dir, seed=1)
    return TinyZoo(tiny_model_dir, cand)


@dataclass(frozen=True)
class Picks:
    """What each tiny model prefers on make_items(), measured once with the real engine."""

    items: list[dict[str, Any]]
    ref: list[int]
    cand: list[int]

    @property
    def agreement(self) -> int:
        return sum(a == b for a, b in zip(self.ref, self.cand, strict=True))


@pytest.fixture(scope="session")
def picks(tiny_zoo: TinyZoo) -> Picks:
    from fixtures.engine import load_lm

    items = make_items()
    prompts = [it["prompt"] for it in items]
    options = [it["options"] for it in items]
    ref = load_lm(tiny_zoo.ref_dir, REF).choose(prompts, options)
    cand = load_lm(tiny_zoo.cand_dir, CAND).choose(prompts, options)
    return Picks(items, ref, cand)


class Project:
    """A pytester directory laid out like the repository: conftest, pytest.ini, registry, thresholds."""

    def __init__(self, pytester: pytest.Pytester, zoo: TinyZoo) -> None:
        self.pytester = pytester
        self.zoo = zoo
        self.root = pytester.path
        self.home = self.root / ".comptrust-home"

    def write(self, items: Sequence[Mapping[str, Any]], *, models: Sequence[str] = (CAND,),
              registry: str | None = None, thresholds: str = THRESHOLDS, ini_extra: str = "") -> Project:
        self.pytester.makeconftest('pytest_plugins = ["fixtures.plugin"]\n')
        model_lines = "".join(f"    {m}\n" for m in models)
        ini = (
            "[pytest]\ntestpaths = trust_tests\ncomptrust_registry = models.toml\n"
            # Plots cost most of an inner run's time; the reports self-tests cover them.
            f"comptrust_thresholds = thresholds.toml\ncomptrust_plots = false\ncomptrust_models =\n{model_lines}"
            f"{ini_extra}"
        )
        self.pytester.makefile(".ini", pytest=ini)
        (self.root / "models.toml").write_text(registry if registry is not None else registry_toml(self.zoo))
        (self.root / "thresholds.toml").write_text(thresholds)
        tests = self.root / "trust_tests"
        tests.mkdir(exist_ok=True)
        (tests / "test_inner_gate.py").write_text(INNER_TEST)
        self.set_items(items)
        return self

    def set_items(self, items: Sequence[Mapping[str, Any]]) -> None:
        (self.root / "trust_tests" / "items.json").write_text(json.dumps(list(items), indent=1))

    def run(self, *args: str) -> pytest.RunResult:
        return self.pytester.runpytest(*INNER_FLAGS, *args)

    def inline(self, *args: str, plugins: Sequence[object] = ()) -> pytest.HookRecorder:
        return self.pytester.inline_run(*INNER_FLAGS, *args, plugins=list(plugins))

    def scorecard(self) -> dict[str, Any]:
        return json.loads((self.root / "reports" / "latest" / "scorecard.json").read_text())


@pytest.fixture
def project(pytester: pytest.Pytester, tiny_zoo: TinyZoo, monkeypatch: pytest.MonkeyPatch) -> Project:
    proj = Project(pytester, tiny_zoo)
    monkeypatch.setenv("COMPTRUST_HOME", str(proj.home))
    # Inner runs need no third-party plugins; skipping their autoload keeps each run fast and isolated.
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    return proj


class SessionGrab:
    """An inner-run plugin that keeps the comptrust session, so a test can read LM.calls and pool loads."""

    def __init__(self) -> None:
        self.session: Any = None

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        from fixtures.plugin import SESSION_KEY

        self.session = session.config.stash.get(SESSION_KEY, None)

    def calls(self) -> dict[str, dict[str, int]]:
        return {mid: dict(lm.calls) for mid, lm in self.session._lms.items()}
