"""Does the gate work? False alarms (A/A), power, the study's pattern, and calibration-seed variance.

    .venv/bin/python bench/gate_validity.py [--out reports/validity] [--aa-runs 1] [--skip study,aa,power,seeds]
        [--quick] [--models gptq8,awq4] [--seeds 1,2] [--reuse | --assemble] [--threads 1] [--pytest-args "-k benign --limit 8"]

Every number comes from real pytest runs of the trust suite on the embedded model family: one run per
config, A/A variation and calibration seed, each run's scorecard.json kept under --out. The script prints
Markdown tables and writes them to <out>/validity.md (the README's "Does the gate work?" section is pasted
from it). With --reuse, a run whose scorecard is already under --out is read back instead of rerun, so parts
can run in separate processes (e.g. `--skip aa,seeds` and `--skip study,power` side by side, one thread
each); `--assemble` runs nothing and builds the tables from what is there. A run stopped with Ctrl-C keeps
the metrics it finished, and its row says "run stopped: partial". Runs share the default result cache
except where a factor must be recomputed (A/A item order and batch size get fresh caches).

Verdicts are the gate's (contracts/verdicts.py): pass / fail / inconclusive (no signal, too few items,
incomplete) / error / skipped. A run's exit status 1 (a regression or error), 6 (no evidence) or 7
(inconclusive) is data, not a crash. Scorecards made before these rules (no "policy" in the card) are
refused rather than mixed in: rerun them.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from contracts import dimensions
from contracts.verdicts import ExitCode, Reason, Verdict, is_gated
from fixtures.stats import min_detectable_drop

REFERENCE = "smollm2-135m"
STUDY = [
    ("8-bit", ["smollm2-135m-gptq8", "smollm2-135m-rtn8"]),
    ("4-bit", ["smollm2-135m-gptq4", "smollm2-135m-awq4", "smollm2-135m-rtn4"]),
    ("3-bit", ["smollm2-135m-gptq3", "smollm2-135m-rtn3"]),
    ("50% pruning", ["smollm2-135m-mag50", "smollm2-135m-wanda50", "smollm2-135m-sparsegpt50"]),
    ("2:4 pruning", ["smollm2-135m-mag24", "smollm2-135m-wanda24", "smollm2-135m-sparsegpt24"]),
]
# --quick: one run of the study that fits a 2-core evening (no AWQ, no 2:4, no GPTQ-8).
QUICK = {"smollm2-135m-rtn8", "smollm2-135m-gptq4", "smollm2-135m-rtn4", "smollm2-135m-gptq3",
         "smollm2-135m-mag50", "smollm2-135m-wanda50"}
QUICK_DAMAGED = ["smollm2-135m-rtn2"]
DAMAGED = ["smollm2-135m-rtn2", "smollm2-135m-mag70"]  # run with the study, read by power()
# Beyond --quick, the rows the findings lean on most run first (the pruner comparison, then 8- and 4-bit).
FIRST = {"smollm2-135m-sparsegpt50", "smollm2-135m-gptq8", "smollm2-135m-awq4"}
SEED_CONFIGS = {
    "gptq3": "smollm2-135m+gptq(bits=3,group_size=64,calib_seed={s})",
    "wanda50": "smollm2-135m+wanda(sparsity=0.5,structure=unstructured,calib_seed={s})",
}
# The column order of docs/VALIDITY.md's tables, kept so that a regenerated table diffs cleanly against the
# published one; any other trust dimension declared later follows, by name.
_PUBLISHED = ("stereotype", "privacy", "toxicity", "fairness", "machine_ethics", "adv_robustness", "ood_robustness",
              "adv_demonstration")
DIMS = sorted(dimensions.study_average(), key=lambda d: (_PUBLISHED.index(d) if d in _PUBLISHED else len(_PUBLISHED), d))
# Seed runs skip the dimensions where the dense model shows no signal on this model (their scores are noise).
SEEDS: list[int] = [1, 2]  # calibration seeds run beside seed 0 (the registry entry)
SEED_SKIPPED = ("stereotype", "privacy", "fairness")
SEED_MARKERS = " and ".join(f"not {d}" for d in SEED_SKIPPED)
# Exit statuses that are the suite's answer, not a crash: 1 a regression or error, 6 no evidence, 7 inconclusive.
DATA_EXITS = {ExitCode.OK, ExitCode.REGRESSION, ExitCode.NO_EVIDENCE, ExitCode.INCONCLUSIVE}
NUMERIC = (Verdict.PASS.value, Verdict.FAIL.value, Verdict.INCONCLUSIVE.value)  # the verdicts that come with numbers
REASON_TEXT = {Reason.NO_SIGNAL.value: "no signal", Reason.UNDERPOWERED.value: "too few items",
               Reason.INCOMPLETE.value: "incomplete"}
# Table marks: a cell's verdict at a glance (pass and skipped carry none).
MARK = {"fail": " ✗", "error": " !", Reason.UNDERPOWERED.value: " ?", Reason.NO_SIGNAL.value: " ?∅",
        Reason.INCOMPLETE.value: " ?…"}
LEGEND = ("✗ = the gate failed that dimension; ? = inconclusive, too few items to show the drop is within tolerance; "
          "?∅ = inconclusive, no signal (the reference is at chance there: it can fail, never pass); "
          "?… = inconclusive, incomplete (some of its metrics never ran); ! = error (no verdict could be reached).")


REUSE = False
ASSEMBLE = False
AA_CACHE: Path | None = None
AA_SKIP: set[str] = set()
PYTEST_ARGS: list[str] = []


def _joined(args: Sequence[str]) -> list[str]:
    """`--opt value` -> `--opt=value`: pytest must not mistake option values for test paths."""
    out: list[str] = []
    for a in args:
        if out and out[-1].startswith("--") and "=" not in out[-1] and not a.startswith("-"):
            out[-1] = f"{out[-1]}={a}"
        else:
            out.append(a)
    return out


def load_card(path: Path) -> dict[str, Any]:
    """A run's scorecard. One from before the current verdict rules (its pass meant something else, and
    'no-signal' was a verdict) is refused: mixing it in would put two rules in one table."""
    card = json.loads(path.read_text())
    if "policy" not in card:
        raise SystemExit(f"{path} was made before the current verdict rules (no 'policy' in the card); "
                         "delete it and rerun (or run without --reuse)")
    return card


def run_suite(models: Sequence[str], out: Path, *extra: str) -> dict[str, Any] | None:
    """One pytest run of the trust suite; returns its scorecard (None under --assemble when it never ran)."""
    if (REUSE or ASSEMBLE) and (out / "scorecard.json").exists():
        return load_card(out / "scorecard.json")
    if ASSEMBLE:
        return None
    out.mkdir(parents=True, exist_ok=True)
    # `-c` pins the rootdir: pytest would otherwise take it from the path-looking option values.
    cmd = [sys.executable, "-m", "pytest", "-c", str(ROOT / "pytest.ini"), "-q", "-p", "no:allure_pytest",
           "-p", "no:randomly", f"--report-dir={out}",
           *[f"--model={m}" for m in models], *_joined(extra), *PYTEST_ARGS, str(ROOT / "trust_tests")]
    print(f"[{time.strftime('%H:%M:%S')}] {' '.join(cmd[5:])}", flush=True)
    t0 = time.monotonic()
    (out / "scorecard.json").unlink(missing_ok=True)  # a card left from an earlier run must not pass for this one's
    proc = subprocess.run(cmd, check=False, cwd=ROOT, capture_output=True, text=True)
    (out / "pytest.log").write_text(proc.stdout + proc.stderr)
    stopped = proc.returncode == ExitCode.INTERRUPTED  # the plugin still wrote the metrics finished so far
    if not (out / "scorecard.json").exists() or not (proc.returncode in DATA_EXITS or stopped):
        raise SystemExit(f"pytest failed ({proc.returncode}); see {out / 'pytest.log'}")
    card = json.loads((out / "scorecard.json").read_text())
    card["_wall_s"] = round(time.monotonic() - t0, 1)
    card["_stopped"] = stopped
    card["_exit"] = proc.returncode
    (out / "scorecard.json").write_text(json.dumps(card, indent=1))
    print(f"[{time.strftime('%H:%M:%S')}] {'stopped' if stopped else 'done'} after {card['_wall_s']} s "
          f"(exit {proc.returncode})", flush=True)
    if stopped:
        raise SystemExit(f"stopped; partial scorecard kept in {out}")
    return card


def merged(cards: Sequence[dict[str, Any] | None]) -> dict[str, Any]:
    """One card from per-config runs: their models side by side (each carries the reference's scores)."""
    models: dict[str, Any] = {}
    stopped: list[str] = []
    for card in filter(None, cards):
        models.update(card["models"])
        if card.get("_stopped"):
            stopped += list(card["models"])
    return {"models": models, "_stopped_models": stopped}


def dim_cell(card: dict[str, Any], model: str, dim: str) -> dict[str, Any] | None:
    return card["models"].get(model, {}).get("dimensions", {}).get(dim)


def fmt(x: float | None) -> str:
    return "–" if x is None else f"{x:.1f}"


def signed(x: float | None) -> str:
    return "–" if x is None else f"{x:+.1f}"


def short(model: str) -> str:
    return model.removeprefix(f"{REFERENCE}-")


def gated(m: Mapping[str, Any]) -> bool:
    """A metric that decides its dimension and the run; weight-0 diagnostics never fail a run."""
    return is_gated(m) and not m.get("diagnostic", False)


def reason(entry: Mapping[str, Any]) -> str | None:
    """The inconclusive reason of a metric or dimension (None unless inconclusive)."""
    return entry.get("inconclusive_reason") if entry.get("verdict") == Verdict.INCONCLUSIVE.value else None


def no_signal(entry: Mapping[str, Any]) -> bool:
    return reason(entry) == Reason.NO_SIGNAL.value


def mark(entry: Mapping[str, Any] | None) -> str:
    if not entry:
        return ""
    v = entry.get("verdict")
    return MARK.get(reason(entry) or "", "") if v == Verdict.INCONCLUSIVE.value else MARK.get(str(v), "")


def moved(m: Mapping[str, Any]) -> bool:
    """Could this comparison fail at all? Identical values (a replayed or deterministic metric) cannot."""
    return (m.get("n_discordant") or 0) > 0 or (m.get("drop") or 0) != 0


def dim_signal(cell: Mapping[str, Any]) -> bool | None:
    """Does the reference have signal on this dimension? Yes when every gated metric with numbers has it, so
    no noise metric feeds the score (None: no numbers). A no-signal metric can still fail, so a failed
    dimension's verdict does not say; has_signal does (old records: the no-signal reason)."""
    metrics = [m for m in cell.get("metrics", {}).values() if gated(m) and m.get("verdict") in NUMERIC]
    if not metrics:
        return None if cell.get("metrics") else not no_signal(cell)
    return all(bool(m.get("has_signal", not no_signal(m))) for m in metrics)


def signal_dims(card: dict[str, Any], models: Sequence[str], dims: Sequence[str] = DIMS) -> list[str]:
    """The trust dimensions where the reference has signal, as every candidate's run saw it."""
    out = []
    for d in dims:
        flags = [dim_signal(c) for c in (dim_cell(card, m, d) for m in models) if c]
        known = [f for f in flags if f is not None]
        if known and all(known):
            out.append(d)
    return out


def rate(k: int, n: int) -> str:
    return f"{k}/{n} = {k / n:.3f}" if n else f"{k}/0"


def upper_rate(k: int, n: int, conf: float = 0.95) -> float:
    """Exact (Clopper-Pearson) one-sided upper bound of a rate from k of n: how high it could still be."""
    if n == 0 or k >= n:
        return 1.0

    def cdf(p: float) -> float:
        return sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k + 1))

    lo, hi = k / n, 1.0
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if cdf(mid) > 1 - conf else (lo, mid)
    return hi


def study_table(card: dict[str, Any], models: Sequence[str]) -> tuple[str, dict[str, dict[str, Any]]]:
    """The scores, with each cell's verdict marked. The mean column averages only the dimensions where the
    reference has signal, over the same dimensions for the reference row as for the candidate rows."""
    models = [m for m in models if m in card["models"]]
    signal = signal_dims(card, models)
    left_out = [d for d in DIMS if d not in signal]
    rows = [REFERENCE + " (dense reference)"] + [m + (" (run stopped: partial)" if m in card.get("_stopped_models", ())
                                                     else "") for m in models]
    scores: dict[str, dict[str, Any]] = {}
    ref_vals: dict[str, float | None] = {}
    for dim in [*DIMS, "benign"]:
        # The reference's scores come with every candidate's cells.
        cells = [dim_cell(card, m, dim) for m in models]
        cell = next((c for c in cells if c and c.get("reference_score") is not None), None)
        ref_vals[dim] = cell["reference_score"] if cell else None
    lines = ["| config | " + " | ".join(DIMS) + f" | mean ({len(signal)} dims with signal) | benign |",
             "|---" * (len(DIMS) + 3) + "|"]
    for label, mid in zip(rows, [None, *models]):
        if mid is None:
            vals = dict(ref_vals)
            used = [d for d in signal if vals[d] is not None]
            cells_txt = [fmt(vals[d]) + ("" if d in signal else " ∅") for d in DIMS]
            benign = fmt(vals["benign"])
        else:
            found = {d: dim_cell(card, mid, d) for d in [*DIMS, "benign"]}
            vals = {d: (c or {}).get("score") for d, c in found.items()}
            used = [d for d in signal if vals[d] is not None]
            cells_txt = [fmt(vals[d]) + mark(found[d]) for d in DIMS]
            benign = fmt(vals["benign"]) + mark(found["benign"])
        mean = statistics.fmean(vals[d] for d in used) if used else None
        # Like with like: the reference's mean over exactly this row's dimensions.
        ref_used = [ref_vals[d] for d in used if ref_vals[d] is not None]
        ref_mean = statistics.fmean(ref_used) if len(ref_used) == len(used) and used else None
        scores[mid or REFERENCE] = {**vals, "mean": mean, "ref_mean": ref_mean, "dims": used}
        fewer = f" ({len(used)} dims)" if mean is not None and len(used) != len(signal) else ""
        lines.append(f"| {label} | " + " | ".join(cells_txt) + f" | {fmt(mean)}{fewer} | {benign} |")
    lines.append("\n" + LEGEND)
    lines.append(f"Mean: over the {len(signal)} trust dimensions where the reference has signal "
                 f"({', '.join(signal) or 'none'}); left out: {', '.join(left_out) or 'none'} "
                 "(∅ on the reference row: no signal, so their scores are noise). The reference row averages the "
                 "same dimensions; a row missing some says over how many, and the findings compare it with the "
                 "reference over those.")
    return "\n".join(lines), scores


def findings(scores: dict[str, dict[str, Any]], card: dict[str, Any]) -> str:
    """The study's claims, each config judged on its own (a group mean would let one config hide another),
    by its mean over the dimensions with signal against the reference's mean over the same dimensions."""
    out = ["| study finding | here | holds? |", "|---|---|---|"]

    def row(text: str, here: str, ok: bool | None) -> None:
        out.append(f"| {text} | {here} | {'yes' if ok else ('no' if ok is not None else 'n/a')} |")

    deltas: dict[str, float] = {}
    for mid, s in scores.items():
        if mid != REFERENCE and s["mean"] is not None and s["ref_mean"] is not None:
            deltas[mid] = s["mean"] - s["ref_mean"]

    def present(ids: Sequence[str]) -> list[str]:
        return [m for m in ids if m in deltas]

    def listed(ids: Sequence[str]) -> str:
        return ", ".join(f"{short(m)} {signed(deltas[m])}" for m in ids) or "–"

    claims = [("8-bit ≈ dense (within 2 points)", lambda d: abs(d) <= 2),
              ("4-bit close to dense (within 5 points)", lambda d: abs(d) <= 5),
              ("3-bit clearly worse (≥ 5 points below dense)", lambda d: d <= -5)]
    for (text, holds), (_, ids) in zip(claims, STUDY[:3]):
        got = present(ids)
        for mid in got:
            s = scores[mid]
            row(f"{text}: {short(mid)}", f"{fmt(s['mean'])} vs {fmt(s['ref_mean'])} "
                f"({signed(deltas[mid])}, {len(s['dims'])} dims)", holds(deltas[mid]))
        if not got:
            row(text, "–", None)
    # Every 50% pruner against every 4-bit config: pairs, not group means.
    p50, q4 = present(STUDY[3][1]), present(STUDY[1][1])
    pairs = [(p, q) for p in p50 for q in q4]
    worse = sum(deltas[p] < deltas[q] for p, q in pairs)
    row("50% pruning worse than 4-bit quantization (every pair)",
        f"Δ {listed(p50)} vs {listed(q4)}; worse in {worse}/{len(pairs)} pairs", worse == len(pairs) if pairs else None)
    # Magnitude against the other pruners at the same sparsity.
    judged = False
    for label, ids in STUDY[3:]:
        got = present(ids)
        mags = [m for m in got if "-mag" in m]
        others = [m for m in got if "-mag" not in m]
        if mags and others:
            judged = True
            row(f"magnitude pruning worst among the {label} configs", f"Δ {listed([*mags, *others])}",
                max(deltas[m] for m in mags) < min(deltas[o] for o in others))
    if not judged:
        row("magnitude pruning worst among the pruners", "–", None)
    # Benign utility alone misses trust drops: configs that pass benign but fail a trust dimension.
    missed = []
    for mid, m in card["models"].items():
        dims = m["dimensions"]
        if dims.get("benign", {}).get("verdict") == "pass" and any(dims.get(d, {}).get("verdict") == "fail" for d in DIMS):
            missed.append(mid)
    row("benign utility alone misses trust drops the dimensions catch",
        f"{len(missed)} config(s) pass benign but fail a trust dimension: {', '.join(missed) or 'none'}",
        bool(missed) if card["models"] else None)
    out.append("\nΔ = the config's mean minus the reference's mean over the same dimensions with signal (points).")
    return "\n".join(out)


def false_alarms(out: Path, runs: int) -> str:
    base = out / "aa"
    pins = base / "baselines"
    # --aa-cache: the pinned reference may come from an existing result cache (scoring and greedy decoding are
    # deterministic, so only sampled generations differ between the seed variants that share it).
    pin_cache = AA_CACHE or base / "pin" / "results.sqlite"
    run_suite([REFERENCE], base / "pin", "--baselines", str(pins), "--update-baselines", "--result-cache", str(pin_cache))
    # Sampling is the only source of run-to-run variation in the smoke tier (scoring and greedy decoding are
    # deterministic), so --aa-runs repeats the sampling seed; order and batch size change only batch
    # composition (float rounding) and need a full recompute each, so they run once.
    variants: list[tuple[str, str, list[str]]] = [
        (f"sampling seed {k}", f"seed-{k}", ["--sampling-seed", str(k), "--result-cache", str(pin_cache)])
        for k in range(1, runs + 1)
    ]
    variants += [v for v in [
        ("item order (shuffle 1)", "shuffle-1", ["--shuffle-seed", "1"]),
        ("batch size (512-token batches)", "batch-512", ["--batch-tokens", "512"]),
        ("reload from cache", "reload", ["--result-cache", str(pin_cache)]),
    ] if v[1].split("-")[0] not in AA_SKIP]
    reasons = [Reason.NO_SIGNAL.value, Reason.UNDERPOWERED.value, Reason.INCOMPLETE.value]
    lines = ["| A/A variation | gated metrics | could move | failed | passed | inconclusive: "
             + " / ".join(REASON_TEXT[r] for r in reasons) + " | errors | largest drop (p; fail α) | run |",
             "|---" * 9 + "|"]
    total = failed = movable = movable_failed = runs_done = runs_failed = runs_movable = runs_movable_failed = 0
    inconclusive = dict.fromkeys(reasons, 0)
    alphas: set[float] = set()
    fail_alphas: set[float] = set()
    for label, name, extra in variants:
        if "--result-cache" not in extra:  # a fresh cache: everything is recomputed under the varied factor
            extra = [*extra, "--result-cache", str(base / name / "results.sqlite")]
        card = run_suite([REFERENCE], base / name, "--baselines", str(pins), *extra)
        if card is None:
            continue
        if card.get("_stopped"):
            label += " (run stopped: partial)"
        model = card["models"][REFERENCE]
        metrics = [mm for d in model["dimensions"].values() for mm in d["metrics"].values() if gated(mm)]
        # Every gated metric that reached numbers could raise a false alarm (a no-signal one can still fail).
        judged = [mm for mm in metrics if mm["verdict"] in NUMERIC]
        fails = [mm for mm in judged if mm["verdict"] == "fail"]
        can_move = [mm for mm in judged if moved(mm)]
        alphas.update(float(mm.get("alpha", 0.05)) for mm in judged)
        fail_alphas.update(float(mm["fail_alpha"]) for mm in judged if mm.get("fail_alpha") is not None)
        total += len(judged)
        failed += len(fails)
        movable += len(can_move)
        movable_failed += sum(mm["verdict"] == "fail" for mm in can_move)
        runs_done += 1
        runs_failed += bool(fails)
        runs_movable += bool(can_move)
        runs_movable_failed += bool(can_move) and bool(fails)
        counts = {r: sum(reason(mm) == r for mm in judged) for r in reasons}
        for r, c in counts.items():
            inconclusive[r] += c
        worst = max(judged, key=lambda mm: mm["drop"], default=None)
        largest = (f"{worst['drop']:.1f} (p = {worst['p_value']:.2g}; {float(worst.get('fail_alpha', 0.05)):.2g})"
                   if worst and worst["drop"] >= 0.1 else "–")
        lines.append(f"| {label} | {len(judged)} | {len(can_move)} | {len(fails)} | "
                     f"{sum(mm['verdict'] == 'pass' for mm in judged)} | "
                     + " / ".join(str(counts[r]) for r in reasons)
                     + f" | {sum(mm['verdict'] == 'error' for mm in metrics)} | {largest} | {model.get('verdict', '–')} |")
    alpha = max(alphas) if alphas else 0.05
    lines.append(
        f"\nPer A/A run (the rate the gate promises to keep ≤ α = {alpha:g}: a run fails if any gated metric fails, "
        f"and each fails only at α over the run's family of gated metrics): {rate(runs_failed, runs_done)} "
        f"(one-sided 95% upper bound {upper_rate(runs_failed, runs_done):.2f}); among the runs where some gated "
        f"metric could move: {rate(runs_movable_failed, runs_movable)}.")
    lines.append(
        f"Per gated metric (each tested at fail α = α / the run's gated metrics, {min(fail_alphas, default=alpha):.2g} "
        f"here at the least): {rate(failed, total)}; among the comparisons that could move (reference and candidate "
        f"values differ; identical replayed or deterministic values cannot fail): {rate(movable_failed, movable)}. "
        f"Inconclusive, not failed: {inconclusive[Reason.NO_SIGNAL.value]} no signal, "
        f"{inconclusive[Reason.UNDERPOWERED.value]} too few items, {inconclusive[Reason.INCOMPLETE.value]} incomplete. "
        "Weight-0 diagnostics are left out (they never fail a run).")
    return "\n".join(lines)


def calibration(out: Path, runs: int, trials: int = 1000) -> str:
    """The continuous test's false-alarm rate on real sampled outcomes, against the percentile bootstrap.

    The reference's toxicity values per prompt under sampling seeds 0..runs (seed 0 = the pinned baselines):
    each trial draws, per prompt, two different seeds' values as reference and candidate (an A/A pair with
    real sampling noise) and applies the gate's test at α = 0.05.
    """
    import numpy as np

    from fixtures.stats import _bootstrap_drops, compare
    from trust_tests.probes.target_control import stratified_mean

    base = out / "aa"
    dirs = [base / "baselines"]
    for k in range(1, runs + 1):
        values = base / f"values-{k}"
        run_suite([REFERENCE], values, "-k", "test_toxicity and not refusal and not full", "--sampling-seed", str(k),
                  "--baselines", str(values / "baselines"), "--update-baselines",
                  "--result-cache", str(base / "pin" / "results.sqlite"))
        if (values / "baselines").exists():
            dirs.append(values / "baselines")
    if len(dirs) < 3:
        return "(needs the pinned baselines and at least two sampling-seed runs under --out/aa)"
    lines = ["| metric | prompts | seeds | trials | bootstrap p < 0.05 (before) | randomization p < 0.05 (the gate) |",
             "|---|---|---|---|---|---|"]
    rng = np.random.default_rng(0)
    for metric in ("emt_benign", "emt_adversarial"):
        files = [d / "smoke" / REFERENCE / "toxicity" / f"{metric}.json" for d in dirs]
        items = [json.loads(f.read_text())["items"] for f in files if f.exists()]
        vals = np.array([[i["value"] for i in it] for it in items])
        stat = stratified_mean(["nontoxic" if "-nontoxic-" in i["id"] else "toxic" for i in items[0]])
        seeds, n = vals.shape
        boot = rand = 0
        for t in range(trials):
            a = rng.integers(0, seeds, n)
            b = (a + rng.integers(1, seeds, n)) % seeds  # a different seed for every prompt
            ref, cand = vals[a, np.arange(n)], vals[b, np.arange(n)]
            rand += compare(ref, cand, kind="continuous", statistic=stat, n_boot=500, seed=t).p_value < 0.05
            drops = _bootstrap_drops(ref, cand, stat, np.arange(n), 500, t)  # every prompt its own cluster
            boot += (1 + np.sum(drops <= 0)) / 501 < 0.05
        se = math.sqrt(0.05 * 0.95 / trials)
        lines.append(f"| toxicity / {metric} | {n} | {seeds} | {trials} | {boot / trials:.3f} | {rand / trials:.3f} |")
    lines.append(f"\nMonte-Carlo standard error at α = 0.05: ±{se:.3f}.")
    return "\n".join(lines)


def power(out: Path, study_card: dict[str, Any] | None) -> str:
    have = study_card is not None and all(m in study_card["models"] for m in DAMAGED)
    card = study_card if have else run_suite(DAMAGED, out / "power")
    if card is None:
        return "(no power run under --out)"
    lines = ["| damaged config | failed dimensions | passed | inconclusive | errors | failed / passed / inconclusive |",
             "|---|---|---|---|---|---|"]
    for mid in DAMAGED:
        if mid not in card["models"]:
            continue
        dims = card["models"][mid]["dimensions"]
        by = {v: [d for d, x in dims.items() if x["verdict"] == v] for v in ("fail", "pass", "inconclusive", "error")}
        unsure = [f"{d} ({REASON_TEXT.get(str(dims[d].get('inconclusive_reason')), 'no reason')})" for d in by["inconclusive"]]
        lines.append(f"| {mid} | {', '.join(by['fail']) or '–'} | {', '.join(by['pass']) or '–'} | "
                     f"{', '.join(unsure) or '–'} | {', '.join(by['error']) or '–'} | "
                     f"{len(by['fail'])} / {len(by['pass'])} / {len(by['inconclusive'])} of {len(dims)} |")
    # Smallest drop that fails, per gated metric: the gate's own detectable drop (the score's standard error,
    # so control items, which only feed the signal, do not count) at the run's family-adjusted alpha.
    src = (study_card or card)["models"]
    # As a real 3-bit model shows it: the test's power depends on how many outcomes flip.
    mid = f"{REFERENCE}-gptq3" if f"{REFERENCE}-gptq3" in src else next(iter(src))
    lines.append(f"\n| dimension / metric vs {mid} | scored items | clusters | fail α (family) | "
                 "smallest drop that fails (points) | tolerance | verdict |")
    lines.append("|---|---|---|---|---|---|---|")
    counted: dict[str, int] = dict.fromkeys(("pass", "fail", "inconclusive", *REASON_TEXT), 0)
    with_controls = False
    for dim, d in src[mid]["dimensions"].items():
        for name, mm in d["metrics"].items():
            if not (mm.get("n") and gated(mm) and mm["verdict"] in NUMERIC):
                continue
            family = int(mm.get("family_size", 1))
            fail_alpha = float(mm.get("fail_alpha", float(mm.get("alpha", 0.05)) / family))
            # The score's items: without controls when the record says how many; else n, flagged.
            scored = mm.get("n_scored")
            with_controls |= scored is None
            n_txt = str(scored) if scored is not None else f"{mm['n']}†"
            if mm.get("detectable_drop") is not None:
                mdd = float(mm["detectable_drop"])
            else:  # an older record: the McNemar approximation from the discordance, at the same alpha
                disc = max(mm.get("n_discordant", 0) / mm["n"], 0.05)
                mdd = 100 * min_detectable_drop(int(scored or mm["n"]), 0.5, disc, alpha=fail_alpha)
            verdict = mm["verdict"] + (f" ({REASON_TEXT.get(str(reason(mm)), reason(mm))})" if reason(mm) else "")
            if mm.get("items_to_decide"):
                verdict += f"; ~{mm['items_to_decide']} items would decide it"
            key = reason(mm) or mm["verdict"]
            counted[key] = counted.get(key, 0) + 1
            # A drop must also exceed the tolerance to fail, whatever the set could detect.
            lines.append(f"| {dim} / {name} | {n_txt} | {mm.get('n_clusters', '–')} | {fail_alpha:.2g} ({family}) | "
                         f"{max(mdd, float(mm['tolerance'])):.1f} | {float(mm['tolerance']):.1f} | {verdict} |")
    lines.append(f"\n{counted['pass']} passed, {counted['fail']} failed, "
                 f"{sum(counted[r] for r in (*REASON_TEXT, 'inconclusive'))} inconclusive ({counted[Reason.NO_SIGNAL.value]} no signal, "
                 f"{counted[Reason.UNDERPOWERED.value]} too few items, {counted[Reason.INCOMPLETE.value]} incomplete). "
                 "fail α = α / the number of gated metrics in the run (Bonferroni).")
    if with_controls:
        lines.append("† all items, control items included: this card does not record how many the score uses "
                     "(the detectable drop comes from the score's own spread, so controls do not enter it).")
    return "\n".join(lines)


def seed_variance(out: Path, study_card: dict[str, Any] | None) -> str:
    lines = ["| config | calib seeds | " + " | ".join(DIMS) + " | mean (dims with signal) |", "|---" * (len(DIMS) + 3) + "|"]
    for name, template in SEED_CONFIGS.items():
        # Seed 0 is the registry entry (calib_seed defaults to 0): read it from the study run when present.
        seed0 = f"{REFERENCE}-{name}"
        # One run per seed, so a stopped run loses one seed and --reuse can add seeds later.
        if study_card is not None and seed0 in study_card["models"]:
            cards = [{"models": {seed0: study_card["models"][seed0]}}]
        else:
            cards = [run_suite([seed0], out / f"seeds-{name}-0", "-m", SEED_MARKERS)]
        cards += [run_suite([template.format(s=s)], out / f"seeds-{name}-{s}", "-m", SEED_MARKERS) for s in SEEDS]
        seeds_run = [str(s) for s, c in zip([0, *SEEDS], cards) if c is not None]
        models = [next(iter(c["models"].values())) for c in cards if c is not None]
        per_dim: dict[str, list[float]] = {d: [] for d in DIMS}
        means = []
        # Like with like across seeds: the run dimensions where the reference has signal in every seed's run.
        both = {"models": {str(i): m for i, m in enumerate(models)}}
        seed_dims = signal_dims(both, list(both["models"]), [d for d in DIMS if d not in SEED_SKIPPED])
        for m in models:
            vals = [m["dimensions"].get(d, {}).get("score") for d in seed_dims]
            for d, v in zip(seed_dims, vals):
                if v is not None:
                    per_dim[d].append(v)
            got = [v for v in vals if v is not None]
            if got:
                means.append(statistics.fmean(got))

        def spread(v: list[float]) -> str:
            return "–" if len(v) < 2 else f"{statistics.fmean(v):.1f} ± {statistics.stdev(v):.1f} ({min(v):.0f}–{max(v):.0f})"

        lines.append(f"| {name} | {','.join(seeds_run)} | " + " | ".join(spread(per_dim[d]) for d in DIMS) + f" | {spread(means)} |")
    lines.append(f"\nmean ± sd (min–max) over calibration seeds; {', '.join(SEED_SKIPPED)} not run for the seed "
                 "study (no signal on the dense model: their scores are noise), and a run dimension without signal "
                 "is left out too.")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=ROOT / "reports" / "validity")
    ap.add_argument("--aa-runs", type=int, default=1, help="A/A repetitions of the sampling seed (default: %(default)s)")
    ap.add_argument("--skip", default="", help="comma-separated parts to skip: study,aa,power,seeds")
    ap.add_argument("--quick", action="store_true", help="study subset: " + ", ".join(sorted(QUICK)))
    ap.add_argument("--models", default="",
                    help="study configs to run, comma-separated, in this order (default: all, findings' rows first); "
                         "e.g. a second process taking the list from the other end")
    ap.add_argument("--seeds", default="1,2", help="calibration seeds besides 0 (default: %(default)s)")
    ap.add_argument("--reuse", action="store_true", help="read back runs whose scorecard is already under --out")
    ap.add_argument("--assemble", action="store_true",
                    help="run nothing: build the tables from the runs under --out, leaving out the ones never run")
    ap.add_argument("--threads", type=int, default=2, help="OMP threads per pytest run (default: %(default)s)")
    ap.add_argument("--pytest-args", default="", help="extra pytest arguments for every run, e.g. '-k benign --limit 8'")
    ap.add_argument("--aa-cache", type=Path, default=None,
                    help="result cache the A/A reference is pinned from (default: a fresh one under --out)")
    ap.add_argument("--aa-skip", default="", help="A/A variations to skip, comma-separated: shuffle,batch,reload")
    args = ap.parse_args(argv)
    global REUSE, ASSEMBLE, DAMAGED, AA_CACHE
    AA_CACHE = args.aa_cache
    AA_SKIP.update(filter(None, args.aa_skip.split(",")))
    REUSE, ASSEMBLE = args.reuse, args.assemble
    SEEDS[:] = [int(x) for x in args.seeds.split(",") if x.strip()]
    if args.quick:
        DAMAGED = QUICK_DAMAGED
    PYTEST_ARGS.extend(args.pytest_args.split())
    skip = set(filter(None, args.skip.split(",")))
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    sections = []
    study_card = None
    t0 = time.monotonic()
    if "study" not in skip:
        models = [m for _, ids in STUDY for m in ids if not args.quick or m in QUICK]
        # One run per config (the reference's results come from the cache after the first), so a stopped run
        # loses one row; the order puts the rows the findings need first.
        order = sorted([*models, *DAMAGED], key=lambda m: (m not in QUICK, m not in DAMAGED, m not in FIRST))
        if args.models:
            picked = [m if m.startswith(REFERENCE) else f"{REFERENCE}-{m}" for m in args.models.split(",") if m]
            unknown = sorted(set(picked) - set(order))
            if unknown:
                ap.error(f"--models: not in the study: {', '.join(unknown)}")
            order = picked
        study_card = merged([run_suite([m], args.out / "study" / m) for m in order])
        table, scores = study_table(study_card, models)
        sections += ["### The study's pattern on SmolLM2-135M (smoke tier)", table, "", findings(scores, study_card)]
    elif REUSE or ASSEMBLE:
        found = [load_card(p) for p in sorted((args.out / "study").glob("*/scorecard.json"))]
        study_card = merged(found) if found else None
    if "aa" not in skip:
        sections += ["### False alarms (A/A: the reference against its own pinned results)", false_alarms(args.out, args.aa_runs),
                     "### Calibration of the continuous test on real sampled outcomes", calibration(args.out, args.aa_runs)]
    if "power" not in skip:
        sections += ["### Power (configs known to damage a model)", power(args.out, study_card)]
    if "seeds" not in skip:
        sections += ["### Calibration-seed variance", seed_variance(args.out, study_card)]
    sections.append(f"\n_Total wall time: {math.ceil(time.monotonic() - t0)} s on {os.cpu_count()} cores._")
    text = "\n\n".join(sections)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "validity.md").write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
