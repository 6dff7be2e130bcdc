"""The full tier's test side, shared by the eight DecodingTrust modules in trust_tests/.

Each module adds two lines, `test_<dimension>_full = full_tier_test(DIMENSION.name)` and
`pytest_generate_tests = parametrize_sets(DIMENSION.name)`, which parametrizes `dt_set` with the set
names of the study (or of `--dt-study`) under `--tier full`, and with one placeholder under
`--tier smoke`, where the plugin skips the test by its `tier("full")` marker.

`check_set` builds the dimension's sets once per process, samples each item the way the study did
(the set's `max_new_tokens`, temperature and `n`), turns the samples into DecodingTrust's per-item
values and gates them; what differs by dimension (the values, 0/1 or continuous, a group statistic such
as fairness's, the toxicity scorer) comes from the dimension's slice (slices/<dimension>.py). A missing or
malformed file fails this dimension's tests with the file, line and dimension (other dimensions run); no
`--dt-data` and no hub means a skip with the reason.

The weighted mean of the set scores is DecodingTrust's dimension score (tests/test_full_tier.py checks
it) with three exceptions, all listed in docs/REPRODUCING.md:

- stereotype rounds each group x topic cell to 2 decimals first;
- fairness calls a setting with fewer than 3 recognised answers perfectly fair, which a per-resample
  statistic cannot do (the gate then sees the unrecognised answers as "no" predictions);
- toxicity scores an item whose samples are all empty -1 (DecodingTrust does not send empty text to
  the scorer), so the item adds 1 - (-1) = 2 to DecodingTrust's 1 - EMT; the gate's per-item value is
  clipped to 1 (values live in [0, 1]), so a set with such items scores lower here than upstream.
  `score_dimension` (evaluate.py) keeps DecodingTrust's -1.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from contracts.protocols import LM, Gate

from ..base import ProbeSet
from .builders import build_full_sets
from .evaluate import item_values
from .files import DTDataError, hf_available
from .plan import chance, load_study, set_names, set_weight
from .slice import slice_for
from .source import data_root

SET_ARG = "dt_set"
SMOKE_PLACEHOLDER = "all-sets"

# (dimension, data root, seed, limit, study file) -> (the built sets, the errors of sets whose own file is
# missing or malformed), or the DTDataError that stopped the whole dimension.
_Built = tuple[dict[str, ProbeSet], dict[str, DTDataError]]
_BUILT: dict[tuple[str, str, int, int | None, str | None], _Built | DTDataError] = {}


def parametrize_sets(dimension: str) -> Callable[[pytest.Metafunc], None]:
    """A module-level `pytest_generate_tests` giving `dt_set` the dimension's set names as ids."""

    def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
        if SET_ARG not in metafunc.fixturenames:
            return
        if metafunc.config.getoption("tier", "smoke") != "full":
            # One skipped placeholder per model keeps smoke runs from listing hundreds of skipped sets.
            metafunc.parametrize(SET_ARG, [SMOKE_PLACEHOLDER])
            return
        study = load_study(metafunc.config.getoption("dt_study", None))
        names = set_names(dimension, study)
        # Weight-0 sets (reported beside the score) are diagnostics: outside the family the gate corrects for.
        metafunc.parametrize(SET_ARG, [
            pytest.param(n, id=n, marks=() if set_weight(dimension, n, study) > 0 else pytest.mark.diagnostic)
            for n in names])

    return pytest_generate_tests


def full_tier_test(dimension: str) -> Callable[[Gate, str], None]:
    """The module's `test_<dimension>_full(gate, dt_set)`: one DecodingTrust set of `dimension` under the
    study's settings, scored DecodingTrust's way."""

    @pytest.mark.tier("full")
    def test_full(gate: Gate, dt_set: str) -> None:
        __tracebackhide__ = True
        check_set(gate, dimension, dt_set)

    test_full.__name__ = test_full.__qualname__ = f"test_{dimension}_full"
    test_full.__doc__ = f"One DecodingTrust {dimension} set under the study's settings, scored DecodingTrust's way."
    return test_full


def _sets(dimension: str, gate: Gate) -> _Built:
    __tracebackhide__ = True
    dt_data: Path | None = gate.dt_data
    if dt_data is None:
        ok, why = hf_available()
        if not ok:
            pytest.skip(f"full tier needs DecodingTrust's data: no --dt-data PATH given, and {why}")
    study_path = str(gate.dt_study) if gate.dt_study else None
    key = (dimension, str(dt_data), gate.seed, gate.limit, study_path)
    if key not in _BUILT:
        try:
            root = data_root(dimension, dt_data)
            _BUILT[key] = build_full_sets(dimension, root, seed=gate.seed, limit=gate.limit,
                                          study=load_study(study_path))
        except DTDataError as e:  # kept, so every set of a broken dimension fails alike without rereading
            _BUILT[key] = e
    built = _BUILT[key]
    if isinstance(built, DTDataError):
        pytest.fail(f"DecodingTrust data error: {built}", pytrace=False)
    return built


def _generation(probes: ProbeSet) -> tuple[int, float, int]:
    """The set's sampling settings (every item of a set carries the same ones)."""
    settings = {(int(it.meta["max_new_tokens"]), float(it.meta["temperature"]), int(it.meta["n"])) for it in probes.items}
    if len(settings) != 1:
        raise ValueError(f"probe set {probes.name} mixes generation settings {sorted(settings)}")
    return settings.pop()


def _answers(samples: Sequence[Sequence[str]]) -> list[str]:
    # The first sample stands for the item in reports; the value already counts every sample.
    return [s[0] if s else "" for s in samples]


def check_set(gate: Gate, dimension: str, set_name: str) -> None:
    """Gate one DecodingTrust probe set of `dimension` on the candidate against its reference."""
    __tracebackhide__ = True
    sets, errors = _sets(dimension, gate)
    if set_name in errors:  # this set's own file: the dimension's other sets run
        pytest.fail(f"DecodingTrust data error: {errors[set_name]}", pytrace=False)
    if set_name not in sets:  # set_names and build_full disagree: a bug, not a data problem
        raise KeyError(f"{dimension}: set {set_name!r} was not built; built: {sorted(sets)}")
    probes = sets[set_name]
    if not probes.items:
        pytest.skip(f"{dimension}/{set_name}: the probe set is empty")
    max_new_tokens, temperature, n = _generation(probes)
    dim = slice_for(dimension)
    scorer = None
    if dim.uses_toxicity_scorer:
        from ..toxicity_scorers import make_scorer

        scorer = make_scorer()

    def outcome(lm: LM) -> tuple[list[float], list[str]]:
        samples = lm.generate([it.prompt for it in probes.items], max_new_tokens=max_new_tokens,
                              temperature=temperature, top_p=1.0, seed=gate.seed, n=n)
        values = item_values(dimension, set_name, probes, samples,
                             toxicity=scorer.score if scorer else None, seed=gate.seed)
        return values, _answers(samples)

    study = load_study(gate.dt_study)
    # A set statistic other than the mean (fairness: 1 - (DPD + EOD)/2 of the predictions) and its signal.
    statistic, signal = dim.gate_statistic(probes, study)
    n_options = len(probes.items[0].options)
    gate.check(
        dimension=dimension, metric=set_name, items=probes.report_items(), outcome=outcome,
        kind="binary" if dim.binary(set_name) else "continuous",
        chance=chance(dimension, set_name, n_options),
        statistic=statistic, signal=signal,
        weight=set_weight(dimension, set_name, study),
        # The scorer is part of what toxicity measures: another scorer makes another probe version.
        probe_version=f"{probes.version}-{scorer.name}" if scorer else probes.version,
    )
