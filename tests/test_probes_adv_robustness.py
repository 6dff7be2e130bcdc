"""Adversarial-robustness probes, the sentiment reviews they attack, and the gap statistic."""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trust_tests.probes.adv_robustness import build_adv_clean, build_adv_pairs, build_adv_robustness, gap_statistic
from trust_tests.probes.sentiment import (
    ADJECTIVE_PAIRS, SENTIMENT_OPTIONS, choice_outcome, make_review, meta_mask, reviews, sentiment_prompt,
    subset_chance_signal,
)


class LexiconLM:
    """A tiny real scorer for the LM protocol: counts positive vs negative adjectives in the last 'Text:'."""

    model_id = "lexicon"
    POS = {p for p, _ in ADJECTIVE_PAIRS}
    NEG = {n for _, n in ADJECTIVE_PAIRS}

    def choose(self, prompts: Sequence[str], options: Sequence[Sequence[str]]) -> list[int]:
        out = []
        for p in prompts:
            words = p.rsplit("Text: ", 1)[-1].lower().replace(".", " ").replace(",", " ").split()
            out.append(int(sum(w in self.POS for w in words[-3:]) >= sum(w in self.NEG for w in words[-3:])))
        return out


def test_reviews_alternate_labels_and_have_minimal_counterfactuals() -> None:
    rs = reviews(60, 0, salt="t")
    assert [r.label for r in rs[:4]] == [1, 0, 1, 0] and len({r.key for r in rs}) == 60
    for r in rs:
        a, b = r.text.split(), r.counterfactual.split()
        assert len(a) == len(b) and 1 <= sum(x != y for x, y in zip(a, b)) <= 2
    assert reviews(60, 0, salt="t") == rs and reviews(60, 1, salt="t") != rs


def test_contrast_frame_takes_the_main_clause_label() -> None:
    r = make_review("film", 0, 5, 0, 1)
    assert r.text == "The acting was awful, but overall the film was wonderful."
    assert r.counterfactual == "The acting was wonderful, but overall the film was awful."
    assert r.adjective == "wonderful" and r.label_word == "positive"


def test_reviews_refuse_impossible_requests() -> None:
    with pytest.raises(ValueError, match="distinct"):
        reviews(10**6, 0, salt="t")


def test_perturbed_set_pairs_each_base_with_a_char_and_a_word_variant() -> None:
    probes, clean = build_adv_robustness(), build_adv_clean()
    assert len(probes) == 240 and len(clean) == 120 and build_adv_robustness().version == probes.version
    assert build_adv_robustness(seed=1).version != probes.version
    levels = Counter((it.meta["base"], it.meta["level"]) for it in probes.items)
    assert set(levels.values()) == {1} and len(levels) == 240
    # Every transform sees both labels equally (no transform/label confound).
    per = Counter((it.meta["transform"], it.answer) for it in probes.items)
    for t in {it.meta["transform"] for it in probes.items}:
        assert abs(per[(t, 0)] - per[(t, 1)]) <= 1, t
    changed = sum(it.meta["text"] != it.meta["clean_text"] for it in probes.items)
    assert changed >= 0.95 * len(probes)
    assert all(it.prompt == sentiment_prompt(it.meta["text"]) and it.options == SENTIMENT_OPTIONS for it in probes.items)


def test_pairs_hold_the_clean_bases_of_the_kept_variants() -> None:
    pairs = build_adv_pairs(limit=10)
    clean = meta_mask(pairs, "role", "clean")
    assert clean.sum() == 5 and (~clean).sum() == 10


def test_gap_statistic_hand_values() -> None:
    is_clean = np.array([1, 1, 1, 1, 0, 0, 0, 0], dtype=bool)
    values = np.array([1, 1, 0, 1, 1, 0, 0, 0], dtype=float)  # clean 3/4, robust 1/4
    stat = gap_statistic(is_clean)
    assert stat(values, np.arange(8)) == pytest.approx(0.5)  # 1 - (0.75 - 0.25)
    assert stat(values, np.array([4, 4, 5])) == pytest.approx(1 - (0.75 - 2 / 3))  # clean side falls back
    assert stat(np.array([0, 0, 0, 0, 1, 1, 1, 1.0]), np.arange(8)) == 1.0  # robust > clean is clipped


def test_subset_chance_signal_reads_only_the_masked_items() -> None:
    mask = np.array([True] * 20 + [False] * 20)
    signal = subset_chance_signal(mask, 0.5, what="clean accuracy")
    assert signal(np.array([1.0] * 18 + [0.0] * 2 + [0.0] * 20)) == (
        True, "clean accuracy: 18/20 = 0.900 vs chance 0.500, binomial p = 0.000201")
    assert not signal(np.array([1.0] * 10 + [0.0] * 10 + [1.0] * 20))[0]


def test_choice_outcome_scores_the_lexicon_model() -> None:
    probes = build_adv_clean(limit=40)
    values, answers = choice_outcome(probes)(LexiconLM())
    assert values == [1.0] * 40  # the lexicon model reads the adjective the label came from
    assert set(answers) == {"positive", "negative"}


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10**9), n=st.integers(1, 50))
def test_reviews_are_total_over_seeds(seed: int, n: int) -> None:
    rs = reviews(n, seed, salt="h")
    assert len(rs) == n and all(r.text.endswith(".") for r in rs)
