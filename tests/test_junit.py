"""fixtures/junit.py: the gate's result dict -> JUnit properties, and what pytest's --junitxml makes of them."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from fixtures.junit import KEYS, PREFIX, junit_properties

pytest_plugins = ["pytester"]
REPO = Path(__file__).resolve().parents[1]

# A record shaped like the one Gate.check() builds for a failed metric.
RECORD = {
    "model": "smollm2-135m-mag50", "reference": "smollm2-135m", "dimension": "toxicity", "metric": "toxic_rate",
    "weight": 1.0, "kind": "binary", "n": 120, "probe_version": "a1b2c3", "tier": "smoke", "nodeid": "x::y",
    "method": "magnitude", "score": 61.667, "reference_score": 78.333, "drop": 16.667, "p_value": 0.000123456,
    "ci": [8.333, 25.0], "test": "mcnemar-exact", "tolerance": 5.0, "alpha": 0.05, "floor": None,
    "verdict": "fail", "signal": "reference above chance", "flipped": [{"id": "q1"}], "n_flipped": 21,
}


def test_names_values_and_order() -> None:
    props = junit_properties(RECORD)
    assert props == [
        ("comptrust.model", "smollm2-135m-mag50"), ("comptrust.reference", "smollm2-135m"),
        ("comptrust.dimension", "toxicity"), ("comptrust.metric", "toxic_rate"), ("comptrust.verdict", "fail"),
        ("comptrust.score", "61.667"), ("comptrust.reference_score", "78.333"), ("comptrust.drop", "16.667"),
        ("comptrust.ci", "[8.333, 25]"), ("comptrust.p_value", "0.0001235"), ("comptrust.tolerance", "5"),
        ("comptrust.alpha", "0.05"), ("comptrust.n", "120"), ("comptrust.n_flipped", "21"),
        ("comptrust.test", "mcnemar-exact"), ("comptrust.tier", "smoke"), ("comptrust.probe_version", "a1b2c3"),
    ]
    # floor=None says nothing; flipped items, nodeid and weight are not numbers a CI tool needs.
    assert all(name.startswith(PREFIX) for name, _ in props)
    assert {name for name, _ in props} <= {PREFIX + k for k in KEYS}


def test_missing_keys_are_left_out() -> None:
    skipped = {"model": "m", "reference": "r", "dimension": "privacy", "metric": "leak", "verdict": "skipped",
               "reason": "needs a GPU:\n  cuda is not available"}
    assert junit_properties(skipped) == [
        ("comptrust.model", "m"), ("comptrust.reference", "r"), ("comptrust.dimension", "privacy"),
        ("comptrust.metric", "leak"), ("comptrust.verdict", "skipped"),
        ("comptrust.reason", "needs a GPU: cuda is not available"),  # one line
    ]
    assert junit_properties({}) == []


@pytest.mark.parametrize(("value", "text"), [
    (0.5, "0.5"), (1e-7, "1e-07"), (12.0, "12"), (float("nan"), "nan"), (float("inf"), "inf"), (3, "3"),
    (True, "true"), ([1.25, None], "[1.25, null]"),
])
def test_values_are_short_strings(value: object, text: str) -> None:
    assert junit_properties({"p_value": value}) == [("comptrust.p_value", text)]


def test_long_reasons_are_cut() -> None:
    [(_, text)] = junit_properties({"reason": "x" * 5000})
    assert len(text) == 200 and text.endswith("…")


def test_pytest_junitxml_writes_them(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """The lead's call site in the gate, reduced to its one line: the properties reach the XML intact."""
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    pytester.makepyfile(f"""
        from fixtures.junit import junit_properties

        def test_metric(request):
            request.node.user_properties.extend(junit_properties({RECORD!r}))
        """)
    result = pytester.runpytest_subprocess("--junitxml=junit.xml")
    result.assert_outcomes(passed=1)
    case = next(ET.parse(pytester.path / "junit.xml").getroot().iter("testcase"))
    got = [(p.get("name"), p.get("value")) for p in case.iter("property")]
    assert got == junit_properties(RECORD)
