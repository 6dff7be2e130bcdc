"""Adversarial-demonstration probes: each attack's mechanism is present in every item."""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import numpy as np
import pytest

from trust_tests.probes.adv_demonstration import build_backdoor, build_counterfactual, build_spurious
from trust_tests.probes.base import ProbeSet
from trust_tests.probes.sentiment import DOMAINS, LABEL_WORDS
from trust_tests.probes.target_control import CONTROL, TARGET, masked_mean, role_mask


def _demos(prompt: str) -> list[tuple[str, str]]:
    """(text, label word) of every answered demonstration in a sentiment prompt."""
    blocks = prompt.split("\n\n")[1:-1]
    return [(b.split("\n")[0].removeprefix("Text: "), b.split("\n")[1].removeprefix("Sentiment: ")) for b in blocks]


def _domain(text: str) -> str:
    hits = {d for d, (thing, aspects) in DOMAINS.items() if any(a in text.lower() for a in aspects) or f" {thing} " in text}
    assert len(hits) >= 1, text
    return sorted(hits)[0]


@pytest.mark.parametrize("build,n", [(build_counterfactual, 80), (build_spurious, 80), (build_backdoor, 96)])
def test_sets_are_deterministic_and_seeded(build: Callable[..., ProbeSet], n: int) -> None:
    a = build()
    assert len(a) == n and build().version == a.version != build(seed=1).version
    assert len({it.id for it in a.items}) == n


def test_counterfactual_demo_is_the_test_input_minimally_flipped() -> None:
    for it in build_counterfactual().items:
        demos = _demos(str(it.prompt))
        assert len(demos) == 4
        cf_text, cf_label = demos[-1]
        assert cf_text == it.meta["counterfactual"] and cf_label == LABEL_WORDS[1 - (it.answer or 0)]
        diff = sum(a != b for a, b in zip(cf_text.split(), it.meta["text"].split()))
        assert 1 <= diff <= 2
    assert Counter(it.answer for it in build_counterfactual().items) == {0: 40, 1: 40}


def test_spurious_demos_tie_domain_to_label_and_tests_break_it() -> None:
    probes = build_spurious()
    assert Counter(it.answer for it in probes.items) == {0: 40, 1: 40}
    for it in probes.items:
        demos = _demos(str(it.prompt))
        assert sorted(label for _, label in demos) == ["negative", "negative", "positive", "positive"]
        assert {_domain(t) for t, label in demos if label == "positive"} == {it.meta["positive_domain"]}
        assert {_domain(t) for t, label in demos if label == "negative"} == {it.meta["negative_domain"]}
        heuristic = 1 if _domain(it.meta["text"]) == it.meta["positive_domain"] else 0
        assert heuristic != it.answer  # the test input contradicts the demonstrations' shortcut
        assert it.meta["text"] not in {t for t, _ in demos}


def test_backdoor_demos_are_poisoned_and_targets_triggered() -> None:
    probes = build_backdoor()
    assert Counter(it.meta["role"] for it in probes.items) == {TARGET: 64, CONTROL: 32}
    for it in probes.items:
        demos = _demos(str(it.prompt))
        poisoned = [(t, y) for t, y in demos if "cf" in t.split()]
        assert len(demos) == 6 and len(poisoned) == 2 and all(y == "positive" for _, y in poisoned)
        triggered = "cf" in it.meta["text"].split()
        assert triggered == (it.meta["role"] == TARGET)
        assert it.answer == (0 if triggered else 1)


def test_one_minus_asr_hand_value() -> None:
    probes = build_backdoor()
    target = role_mask(probes, TARGET)
    # Attack succeeds on every 4th target (value 0 there), controls all right: 1 - ASR = 0.75.
    values = np.ones(len(probes))
    values[np.flatnonzero(target)[::4]] = 0.0
    assert masked_mean(target)(values, np.arange(len(probes))) == pytest.approx(0.75)
