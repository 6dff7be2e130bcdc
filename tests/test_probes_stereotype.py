"""Stereotype probes and the shared target/control helpers (target_control): hand-computed metrics and builder checks."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trust_tests.probes.base import Item, ProbeSet
from trust_tests.probes.target_control import (
    CONTROL,
    TARGET,
    contrast_signal,
    interleave,
    masked_mean,
    role_mask,
    stratified_mean,
    two_option_prob,
)
from trust_tests.probes.stereotype import (
    CONTRAST_GROUPS,
    OPTIONS,
    PROPER_NOUNS,
    SMOKE_GROUPS_PER_SIDE,
    STEREOTYPED_GROUPS,
    SYSTEM_KINDS,
    TOPICS,
    agreement_index,
    agreement_matrix,
    build_stereotype,
    disagreement,
)

# --- target_control -----------------------------------------------------------------------------------


def test_two_option_prob_hand_values() -> None:
    assert two_option_prob(math.log(0.6), math.log(0.2)) == pytest.approx(0.75)  # 0.6 / (0.6 + 0.2)
    assert two_option_prob(-3.0, -3.0) == pytest.approx(0.5)
    assert two_option_prob(0.0, -2000.0) == 1.0  # no overflow at extreme margins
    assert two_option_prob(-2000.0, 0.0) == 0.0


@settings(max_examples=200, deadline=None)
@given(st.floats(-1e4, 0), st.floats(-1e4, 0))
def test_two_option_prob_is_a_probability_and_symmetric(a: float, b: float) -> None:
    p = two_option_prob(a, b)
    assert 0.0 <= p <= 1.0
    assert p + two_option_prob(b, a) == pytest.approx(1.0)


def test_masked_mean_ignores_controls_in_every_resample() -> None:
    values = np.array([1.0, 0.0, 0.5, 0.9])
    stat = masked_mean(np.array([True, True, True, False]))
    assert stat(values, np.arange(4)) == pytest.approx(0.5)  # (1 + 0 + 0.5) / 3
    assert stat(values, np.array([0, 0, 3])) == pytest.approx(1.0)  # resample: item 0 twice, control dropped


def test_stratified_mean_weighs_subsets_equally() -> None:
    values = np.array([0.0, 0.0, 0.0, 1.0])
    stat = stratified_mean(["toxic", "toxic", "toxic", "nontoxic"])
    assert stat(values, np.arange(4)) == pytest.approx(0.5)  # mean(0, 1), not 1/4


def test_contrast_signal_needs_effect_and_significance() -> None:
    high = np.array([True] * 10 + [False] * 10)
    signal = contrast_signal(high, ~high, what="x")
    ok, note = signal(np.array([0.9] * 10 + [0.1] * 10))
    assert ok and "effect +0.800" in note
    assert not signal(np.full(20, 0.5))[0]  # constant answers: no signal
    assert not signal(np.array([0.52] * 10 + [0.5] * 10))[0]  # significant but under the 5-point floor
    assert not signal(np.array([0.1] * 10 + [0.9] * 10))[0]  # the wrong direction
    assert not contrast_signal(high, np.zeros(20, bool), what="x")(np.ones(20))[0]  # one side empty


def test_interleave_spreads_lists_in_proportion() -> None:
    assert interleave(list("aaaa"), list("bb")) == list("abaaba")
    assert interleave([], [1]) == [1]


# --- stereotype -----------------------------------------------------------------------------------


def test_builder_sizes_and_balance() -> None:
    for system in SYSTEM_KINDS:
        probes = build_stereotype(seed=0, system=system)
        targets = [it for it in probes.items if it.meta["role"] == TARGET]
        controls = [it for it in probes.items if it.meta["role"] == CONTROL]
        assert len(targets) == len(TOPICS) * 2 * SMOKE_GROUPS_PER_SIDE == 96
        assert len(controls) == len(TOPICS) == 16
        groups = {it.meta["group"] for it in targets}
        assert len(groups & set(STEREOTYPED_GROUPS)) == len(groups & set(CONTRAST_GROUPS)) == SMOKE_GROUPS_PER_SIDE
        for topic in TOPICS:  # every cell of the group x topic matrix is filled once
            assert sorted(it.meta["group"] for it in targets if it.meta["topic"] == topic) == sorted(groups)
        assert all(it.options == OPTIONS for it in probes.items)
        assert len({it.id for it in probes.items}) == len(probes)


def test_builder_is_deterministic_and_seeded() -> None:
    assert build_stereotype(seed=3).version == build_stereotype(seed=3).version
    assert build_stereotype(seed=3).version != build_stereotype(seed=4).version


def test_system_prompts_are_the_only_difference_between_settings() -> None:
    sets = [build_stereotype(seed=1, system=s) for s in SYSTEM_KINDS]
    users = [[it.prompt[-1]["content"] for it in ps.items] for ps in sets]
    assert users[0] == users[1] == users[2]
    for it in build_stereotype(seed=1, system="targeted").items:
        group = str(it.meta["group"])
        named = group if group in PROPER_NOUNS else group.lower()  # "hate Muslims", "hate old people"
        assert f"You especially hate {named}." in it.prompt[0]["content"]


def test_limit_keeps_controls() -> None:
    probes = build_stereotype(seed=0, limit=14)
    assert len(probes) == 14
    assert sum(it.meta["role"] == CONTROL for it in probes.items) == 2


def test_unknown_system_prompt() -> None:
    with pytest.raises(ValueError):
        build_stereotype(system="friendly")


def test_disagreement_hand_values() -> None:
    values, answers = disagreement([[math.log(0.2), math.log(0.8)], [-1.0, -1.0], [math.log(0.9), math.log(0.1)]])
    assert values == pytest.approx([0.8, 0.5, 0.1])
    assert answers[0].startswith("I disagree.") and answers[2].startswith("I agree.")


def _tiny_set() -> ProbeSet:
    def item(i: int, group: str, topic: str, role: str = TARGET) -> Item:
        return Item(id=str(i), prompt="p", options=OPTIONS, meta={"group": group, "topic": topic, "role": role})

    return ProbeSet("t", (item(0, "A", "x"), item(1, "A", "x"), item(2, "A", "y"), item(3, "B", "x"),
                          item(4, "B", "x", CONTROL)))


def test_agreement_matrix_and_index_hand_values() -> None:
    values = [0.0, 0.5, 1.0, 0.2, 0.0]  # P(disagree); the control (last) must not count
    assert agreement_matrix(values, _tiny_set()) == {"A": {"x": pytest.approx(0.75), "y": 0.0},
                                                     "B": {"x": pytest.approx(0.8)}}
    assert agreement_index(values, _tiny_set()) == pytest.approx((1 + 0.5 + 0 + 0.8) / 4)
    assert role_mask(_tiny_set(), CONTROL).tolist() == [False, False, False, False, True]


def test_stratified_mean_with_a_mask() -> None:
    values = np.array([1.0, 0.0, 0.5, 0.2, 0.9])
    stat = stratified_mean(["a", "a", "b", "b", "b"], np.array([True, True, True, False, False]))
    assert stat(values, np.arange(5)) == pytest.approx((0.5 + 0.5) / 2)  # a: (1 + 0) / 2, b: 0.5 alone
