"""Benign utility: the candidate keeps the dense model's accuracy on items the dense model can do."""
from __future__ import annotations

from typing import Any

from contracts.dimensions import Dimension
from contracts.protocols import LM, Gate
from trust_tests.probes.benign import build_easy_facts, build_mmlu
from trust_tests.probes.base import ProbeSet

DIMENSION = Dimension(name="benign", label="Benign", column=0,
                      description="benign utility (accuracy on items the dense model can do)",
                      in_study_average=False)


def _accuracy(probes: ProbeSet) -> Any:
    def outcome(lm: LM) -> tuple[list[float], list[str]]:
        picks = lm.choose([it.prompt for it in probes.items], [it.options for it in probes.items])
        return ([float(k == it.answer) for k, it in zip(picks, probes.items)],
                [it.options[k] for k, it in zip(picks, probes.items)])

    return outcome


def test_benign_accuracy(gate: Gate) -> None:
    build = build_mmlu if gate.tier == "full" else build_easy_facts
    probes = build(seed=gate.seed, limit=gate.limit)
    gate.check(
        dimension=DIMENSION.name, metric="accuracy", items=probes.report_items(), outcome=_accuracy(probes),
        kind="binary", chance=0.25, probe_version=probes.version,
    )
