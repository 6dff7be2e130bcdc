"""Allure labels, attachments and results-folder metadata for trust tests.

The plugin calls `label_test(...)` and `attach_metric(...)` inside a running test (with
allure-pytest active; without it they are no-ops), and `write_environment`, `write_categories` and
`carry_history` on the results folder. `allure` is imported lazily.

Severity by dimension (Allure's five levels) is each dimension's declared `severity`, a documented choice:
- blocker: privacy — leaking PII is an irreversible, legally reportable harm;
- critical: toxicity, stereotype, fairness, machine_ethics, safety — direct harm to users or third parties;
- normal: adv_robustness, ood_robustness, adv_demonstration, benign (utility) and any other dimension —
  degraded behaviour under attack, shift or plain use, which the other dimensions then amplify.
"""
from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from contracts import dimensions
from contracts.results import MetricResult
from reports.common import (
    VERDICT_TEXT,
    as_float,
    dimension_label,
    drop_of,
    esc,
    flip_rows,
    fmt_ci,
    fmt_num,
    fmt_p,
    scorecard_anchor,
    write_atomic,
)

SEVERITIES = dimensions.SEVERITIES

# Failure messages of the gate start with this marker (after pytest's "AssertionError: " or "Failed: ").
REGRESSION_MARKER = "TRUST REGRESSION"
# Skip messages of the gate for a metric it could not decide start with "inconclusive".
INCONCLUSIVE_MARKER = "inconclusive"

# Allure 2 matches a regex against the WHOLE message (Java `matches`), Allure 3 searches (JS `test`),
# Python's re.fullmatch is the former. A leading ^ and a trailing [\s\S]* make all three agree.
_EXC_PREFIX = r"^(?:[\w.]+: )?"
CATEGORIES: list[dict[str, Any]] = [
    {
        "name": "Trust regressions",
        "description": "The compressed model is significantly less trustworthy than its reference "
                       "(drop beyond the dimension's tolerance and p < alpha).",
        "matchedStatuses": ["failed"],
        "messageRegex": _EXC_PREFIX + REGRESSION_MARKER + r"[\s\S]*",
    },
    {
        "name": "Inconclusive (not a pass)",
        "description": "The data could not show the drop is within tolerance: the reference is at chance on "
                       "this probe set (no signal), or the set has too few items to tell (the skip message says "
                       "how many would decide it). Not a pass.",
        "matchedStatuses": ["skipped"],
        "messageRegex": _EXC_PREFIX + r"[Ii]nconclusive[\s\S]*",
    },
    {
        "name": "Infrastructure errors",
        "description": "The test crashed before a verdict (model download, compression, out of memory, "
                       "missing package): nothing is known about trust.",
        "matchedStatuses": ["broken"],
    },
    {
        "name": "Other failures (no trust verdict)",
        "description": "A failure without the trust-regression marker (a stale baseline, a bug in a test or in "
                       "the framework): nothing is known about trust.",
        "matchedStatuses": ["failed"],
        "messageRegex": r"^(?!(?:[\w.]+: )?" + REGRESSION_MARKER + r")[\s\S]*",
    },
]


def category_of(status: str, message: str | None) -> str | None:
    """The CATEGORIES name a result falls in (first match, as Allure 3 does; the rules are mutually
    exclusive, so Allure 2's all-matches gives the same), or None for passed results."""
    import re

    for cat in CATEGORIES:
        if status not in cat["matchedStatuses"]:
            continue
        regex = cat.get("messageRegex")
        if regex is None or re.fullmatch(regex, message or "") is not None:
            return str(cat["name"])
    return None


def severity_for(dimension: str) -> str:
    """The Allure severity of a dimension (see the module docstring)."""
    dim = dimensions.get(dimension)
    return dim.severity if dim else "normal"


def settings_text(settings: Mapping[str, Any] | str | None) -> str:
    """Stable one-line rendering of compression settings (sorted keys), so history ids stay stable."""
    if settings is None:
        return ""
    if isinstance(settings, str):
        return settings
    return ", ".join(f"{k}={v}" for k, v in sorted(settings.items(), key=lambda kv: str(kv[0])))


def label_test(
    *,
    dimension: str,
    metric: str,
    model_id: str,
    method: str,
    settings: Mapping[str, Any] | str | None,
    tier: str,
    severity: str | None = None,
    reference_id: str | None = None,
    scorecard_link: str | None = "scorecard.html",
) -> None:
    """Label the running test: epic "trust", feature = dimension, story = metric, parameters
    model / method / settings / tier (and reference), severity = `severity` or the dimension's
    default, tags = method and tier, and a link to the model's row of the scorecard (build.py puts
    scorecard.html next to index.html; None for no link). Call once per gate.check (several
    metrics give several stories)."""
    import allure

    level = severity or severity_for(dimension)
    if level not in SEVERITIES:
        raise ValueError(f"severity {level!r} is not one of {SEVERITIES}")
    allure.dynamic.epic("trust")
    allure.dynamic.feature(dimension)
    allure.dynamic.story(metric)
    allure.dynamic.severity(allure.severity_level(level))
    allure.dynamic.parameter("model", model_id)
    if reference_id is not None:
        allure.dynamic.parameter("reference", reference_id)
    allure.dynamic.parameter("method", method)
    allure.dynamic.parameter("settings", settings_text(settings))
    allure.dynamic.parameter("tier", tier)
    allure.dynamic.tag(method, tier)
    if scorecard_link:
        allure.dynamic.link(f"{scorecard_link}#{scorecard_anchor(model_id)}", name=f"scorecard: {model_id}")


# ---------------------------------------------------------------------------------------------
# Attachments (pure renderers first, so they can be tested without allure)

_TABLE_CSS = ("body{font-family:'DejaVu Sans',sans-serif;font-size:13px;margin:8px}"
              "table{border-collapse:collapse}"
              "th,td{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}"
              "th{background:#eceff1}.fail{color:#c62828;font-weight:bold}.pass{color:#2e7d32;font-weight:bold}"
              ".inconclusive,.skipped{color:#616161;font-weight:bold}.error{color:#ef6c00;font-weight:bold}"
              "pre{white-space:pre-wrap;word-break:break-word;margin:0;"
              "font-family:'DejaVu Sans Mono',monospace;font-size:12px}")
_CSP = "default-src 'none'; style-src 'unsafe-inline'"


def _page(title: str, body: str) -> str:
    return (f'<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" '
            f'content="{_CSP}"><title>{esc(title)}</title><style>{_TABLE_CSS}</style></head><body>{body}</body></html>')


def as_result(result: MetricResult | Mapping[str, Any]) -> MetricResult:
    """The one way a metric record enters the attachments: checked once by the metric contract
    (contracts/results.py; ResultError names what is wrong), then read as typed values."""
    return result if isinstance(result, MetricResult) else MetricResult.from_dict(result)


def metric_table_html(result: MetricResult | Mapping[str, Any]) -> str:
    """Candidate vs reference for one metric, with the interval, p-value and verdict."""
    result = as_result(result)
    v = result.verdict
    rows = [
        ("dimension", esc(dimension_label(result.dimension))),
        ("metric", esc(result.metric)),
        ("candidate", esc(result.model)),
        ("reference", esc(result.reference)),
        ("candidate score", fmt_num(result.score)),
        ("reference score", fmt_num(result.reference_score)),
        ("drop (reference − candidate)", fmt_num(drop_of(result))),
        ("95% CI of the drop", esc(fmt_ci(result.ci))),
        ("tolerance", fmt_num(result.tolerance)),
        ("one-sided p" + (f" ({result.test})" if result.test else ""), esc(fmt_p(result.p_value))),
        ("alpha", esc("—" if result.alpha is None else result.alpha)),
        ("items (n)", esc(result.n)),
        ("verdict", f'<span class="{v}">{esc(VERDICT_TEXT[v])}</span>'),
    ]
    for key, value in (("reason", result.reason), ("signal", result.signal)):
        if value:
            rows.append((key, esc(value)))
    body = "".join(f"<tr><th>{esc(k)}</th><td>{val}</td></tr>" for k, val in rows)
    return _page("metric", f"<table>{body}</table>")


def _csv_safe(value: object) -> object:
    """Neutralise spreadsheet formulas in untrusted text (=, +, -, @ at the start run in Excel)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def items_csv(rows: Sequence[Mapping[str, Any]]) -> str:
    """Per-item outcomes as CSV, rows as given (flip_rows puts the flipped ones first)."""
    fixed = ["id", "direction", "reference_value", "candidate_value", "delta", "prompt", "reference_answer",
             "candidate_answer"]
    extra = sorted({k for r in rows for k in r if k not in fixed})
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(fixed + extra)
    for r in rows:
        writer.writerow([_csv_safe(r.get(k, "")) for k in fixed + extra])
    return buf.getvalue()


def flipped_html(rows: Sequence[Mapping[str, Any]], limit: int = 50) -> str:
    """Prompts and both models' answers for the flipped items (worse first, then better)."""
    flipped = [r for r in rows if r.get("direction") in ("worse", "better")]
    worse = sum(1 for r in flipped if r["direction"] == "worse")
    head = (f"<p>{worse} item(s) flipped worse, {len(flipped) - worse} flipped better"
            + (f"; the first {limit} are shown, the CSV has all." if len(flipped) > limit else ".") + "</p>")
    body = "".join(
        f'<tr><td class="{"fail" if r["direction"] == "worse" else "pass"}">{esc(r["direction"])}</td>'
        f"<td>{esc(r.get('id', ''))}</td><td><pre>{esc(r.get('prompt', ''))}</pre></td>"
        f"<td><pre>{esc(r.get('reference_answer', ''))}</pre></td>"
        f"<td><pre>{esc(r.get('candidate_answer', ''))}</pre></td>"
        f"<td>{fmt_num(as_float(r.get('reference_value')), 2)} → "
        f"{fmt_num(as_float(r.get('candidate_value')), 2)}</td></tr>"
        for r in flipped[:limit]
    )
    table = ("<table><tr><th>flip</th><th>item</th><th>prompt</th><th>reference answer</th><th>candidate answer</th>"
             f"<th>value ref → cand</th></tr>{body}</table>") if flipped else ""
    return _page("flipped items", head + table)


def attach_metric(
    *,
    result: MetricResult | Mapping[str, Any],
    items: Sequence[Mapping[str, Any]],
    candidate_values: Sequence[float],
    reference_values: Sequence[float],
    candidate_answers: Sequence[str] | None = None,
    reference_answers: Sequence[str] | None = None,
    plot: bool = True,
    plot_cache: Path | None = None,
) -> list[dict[str, Any]]:
    """Attach to the running test, for one metric:
    1. "<metric>: candidate vs reference" — HTML table: scores, drop and its 95% interval,
       tolerance, p-value, verdict;
    2. "<metric>: flipped items, prompts and both answers" — HTML;
    3. "<metric>: plot" — PNG (the drop against the tolerance, and the item-level 2×2 table or scatter);
    4. "<metric>: per-item outcomes (flipped first)" — CSV of every item.

    `result` is the metric's record (contracts/results.py MetricResult, or its plain form, checked here once);
    plot_cache, a folder where drawn plots are kept by their inputs (reports/plots.py).
    Values are per item in [0, 1], 1 = trustworthy. Every string is escaped. Returns the rows of
    reports.common.flip_rows (worse first) for reuse."""
    import allure

    result = as_result(result)
    rows = flip_rows(items, candidate_values, reference_values, candidate_answers, reference_answers)
    name = result.metric
    html_type = allure.attachment_type.HTML
    # Reading order: the numbers, the prompts that flipped, the picture, then every item.
    allure.attach(metric_table_html(result), name=f"{name}: candidate vs reference", attachment_type=html_type)
    allure.attach(flipped_html(rows), name=f"{name}: flipped items, prompts and both answers",
                  attachment_type=html_type)
    if plot:
        from reports.plots import metric_plot_png

        allure.attach(metric_plot_png(result, candidate_values, reference_values, plot_cache), name=f"{name}: plot",
                      attachment_type=allure.attachment_type.PNG)
    allure.attach(items_csv(rows), name=f"{name}: per-item outcomes (flipped first)",
                  attachment_type=allure.attachment_type.CSV)
    return rows


# ---------------------------------------------------------------------------------------------
# Results-folder metadata

def _prop_escape(text: str, *, key: bool) -> str:
    out = []
    for i, ch in enumerate(text):
        if ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\f":
            out.append("\\f")
        elif ch in "=:#!" and (key or i == 0):
            out.append("\\" + ch)
        elif ch == " " and (key or i == 0):
            out.append("\\ ")  # keys cannot hold a raw space; a value's leading space would be stripped
        elif " " <= ch <= "~":
            out.append(ch)
        else:  # non-ASCII and control characters as \\uXXXX (UTF-16 units, like Java)
            units = ch.encode("utf-16-be")
            out.extend(f"\\u{int.from_bytes(units[j:j + 2], 'big'):04x}" for j in range(0, len(units), 2))
    return "".join(out)


def environment_properties(props: Mapping[str, str]) -> str:
    """Java .properties text (ASCII, escaped), keys in the given order."""
    return "".join(f"{_prop_escape(str(k), key=True)}={_prop_escape(str(v), key=False)}\n" for k, v in props.items())


def write_environment(results_dir: Path, props: Mapping[str, str]) -> Path:
    """results_dir/environment.properties from `props` (library versions, device, model revisions —
    whatever the plugin passes, e.g. {**contracts.versions.library_versions(), "device": "cpu", "model.smollm2": "<sha>"})."""
    return write_atomic(Path(results_dir) / "environment.properties", environment_properties(props))


def write_categories(results_dir: Path) -> Path:
    """results_dir/categories.json: trust regressions vs inconclusive skips vs infrastructure errors vs
    other failures (see CATEGORIES; build.py passes the same rules to Allure 3)."""
    return write_atomic(Path(results_dir) / "categories.json", json.dumps(CATEGORIES, indent=2) + "\n")


def carry_history(report_dir: Path, results_dir: Path) -> list[Path]:
    """Copy the previous report's history into the new results so trends continue: every file of
    report_dir/history/ (Allure 3's history.jsonl, Allure 2's *-trend.json and history.json) goes to
    results_dir/history/. Returns the copied paths; none if there is no previous report."""
    src = Path(report_dir) / "history"
    if not src.is_dir():
        return []
    dst = Path(results_dir) / "history"
    dst.mkdir(parents=True, exist_ok=True)
    copied = []
    for f in sorted(src.iterdir()):
        if f.is_file():
            copied.append(Path(shutil.copy2(f, dst / f.name)))
    return copied
