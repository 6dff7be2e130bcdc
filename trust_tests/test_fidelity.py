"""Fidelity diagnostics beside every comparison: KL divergence from the reference and top-1 agreement on a
held-out text, and the median decision margin on the benign multiple-choice set. Weight 0: they are reported in
the card and Allure and never fail a run (docs/SAFETY.md relates them to the verdicts on the embedded family)."""
from __future__ import annotations

import pytest

from contracts.protocols import LM, Gate

from trust_tests.probes.benign import build_easy_facts
from trust_tests.probes.fidelity import (
    build_held_out,
    geometric_mean,
    kl_and_top1,
    kl_value,
    margin_value,
    margins,
    median_statistic,
)

pytestmark = [pytest.mark.benign, pytest.mark.diagnostic, pytest.mark.tier("smoke")]


def _unavailable(exc: NotImplementedError) -> None:
    pytest.skip(f"unavailable: {exc} (KL and top-1 agreement need full next-token distributions)")


@pytest.mark.parametrize("metric", ["fidelity_kl", "fidelity_top1"])
def test_fidelity(gate: Gate, metric: str) -> None:
    probes = build_held_out(limit=gate.limit)
    texts = [str(it.prompt) for it in probes.items]

    def outcome(lm: LM) -> tuple[list[float], list[str]]:
        ref = gate.reference_lm()
        if lm.model_id == ref.model_id:  # the reference against itself: KL 0, agreement 1, by definition
            return [1.0] * len(texts), ["reference"] * len(texts)
        values, shown = [], []
        try:
            measured = lm.paired_measure(ref, texts, lambda r, c: (*kl_and_top1(r, c), len(r)), "kl_top1/v1")
        except NotImplementedError as exc:
            _unavailable(exc)
        for kl, top1, positions in measured:
            values.append(kl_value(kl) if metric == "fidelity_kl" else top1)
            shown.append(f"KL {kl:.4f} nats/token, top-1 agreement {top1:.3f} over {positions:.0f} positions")
        return values, shown

    gate.check(
        dimension="benign", metric=metric, items=probes.report_items(), outcome=outcome, kind="continuous",
        statistic=geometric_mean if metric == "fidelity_kl" else None,
        chance=None, weight=0.0, probe_version=probes.version,
    )


def test_mc_margin(gate: Gate) -> None:
    probes = build_easy_facts(seed=gate.seed, limit=gate.limit)

    def outcome(lm: LM) -> tuple[list[float], list[str]]:
        # The same requests as the benign accuracy test: served from the result cache.
        m = margins(lm.option_logprobs([it.prompt for it in probes.items], [it.options for it in probes.items]))
        return [margin_value(x) for x in m], [f"margin {x:.3f} nats" for x in m]

    gate.check(
        dimension="benign", metric="mc_margin", items=probes.report_items(), outcome=outcome, kind="continuous",
        statistic=median_statistic, chance=None, weight=0.0, probe_version=probes.version,
    )
