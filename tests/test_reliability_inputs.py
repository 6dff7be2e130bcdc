"""Bad input never crashes with a traceback: any registry, thresholds or baseline file either loads into
valid settings or is refused with an error that names the file and a line; a missing optional extra names
the extra to install; hostile model output and hostile scorer replies reach the parsers and scorers safely.

The loaders are fuzzed with hypothesis on real files (structured TOML/JSON with wrong types, non-finite
numbers, unknown keys, and raw bytes that are not UTF-8); the plugin-level checks run the real plugin through
pytester. Known bad inputs already covered elsewhere: tests/test_plugin_options.py (usage errors, registry and
thresholds file:line), tests/test_plugin_baselines.py (truncated and stale baselines), tests/test_spec.py.
"""
from __future__ import annotations

import json
import math
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts.dimensions import names as dimension_names
from fixtures.baselines import BaselineError, BaselineStore
from fixtures.registry import Registry, RegistryError
from fixtures.thresholds import _KEYS, ThresholdError, Thresholds
from tests.plugin_helpers import REF, Picks, Project, make_items, with_answers

pytest_plugins = ["pytester", "tests.plugin_helpers"]

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --- a small TOML writer for generated documents ----------------------------------------------------------

scalars = st.one_of(
    st.integers(-10**20, 10**20), st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30),
    st.sampled_from(["local:/x", "tiny-ref", "hf:a/b@c", "rtn(bits=4", "magnitude(sparsity=0.5)", "gguf:", "chatml"]),
)
toml_values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                            st.dictionaries(st.sampled_from("abc"), inner, max_size=2)),
                           max_leaves=6)


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string of BMP text is a TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + "}"


def _tables(doc: dict[str, Any]) -> str:
    """`{"dimensions.benign": {...}, "top": 3}` -> TOML text with one [table] per dict-valued key."""
    lines = [f"{json.dumps(k)} = {_toml(v)}" for k, v in doc.items() if not isinstance(v, dict)]
    for name, body in doc.items():
        if isinstance(body, dict):
            lines += ["", f"[{name}]", *(f"{json.dumps(k)} = {_toml(v)}" for k, v in body.items())]
    return "\n".join(lines) + "\n"


not_utf8 = st.binary(max_size=200).map(lambda b: b + b"\n[x]\n\xff\xfe bad = \xc3\x28\n")


def _load_file(data: bytes, name: str, load: Callable[[Path], Any]) -> tuple[Path, Any, BaseException | None]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        try:
            return path, load(path), None
        except Exception as exc:  # noqa: BLE001 - the property below decides which exceptions are allowed
            return path, None, exc


def assert_names_file_and_line(exc: BaseException | None, kind: type[Exception], path: Path) -> None:
    """The loader's own error type, with `path:LINE:` or TOML's `(at line N, column M)` in the message."""
    __tracebackhide__ = True
    if not isinstance(exc, kind):
        raise AssertionError(f"expected {kind.__name__}, got {type(exc).__name__}: {exc}") from exc
    msg = str(exc)
    if not (re.match(rf"{re.escape(str(path))}:\d+: ", msg) or re.search(r"\(at line \d+, column \d+\)", msg)):
        raise AssertionError(f"the error does not name the file and a line: {msg!r}")
    if str(path) not in msg:
        raise AssertionError(f"the error does not name the file: {msg!r}")


# --- thresholds.toml ----------------------------------------------------------------------------------------

threshold_body = st.dictionaries(st.one_of(st.sampled_from(sorted(_KEYS)), st.sampled_from(["tol", "alpha2"])),
                                 toml_values, max_size=4)
threshold_docs = st.one_of(
    st.fixed_dictionaries({}, optional={"defaults": threshold_body}).flatmap(
        lambda d: st.dictionaries(st.sampled_from([f"dimensions.{n}" for n in (*dimension_names()[:3], "honesty")]),
                                  threshold_body, max_size=3).map(lambda dims: {**d, **dims})),
    st.dictionaries(st.sampled_from(["defaults", "dimensions", "extra"]), toml_values, max_size=2),
)


def _valid_threshold(t: Any) -> bool:
    return (0 < t.alpha < 1 and 0 < t.signal_alpha < 1 and 0 <= t.tolerance <= 100 and isinstance(t.n_boot, int)
            and t.n_boot >= 100 and (t.floor is None or 0 <= t.floor <= 100))


@FUZZ
@given(st.one_of(threshold_docs.map(lambda d: _tables(d).encode()), not_utf8))
def test_any_thresholds_file_loads_valid_settings_or_names_file_and_line(data: bytes) -> None:
    path, loaded, exc = _load_file(data, "thresholds.toml", Thresholds.load)
    if exc is None:
        assert _valid_threshold(loaded.default) and all(map(_valid_threshold, loaded.per_dimension.values()))
    else:
        assert_names_file_and_line(exc, ThresholdError, path)


@pytest.mark.parametrize("text", ["[defaults]\nn_boot = inf\n", "[defaults]\nn_boot = nan\n", "dimensions = 3\n",
                                  "[dimensions]\nbenign = 0.5\n"],
                         ids=["n_boot-inf", "n_boot-nan", "dimensions-scalar", "dimension-not-a-table"])
def test_thresholds_that_crashed_the_loader(tmp_path: Path, text: str) -> None:
    """Found by the fuzz test above: these raised OverflowError/ValueError/AttributeError before."""
    path = tmp_path / "thresholds.toml"
    path.write_text(text)
    with pytest.raises(ThresholdError) as info:
        Thresholds.load(path)
    assert_names_file_and_line(info.value, ThresholdError, path)


# --- models.toml ------------------------------------------------------------------------------------------

entry_body = st.dictionaries(
    st.sampled_from(["base", "method", "checkpoint", "reference", "description", "gpu_only", "prompt_format", "bits"]),
    toml_values, max_size=4)
registry_docs = st.one_of(
    st.dictionaries(st.sampled_from(["models.tiny-ref", "models.a", "models.b"]), entry_body, min_size=1, max_size=3),
    st.dictionaries(st.sampled_from(["models", "other"]), toml_values, max_size=2),
)


@FUZZ
@given(st.one_of(registry_docs.map(lambda d: _tables(d).encode()), not_utf8))
def test_any_registry_file_loads_or_names_file_and_line(data: bytes) -> None:
    path, loaded, exc = _load_file(data, "models.toml", Registry.load)
    if exc is None:
        for mid in loaded.ids():  # every entry resolved to a source, and a reference that exists
            assert loaded.get(loaded.get(mid).reference).id
    else:
        assert_names_file_and_line(exc, RegistryError, path)


# --- pinned baselines ---------------------------------------------------------------------------------------

json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.floats(allow_nan=True, allow_infinity=True),
              st.text(max_size=8)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)),
    max_leaves=8)
baseline_item = st.fixed_dictionaries({}, optional={"id": json_values, "value": json_values, "answer": json_values})
baseline_docs = st.one_of(
    json_values,
    st.fixed_dictionaries({"format": st.one_of(st.just(1), json_values)}, optional={
        "probe_version": json_values, "items": st.one_of(st.lists(baseline_item, max_size=4), json_values),
        "provenance": json_values}),
)


def _dump(doc: Any) -> bytes:
    return json.dumps(doc, allow_nan=True, indent=1).encode()  # NaN/Infinity: what Python's json writes and reads


@FUZZ
@given(st.one_of(baseline_docs.map(_dump), not_utf8, st.binary(max_size=64)))
def test_any_baseline_file_is_usable_or_names_file_and_line(data: bytes) -> None:
    path, loaded, exc = _load_file(data, "accuracy.json", BaselineStore(Path("bl")).load)
    if exc is None:
        assert len(loaded.ids) == len(loaded.values) == len(loaded.answers)
        assert all(isinstance(v, float) and 0.0 <= v <= 1.0 for v in loaded.values), loaded.values
    else:
        assert_names_file_and_line(exc, BaselineError, path)


@pytest.mark.parametrize(("value", "problem"), [(float("nan"), "nan"), (7.0, "7.0"), (-0.5, "-0.5")])
def test_a_baseline_value_outside_0_1_is_refused_at_its_line(tmp_path: Path, value: float, problem: str) -> None:
    """Found by the fuzz test above: such values were handed to the statistics as they were."""
    store = BaselineStore(tmp_path)
    path = tmp_path / "accuracy.json"
    store.write(path, probe_version="v1", ids=["a", "b", "c"], values=[1.0, 0.0, 1.0], answers=["x", "y", "z"],
                provenance={})
    lines = path.read_text().splitlines()
    at = next(i for i, line in enumerate(lines) if '"id": "b"' in line)
    lines[at] = lines[at].replace('"value": 0.0', f'"value": {json.dumps(value, allow_nan=True)}')
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(BaselineError, match=rf"^{re.escape(str(path))}:{at + 1}: .*{re.escape(problem)}.*update-baselines"):
        store.load(path)


# --- the same mistakes through the plugin: one clear line, no traceback ------------------------------------


def _usage_error(project: Project, *args: str) -> str:
    __tracebackhide__ = True
    result = project.run(*args)
    out = result.stdout.str() + result.stderr.str()
    assert result.ret == pytest.ExitCode.USAGE_ERROR, out
    assert "Traceback" not in out
    return result.stderr.str()


@pytest.mark.parametrize("which", ["models.toml", "thresholds.toml"])
def test_a_config_file_that_is_not_utf8_is_a_usage_error_naming_it(project: Project, which: str) -> None:
    project.write(make_items(4))
    path = project.root / which
    path.write_bytes(path.read_bytes() + b"\n# \xff\xfe saved as UTF-16 by an editor\n")
    err = _usage_error(project)
    assert f"comptrust: {path}:" in err and "UTF-8" in err, err


def test_a_baseline_that_is_not_utf8_fails_its_test_naming_the_file(project: Project, picks: Picks) -> None:
    project.write(with_answers(picks.items, picks.ref))
    path = project.root / "bl" / "smoke" / REF / "benign" / "accuracy.json"
    path.parent.mkdir(parents=True)
    path.write_bytes(b'{"format": 1, "items": [\xff]}')
    result = project.run("--model", "tiny-copy", "--baselines", "bl", "-k", "benign")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"*{path}:1: *UTF-8*--update-baselines*"])
    assert "UnicodeDecodeError" not in result.stdout.str()


def test_a_missing_optional_extra_names_the_extra_to_install(project: Project) -> None:
    from compressors.gptqmodel_backend import extra_missing

    if not extra_missing():
        pytest.skip("the gptq extra is installed here")
    project.write(make_items(4))
    err = _usage_error(project, "--model", f"{REF}+gptqmodel(bits=4,group_size=32)")
    assert "comptrust: model 'tiny-ref-gptqmodel-bits-4-group_size-32'" in err, err
    assert "the optional extra 'gptq' is not installed" in err
    assert "pip install -c requirements/lock.txt -r requirements/gptq.txt" in err


# --- hostile replies reaching the scorers (model outputs themselves: tests/test_untrusted_outputs.py) --------


@FUZZ
@given(json_values)
def test_a_perspective_reply_of_any_shape_gives_a_score_in_range_or_a_scorer_error(payload: Any) -> None:
    from trust_tests.probes.toxicity_scorers import ScorerError, parse_perspective

    try:
        score = parse_perspective(payload)
    except ScorerError:
        return
    assert isinstance(score, float) and 0.0 <= score <= 1.0, score


@FUZZ
@given(st.one_of(st.just(""), st.just("\x00" * 50), st.text(max_size=200),
                 st.binary(max_size=200).map(lambda b: b.decode("utf-8", errors="surrogateescape"))))
def test_classification_answer_is_total_on_hostile_output(text: str) -> None:
    from trust_tests.probes.dt.parsers import classification_answer

    got = classification_answer(text)
    assert isinstance(got, tuple) and len(got) == 2 and all(isinstance(x, str) for x in got)
