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
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fixtures.stats import min_detectable_drop
from fixtures.thresholds import TRUST_DIMENSIONS

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
DIMS = list(TRUST_DIMENSIONS)
# Seed runs skip the dimensions where the dense model shows no signal on this model (their scores are noise).
SEEDS: list[int] = [1, 2]  # calibration seeds run beside seed 0 (the registry entry)
SEED_SKIPPED = ("stereotype", "privacy", "fairness")
SEED_MARKERS = " and ".join(f"not {d}" for d in SEED_SKIPPED)


REUSE = False
ASSEMBLE = False
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


def run_suite(models: Sequence[str], out: Path, *extra: str) -> dict[str, Any] | None:
    """One pytest run of the trust suite; returns its scorecard (None under --assemble when it never ran)."""
    if (REUSE or ASSEMBLE) and (out / "scorecard.json").exists():
        return json.loads((out / "scorecard.json").read_text())
    if ASSEMBLE:
        return None
    out.mkdir(parents=True, exist_ok=True)
    # `-c` pins the rootdir: pytest would otherwise take it from the path-looking option values.
    cmd = [sys.executable, "-m", "pytest", "-c", str(ROOT / "pytest.ini"), "-q", "-p", "no:allure_pytest",
           "-p", "no:randomly", f"--report-dir={out}",
           *[f"--model={m}" for m in models], *_joined(extra), *PYTEST_ARGS, str(ROOT / "trust_tests")]
    print(f"[{time.strftime('%H:%M:%S')}] {' '.join(cmd[5:])}", flush=True)
    t0 = time.monotonic()
    proc = subprocess.run(cmd, check=False, cwd=ROOT, capture_output=True, text=True)
    (out / "pytest.log").write_text(proc.stdout + proc.stderr)
    stopped = proc.returncode == 2  # interrupted: the plugin still wrote the metrics finished so far
    if proc.returncode not in (0, 1) and not (stopped and (out / "scorecard.json").exists()):
        raise SystemExit(f"pytest failed ({proc.returncode}); see {out / 'pytest.log'}")  # 1 = a trust test failed: data
    card = json.loads((out / "scorecard.json").read_text())
    card["_wall_s"] = round(time.monotonic() - t0, 1)
    card["_stopped"] = stopped
    (out / "scorecard.json").write_text(json.dumps(card, indent=1))
    print(f"[{time.strftime('%H:%M:%S')}] {'stopped' if stopped else 'done'} after {card['_wall_s']} s", flush=True)
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


def study_table(card: dict[str, Any], models: Sequence[str]) -> tuple[str, dict[str, dict[str, float | None]]]:
    models = [m for m in models if m in card["models"]]
    rows = [REFERENCE + " (dense reference)"] + [m + (" (run stopped: partial)" if m in card.get("_stopped_models", ())
                                                     else "") for m in models]
    scores: dict[str, dict[str, float | None]] = {}
    lines = ["| config | " + " | ".join(DIMS) + " | mean (8) | benign |", "|---" * (len(DIMS) + 3) + "|"]
    for label, mid in zip(rows, [None, *models]):
        vals: dict[str, float | None] = {}
        for dim in [*DIMS, "benign"]:
            if mid is None:
                # The reference's scores come with every candidate's cells.
                cells = [dim_cell(card, m, dim) for m in models]
                cell = next((c for c in cells if c and c.get("reference_score") is not None), None)
                vals[dim] = cell["reference_score"] if cell else None
            else:
                cell = dim_cell(card, mid, dim)
                vals[dim] = cell["score"] if cell else None
        trust = [vals[d] for d in DIMS if vals[d] is not None]
        vals["mean"] = statistics.fmean(trust) if trust else None
        scores[mid or REFERENCE] = vals
        verdicts = {d: (dim_cell(card, mid, d) or {}).get("verdict", "") for d in DIMS} if mid else {}
        cells = [fmt(vals[d]) + (" ✗" if verdicts.get(d) == "fail" else (" ∅" if verdicts.get(d) == "no-signal" else ""))
                 for d in DIMS]
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {fmt(vals['mean'])} | {fmt(vals['benign'])} |")
    lines.append("\n✗ = the gate failed that dimension; ∅ = no signal (the reference is at chance there).")
    return "\n".join(lines), scores


def findings(scores: dict[str, dict[str, float | None]], card: dict[str, Any]) -> str:
    def mean_of(ids: Sequence[str]) -> float | None:
        vals = [scores[i]["mean"] for i in ids if i in scores and scores[i]["mean"] is not None]
        return statistics.fmean(vals) if vals else None

    ref = scores[REFERENCE]["mean"]
    groups = {label: mean_of(ids) for label, ids in STUDY}
    out = ["| study finding | here | holds? |", "|---|---|---|"]

    def row(text: str, here: str, ok: bool | None) -> None:
        out.append(f"| {text} | {here} | {'yes' if ok else ('no' if ok is not None else 'n/a')} |")

    def close(a: float | None, b: float | None, tol: float) -> bool | None:
        return None if a is None or b is None else abs(a - b) <= tol

    row("8-bit ≈ dense (within 2 points)", f"{fmt(groups['8-bit'])} vs {fmt(ref)}", close(groups["8-bit"], ref, 2))
    row("4-bit close to dense (within 5 points)", f"{fmt(groups['4-bit'])} vs {fmt(ref)}", close(groups["4-bit"], ref, 5))
    three = groups["3-bit"]
    row("3-bit clearly worse (≥ 5 points below dense)", f"{fmt(three)} vs {fmt(ref)}",
        None if three is None or ref is None else ref - three >= 5)
    p50, q4 = groups["50% pruning"], groups["4-bit"]
    row("50% pruning worse than 4-bit quantization", f"{fmt(p50)} vs {fmt(q4)}",
        None if p50 is None or q4 is None else p50 < q4)
    prun = {m: scores[m]["mean"] for _, ids in STUDY[3:] for m in ids if m in scores}
    mags = [v for m, v in prun.items() if "-mag" in m and v is not None]
    others = [v for m, v in prun.items() if "-mag" not in m and v is not None]
    row("magnitude pruning worst among the pruners", f"magnitude {fmt(statistics.fmean(mags) if mags else None)} vs "
        f"Wanda/SparseGPT {fmt(statistics.fmean(others) if others else None)}",
        None if not mags or not others else statistics.fmean(mags) < min(others))
    # Benign utility alone misses trust drops: configs that pass benign but fail a trust dimension.
    missed = []
    for mid, m in card["models"].items():
        dims = m["dimensions"]
        if dims.get("benign", {}).get("verdict") == "pass" and any(dims.get(d, {}).get("verdict") == "fail" for d in DIMS):
            missed.append(mid)
    row("benign utility alone misses trust drops the dimensions catch",
        f"{len(missed)} config(s) pass benign but fail a trust dimension: {', '.join(missed) or 'none'}",
        bool(missed) if card["models"] else None)
    return "\n".join(out)


def false_alarms(out: Path, runs: int) -> str:
    base = out / "aa"
    pins = base / "baselines"
    pin_cache = base / "pin" / "results.sqlite"
    run_suite([REFERENCE], base / "pin", "--baselines", str(pins), "--update-baselines", "--result-cache", str(pin_cache))
    # Sampling is the only source of run-to-run variation in the smoke tier (scoring and greedy decoding are
    # deterministic), so --aa-runs repeats the sampling seed; order and batch size change only batch
    # composition (float rounding) and need a full recompute each, so they run once.
    variants: list[tuple[str, str, list[str]]] = [
        (f"sampling seed {k}", f"seed-{k}", ["--sampling-seed", str(k), "--result-cache", str(pin_cache)])
        for k in range(1, runs + 1)
    ]
    variants += [
        ("item order (shuffle 1)", "shuffle-1", ["--shuffle-seed", "1"]),
        ("batch size (512-token batches)", "batch-512", ["--batch-tokens", "512"]),
        ("reload from cache", "reload", ["--result-cache", str(pin_cache)]),
    ]
    lines = ["| A/A variation | metrics gated | moved (≥ 0.1 point) | largest drop (p) | failed | no signal |",
             "|---|---|---|---|---|---|"]
    total = failed = moved_total = moved_failed = runs_done = runs_failed = 0
    for label, name, extra in variants:
        if "--result-cache" not in extra:  # a fresh cache: everything is recomputed under the varied factor
            extra = [*extra, "--result-cache", str(base / name / "results.sqlite")]
        card = run_suite([REFERENCE], base / name, "--baselines", str(pins), *extra)
        if card is None:
            continue
        if card.get("_stopped"):
            label += " (run stopped: partial)"
        metrics = [mm for d in card["models"][REFERENCE]["dimensions"].values() for mm in d["metrics"].values()]
        gated = [mm for mm in metrics if mm["verdict"] in ("pass", "fail")]
        fails = [mm for mm in gated if mm["verdict"] == "fail"]
        total += len(gated)
        failed += len(fails)
        runs_done += 1
        runs_failed += bool(fails)
        moved = [mm for mm in gated if abs(mm["score"] - mm["reference_score"]) >= 0.1]
        moved_total += len(moved)
        moved_failed += sum(mm["verdict"] == "fail" for mm in moved)
        worst = max(gated, key=lambda mm: mm["drop"], default=None)
        largest = f"{worst['drop']:.1f} (p = {worst['p_value']:.2g})" if worst and worst["drop"] >= 0.1 else "–"
        lines.append(f"| {label} | {len(gated)} | {len(moved)} | {largest} | {len(fails)} | "
                     f"{sum(mm['verdict'] == 'no-signal' for mm in metrics)} |")
    rate = failed / total if total else float("nan")
    lines.append(f"\nObserved false-alarm rate: {failed}/{total} = {rate:.3f} per metric (nominal α = 0.05 per metric); "
                 f"among the metrics that moved at all: {moved_failed}/{moved_total}. A/A runs with any failed "
                 f"metric: {runs_failed}/{runs_done} (α applies per metric, not per run).")
    return "\n".join(lines)


def calibration(out: Path, runs: int, trials: int = 1000) -> str:
    """The continuous test's false-alarm rate on real sampled outcomes, against the percentile bootstrap.

    The reference's toxicity values per prompt under sampling seeds 0..runs (seed 0 = the pinned baselines):
    each trial draws, per prompt, two different seeds' values as reference and candidate (an A/A pair with
    real sampling noise) and applies the gate's test at α = 0.05.
    """
    import numpy as np

    from fixtures.stats import _bootstrap_drops, compare
    from trust_tests.probes.common_b import stratified_mean

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
            drops = _bootstrap_drops(ref, cand, stat, 500, t)
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
    lines = ["| damaged config | failed dimensions | passed | no signal |", "|---|---|---|---|"]
    for mid in DAMAGED:
        if mid not in card["models"]:
            continue
        dims = card["models"][mid]["dimensions"]
        by = {v: [d for d, x in dims.items() if x["verdict"] == v] for v in ("fail", "pass", "no-signal")}
        lines.append(f"| {mid} | {', '.join(by['fail']) or '–'} | {', '.join(by['pass']) or '–'} | {', '.join(by['no-signal']) or '–'} |")
    # Smallest detectable drop per binary metric (α 0.05, power 0.8), from n and the discordance.
    src = (study_card or card)["models"]
    # Discordance (items whose outcome flips) as a real 3-bit model shows it; the test's power depends on it.
    mid = f"{REFERENCE}-gptq3" if f"{REFERENCE}-gptq3" in src else next(iter(src))
    lines.append(f"\n| dimension / metric | n | discordance vs {mid} | smallest detectable drop (points) |")
    lines.append("|---|---|---|---|")
    for dim, d in src[mid]["dimensions"].items():
        for name, mm in d["metrics"].items():
            if mm.get("n") and mm.get("kind") == "binary" and mm["verdict"] in ("pass", "fail"):
                disc = max(mm.get("n_discordant", 0) / mm["n"], 0.05)
                mdd = 100 * min_detectable_drop(mm["n"], 0.5, disc)
                lines.append(f"| {dim} / {name} | {mm['n']} | {disc:.2f} | {max(mdd, mm['tolerance']):.1f} |")
    return "\n".join(lines)


def seed_variance(out: Path, study_card: dict[str, Any] | None) -> str:
    lines = ["| config | calib seeds | " + " | ".join(DIMS) + " | mean (run dims) |", "|---" * (len(DIMS) + 3) + "|"]
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
        seed_dims = [d for d in DIMS if d not in SEED_SKIPPED]
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
                 "study (no signal on the dense model: their scores are noise).")
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
    args = ap.parse_args(argv)
    global REUSE, ASSEMBLE, DAMAGED
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
        found = [json.loads(p.read_text()) for p in sorted((args.out / "study").glob("*/scorecard.json"))]
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
