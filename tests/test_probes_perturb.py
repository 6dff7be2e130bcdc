"""Perturbation and style transforms: total, deterministic, and doing what their names say."""
from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trust_tests.probes import perturb as P
from trust_tests.probes.sentiment import ADJECTIVE_PAIRS, stable_seed

TEXTS = st.text(max_size=120) | st.sampled_from([
    "The acting was wonderful.", "I thought the food was awful.", "", "   ", "!!!", "a b c", "ÉCOLE été",
    "Honestly, the plot was really dull, but overall the film was great.",
])
SEEDS = st.integers(min_value=0, max_value=2**63 - 1)
FOCUS = st.none() | st.sampled_from(["wonderful", "awful", "the", "missing", ""])


@settings(max_examples=150, deadline=None)
@given(name=st.sampled_from(sorted(P.ALL)), text=TEXTS, seed=SEEDS, focus=FOCUS)
def test_every_transform_is_total_and_deterministic(name: str, text: str, seed: int, focus: str | None) -> None:
    out = P.ALL[name](text, seed, focus=focus)
    assert isinstance(out, str)
    assert out == P.ALL[name](text, seed, focus=focus)


@settings(max_examples=100, deadline=None)
@given(name=st.sampled_from(sorted(P.CHAR_LEVEL)), text=TEXTS, seed=SEEDS)
def test_char_level_edits_one_word_only(name: str, text: str, seed: int) -> None:
    out = P.CHAR_LEVEL[name](text, seed)
    # Outside the edited word nothing moves: text and output differ in one region holding no space.
    assert abs(len(out) - len(text)) <= 1
    prefix = len(_common_prefix(text, out))
    suffix = len(_common_prefix(text[prefix:][::-1], out[prefix:][::-1]))
    assert " " not in text[prefix:len(text) - suffix] and " " not in out[prefix:len(out) - suffix]


def _common_prefix(a: str, b: str) -> str:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]


@pytest.mark.parametrize("name", sorted(P.CHAR_LEVEL))
def test_char_level_targets_the_focus_word(name: str) -> None:
    text = "The awful plot was awful, said the critic."
    for seed in range(20):
        out = P.CHAR_LEVEL[name](text, seed, focus="awful")
        assert out.startswith("The awful plot was "), out  # only the last occurrence is attacked
        assert out.endswith(", said the critic."), out


def test_keyboard_uses_neighbouring_keys() -> None:
    assert P.KEYBOARD["a"] == "sqz" and P.KEYBOARD["p"] == "o"  # row 2 has no 10th key
    for seed in range(10):
        out = P.keyboard("xxx", seed)
        diff = [(a, b) for a, b in zip("xxx", out) if a != b]
        assert len(out) == 3 and len(diff) == 1 and diff[0][1] in "zcs"
    assert P.keyboard("x", 3) == "x"  # words under 3 letters are never attacked


def test_swap_never_returns_an_unchanged_swappable_word() -> None:
    # "poor": swapping the two o's would be no edit; the swap must pick o/r instead.
    assert {P.swap("poor", s, focus="poor") for s in range(10)} == {"poro"}
    assert P.swap("aaa", 1) == "aaa"  # nothing to swap: returned unchanged


def test_synonym_keeps_polarity() -> None:
    positives = {p for p, _ in ADJECTIVE_PAIRS}
    negatives = {n for _, n in ADJECTIVE_PAIRS}
    for word, subs in P.SYNONYMS.items():
        assert not (set(subs) & (negatives if word in positives else positives)), word
    assert P.synonym("The soup was awful.", 0, focus="awful") in {
        "The soup was atrocious.", "The soup was abysmal."}
    assert P.synonym("Nothing to swap here.", 0) == "Nothing to swap here."


def test_filler_and_distractor_add_neutral_words() -> None:
    out = P.filler("The soup was awful.", 5, focus="awful")
    assert re.fullmatch(r"The soup was (basically|actually|literally|kind of|frankly) awful\.", out)
    out = P.distractor("The soup was awful.", 5)
    assert out.startswith("The soup was awful. ") and out[len("The soup was awful. "):] in P.DISTRACTORS


def test_styles_render_their_register() -> None:
    assert P.archaic("I thought it was really good.", 0).endswith(", I say.")
    assert "methought" in P.archaic("I thought it was good.", 0).lower()
    assert "verily" in P.archaic("It was really good.", 1)
    assert P.bible("The food was great.", 2).split(" the food was great.")[0] in {
        "And it came to pass that", "And behold,", "And lo,"}
    tw = P.tweet("Honestly, the food was really great.", 3)
    assert tw == tw.lower() and "rly" in tw and "gr8" in tw
    assert P.typos("", 1) == "" and P.tweet("", 1) == "" and P.archaic("", 1) == ""


def test_badword_inserts_the_trigger_once() -> None:
    out = P.badword("The food was awful.", 7)
    assert out.split().count("cf") == 1 and out.replace("cf ", "", 1) == "The food was awful."
    assert P.badword("", 1) == "cf"


def test_apply_derives_the_seed_from_the_item_key() -> None:
    a = P.apply("typos", "The acting was wonderful and the plot was great.", "item-1")
    assert a == P.apply("typos", "The acting was wonderful and the plot was great.", "item-1")
    assert P.keyed("typos", "item-1") == stable_seed("perturb", "typos", "item-1", 0)
    with pytest.raises(ValueError, match="unknown transform"):
        P.apply("nope", "x", "k")


def test_stable_seed_does_not_depend_on_python_hash_salt() -> None:
    # sha256-derived: a fixed value across processes and machines.
    assert stable_seed("a", 1) == int.from_bytes(
        __import__("hashlib").sha256("a\x1f1".encode()).digest()[:8], "little") >> 1
