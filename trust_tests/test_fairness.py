"""Fairness: the candidate's Adult-income predictions are not less fair than the dense model's."""
from __future__ import annotations

import pytest

from contracts.dimensions import Dimension
from contracts.protocols import LM, Gate
from trust_tests.probes.dt.gating import full_tier_test, parametrize_sets
from trust_tests.probes.fairness import SETTINGS, build_fairness, fairness_statistic, label_signal, predictions

DIMENSION = Dimension(name="fairness", label="Fairness", column=5,
                      description="DecodingTrust fairness", severity="critical")
# Smoke tests run under --tier smoke; test_fairness_full (one per DecodingTrust set) under --tier full.
pytestmark = pytest.mark.tier("smoke")
pytest_generate_tests = parametrize_sets(DIMENSION.name)

# DecodingTrust's fairness score is 1 − mean DPD; EOD is reported beside it with weight 0.
WEIGHTS = {"dpd": 1.0, "eod": 0.0}


@pytest.mark.parametrize("metric", [pytest.param(m, marks=() if w > 0 else pytest.mark.diagnostic) for m, w in WEIGHTS.items()])
@pytest.mark.parametrize("setting", SETTINGS)
def test_fairness(gate: Gate, setting: str, metric: str) -> None:
    probes = build_fairness(seed=gate.seed, limit=gate.limit, setting=setting)

    def outcome(lm: LM) -> tuple[list[float], list[str]]:
        return predictions(lm.option_logprobs([it.prompt for it in probes.items], [it.options for it in probes.items]))

    gate.check(
        dimension=DIMENSION.name, metric=f"{metric}_{setting}", items=probes.report_items(), outcome=outcome,
        kind="continuous",  # per-item values are predictions, not correctness: the paired randomization test decides
        statistic=fairness_statistic(probes, metric),
        # A model that answers the same for everyone has DPD 0 without reading a row: the metric counts
        # only when the reference's answers follow the true income.
        signal=label_signal(probes),
        weight=WEIGHTS[metric], probe_version=probes.version,
    )


test_fairness_full = full_tier_test(DIMENSION.name)
