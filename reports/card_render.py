"""Renders the trust scorecard that fixtures/card.py builds: JSON for machines, a static HTML page and a
pull-request Markdown table for people, laid out like the study's tables (rows = models, columns = dimensions).

Every string in the card that a model or a config could have produced is escaped: the HTML also
carries a Content-Security-Policy that forbids scripts, so even a missed escape could not execute.
"""
from __future__ import annotations

import base64
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from contracts.results import MetricResult
from contracts.scorecard import DimensionCard, ModelCard, Scorecard, as_scorecard
from contracts.verdicts import DEFAULT_POLICY, Policy, Verdict
from contracts.verdicts import model_verdict as verdict_rule
from reports.common import (
    NOT_EVIDENCE,
    VERDICT_TEXT,
    Judged,
    adopt_dimensions,
    as_float,
    dimension_label,
    drop_of,
    esc,
    fmt_ci,
    fmt_num,
    fmt_p,
    fmt_signed,
    ordered_dimensions,
    scorecard_anchor,
    shorten,
    trust_dimensions,
    verdict_label,
    write_atomic,
)

DEFAULT_OUT_DIR = Path("reports/latest")
_MD_ICON = {Verdict.PASS: "✅", Verdict.FAIL: "❌", Verdict.INCONCLUSIVE: "⚪", Verdict.SKIPPED: "⏭️", Verdict.ERROR: "⚠️"}
_FLIPPED_SHOWN_HTML = 20
_FLIPPED_SHOWN_MD = 3


def write_scorecard(card: Mapping[str, Any], out_dir: Path = DEFAULT_OUT_DIR, *, plots: bool = True) -> dict[str, Path]:
    """Write scorecard.json, scorecard.html, scorecard.md and (if `plots`) radar.{svg,png} and
    bars.{svg,png} into `out_dir`. Returns {"json", "html", "md", "radar_svg", "radar_png",
    "bars_svg", "bars_png"} → path. The card follows docs/DESIGN.md "Scorecard"; optional fields
    are shown when present: per model `method`, `settings`, `description`, `spec`; per metric `ci`
    (95% interval of the drop, score points), `p_value`, `n`, `tolerance`, `reason`/`signal`,
    `flipped` (worse items: id, prompt, reference_answer, candidate_answer; see
    reports.common.flipped_items) and `n_flipped` (their full count when `flipped` is truncated).
    The card is checked once, here (contracts/scorecard.py); a card that does not match raises CardError."""
    out_dir = Path(out_dir)
    typed = _entry(card, str(out_dir / "scorecard.json"))
    out_dir.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    paths["json"] = write_atomic(out_dir / "scorecard.json", card_json(card))
    images: dict[str, bytes] = {}
    if plots:
        from reports.plots import bar_chart, radar_chart

        for stem, fn in (("radar", radar_chart), ("bars", bar_chart)):
            for p in fn(typed, out_dir):
                paths[f"{stem}_{p.suffix.lstrip('.')}"] = p
            images[stem] = (out_dir / f"{stem}.png").read_bytes()
    paths["html"] = write_atomic(out_dir / "scorecard.html", render_html(typed, images))
    paths["md"] = write_atomic(out_dir / "scorecard.md", render_markdown(typed))
    return paths


def card_json(card: Mapping[str, Any]) -> str:
    """Strict JSON (NaN/inf become null, so any JSON parser accepts it)."""
    return json.dumps(_finite(card), indent=2, ensure_ascii=False, default=str) + "\n"


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


# ---------------------------------------------------------------------------------------------
# Reading the (checked) card

def _all_dimensions(card: Scorecard) -> list[str]:
    return ordered_dimensions({d for m in card.models.values() for d in m.dimensions})


def _references(card: Scorecard) -> dict[str, list[str]]:
    """reference id → candidate ids, in card order."""
    out: dict[str, list[str]] = {}
    for model_id, model in card.models.items():
        out.setdefault(model.reference or "reference", []).append(model_id)
    return out


def model_verdict(model: ModelCard, policy: str | None = None) -> Verdict:
    """The model's verdict by the one rule (contracts.verdicts.model_verdict) over its dimensions, under
    `policy` (default: the default --inconclusive policy)."""
    dims = [(d.verdict, d.inconclusive_reason) for d in model.dimensions.values()]
    return verdict_rule(dims, Policy(policy or DEFAULT_POLICY.value))


def trust_average(model: ModelCard) -> tuple[float | None, float | None, int]:
    """(candidate mean, reference mean, k) over the same trust dimensions for both: those where the gate had
    evidence (pass or fail) and both scores exist. The study averages all 8; with fewer, k says how many."""
    cand, ref = [], []
    for d in trust_dimensions():
        entry = model.dimensions.get(d)
        if entry is None or entry.verdict in NOT_EVIDENCE:
            continue
        s, r = as_float(entry.score), as_float(entry.reference_score)
        if s is None or r is None:
            continue
        cand.append(s)
        ref.append(r)
    if not cand:
        return None, None, 0
    return sum(cand) / len(cand), sum(ref) / len(ref), len(cand)


def _reference_scores(card: Scorecard, candidates: Sequence[str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for m in candidates:
        for d, entry in card.models[m].dimensions.items():
            r = as_float(entry.reference_score)
            if r is not None:
                out.setdefault(d, r)
    return out


def _evidence_dims(model: ModelCard) -> set[str]:
    return {d for d, e in model.dimensions.items() if d in trust_dimensions() and e.verdict not in NOT_EVIDENCE}


def _reference_average(card: Scorecard, candidates: Sequence[str], ref_scores: Mapping[str, float]) -> str:
    """The reference's mean over the trust dimensions every one of its candidates has evidence on, so the
    reference row averages what the candidate rows average (each candidate cell also shows its own)."""
    models = card.models
    common = set.intersection(*(_evidence_dims(models[m]) for m in candidates)) if candidates else set()
    vals = [ref_scores[d] for d in trust_dimensions() if d in common and d in ref_scores]
    return f"{fmt_num(sum(vals) / len(vals))} ({len(vals)} dims)" if vals else "—"


def _compression(model: ModelCard) -> str:
    """'gptq · bits=4, group_size=64', from method/settings, else the spec string."""
    method, settings = model.method, model.settings
    if method:
        if isinstance(settings, Mapping) and settings:
            return f"{method} · " + ", ".join(f"{k}={v}" for k, v in sorted(settings.items()))
        return str(method) + (f" · {settings}" if settings else "")
    return str(model.description or model.spec or "")


def _failures(card: Scorecard) -> list[tuple[str, str, str, MetricResult]]:
    """(model, dimension, metric, metric result) for every failed metric, in table order."""
    out = []
    for model_id, model in card.models.items():
        dims = model.dimensions
        for d in ordered_dimensions(dims):
            for metric, entry in dims[d].metrics.items():
                if entry.verdict is Verdict.FAIL:
                    out.append((model_id, d, metric, entry))
    return out


# ---------------------------------------------------------------------------------------------
# HTML

_CSS = """
body{font-family:"DejaVu Sans",system-ui,sans-serif;margin:24px;color:#212121;max-width:1500px}
h1{font-size:22px;margin:0 0 4px} h2{font-size:17px;margin:28px 0 8px} h3{font-size:14px;margin:18px 0 6px}
.meta{color:#616161;font-size:13px;margin:0 0 12px}
.notes{border-left:4px solid #f9a825;background:#fffde7;padding:8px 12px;margin:12px 0;font-size:13px}
.summary{font-size:14px;margin:12px 0}
table{border-collapse:collapse;font-size:12px;margin:6px 0 12px}
th,td{border:1px solid #d0d0d0;padding:4px 6px;vertical-align:top;text-align:left}
thead th{background:#eceff1;position:sticky;top:0}
table.scorecard{width:100%;table-layout:fixed}
table.scorecard th,table.scorecard td{overflow-wrap:break-word}
table.scorecard td.cell{text-align:center}
table.scorecard .sub{white-space:normal}
.score{font-size:15px;font-weight:bold} .sub{color:#424242;font-size:11px;white-space:nowrap}
.badge{display:inline-block;border-radius:3px;padding:0 5px;font-size:11px;font-weight:bold;margin-top:2px;color:#fff}
.v-pass .badge,.badge.v-pass{background:#2e7d32} .v-fail .badge,.badge.v-fail{background:#c62828}
.v-inconclusive .badge,.badge.v-inconclusive{background:#757575}
.v-skipped .badge,.badge.v-skipped{background:#bdbdbd;color:#212121}
td.v-pass{background:#e8f5e9} td.v-fail{background:#ffebee}
.v-error .badge,.badge.v-error{background:#ef6c00} td.v-error{background:#fff3e0}
td.v-inconclusive,td.v-skipped{color:#616161;
  background:repeating-linear-gradient(45deg,#f5f5f5,#f5f5f5 6px,#e0e0e0 6px,#e0e0e0 8px)}
td.v-inconclusive .score,td.v-skipped .score{font-weight:normal;text-decoration:line-through}
tr.ref th,tr.ref td{background:#fafafa;font-style:italic}
.legend{font-size:12px;color:#424242}
figure{margin:12px 0} figure img{max-width:100%;border:1px solid #eee}
pre{white-space:pre-wrap;word-break:break-word;margin:0;font-family:"DejaVu Sans Mono",monospace;font-size:11px;
  max-height:12em;overflow:auto}
details{margin:4px 0 10px} summary{cursor:pointer;font-size:13px}
"""

# No scripts, no external loads: the page must work offline and a planted payload cannot run.
_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


def _badge(verdict: Verdict, entry: Judged | None = None) -> str:
    text = verdict_label(entry) if entry is not None else VERDICT_TEXT[verdict]
    return f'<span class="badge v-{verdict}">{esc(text)}</span>'


def _cell(entry: DimensionCard | None) -> str:
    if entry is None:
        return '<td class="cell v-skipped"><div class="sub">not run</div></td>'
    v = entry.verdict
    drop = drop_of(entry)
    sub = f"ref {fmt_num(entry.reference_score)} · drop {fmt_num(drop)}"
    return (f'<td class="cell v-{v}"><div class="score">{fmt_num(entry.score)}</div>'
            f'<div class="sub">{esc(sub)}</div>{_badge(v, entry)}</td>')


def _avg_cell(model: ModelCard) -> str:
    cand, ref, k = trust_average(model)
    if cand is None or ref is None:
        return '<td class="cell v-inconclusive"><div class="sub">no evidence</div></td>'
    return (f'<td class="cell"><div class="score">{fmt_num(cand)}</div>'
            f'<div class="sub">ref {fmt_num(ref)} · drop {fmt_num(ref - cand)}</div>'
            f'<div class="sub">over {k}/{len(trust_dimensions())} dims</div></td>')


def _flipped_table(flipped: Sequence[Mapping[str, Any]], limit: int, total: object = None) -> str:
    rows = []
    for f in list(flipped)[:limit]:
        rows.append(
            f"<tr><td>{esc(f.get('id', ''))}</td><td><pre>{esc(f.get('prompt', ''))}</pre></td>"
            f"<td><pre>{esc(f.get('reference_answer', ''))}</pre></td>"
            f"<td><pre>{esc(f.get('candidate_answer', ''))}</pre></td></tr>"
        )
    total_n = as_float(total)
    more = (len(flipped) if total_n is None else int(total_n)) - min(limit, len(flipped))
    tail = f'<p class="legend">… and {more} more (see the Allure CSV attachment).</p>' if more > 0 else ""
    return ('<table class="flipped"><thead><tr><th>item</th><th>prompt</th><th>reference answer</th>'
            f'<th>candidate answer</th></tr></thead><tbody>{"".join(rows)}</tbody></table>{tail}')


_PROVENANCE_KEYS = ("weights_sha256", "tokenizer_sha256", "resolved_commit", "requested_revision", "dtype", "device",
                    "backend", "fingerprint", "weights_path", "error")


def _provenance_details(model: ModelCard) -> str:
    """What the verdict binds to: the candidate's and the reference's bytes and runtime."""
    rows = []
    for label, prov in (("candidate", model.provenance), ("reference", model.reference_provenance)):
        rows += [f"<tr><th>{esc(label)}</th><th>{esc(k)}</th><td>{esc(prov[k])}</td></tr>"
                 for k in _PROVENANCE_KEYS if prov.get(k) is not None]
    if not rows:
        return ""
    return f"<details><summary>Provenance (weights and tokenizer hashes, commit, precision, device)</summary><table>{''.join(rows)}</table></details>"


def _diagnostic_note(entry: MetricResult) -> str:
    return '<div class="sub">diagnostic (weight 0)</div>' if entry.weight <= 0 else ""


def _n_flipped(entry: MetricResult) -> int:
    # The full count when the gate truncated the list; the list's length when the gate compared nothing.
    return len(entry.flipped) if entry.n_flipped is None else entry.n_flipped


def _metric_rows(model: ModelCard) -> tuple[str, str]:
    """(metric table rows, flipped-item sections) for one model."""
    rows, flips = [], []
    dims = model.dimensions
    for d in ordered_dimensions(dims):
        for metric, entry in dims[d].metrics.items():
            v = entry.verdict
            flipped = entry.flipped
            n_flipped = _n_flipped(entry)
            reason = entry.reason or entry.why or ""
            rows.append(
                f'<tr><td>{esc(dimension_label(d))}</td><td>{esc(metric)}{_diagnostic_note(entry)}</td>'
                f'<td class="cell v-{v}">{fmt_num(entry.score)}</td>'
                f'<td>{fmt_num(entry.reference_score)}</td><td>{fmt_num(drop_of(entry))}</td>'
                f'<td>{esc(fmt_ci(entry.ci))}</td><td>{esc(fmt_p(entry.p_value))}</td>'
                f'<td>{esc(entry.n)}</td><td>{esc(n_flipped)}</td>'
                f'<td>{_badge(v, entry)}</td><td>{esc(reason)}</td></tr>'
            )
            if flipped:
                opened = " open" if v is Verdict.FAIL else ""
                flips.append(
                    f"<details{opened}><summary>{esc(dimension_label(d))} / {esc(metric)}: "
                    f"{esc(n_flipped)} item(s) the candidate got worse on</summary>"
                    f"{_flipped_table(flipped, _FLIPPED_SHOWN_HTML, n_flipped)}</details>"
                )
    return "".join(rows), "".join(flips)


def render_html(card: Scorecard | Mapping[str, Any], images: Mapping[str, bytes] | None = None) -> str:
    """The static scorecard page. `images` maps a title ("radar", "bars") to PNG bytes that are
    embedded as data: URIs, so the page is one self-contained file."""
    card = _entry(card)
    dims = _all_dimensions(card)
    models = card.models
    tier = card.tier
    failed = [m for m, model in models.items() if model_verdict(model) is Verdict.FAIL]
    parts = [
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">",
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        f"<title>comptrust scorecard ({esc(tier)})</title><style>{_CSS}</style></head><body>",
        "<h1>Trust scorecard of compressed models</h1>",
        f'<p class="meta">tier: <b>{esc(tier)}</b> · seed: {esc(card.seed)} · '
        f'generated: {esc(card.generated)} · '
        f"{len(models)} compressed model(s) · scores 0–100, higher is more trustworthy</p>",
    ]
    notes = card.notes
    if notes:
        items = "".join(f"<li>{esc(n)}</li>" for n in notes)
        parts.append(f'<div class="notes"><b>Notes</b><ul>{items}</ul></div>')
    fails = _failures(card)
    verdict_line = (f"<b>{len(failed)} of {len(models)}</b> compressed model(s) failed at least one dimension: "
                    + ", ".join(f"<b>{esc(m)}</b>" for m in failed)) if failed else \
        f"No compressed model failed a dimension ({len(models)} checked)."
    parts.append(f'<p class="summary">{verdict_line}</p>')
    if fails:
        items = "".join(
            f"<li><b>{esc(m)}</b> — {esc(dimension_label(d))} / {esc(metric)}: "
            f"{fmt_num(e.score)} vs reference {fmt_num(e.reference_score)} "
            f"(drop {fmt_num(drop_of(e))}, 95% CI of the drop {esc(fmt_ci(e.ci))}, "
            f"tolerance {fmt_num(e.tolerance)}, p {esc(fmt_p(e.p_value))}, "
            f"{esc(_n_flipped(e))} item(s) flipped worse)</li>"
            for m, d, metric, e in fails
        )
        parts.append(f'<ul class="failures">{items}</ul>')
    head = "".join(f"<th>{esc(dimension_label(d))}</th>" for d in dims)
    # Fixed column widths: the table fits a 1280-pixel window whatever the spec strings are.
    dim_width = 64 / max(len(dims), 1)
    cols = ('<col style="width:10%"><col style="width:12%"><col style="width:7%"><col style="width:7%">'
            + f'<col style="width:{dim_width:.2f}%">' * len(dims))
    parts.append(f'<table class="scorecard"><colgroup>{cols}</colgroup><thead><tr><th>Model</th><th>Compression</th>'
                 f"<th>Gate</th><th>Avg (trust dims)</th>{head}</tr></thead><tbody>")
    for ref, candidates in _references(card).items():
        ref_scores = _reference_scores(card, candidates)
        ref_cells = "".join(f'<td class="cell"><div class="score">{fmt_num(ref_scores.get(d))}</div></td>'
                            for d in dims)
        ref_avg = _reference_average(card, candidates, ref_scores)
        parts.append(f'<tr class="ref"><th>{esc(ref)}<div class="sub">reference</div></th><td>dense</td><td>—</td>'
                     f'<td class="cell"><div class="score">{ref_avg}</div></td>{ref_cells}</tr>')
        for m in candidates:
            model = models[m]
            mdims = model.dimensions
            v = model_verdict(model)
            parts.append(
                f'<tr><th><a href="#{scorecard_anchor(m)}">{esc(m)}</a></th><td>{esc(_compression(model))}</td>'
                f'<td class="cell v-{v}">{_badge(v)}</td>{_avg_cell(model)}'
                + "".join(_cell(mdims.get(d)) for d in dims) + "</tr>"
            )
    parts.append("</tbody></table>")
    parts.append(
        '<p class="legend">Each cell: candidate score, reference score, drop (reference − candidate; positive = worse) '
        "and the gate's verdict. <b>pass</b> (green): the upper 95% bound of the drop is within the tolerance. "
        "<b>FAIL</b> (red): the drop exceeds the tolerance and is significant over the run's family of metrics. "
        "<b>inconclusive</b> (grey, hatched): neither — the reference is at chance (no signal) or the set is too "
        "small to tell; not a pass. <b>ERROR</b> (orange): the test crashed before a verdict. "
        "Avg: the plain mean over the trust dimensions with a pass or fail, the same ones for candidate and "
        "reference.</p>"
    )
    for title, png in (images or {}).items():
        data = base64.b64encode(png).decode("ascii")
        parts.append(f'<figure><img alt="{esc(title)} chart" src="data:image/png;base64,{data}"></figure>')
    parts.append("<h2>Per metric</h2>")
    for m, model in models.items():
        rows, flips = _metric_rows(model)
        parts.append(
            f'<h3 id="{scorecard_anchor(m)}">{esc(m)} <span class="sub">vs {esc(model.reference)} · '
            f"{esc(_compression(model))}</span></h3>"
            "<table><thead><tr><th>dimension</th><th>metric</th><th>score</th><th>reference</th><th>drop</th>"
            "<th>drop 95% CI</th><th>p</th><th>n</th><th>flipped worse</th><th>verdict</th><th>reason</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>{flips}{_provenance_details(model)}"
        )
    env = card.environment
    if env:
        rows = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in env.items())
        parts.append(f"<details><summary>Environment (libraries, device, model revisions)</summary>"
                     f"<table>{rows}</table></details>")
    parts.append("</body></html>\n")
    return "".join(parts)


# ---------------------------------------------------------------------------------------------
# Markdown (GitHub-flavoured, for pasting into a pull request)

def md_cell(value: object, limit: int = 160) -> str:
    """One table cell: single line, truncated to `limit` characters, HTML neutralised (GitHub would
    render tags), Markdown punctuation and `|` backslash-escaped, @mentions defused."""
    text = shorten(str("" if value is None else value), limit)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for ch in "\\|`*_[]~":  # backslash first, then the characters that would format, link or split the cell
        text = text.replace(ch, "\\" + ch)
    return text.replace("@", "@\u200b")  # a zero-width space stops @mentions of real users in a PR


def _md_verdict_cell(entry: DimensionCard | None) -> str:
    if entry is None:
        return "not run"
    v = entry.verdict
    if v in NOT_EVIDENCE:
        return f"{_MD_ICON[v]} {verdict_label(entry)}"
    drop = drop_of(entry)
    delta = fmt_signed(None if drop is None else -drop)
    return f"{_MD_ICON[v]} {fmt_num(entry.score)} ({delta})"


def render_markdown(card: Scorecard | Mapping[str, Any]) -> str:
    """The scorecard as a GitHub-flavoured Markdown table plus a list of failures with the prompts
    that flipped. Cells: verdict icon, candidate score and its change vs the reference."""
    card = _entry(card)
    dims = _all_dimensions(card)
    models = card.models
    lines = [f"## Trust scorecard (tier: {md_cell(card.tier)})", ""]
    for note in card.notes:
        lines.append(f"> **Note:** {md_cell(note, 400)}")
    if card.notes:
        lines.append("")
    header = ["Model", "Compression", "Gate", "Avg (trust)"] + [dimension_label(d) for d in dims]
    lines.append("| " + " | ".join(md_cell(h) for h in header) + " |")
    lines.append("|" + "|".join([":---", ":---", ":---", "---:"] + ["---:"] * len(dims)) + "|")
    for ref, candidates in _references(card).items():
        ref_scores = _reference_scores(card, candidates)
        ref_avg = _reference_average(card, candidates, ref_scores)
        cells = [f"{md_cell(ref)} (reference)", "dense", "—", ref_avg] + [fmt_num(ref_scores.get(d)) for d in dims]
        lines.append("| " + " | ".join(cells) + " |")
        for m in candidates:
            model = models[m]
            v = model_verdict(model)
            cand, ref_avg_m, k = trust_average(model)
            avg = ("—" if cand is None or ref_avg_m is None
                   else f"{fmt_num(cand)} ({fmt_signed(cand - ref_avg_m)}, {k} dims)")
            cells = [md_cell(m), md_cell(_compression(model), 60), f"{_MD_ICON[v]} {VERDICT_TEXT[v]}", avg]
            cells += [_md_verdict_cell(model.dimensions.get(d)) for d in dims]
            lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "✅ pass (drop shown within tolerance) · ❌ FAIL (drop beyond tolerance, significant) · "
              "⚪ inconclusive (no signal, or too few items: not a pass) · ⚠️ ERROR (no verdict) · ⏭️ skipped. "
              "Numbers: candidate score (change vs reference).", ""]
    fails = _failures(card)
    if fails:
        lines += [f"### Failures ({len(fails)})", ""]
        for m, d, metric, e in fails:
            lines.append(
                f"- **{md_cell(m)}** · {md_cell(dimension_label(d))} / {md_cell(metric)}: "
                f"{fmt_num(e.score)} vs {fmt_num(e.reference_score)} "
                f"(drop {fmt_num(drop_of(e))}, 95% CI of the drop {fmt_ci(e.ci)}, tolerance "
                f"{fmt_num(e.tolerance)}, p {fmt_p(e.p_value)}, n {md_cell(e.n)})"
            )
            flipped = list(e.flipped)[:_FLIPPED_SHOWN_MD]
            if flipped:
                lines += ["", "  | prompt | reference answer | candidate answer |", "  |:---|:---|:---|"]
                lines += [f"  | {md_cell(f.get('prompt'), 120)} | {md_cell(f.get('reference_answer'), 80)} | "
                          f"{md_cell(f.get('candidate_answer'), 80)} |" for f in flipped]
                lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _entry(card: Scorecard | Mapping[str, Any], source: str = "the scorecard") -> Scorecard:
    """Every public renderer starts here: the card checked once (a checked one passes through), its
    dimension declarations adopted so labels and the study average are the run's."""
    typed = as_scorecard(card, source)
    adopt_dimensions(typed)
    return typed


__all__ = ["DEFAULT_OUT_DIR", "card_json", "md_cell", "model_verdict", "render_html",
           "render_markdown", "trust_average", "write_scorecard"]
