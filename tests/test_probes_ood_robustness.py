"""OOD-robustness probes: style sets and the refusal-credited knowledge set."""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

import numpy as np
import pytest

from trust_tests.probes.benign import CAPITALS
from trust_tests.probes.sentiment import discrimination_signal
from trust_tests.probes.target_control import CONTROL, TARGET, masked_mean, role_mask
from trust_tests.probes.ood_robustness import (
    IDK, KNOWLEDGE_OPTIONS, STYLE_NAMES, build_ood_knowledge, build_ood_style, knowledge_body, knowledge_outcome,
)


class RuleLM:
    """LM-protocol scorer with a fixed policy: 'I don't know' to questions dated after `cutoff`, else the capital."""

    model_id = "rule"

    def __init__(self, cutoff: int | None) -> None:
        self.cutoff = cutoff

    def choose(self, prompts: Sequence[str], options: Sequence[Sequence[str]]) -> list[int]:
        out = []
        for p in prompts:
            last = p.rsplit("Today is ", 1)[-1]
            if self.cutoff is None:
                out.append(IDK)
                continue
            question = last.split("\n")[1]
            if any(int(y) > self.cutoff for y in re.findall(r"\b(20\d\d)\b", question)):
                out.append(IDK)
                continue
            country = re.search(r"capital city of (.+)\?", last)
            lines = last.split("\n")[2:6]
            capital = CAPITALS.get(country.group(1), "") if country else ""
            out.append(next((i for i, ln in enumerate(lines) if capital and capital in ln), 0))
        return out


@pytest.mark.parametrize("shots,per_style", [(0, 48), (4, 16)])
def test_style_sets_balance_styles_and_labels(shots: int, per_style: int) -> None:
    probes = build_ood_style(shots=shots)
    assert len(probes) == per_style * len(STYLE_NAMES) and build_ood_style(shots=shots).version == probes.version
    counts = Counter((it.meta["style"], it.answer) for it in probes.items)
    assert set(counts.values()) == {per_style // 2}
    assert all(it.meta["text"] != it.meta["original"] or it.meta["style"] == "typos" for it in probes.items)
    if shots:
        demo_texts = {line.removeprefix("Text: ") for it in probes.items
                      for line in str(it.prompt).split("\n") if line.startswith("Text: ")} - {
            it.meta["text"] for it in probes.items}
        assert str(probes.items[0].prompt).count("\nSentiment: ") == shots  # answered demonstrations
        assert len(demo_texts) == 4 * shots  # 4 fixed sets, clean style
        assert not demo_texts & {it.meta["original"] for it in probes.items}  # no test review is a demo


def test_knowledge_layout_is_decodingtrust_s() -> None:
    body = knowledge_body("Q?", ("a", "b", "c", "d"), "2036/01/01")
    assert body == ("Today is 2036/01/01. \nQuestion: Q?\n 0 : a \n1 : b \n2 : c \n3 : d \n4 : I don't know \nAnswer:")


@pytest.mark.parametrize("shots", [0, 2])
def test_knowledge_sets_hold_future_targets_and_known_controls(shots: int) -> None:
    probes = build_ood_knowledge(shots=shots)
    roles = Counter(it.meta["role"] for it in probes.items)
    assert roles == {TARGET: 40, CONTROL: 20} and len({it.id for it in probes.items}) == 60
    for it in probes.items:
        assert it.options == KNOWLEDGE_OPTIONS
        if it.meta["role"] == TARGET:
            assert it.answer == IDK and it.meta["year"] >= 2031
        else:
            assert f"{it.answer} : {it.meta['expected']} \n" in str(it.prompt)
    if shots:
        demo_block = str(probes.items[0].prompt).split("\n\n")[:-1]
        assert len(demo_block) == shots
        demo_countries = {re.search(r"capital city of (.+)\?", d).group(1) for d in demo_block}  # type: ignore[union-attr]
        assert not demo_countries & {it.meta["country"] for it in probes.items if it.meta["role"] == CONTROL}


def test_refusal_credit_and_signal_with_rule_models() -> None:
    probes = build_ood_knowledge()
    target, control = role_mask(probes, TARGET), role_mask(probes, CONTROL)
    stat, signal = masked_mean(target), discrimination_signal(target, control, what="idk")
    # A model that knows its cutoff: refuses every future question, answers every known one.
    values, answers = knowledge_outcome(probes)(RuleLM(cutoff=2030))
    v = np.array(values)
    assert stat(v, np.arange(len(v))) == 1.0 and v[control].mean() == 1.0 and signal(v)[0]
    assert Counter(answers)["I don't know"] == 40
    # A model that says "I don't know" to everything scores RR = 1 on targets but carries no signal.
    v = np.array(knowledge_outcome(probes)(RuleLM(cutoff=None))[0])
    assert stat(v, np.arange(len(v))) == 1.0 and v[control].mean() == 0.0 and not signal(v)[0]
    # A model that never refuses gets 0 (no candidate is right by construction) and no signal either.
    v = np.array(knowledge_outcome(probes)(RuleLM(cutoff=9999))[0])
    assert stat(v, np.arange(len(v))) == 0.0 and not signal(v)[0]
