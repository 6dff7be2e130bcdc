"""Shared vocabulary of the report writers: dimension order and labels (from their declarations), verdicts, escaping, number formats,
and the per-item "flip" rows that the scorecard, the CSV and the Allure attachments all show.

Pure Python on purpose: importing this module must stay cheap (no numpy, no matplotlib).
"""
from __future__ import annotations

import hashlib
import html
import math
import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from contracts import dimensions
from contracts.scorecard import DimensionCard, Scorecard
from contracts.verdicts import Reason, Verdict

# The dimensions, their order, labels and the study's average come from their declarations
# (contracts/dimensions.py); a card written by a run carries them, and `adopt_dimensions(card)` reads them back.
dimension_label = dimensions.label          # human label for a dimension key; undeclared keys as written
ordered_dimensions = dimensions.ordered     # declared dimensions in table order, then any others alphabetically
trust_dimensions = dimensions.study_average  # the dimensions the study averages and draws on its radar


def adopt_dimensions(card: Scorecard) -> None:
    """Render a card with the dimensions of the run that wrote it (its `dimensions` table)."""
    dimensions.adopt(list(card.dimensions))


class Judged(Protocol):
    """A dimension or metric entry of a checked card (DimensionCard, MetricResult): what the shared helpers read."""

    score: float | None
    reference_score: float | None
    drop: float | None
    verdict: Verdict
    inconclusive_reason: Reason | None


# The gate's verdicts (contracts/verdicts.py says what each means); a card holds no other (contracts/scorecard.py).
VERDICT_TEXT: dict[Verdict, str] = {
    Verdict.PASS: "pass",
    Verdict.FAIL: "FAIL",
    Verdict.INCONCLUSIVE: "inconclusive",
    Verdict.SKIPPED: "skipped",
    Verdict.ERROR: "ERROR",
}
# Fill colours shared by HTML and plots; inconclusive is grey (and hatched in plots) so it never reads as pass.
VERDICT_COLOURS: dict[Verdict, str] = {
    Verdict.PASS: "#2e7d32",
    Verdict.FAIL: "#c62828",
    Verdict.INCONCLUSIVE: "#9e9e9e",
    Verdict.SKIPPED: "#e0e0e0",
    Verdict.ERROR: "#ef6c00",
}
REFERENCE_COLOUR = "#37474f"
# Verdicts whose score is not evidence about the candidate: never drawn or counted like a pass.
NOT_EVIDENCE: frozenset[Verdict] = frozenset({Verdict.INCONCLUSIVE, Verdict.SKIPPED, Verdict.ERROR})
REASON_TEXT: dict[Reason, str] = {Reason.NO_SIGNAL: "no signal", Reason.UNDERPOWERED: "too few items",
                                  Reason.INCOMPLETE: "incomplete"}


def shorten(text: str, limit: int) -> str:
    """One line of at most `limit` characters (an ellipsis marks the cut)."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def scorecard_anchor(model_id: str) -> str:
    """The fragment id of a model's section in scorecard.html (ASCII-safe; the hash keeps ids that
    differ only in punctuation apart)."""
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", model_id).strip("-")[:60]
    return f"model-{slug}-{hashlib.sha1(model_id.encode('utf-8')).hexdigest()[:6]}"


def verdict_label(entry: Judged) -> str:
    """'inconclusive (no signal)' and the like: the verdict with its reason, for a reader."""
    v, reason = entry.verdict, entry.inconclusive_reason
    return f"{VERDICT_TEXT[v]} ({REASON_TEXT[reason]})" if v is Verdict.INCONCLUSIVE and reason else VERDICT_TEXT[v]


def esc(value: object) -> str:
    """HTML-escape any value (quotes too, so the result is safe inside attributes)."""
    return html.escape("" if value is None else str(value), quote=True)


def as_float(value: object) -> float | None:
    """A finite float, or None for missing / non-numeric / NaN values."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        out = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


def fmt_num(value: object, digits: int = 1) -> str:
    """'61.2', or an em dash for a missing value."""
    v = as_float(value)
    return "—" if v is None else f"{v:.{digits}f}"


def fmt_signed(value: object, digits: int = 1) -> str:
    """'+1.5' / '−0.8' (true minus sign), or an em dash."""
    v = as_float(value)
    if v is None:
        return "—"
    if round(v, digits) == 0:
        return f"{0:.{digits}f}"
    return f"{'+' if v > 0 else '−'}{abs(v):.{digits}f}"


def fmt_p(value: object) -> str:
    """p-values: three significant digits, '<0.001' below that."""
    v = as_float(value)
    if v is None:
        return "—"
    return "<0.001" if v < 0.001 else f"{v:.3f}"


def fmt_ci(ci: object, digits: int = 1) -> str:
    """'[58.0, 64.1]' from a two-element sequence, else an em dash."""
    pair = ci_pair(ci)
    return "—" if pair is None else f"[{pair[0]:.{digits}f}, {pair[1]:.{digits}f}]"


def ci_pair(ci: object) -> tuple[float, float] | None:
    """(lo, hi) from a two-element sequence of finite numbers, else None."""
    if not isinstance(ci, Sequence) or isinstance(ci, str) or len(ci) != 2:
        return None
    lo, hi = as_float(ci[0]), as_float(ci[1])
    if lo is None or hi is None:
        return None
    return (min(lo, hi), max(lo, hi))


def drop_of(entry: Judged) -> float | None:
    """reference − candidate (positive = the candidate is worse): the stored drop, else derived."""
    drop = as_float(entry.drop)
    if drop is not None:
        return drop
    score, ref = as_float(entry.score), as_float(entry.reference_score)
    return None if score is None or ref is None else ref - score


def dimension_ci(dim: DimensionCard) -> tuple[float, float] | None:
    """A dimension's interval (the gate's `ci` is the 95% interval of the drop, in score points): the weighted
    mean of its metrics' bounds (a dimension has no interval of its own). Averaging bounds assumes the metrics
    are perfectly correlated, so it is wider than the true interval of the weighted mean: a conservative error
    bar, never a flattering one."""
    if not dim.metrics:
        return None
    lo_sum = hi_sum = w_sum = 0.0
    for m in dim.metrics.values():
        pair = ci_pair(m.ci)
        if pair is None:
            return None  # one metric without an interval makes the combined one unknowable
        w = m.weight
        lo_sum += w * pair[0]
        hi_sum += w * pair[1]
        w_sum += w
    return None if w_sum <= 0 else (lo_sum / w_sum, hi_sum / w_sum)


def flip_rows(
    items: Sequence[Mapping[str, Any]],
    candidate_values: Sequence[float],
    reference_values: Sequence[float],
    candidate_answers: Sequence[str] | None = None,
    reference_answers: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """One row per item, worst regressions first.

    `direction` is "worse" when the candidate's value is below the reference's (for binary outcomes:
    the reference was right and the candidate wrong), "better" for the opposite flip, else "same".
    Rows are ordered worse (largest drop first), better (largest gain first), same (input order).
    Keys: id, prompt, direction, reference_value, candidate_value, delta (candidate − reference),
    reference_answer, candidate_answer, plus any extra keys of the item.
    """
    n = len(items)
    if len(candidate_values) != n or len(reference_values) != n:
        raise ValueError(
            f"per-item lengths differ: {n} items, {len(candidate_values)} candidate values, "
            f"{len(reference_values)} reference values"
        )
    for name, answers in (("candidate_answers", candidate_answers), ("reference_answers", reference_answers)):
        if answers is not None and len(answers) != n:
            raise ValueError(f"{name} has {len(answers)} entries for {n} items")
    rows: list[dict[str, Any]] = []
    for i, item in enumerate(items):
        cand, ref = float(candidate_values[i]), float(reference_values[i])
        delta = cand - ref
        direction = "worse" if delta < -1e-12 else "better" if delta > 1e-12 else "same"
        row: dict[str, Any] = {
            "id": str(item.get("id", i)),
            "prompt": str(item.get("prompt", "")),
            "direction": direction,
            "reference_value": ref,
            "candidate_value": cand,
            "delta": delta,
            "reference_answer": "" if reference_answers is None else str(reference_answers[i]),
            "candidate_answer": "" if candidate_answers is None else str(candidate_answers[i]),
        }
        for k, v in item.items():
            if k not in row:
                row[k] = v
        row["_order"] = i
        rows.append(row)
    rank = {"worse": 0, "better": 1, "same": 2}
    rows.sort(key=lambda r: (rank[r["direction"]], -abs(r["delta"]) if r["direction"] != "same" else 0.0, r["_order"]))
    for r in rows:
        del r["_order"]
    return rows


def flipped_items(
    items: Sequence[Mapping[str, Any]],
    candidate_values: Sequence[float],
    reference_values: Sequence[float],
    candidate_answers: Sequence[str] | None = None,
    reference_answers: Sequence[str] | None = None,
    limit: int | None = 20,
) -> list[dict[str, Any]]:
    """The items the candidate got worse on (largest drop first), ready for the scorecard's
    per-metric `flipped` list: id, prompt, reference_answer, candidate_answer, reference_value,
    candidate_value."""
    keep = ("id", "prompt", "reference_answer", "candidate_answer", "reference_value", "candidate_value")
    rows = [r for r in flip_rows(items, candidate_values, reference_values, candidate_answers, reference_answers)
            if r["direction"] == "worse"]
    return [{k: r[k] for k in keep} for r in (rows if limit is None else rows[:limit])]


def write_atomic(path: Path, data: str | bytes, mode: int | None = None) -> Path:
    """Write via a temp file and rename, so a reader (or a parallel worker) never sees half a file; the file gets
    `mode`, or by default what the umask gives a new file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
        if mode is None:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask  # mkstemp creates 0600; give the file normal permissions
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
