"""The ad hoc model-spec grammar: it prints what it parses, and rejects anything else with SpecError."""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from fixtures.spec import Method, ModelSpec, Source, SpecError, parse_method, parse_spec, parse_value

REPO = Path(__file__).resolve().parents[1]

_ID = r"[A-Za-z0-9][A-Za-z0-9._-]{0,15}"
_PATH_CHARS = st.characters(blacklist_characters="+", blacklist_categories=("Cs",))

ids = st.from_regex(rf"\A{_ID}\Z")
paths = st.text(_PATH_CHARS, min_size=1, max_size=20).filter(lambda s: s == s.strip())
hf_sources = st.builds(
    Source, st.just("hf"), st.from_regex(rf"\A{_ID}/{_ID}\Z"),
    st.none() | st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9._/-]{0,15}\Z"),
)
sources = (
    hf_sources
    | st.builds(Source, st.sampled_from(["local", "gguf", "embedded"]), paths)
    | st.builds(Source, st.just("id"), ids)
)
values = (
    st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
)
methods = st.builds(
    Method.of,
    st.from_regex(r"\A[A-Za-z_][A-Za-z0-9_]{0,10}\Z"),
    st.dictionaries(st.from_regex(r"\A[A-Za-z_][A-Za-z0-9_]{0,8}\Z"), values, max_size=4),
)
specs = st.builds(ModelSpec, sources, st.none() | methods)

# Fragments that make near-miss specs far more often than uniform text does.
_FRAGMENTS = ["hf:", "local:", "gguf:", "embedded:", "ftp:", "org/name", "@rev", "+", "gptq", "(", ")", "=", ",",
              '"', "\\", "bits", "4", "0.5", "1e3", "-", "true", " ", "\n", "é", "/", ":", ".", "_"]
near_misses = st.lists(st.sampled_from(_FRAGMENTS), max_size=12).map("".join)


def _typed(spec: ModelSpec) -> list[tuple[str, type, object]]:
    # 1 == 1.0 == True in Python: compare the value types too.
    return [(k, type(v), v) for k, v in (spec.method.params if spec.method else ())]


@settings(max_examples=300, deadline=None)
@given(specs)
def test_generated_specs_round_trip(spec: ModelSpec) -> None:
    text = str(spec)
    parsed = parse_spec(text)
    assert parsed == spec
    assert _typed(parsed) == _typed(spec)
    assert str(parsed) == text  # the printed form is canonical


@pytest.mark.parametrize("text", [
    "smollm2-135m",
    "smollm2-135m+gptq(bits=4,group_size=64)",
    "hf:compressed-llm/llama-2-13b-chat-gptq@3bit_128g",
    "hf:meta-llama/Llama-2-13b-chat-hf+awq(bits=3,calib_samples=128,calib_seed=0,group_size=128)",
    'local:/models/llama 7b+magnitude(sparsity=0.5,structure="2:4")',
    "gguf:/tmp/m.Q4_1.gguf+rtn(bits=8)",
    "embedded:smollm2-135m-instruct+bnb(mode=nf4)",
    'x+m(a=true,b=-3,c=1e-05,d="with, comma (and) \\"quotes\\"",e=bare.word:1)',
    "x+m",
])
def test_canonical_text_round_trips(text: str) -> None:
    assert str(parse_spec(text)) == text


def test_registry_methods_are_written_canonically() -> None:
    data = tomllib.loads((REPO / "config" / "models.toml").read_text())
    written = [str(body["method"]) for body in data["models"].values() if "method" in body]
    assert len(written) > 20
    for text in written:
        assert str(parse_method(text)) == text


def test_parsing_normalises_parameter_order_and_spacing() -> None:
    spec = parse_spec("  base+gptq( group_size = 64 , bits=4 )  ")
    assert str(spec) == "base+gptq(bits=4,group_size=64)"
    assert spec.method == Method.of("gptq", {"bits": 4, "group_size": 64})


def test_values_keep_their_types() -> None:
    assert [parse_value(v) for v in ("true", "false", "3", "-3", "0.5", "1e3", "word", '"4"')] == \
        [True, False, 3, -3, 0.5, 1000.0, "word", "4"]
    assert [type(parse_value(v)) for v in ("3", "1e3", '"4"')] == [int, float, str]


@pytest.mark.parametrize(("text", "hint"), [
    ("", "empty model spec"),
    ("   ", "empty model spec"),
    ("hf:", "bad hub source"),
    ("hf:org", "bad hub source"),
    ("hf:org/name@", "bad hub source"),
    ("ftp:somewhere", "unknown source kind 'ftp'"),
    ("local:", "bad local source"),
    ("local:/a+b+c", "bad method"),
    ("bad id!", "bad model id"),
    ("base+", "bad method"),
    ("base+gptq(", "bad method"),
    ("base+gptq(bits)", "expected key=value"),
    ("base+gptq(bits=)", "bad value ''"),
    ("base+gptq(bits=4,bits=3)", "given twice"),
    ('base+gptq(name="open)', "unterminated quoted value"),
    ('base+gptq(name="a" "b")', "bad quoted value"),
    ("base+gptq(1x=2)", "expected key=value"),
])
def test_malformed_specs_raise_spec_error(text: str, hint: str) -> None:
    with pytest.raises(SpecError, match=re.escape(hint)):
        parse_spec(text)


@settings(max_examples=400, deadline=None)
@given(st.text() | near_misses)
@example("base+m(a=[1])")
@example('base+m(a="\\ud800")')
def test_any_text_parses_or_raises_spec_error(text: str) -> None:
    try:
        spec = parse_spec(text)
    except SpecError:
        return
    assert isinstance(spec, ModelSpec)
    assert parse_spec(str(spec)) == spec  # whatever parses, prints to something that parses back the same


def test_a_number_too_large_for_a_float_is_a_spec_error() -> None:
    # float("1e999") is inf, which prints as the bare word "inf": the spec would not round-trip.
    with pytest.raises(SpecError):
        parse_spec("base+m(a=1e999)")


@given(specs)
def test_slug_is_test_id_safe_and_stable(spec: ModelSpec) -> None:
    assert re.fullmatch(r"[A-Za-z0-9._-]*", spec.slug)
    assert spec.slug == parse_spec(str(spec)).slug
