"""Scorecard plots: a radar of the 8 trust dimensions (candidates over their reference, like the
study's overview figure), per-dimension drop bars with 95% intervals against the tolerance, and a
per-metric plot for Allure. matplotlib is imported lazily and used through Figure objects (no
pyplot, no global backend switch), so importing this module is cheap and headless-safe.
"""
from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from contracts import dimensions
from contracts.results import MetricResult
from contracts.scorecard import DimensionCard, Scorecard, as_scorecard
from contracts.verdicts import Verdict
from reports.common import (
    NOT_EVIDENCE,
    REFERENCE_COLOUR,
    VERDICT_COLOURS,
    VERDICT_TEXT,
    as_float,
    ci_pair,
    dimension_ci,
    dimension_label,
    drop_of,
    fmt_num,
    ordered_dimensions,
    shorten,
    trust_dimensions,
    write_atomic,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

_LABEL_CHARS = 40  # model ids are config-provided; long ones would squeeze the axes away
_NOT_EVIDENCE = NOT_EVIDENCE  # drawn hatched/grey, labelled, and left off the radar


@dataclass
class _Cell:
    score: float | None
    verdict: Verdict


@dataclass
class _Group:
    """One reference model and the candidates compared against it."""

    reference: str
    reference_scores: dict[str, float] = field(default_factory=dict)
    candidates: dict[str, dict[str, _Cell]] = field(default_factory=dict)


def _groups(card: Scorecard) -> list[_Group]:
    groups: dict[str, _Group] = {}
    for model_id, model in card.models.items():
        ref = model.reference or "reference"
        g = groups.setdefault(ref, _Group(reference=ref))
        cells: dict[str, _Cell] = {}
        for dim, entry in model.dimensions.items():
            cells[dim] = _Cell(as_float(entry.score), entry.verdict)
            ref_score = as_float(entry.reference_score)
            if ref_score is not None:
                g.reference_scores.setdefault(dim, ref_score)
        g.candidates[str(model_id)] = cells
    return list(groups.values())


def _figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height))


def _save(fig: Figure, out_dir: Path, stem: str) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for ext in ("svg", "png"):
        path = out_dir / f"{stem}.{ext}"
        # A fixed date keeps the SVG byte-stable between runs with the same data.
        metadata = {"Date": None} if ext == "svg" else None
        fig.savefig(path, format=ext, dpi=110, bbox_inches="tight", metadata=metadata)
        paths.append(path)
    return paths


def radar_chart(card: Scorecard | Mapping[str, Any], out_dir: Path, stem: str = "radar") -> list[Path]:
    """radar.svg and radar.png: one panel per reference model; the reference is a dashed dark line,
    each candidate a coloured polygon. Dimensions a candidate has no evidence on (inconclusive,
    skipped) are left as gaps and the axis label says why, so a gap never looks like a pass."""
    import numpy as np
    from matplotlib import colormaps

    groups = _groups(as_scorecard(card)) or [_Group(reference="(no models)")]
    dims = list(trust_dimensions())
    angles = np.linspace(0, 2 * np.pi, len(dims), endpoint=False)
    closed = np.concatenate([angles, angles[:1]])
    fig = _figure(6.4 * len(groups), 6.2)
    axes = fig.subplots(1, len(groups), subplot_kw={"polar": True}, squeeze=False)
    palette = colormaps["tab10"]
    for ax, g in zip(axes[0], groups, strict=True):
        ref = np.array([g.reference_scores.get(d, np.nan) for d in dims], dtype=float)
        ax.plot(closed, np.append(ref, ref[0]), color=REFERENCE_COLOUR, linestyle="--", linewidth=2.2,
                label=f"{shorten(g.reference, _LABEL_CHARS)} (reference)")
        labels = []
        for d in dims:
            verdicts = [c[d].verdict for c in g.candidates.values() if d in c]
            if not verdicts:
                labels.append(f"{dimension_label(d)}\n(not run)")
            elif all(v in _NOT_EVIDENCE for v in verdicts):
                labels.append(f"{dimension_label(d)}\n({VERDICT_TEXT[verdicts[0]]})")
            elif Verdict.FAIL in verdicts:
                labels.append(f"{dimension_label(d)}\n(FAIL)")
            else:
                labels.append(dimension_label(d))
        for i, (model_id, cells) in enumerate(g.candidates.items()):
            vals = np.array(
                [cells[d].score if d in cells and cells[d].verdict not in _NOT_EVIDENCE and cells[d].score is not None
                 else np.nan for d in dims],
                dtype=float,
            )
            colour = palette(i % 10)
            ax.plot(closed, np.append(vals, vals[0]), color=colour, linewidth=1.6, marker="o", markersize=4,
                    label=shorten(model_id, _LABEL_CHARS))
            if not np.isnan(vals).any():
                ax.fill(closed, np.append(vals, vals[0]), color=colour, alpha=0.08)
            for a, d, v in zip(angles, dims, vals, strict=True):
                if d in cells and cells[d].verdict is Verdict.FAIL and not np.isnan(v):
                    # The candidate's own colour with a red rim: which model failed stays readable.
                    ax.plot([a], [v], marker="X", markersize=12, color=colour, markeredgecolor=VERDICT_COLOURS[Verdict.FAIL],
                            markeredgewidth=1.5, zorder=5)
        if not any(d in cells for cells in g.candidates.values() for d in dims):
            ax.text(0.5, 0.5, "no trust-dimension results yet\n(benign utility is in the tables and bars)",
                    transform=ax.transAxes, ha="center", va="center", fontsize=10, color="#616161",
                    bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.9})
        ax.set_xticks(angles)
        ax.set_xticklabels(labels, fontsize=9)
        ax.set_ylim(0, 100)
        ax.set_yticks([20, 40, 60, 80, 100])
        ax.set_yticklabels(["20", "40", "60", "80", "100"], fontsize=7, color="#616161")
        ax.set_title(f"Trust scores vs {g.reference} (0–100, higher is better; X = failed gate)", fontsize=10,
                     pad=24)
        ax.legend(loc="upper right", bbox_to_anchor=(1.35, 1.12), fontsize=8, frameon=False)
    return _save(fig, out_dir, stem)


def _tolerance(entry: DimensionCard) -> float | None:
    """A dimension's tolerance: its metrics' (the thresholds are per dimension)."""
    for m in entry.metrics.values():
        if as_float(m.tolerance) is not None:
            return as_float(m.tolerance)
    return None


def bar_chart(card: Scorecard | Mapping[str, Any], out_dir: Path, stem: str = "bars") -> list[Path]:
    """bars.svg and bars.png: one panel per dimension, one bar per candidate showing its drop
    (reference − candidate, score points; right = worse) with the 95% interval of the drop as error
    bar and the dimension's tolerance as a dashed red line — the two things the gate compares.
    Bar colour = verdict; inconclusive/skipped/error bars are hatched grey and labelled, never green."""
    models = as_scorecard(card).models
    present = {d for m in models.values() for d in m.dimensions}
    dims = ordered_dimensions(present) or list(dimensions.names()[:1])  # an empty card: one empty panel
    several_refs = len({m.reference for m in models.values()}) > 1
    labels = [shorten(f"{mid} vs {m.reference}" if several_refs else mid, _LABEL_CHARS)
              for mid, m in models.items()] or ["(no models)"]
    ncols = min(3, len(dims))
    nrows = (len(dims) + ncols - 1) // ncols
    height = max(1.5, 0.34 * len(labels) + 0.9)
    # Every panel has the same rows, so the model names are written once, on the left column.
    fig = _figure(4.2 * ncols + 2.8, height * nrows)
    axes = fig.subplots(nrows, ncols, squeeze=False, sharey=True)
    for k, d in enumerate(dims):
        ax = axes[k // ncols][k % ncols]
        lows, highs = [0.0], [5.0]
        tol = None
        for y, model in enumerate(models.values()):
            entry = model.dimensions.get(d)
            if entry is None:
                ax.text(0, y, " not run", va="center", fontsize=7, color="#757575")
                continue
            verdict = entry.verdict
            tol = tol if tol is not None else _tolerance(entry)
            drop = drop_of(entry)
            if drop is None:
                ax.text(0, y, f" {VERDICT_TEXT[verdict]}", va="center", fontsize=7, color="#757575")
                continue
            ci = dimension_ci(entry)
            muted = verdict in _NOT_EVIDENCE
            colour = VERDICT_COLOURS[verdict]
            xerr = None if ci is None else [[max(0.0, drop - ci[0])], [max(0.0, ci[1] - drop)]]
            ax.barh(y, drop, color="white" if muted else colour, edgecolor="#757575" if muted else colour,
                    hatch="///" if muted else None, height=0.6, xerr=xerr,
                    error_kw={"ecolor": "#212121", "capsize": 3, "elinewidth": 1})
            right = max(drop, 0.0, ci[1] if ci else drop)
            ax.text(right, y, f"  {drop:+.1f} {VERDICT_TEXT[verdict]}", va="center", fontsize=7,
                    color=VERDICT_COLOURS[Verdict.FAIL] if verdict is Verdict.FAIL else "#212121")
            lows += [drop] + ([ci[0]] if ci else [])
            highs += [drop] + ([ci[1]] if ci else [])
        if tol is not None:
            ax.axvline(tol, color=VERDICT_COLOURS[Verdict.FAIL], linestyle="--", linewidth=1)
            ax.text(tol, -0.6, " tolerance", color=VERDICT_COLOURS[Verdict.FAIL], fontsize=6, va="bottom")
            highs.append(tol)
        ax.axvline(0, color="#424242", linewidth=0.8)
        lo, hi = min(lows), max(highs)
        pad = 0.15 * (hi - lo) + 1.0
        ax.set_xlim(lo - pad, hi + 3.5 * pad)  # room on the right for the value labels
        if k % ncols == 0:
            ax.set_yticks(range(len(labels)))
            ax.set_yticklabels(labels, fontsize=7)
        if k == 0:
            ax.set_ylim(len(labels) - 0.5, -0.9)  # shared y, top to bottom in card order
        ax.set_title(dimension_label(d), fontsize=9, loc="left")
        ax.tick_params(axis="x", labelsize=7)
        ax.grid(axis="x", color="#eeeeee")
        ax.set_axisbelow(True)
    for k in range(len(dims), nrows * ncols):
        axes[k // ncols][k % ncols].axis("off")
    fig.suptitle("Drop vs reference per dimension (score points, right = worse) with 95% intervals; "
                 "dashed red = tolerance; hatched = inconclusive / skipped / error", fontsize=10)
    fig.tight_layout()
    return _save(fig, out_dir, stem)


def metric_plot_png(
    result: MetricResult, candidate_values: Sequence[float], reference_values: Sequence[float],
    cache_dir: Path | None = None,
) -> bytes:
    """PNG for one metric: the drop with its 95% interval against the tolerance (left) and, per item,
    the 2×2 table of outcomes for binary values or a scatter for continuous ones (right).

    With cache_dir (an existing folder), a plot is drawn once per distinct input (the whole record and every
    value): a rerun that reads its results from the cache would otherwise spend a tenth of a second per metric
    redrawing them. Cached files take the folder's read and write bits, so a private folder keeps them private."""
    if cache_dir is None or not cache_dir.is_dir():
        return _draw_metric_plot(result, candidate_values, reference_values)
    import hashlib
    import json
    from dataclasses import asdict

    from matplotlib import __version__ as mpl_version

    key = json.dumps([_PLOT_VERSION, mpl_version, asdict(result), list(map(float, candidate_values)),
                      list(map(float, reference_values))], sort_keys=True, default=str)
    path = cache_dir / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.png"
    if path.is_file():
        return path.read_bytes()
    png = _draw_metric_plot(result, candidate_values, reference_values)
    write_atomic(path, png, mode=cache_dir.stat().st_mode & 0o666)  # xdist workers may draw the same plot
    return png


_PLOT_VERSION = 1  # bump when the drawing below changes: cached plots are keyed on it


def _draw_metric_plot(
    result: MetricResult, candidate_values: Sequence[float], reference_values: Sequence[float]
) -> bytes:
    import numpy as np

    cand = np.asarray(candidate_values, dtype=float)
    ref = np.asarray(reference_values, dtype=float)
    fig = _figure(8.4, 3.0)
    ax1, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.2, 1]})
    verdict = result.verdict
    drop, ci, tol = drop_of(result), ci_pair(result.ci), as_float(result.tolerance)
    if drop is not None:
        muted = verdict in _NOT_EVIDENCE
        xerr = None if ci is None else [[max(0.0, drop - ci[0])], [max(0.0, ci[1] - drop)]]
        ax1.barh(0, drop, color="white" if muted else VERDICT_COLOURS[verdict],
                 edgecolor="#757575" if muted else VERDICT_COLOURS[verdict], hatch="///" if muted else None,
                 height=0.5, xerr=xerr, error_kw={"ecolor": "#212121", "capsize": 5})
    else:
        ax1.text(0.5, 0.5, "no score", transform=ax1.transAxes, ha="center")
    if tol is not None:
        ax1.axvline(tol, color=VERDICT_COLOURS[Verdict.FAIL], linestyle="--", linewidth=1, label=f"tolerance {tol:g}")
        ax1.legend(fontsize=7, loc="lower right", frameon=False)
    ax1.axvline(0, color="#424242", linewidth=0.8)
    ax1.set_yticks([])
    ax1.set_ylim(-0.8, 0.8)
    ax1.set_xlabel("drop = reference − candidate (score points; right = worse), 95% CI", fontsize=8)
    title = (f"{result.metric}: {fmt_num(result.score)} vs reference "
             f"{fmt_num(result.reference_score)} — {VERDICT_TEXT[verdict]}")
    p = as_float(result.p_value)
    if p is not None:
        title += f" (p={p:.3g})"
    ax1.set_title(title, fontsize=9, loc="left")
    binary = cand.size > 0 and bool(np.isin(cand, (0.0, 1.0)).all() and np.isin(ref, (0.0, 1.0)).all())
    if binary:
        table = np.array([[np.sum((ref == 1) & (cand == 1)), np.sum((ref == 1) & (cand == 0))],
                          [np.sum((ref == 0) & (cand == 1)), np.sum((ref == 0) & (cand == 0))]])
        # A high vmax keeps every cell light, so the counts stay legible.
        ax2.imshow(table, cmap="Greys", vmin=0, vmax=max(1, int(table.max())) * 3)
        for (i, j), v in np.ndenumerate(table):
            worse = (i, j) == (0, 1)
            ax2.text(j, i, str(int(v)), ha="center", va="center", fontsize=12,
                     color=VERDICT_COLOURS[Verdict.FAIL] if worse and v else "#212121", fontweight="bold" if worse else None)
        ax2.set_xticks([0, 1])
        ax2.set_xticklabels(["cand. 1", "cand. 0"])
        ax2.set_yticks([0, 1])
        ax2.set_yticklabels(["ref. 1", "ref. 0"])
        ax2.set_title("items: reference vs candidate (red = flipped worse)", fontsize=8)
    else:
        ax2.scatter(ref, cand, s=10, alpha=0.6, color="#1565c0")
        ax2.plot([0, 1], [0, 1], color="#9e9e9e", linestyle="--", linewidth=1)
        ax2.set_xlim(-0.02, 1.02)
        ax2.set_ylim(-0.02, 1.02)
        ax2.set_xlabel("reference value", fontsize=8)
        ax2.set_ylabel("candidate value", fontsize=8)
        ax2.set_title("items (below the diagonal = worse)", fontsize=8)
    # Fixed margins: tight_layout measured every text for 40% of the plot's time, once per metric of the run.
    fig.subplots_adjust(left=0.02, right=0.985, bottom=0.17, top=0.88, wspace=0.22)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    return buf.getvalue()
