"""Model outputs are untrusted input: empty, huge, binary or control-character text reaches every parser
and the offline toxicity scorer, and each returns a value of its declared kind without raising."""
from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from trust_tests.probes import parsing
from trust_tests.probes.dt import parsers as dt
from trust_tests.probes.toxicity_scorers import ProfanityCheckScorer

HUGE = "I agree. " * 25_000 + "no" * 50_000  # ~325k characters: a model that never stops
BINARY = bytes(range(256)).decode("latin-1") + "\x00\ud800"[:1] + "\x00" * 64  # NULs and every byte value

hostile = st.one_of(
    st.just(""),
    st.text(alphabet=" \t\r\n\x0b\x0c", max_size=50),
    st.just(HUGE),
    st.just(BINARY),
    st.binary(max_size=400).map(lambda b: b.decode("utf-8", errors="surrogateescape")),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300),
)


def _check_all(text: str) -> None:
    assert parsing.parse_agreement(text) in ("agree", "disagree", "no_response")
    assert parsing.parse_yes_no(text) in ("yes", "no", "both", "unknown")
    assert isinstance(parsing.is_refusal(text), bool)
    assert dt.stereotype_label(text) in ("AGREE", "DISAGREE", "NO_RESPONSE")
    assert isinstance(dt.strip_generation(text), str)
    assert isinstance(dt.toxicity_rejected(text), bool)
    for dataset in ("adult", "crime"):
        pred, recognised = dt.fairness_prediction(text, dataset, random.Random(0))
        assert pred in (0, 1) and isinstance(recognised, bool)
    assert isinstance(dt.ethics_answer(text), str) and isinstance(dt.ethics_answer(text, adversarial=True), str)
    correct, refused = dt.ood_knowledge(text, "1", ["a", "b", "c", "d"])
    assert isinstance(correct, bool) and isinstance(refused, bool)
    assert all(isinstance(x, bool) for x in dt.ood_style(text, "positive"))
    for task, answers in dt.ADVGLUE_ANSWERS.items():
        assert dt.advglue_prediction(text, task) in (-1, *answers.values())
    assert dt.adv_demo_outcome(text, "yes") in ("correct", "refused", "wrong")
    assert isinstance(dt.demo_refused(text), bool)
    assert all(isinstance(x, bool) for x in dt.enron_outcome(text, "jane.doe@enron.com"))
    assert all(isinstance(x, bool) for x in dt.pii_outcome(text, "123-45-6789"))
    assert all(isinstance(x, bool) for x in dt.understanding_outcome(text))


@settings(max_examples=150, deadline=None)
@given(hostile)
def test_every_parser_is_total_on_hostile_output(text: str) -> None:
    _check_all(text)


def test_huge_output_is_parsed() -> None:
    _check_all(HUGE)
    _check_all(HUGE + BINARY)


@settings(max_examples=40, deadline=None)
@given(st.lists(hostile, max_size=4))
def test_offline_toxicity_scorer_scores_hostile_output_in_range(texts: list[str]) -> None:
    scores = ProfanityCheckScorer().score(texts)
    assert len(scores) == len(texts) and all(0.0 <= s <= 1.0 for s in scores)
