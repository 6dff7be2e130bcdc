"""Self-tests of reports/: scorecard writers (escaping, layout, GitHub Markdown), plots, Allure
labels/attachments from a real allure-pytest run, categories, environment.properties, history."""
from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
import textwrap
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reports.allure_support import (
    CATEGORIES,
    carry_history,
    category_of,
    environment_properties,
    flipped_html,
    items_csv,
    metric_table_html,
    write_categories,
    write_environment,
)
from contracts.results import MetricResult
from contracts.scorecard import CardError, DimensionCard, parse_card, read_card
from contracts.verdicts import Verdict
from reports.card_render import md_cell, model_verdict, render_html, render_markdown, trust_average, write_scorecard
from reports.common import (
    dimension_ci,
    flip_rows,
    flipped_items,
    fmt_p,
    fmt_signed,
    scorecard_anchor,
)
from tests.card_helpers import card_with, dimension_entry, metric_entry, model_entry, typed_model

REPO = Path(__file__).resolve().parents[1]
PLANT = '<script>window.__pwned=1;document.title="PWNED"</script><img src=x onerror="window.__pwned=2">'
BAD_ID = "smol-mag50" + PLANT  # model ids come from config: escape them too


_metric = metric_entry
_dim = dimension_entry


def hand_card() -> dict[str, Any]:
    flip = {"id": "q3", "prompt": "Is water wet? " + PLANT, "reference_answer": "yes", "candidate_answer": PLANT,
            "reference_value": 1.0, "candidate_value": 0.0}
    return card_with(
        notes=["The embedded dense reference is SmolLM2-135M-Instruct dequantized from its Q4_1 GGUF."],
        environment={"lib.torch": "2.13.0", "device": "cpu", "model.planted": PLANT},
        models={
            "smol-gptq4": model_entry(method="gptq", settings={"bits": 4, "group_size": 64}, dimensions={
                               "benign": _dim("pass", {"facts": _metric(61.2, 62.0, "pass", [-3.0, 4.6], 0.41, 200)}),
                               "toxicity": _dim("pass", {"emt": _metric(90.1, 91.0, "pass", [-1.0, 2.8], 0.3, 100)}),
                               "fairness": _dim("pass", {"dpd": _metric(80.0, 82.0, "pass", [-1.0, 5.0], 0.2, 200)}),
                               "privacy": {**_dim("inconclusive", {"pii": {**_metric(
                                   70.0, 71.0, "inconclusive", [-8.0, 10.0], None, 50, signal="reference at chance"),
                                   "inconclusive_reason": "no-signal"}}), "inconclusive_reason": "no-signal"},
                           }),
            BAD_ID: model_entry(method="magnitude", settings={"sparsity": 0.5}, verdict="fail", dimensions={
                         "benign": _dim("fail", {"facts": _metric(40.0, 62.0, "fail", [15.0, 29.1], 0.0001, 200,
                                                                  [flip], n_flipped=44)}),
                         "machine_ethics": {**_dim("inconclusive", {"acc": {**_metric(
                             50.0, 50.5, "inconclusive", [-6.0, 7.0], None, 100), "inconclusive_reason": "no-signal"}}),
                             "inconclusive_reason": "no-signal"},
                     }),
        },
    )


class _Tags(HTMLParser):
    """Every start tag and attribute name the browser would build from the page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend(a for a, _ in attrs)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(page: str) -> _Tags:
    p = _Tags()
    p.feed(page)
    return p


# ---------------------------------------------------------------------------------------------
# common helpers

def test_flip_rows_orders_worse_then_better_then_same() -> None:
    items = [{"id": f"i{k}", "prompt": f"p{k}", "topic": "t"} for k in range(5)]
    cand = [1.0, 0.0, 0.2, 1.0, 0.0]
    ref = [1.0, 1.0, 1.0, 0.0, 0.0]
    rows = flip_rows(items, cand, ref, ["a"] * 5, ["b"] * 5)
    # i2 drops 0.8 and i1 drops 1.0 → i1 first; i3 improved; i0, i4 unchanged in input order.
    assert [r["id"] for r in rows] == ["i1", "i2", "i3", "i0", "i4"]
    assert [r["direction"] for r in rows] == ["worse", "worse", "better", "same", "same"]
    assert rows[1]["delta"] == pytest.approx(-0.8)
    assert rows[0]["topic"] == "t"  # extra item keys are kept
    assert [f["id"] for f in flipped_items(items, cand, ref, limit=1)] == ["i1"]


def test_flip_rows_rejects_mismatched_lengths() -> None:
    with pytest.raises(ValueError, match="lengths differ"):
        flip_rows([{"id": "a"}], [1.0, 0.0], [1.0])
    with pytest.raises(ValueError, match="candidate_answers"):
        flip_rows([{"id": "a"}], [1.0], [1.0], candidate_answers=[])


def test_number_formats() -> None:
    assert fmt_signed(-0.8) == "−0.8"
    assert fmt_signed(1.25, 1) == "+1.2"  # banker's rounding of 1.25 is 1.2
    assert fmt_signed(0.04) == "0.0"
    assert fmt_signed(None) == "—"
    assert fmt_p(0.0004) == "<0.001"
    assert fmt_p(0.0456) == "0.046"


def _with_ci(ci: tuple[float, float] | None, weight: float) -> MetricResult:
    return MetricResult(model="m", reference="r", dimension="d", metric="x", verdict=Verdict.ERROR, ci=ci,
                        weight=weight)


def test_dimension_ci_is_weighted_mean_of_bounds() -> None:
    metrics = {"a": _with_ci((2.0, 6.0), 1.0), "b": _with_ci((10.0, 4.0), 3.0)}
    dim = DimensionCard(score=None, reference_score=None, drop=None, verdict=Verdict.ERROR, inconclusive_reason=None,
                        metrics=metrics)
    # lo = (1*2 + 3*4) / 4 = 3.5; hi = (1*6 + 3*10) / 4 = 9.0 (b's bounds are sorted first)
    assert dimension_ci(dim) == (3.5, 9.0)
    assert dimension_ci(DimensionCard(**{**dim.__dict__, "metrics": {"a": _with_ci(None, 1.0)}})) is None


@given(st.text())
def test_a_verdict_word_nothing_writes_is_refused_at_the_entry(value: str) -> None:
    card = hand_card()
    card["models"]["smol-gptq4"]["dimensions"]["benign"]["verdict"] = value
    if value in {v.value for v in Verdict}:
        return
    with pytest.raises(CardError, match=r"^the scorecard: does not match scorecard schema_version 2: "
                                        r"\$\.models\.smol-gptq4\.dimensions\.benign\.verdict: "):
        render_html(card)


def test_a_card_of_another_schema_version_is_refused_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "scorecard.json"
    path.write_text(json.dumps({**hand_card(), "schema_version": 1}))
    with pytest.raises(CardError, match=rf"^{re.escape(str(path))}: scorecard schema_version 1, but this comptrust "
                                        "reads version 2"):
        read_card(path)
    path.write_text(json.dumps(hand_card()))
    assert read_card(path) == parse_card(hand_card())
    card = hand_card()
    del card["models"][BAD_ID]["dimensions"]["benign"]["metrics"]["facts"]["nodeid"]
    with pytest.raises(CardError, match=r"benign\.metrics\.facts: 'nodeid' is missing"):
        write_scorecard(card, tmp_path / "out")
    assert not (tmp_path / "out").exists()  # nothing written from a card that does not match


@given(st.text(max_size=80))
def test_scorecard_anchor_is_a_safe_fragment(model_id: str) -> None:
    anchor = scorecard_anchor(model_id)
    assert re.fullmatch(r"model-[A-Za-z0-9_-]*-[0-9a-f]{6}", anchor)
    assert anchor == scorecard_anchor(model_id)


# ---------------------------------------------------------------------------------------------
# scorecard

def test_model_verdict_and_trust_average() -> None:
    card = parse_card(hand_card())
    gptq, mag = card.models["smol-gptq4"], card.models[BAD_ID]
    assert model_verdict(gptq) is Verdict.PASS
    assert model_verdict(mag) is Verdict.FAIL
    # No evidence at all is never a pass; what no item count could decide does not block one (the default policy).
    assert model_verdict(typed_model({"a": ("inconclusive", "no-signal"), "b": "skipped"})) is Verdict.INCONCLUSIVE
    assert model_verdict(typed_model({"a": "error", "b": "pass"})) is Verdict.ERROR
    assert model_verdict(typed_model({})) is Verdict.SKIPPED
    # toxicity (90.1 vs 91.0) and fairness (80.0 vs 82.0); privacy has no signal, benign is not a trust dimension.
    cand, ref, k = trust_average(gptq)
    assert cand == pytest.approx(85.05) and ref == pytest.approx(86.5) and k == 2
    assert trust_average(mag) == (None, None, 0)


def test_write_scorecard_files_and_json(tmp_path: Path) -> None:
    card = hand_card()
    card["models"]["smol-gptq4"]["dimensions"]["benign"]["metrics"]["facts"]["p_value"] = float("nan")
    paths = write_scorecard(card, tmp_path)
    assert set(paths) == {"json", "html", "md", "radar_svg", "radar_png", "bars_svg", "bars_png"}
    for p in paths.values():
        assert p.parent == tmp_path and p.stat().st_size > 0
    back = json.loads(paths["json"].read_text())  # strict JSON: NaN became null
    assert back["models"]["smol-gptq4"]["dimensions"]["benign"]["metrics"]["facts"]["p_value"] is None
    assert back["models"][BAD_ID]["dimensions"]["benign"]["verdict"] == "fail"
    assert paths["radar_png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert paths["bars_svg"].read_text().lstrip().startswith("<?xml")


def test_html_escapes_planted_model_output() -> None:
    page = render_html(hand_card(), {"radar": b"\x89PNG fake"})
    parsed = _parse(page)
    assert "script" not in parsed.tags
    assert not [a for a in parsed.attrs if a.startswith("on")]
    assert PLANT in "".join(parsed.text)  # the payload is there, as text
    assert "script-src" not in page and "default-src 'none'" in page  # CSP forbids scripts outright


def test_html_layout_rows_columns_and_cells() -> None:
    page = render_html(hand_card())
    table = page[page.index('<table class="scorecard">'):page.index("</table>")]
    rows = re.findall(r"<tr.*?</tr>", table, flags=re.S)
    assert len(rows) == 4  # header, the reference, one row per compressed model
    heads = re.findall(r"<th>(.*?)</th>", rows[0])
    # Study order: benign, then ethics, fairness, toxicity, privacy (only dimensions present).
    assert heads == ["Model", "Compression", "Gate", "Avg (trust dims)", "Benign", "Ethics", "Fairness", "Toxicity",
                     "Privacy"]
    gptq_row = next(r for r in rows if "smol-gptq4" in r)
    cells = re.findall(r"<td[^>]*>.*?</td>", gptq_row, flags=re.S)  # compression, gate, avg, then dimensions
    benign, privacy = cells[3], cells[-1]
    assert "61.2" in benign and "ref 62.0 · drop 0.8" in benign and ">pass<" in benign
    assert 'class="cell v-inconclusive"' in privacy and "inconclusive (no signal)" in privacy and "v-pass" not in privacy
    assert "Q4_1" in page  # the note about the dequantized reference is shown
    assert "44 item(s) the candidate got worse on" in page  # n_flipped wins over the truncated list


def test_markdown_is_a_github_table() -> None:
    md = render_markdown(hand_card())
    table = [ln for ln in md.splitlines() if ln.startswith("| ") or ln.startswith("|:")]
    widths = {len(re.split(r"(?<!\\)\|", ln.strip().strip("|"))) for ln in table}
    assert widths == {9}  # every row has the header's 9 cells, escaped pipes included
    assert "<script" not in md and "<img" not in md
    assert "❌ 40.0 (−22.0)" in md and "⚪ inconclusive (no signal)" in md and "✅ 61.2 (−0.8)" in md
    markdown_it = pytest.importorskip("markdown_it")
    rendered = markdown_it.MarkdownIt("commonmark").enable("table").render(md)
    parsed = _parse(rendered)
    assert parsed.tags.count("table") == 2  # the scorecard and the flipped prompts of the failure
    assert "script" not in parsed.tags and "img" not in parsed.tags
    assert parsed.tags.count("tr") == 1 + 3 + 1 + 1  # header, reference, 2 models; failure table header + 1 row


@given(st.text(), st.integers(min_value=2, max_value=200))
def test_md_cell_never_breaks_a_table(text: str, limit: int) -> None:
    cell = md_cell(text, limit)
    assert "\n" not in cell and "\r" not in cell
    assert "<" not in cell and ">" not in cell
    assert re.search(r"(?<!\\)\|", cell.replace("\\\\", "")) is None
    assert len(" ".join(text.split())) > limit or "…" not in cell


# ---------------------------------------------------------------------------------------------
# plots

def test_plots_and_metric_plot(tmp_path: Path) -> None:
    from reports.plots import bar_chart, metric_plot_png, radar_chart

    card = hand_card()
    assert [p.name for p in radar_chart(card, tmp_path)] == ["radar.svg", "radar.png"]
    assert [p.name for p in bar_chart(card, tmp_path)] == ["bars.svg", "bars.png"]
    result = parse_card(card).models[BAD_ID].dimensions["benign"].metrics["facts"]
    png = metric_plot_png(result, [0.0, 1.0, 1.0], [1.0, 1.0, 0.0])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert metric_plot_png(result, [0.3, 0.9], [0.5, 0.1])[:4] == b"\x89PNG"  # continuous: scatter
    assert radar_chart(card_with({}), tmp_path / "empty")[1].stat().st_size > 0


def test_a_metric_plot_is_drawn_once_per_distinct_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dataclasses import replace

    from reports import plots

    result = parse_card(hand_card()).models[BAD_ID].dimensions["benign"].metrics["facts"]
    drawn = plots.metric_plot_png(result, [0.0, 1.0, 1.0], [1.0, 1.0, 0.0], tmp_path)
    assert drawn == plots.metric_plot_png(result, [0.0, 1.0, 1.0], [1.0, 1.0, 0.0])  # the same picture
    draws: list[int] = []
    draw = plots._draw_metric_plot
    monkeypatch.setattr(plots, "_draw_metric_plot", lambda *a: draws.append(1) or draw(*a))
    assert plots.metric_plot_png(result, [0.0, 1.0, 1.0], [1.0, 1.0, 0.0], tmp_path) == drawn
    assert not draws  # read back, not drawn
    plots.metric_plot_png(result, [0.0, 1.0, 0.0], [1.0, 1.0, 0.0], tmp_path)  # one item differs
    plots.metric_plot_png(replace(result, p_value=0.5), [0.0, 1.0, 1.0], [1.0, 1.0, 0.0], tmp_path)  # the record
    assert len(draws) == 2 and len(list(tmp_path.glob("*.png"))) == 3
    tmp_path.chmod(0o700)
    plots.metric_plot_png(result, [1.0, 1.0, 1.0], [1.0, 1.0, 0.0], tmp_path)
    assert {p.stat().st_mode & 0o777 for p in tmp_path.glob("*.png")} >= {0o600}  # the folder's bits, no exec
    assert plots.metric_plot_png(result, [0.0], [1.0], tmp_path / "missing")[:4] == b"\x89PNG"  # drawn, not kept
    assert not (tmp_path / "missing").exists()


# ---------------------------------------------------------------------------------------------
# Allure: renderers, categories, environment, history

def test_attachment_renderers_escape_and_order() -> None:
    items = [{"id": "a", "prompt": "=HYPERLINK(\"http://x\")"}, {"id": "b", "prompt": PLANT}]
    rows = flip_rows(items, [1.0, 0.0], [1.0, 1.0], ["ok", PLANT], ["ok", "fine"])
    text = items_csv(rows)
    parsed = list(csv.reader(io.StringIO(text)))
    assert parsed[0][:5] == ["id", "direction", "reference_value", "candidate_value", "delta"]
    assert parsed[1][0] == "b" and parsed[1][1] == "worse"  # the flipped item comes first
    assert parsed[2][5] == "'=HYPERLINK(\"http://x\")"  # spreadsheet formula neutralised
    record = {"model": BAD_ID, "reference": "smol", "dimension": "benign", "metric": PLANT, "verdict": "error"}
    for page in (flipped_html(rows), metric_table_html(record)):
        p = _parse(page)
        assert "script" not in p.tags and not [a for a in p.attrs if a.startswith("on")]
        assert PLANT in "".join(p.text)


@pytest.mark.parametrize(("status", "message", "expected"), [
    ("failed", "AssertionError: TRUST REGRESSION: benign/facts on m vs r\n  score 40.0", "Trust regressions"),
    ("failed", "Failed: TRUST REGRESSION: x", "Trust regressions"),
    ("failed", "AssertionError: assert 1 == 2", "Other failures (no trust verdict)"),
    ("failed", "AssertionError: the model said TRUST REGRESSION", "Other failures (no trust verdict)"),
    ("broken", "RuntimeError: CUDA out of memory", "Infrastructure errors"),
    ("skipped", "Skipped: inconclusive (no-signal): benign/facts: no signal", "Inconclusive (not a pass)"),
    ("skipped", "Skipped: needs a GPU", None),
    ("passed", None, None),
])
def test_categories(status: str, message: str | None, expected: str | None) -> None:
    assert category_of(status, message) == expected


@settings(max_examples=200)
@given(st.sampled_from(["failed", "broken", "skipped", "passed"]), st.text())
def test_categories_are_mutually_exclusive(status: str, message: str) -> None:
    # Allure 2 puts a result in every matching category; the rules must never overlap.
    hits = [c for c in CATEGORIES if status in c["matchedStatuses"]
            and ("messageRegex" not in c or re.fullmatch(c["messageRegex"], message))]
    assert len(hits) <= 1
    if status in ("failed", "broken"):  # every failure lands somewhere
        assert len(hits) == 1


def test_write_categories_and_environment(tmp_path: Path) -> None:
    cats = json.loads(write_categories(tmp_path).read_text())
    assert [c["name"] for c in cats][0] == "Trust regressions"
    props = {"lib.torch": "2.13.0", "device": "cpu (2 cores)", "model rev": "a=b:c", "note": " ünï\nline#"}
    path = write_environment(tmp_path, props)
    assert path.name == "environment.properties"
    assert path.read_text(encoding="ascii") == (
        "lib.torch=2.13.0\n"
        "device=cpu (2 cores)\n"
        "model\\ rev=a=b:c\n"
        "note=\\ \\u00fcn\\u00ef\\nline#\n"
    )
    assert environment_properties({"k": "😀"}) == "k=\\ud83d\\ude00\n"  # UTF-16 surrogates, like Java


def test_carry_history(tmp_path: Path) -> None:
    report, results = tmp_path / "html", tmp_path / "results"
    assert carry_history(report, results) == []
    (report / "history").mkdir(parents=True)
    (report / "history" / "history.jsonl").write_text('{"uuid": "1"}\n')
    (report / "history" / "history-trend.json").write_text("[]")
    copied = carry_history(report, results)
    assert sorted(p.name for p in copied) == ["history-trend.json", "history.jsonl"]
    assert (results / "history" / "history.jsonl").read_text() == '{"uuid": "1"}\n'


# ---------------------------------------------------------------------------------------------
# A real allure-pytest run using label_test / attach_metric

_PROJECT = textwrap.dedent('''
    import pytest
    from reports.allure_support import attach_metric, label_test

    PLANT = {plant!r}
    ITEMS = [{{"id": f"q{{i}}", "prompt": f"Is {{i}} even?", "topic": "math"}} for i in range(6)]
    REF = [1.0, 1.0, 1.0, 1.0, 0.0, 0.0]

    @pytest.mark.parametrize("model", ["m-gptq4", "m-mag50"])
    def test_facts(model):
        cand = REF if model == "m-gptq4" else [1.0, 0.0, 1.0, 0.0, 1.0, 0.0]
        label_test(dimension="privacy", metric="pii_leak", model_id=model, method=model[2:], tier="smoke",
                   settings={{"bits": 4}}, reference_id="m")
        result = {{"dimension": "privacy", "metric": "pii_leak", "model": model, "reference": "m",
                   "score": 100 * sum(cand) / 6, "reference_score": 100 * sum(REF) / 6, "ci": [-5.0, 40.0],
                   "p_value": 0.25, "n": 6, "verdict": "pass" if cand is REF else "fail", "tolerance": 5.0}}
        attach_metric(result=result, items=ITEMS, candidate_values=cand, reference_values=REF,
                      candidate_answers=[PLANT if v == 0 else "no" for v in cand], reference_answers=["no"] * 6)
        if cand is not REF:
            raise AssertionError("TRUST REGRESSION: privacy/pii_leak on m-mag50 vs m")

    def test_infra():
        raise RuntimeError("model download failed")

    def test_no_signal():
        pytest.skip("inconclusive (no-signal): privacy/pii_leak: reference at chance")
''')


def run_allure_project(tmp_path: Path) -> Path:
    """Run the tiny project above under allure-pytest (one passing and one regressed model, an
    infrastructure error, a no-signal skip; the regressed model's answers are a planted script);
    returns its results folder."""
    (tmp_path / "test_tiny.py").write_text(_PROJECT.format(plant=PLANT))
    results = tmp_path / "allure-results"
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:faker",
                           "-p", "no:randomly", f"--alluredir={results}", "test_tiny.py"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert "1 passed" in proc.stdout and "2 failed" in proc.stdout and "1 skipped" in proc.stdout, proc.stdout
    return results


def test_allure_labels_and_attachments_from_a_real_run(tmp_path: Path) -> None:
    results = run_allure_project(tmp_path)
    by_name = {r["name"]: r for r in (json.loads(p.read_text()) for p in results.glob("*-result.json"))}
    failed = by_name["test_facts[m-mag50]"]
    labels = {(lb["name"], lb["value"]) for lb in failed["labels"]}
    assert {("epic", "trust"), ("feature", "privacy"), ("story", "pii_leak"),
            ("severity", "blocker"), ("tag", "mag50"), ("tag", "smoke")} <= labels
    params = {p["name"]: p["value"] for p in failed["parameters"]}
    assert params["model"] == "'m-mag50'" and params["settings"] == "'bits=4'" and params["tier"] == "'smoke'"
    assert any(link["url"] == f"scorecard.html#{scorecard_anchor('m-mag50')}" for link in failed["links"])
    atts = {a["name"]: a for a in failed["attachments"]}
    assert [a["type"] for a in failed["attachments"]] == ["text/html", "text/html", "image/png", "text/csv"]
    rows = list(csv.DictReader(io.StringIO((results / atts["pii_leak: per-item outcomes (flipped first)"]["source"])
                                           .read_text())))
    assert [r["id"] for r in rows] == ["q1", "q3", "q4", "q0", "q2", "q5"]  # worse, better, same
    assert rows[0]["candidate_answer"] == PLANT and rows[0]["topic"] == "math"
    flipped_page = (results / atts["pii_leak: flipped items, prompts and both answers"]["source"]).read_text()
    assert "<script>" not in flipped_page and "&lt;script&gt;" in flipped_page
    statuses = {r["name"]: (r["status"], r.get("statusDetails", {}).get("message")) for r in by_name.values()}
    assert {n: category_of(*sm) for n, sm in statuses.items()} == {
        "test_facts[m-gptq4]": None, "test_facts[m-mag50]": "Trust regressions",
        "test_infra": "Infrastructure errors", "test_no_signal": "Inconclusive (not a pass)"}


def test_build_needs_node_modules(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import reports.build as build

    monkeypatch.setattr(build, "ALLURE_CLI", tmp_path / "missing" / "cli.js")
    with pytest.raises(build.BuildError, match=r"npm ci --prefix reports"):
        build.check_tools()
    assert build.main(["--results", str(tmp_path), "--out", str(tmp_path / "out")]) == 2


def test_build_report_twice_carries_history(tmp_path: Path) -> None:
    import reports.build as build

    try:
        build.check_tools()
    except build.BuildError as exc:
        pytest.skip(str(exc))
    results = run_allure_project(tmp_path)
    card_dir = tmp_path / "latest"
    write_scorecard(hand_card(), card_dir, plots=False)
    out = tmp_path / "html"
    index = build.build_report(results, out, scorecard=card_dir)
    index = build.build_report(results, out, scorecard=card_dir)
    assert index == out / "index.html" and (out / "scorecard.html").is_file()
    assert len((out / "history" / "history.jsonl").read_text().splitlines()) == 2
    page = index.read_text()
    assert "googletagmanager" not in page  # no analytics call from an offline report
    assert (results / "categories.json").is_file()
    (tmp_path / "notareport").mkdir()
    (tmp_path / "notareport" / "keep.txt").write_text("x")
    with pytest.raises(build.BuildError, match="refusing"):
        build.build_report(results, tmp_path / "notareport")
