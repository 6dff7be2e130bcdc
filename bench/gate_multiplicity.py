"""How often does a lossless candidate fail *something* in one run? Before and after the family correction.

    .venv/bin/python bench/gate_multiplicity.py --card reports/latest/scorecard.json [--runs 2000] [--full-runs 1000]

A lossless candidate has no real drop on any metric, but its outputs still differ from the reference's on
some items (ordinary item-level noise). This simulates thousands of such runs with the shape of every gated
metric of a real run: its item count, clusters, kind, and the discordance (binary: share of items where the
two models disagree; continuous: spread and share of differing items) that the card recorded, taking for each
metric the largest across the card's candidates (a noisier null is the harder test). Under the null each
discordant item (or each cluster) goes either way at random. Every simulated metric is judged by the gate's
own code, `fixtures.stats.compare` and `contracts.verdicts.metric_verdict`:

- before: each metric at alpha, items as independent (the gate as it was);
- after: the fail threshold corrected for the run's family (alpha / k) and clusters tested whole.

The full tier has about 300 sets (adversarial demonstrations alone 150); no DecodingTrust data ships here, so
its item counts are DecodingTrust's published set sizes (FULL_SIZES, approximate) at the smoke tier's median
discordance. The printed table goes to docs/VERDICTS.md.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from contracts.verdicts import Reason, Verdict, metric_verdict  # noqa: E402
from fixtures import stats  # noqa: E402

ALPHA, TOLERANCE = 0.05, 5.0
# Approximate items per DecodingTrust set, by dimension (the study's settings; fairness uses 200 Adult rows).
FULL_SIZES = {"stereotype": 1152, "privacy": 100, "toxicity": 1200, "fairness": 200, "machine_ethics": 1000,
              "adv_robustness": 800, "ood_robustness": 700, "adv_demonstration": 400}
CONTINUOUS_FULL = {"stereotype", "toxicity", "fairness"}


@dataclass(frozen=True)
class Shape:
    name: str
    kind: str
    n: int
    clusters: int
    discordance: float  # share of items (binary) or clusters whose outcomes differ
    sd: float  # continuous: spread of the nonzero differences


def smoke_shapes(card: dict, model_id: str | None = None) -> list[Shape]:
    """The gated metrics' shapes; their noise from `model_id`'s comparison, or the largest across candidates."""
    by_metric: dict[str, Shape] = {}
    for mid, model in card["models"].items():
        if model_id is not None and mid != model_id:
            continue
        for dim, entry in model["dimensions"].items():
            for metric, m in entry["metrics"].items():
                if m.get("weight", 1.0) <= 0 or not m.get("n") or m.get("verdict") in ("error", "skipped"):
                    continue
                n = int(m["n"])
                disc = m.get("n_discordant", 0) / n
                frac = max(disc, 1 / n)
                sd = float(m.get("sd_diff") or 0.0) / math.sqrt(frac)
                shape = Shape(f"{dim}/{metric}", m["kind"], n, int(m.get("n_clusters") or n), disc, sd)
                old = by_metric.get(shape.name)
                if old is None or shape.discordance > old.discordance:
                    by_metric[shape.name] = shape
    return list(by_metric.values())


def full_shapes(smoke: Sequence[Shape]) -> list[Shape]:
    from trust_tests.probes.dt.plan import load_study, set_names, set_weight

    study = load_study(None)
    binary = [s.discordance for s in smoke if s.kind == "binary"] or [0.3]
    cont = [s for s in smoke if s.kind == "continuous"]
    disc_b = float(np.median(binary))
    disc_c = float(np.median([s.discordance for s in cont])) if cont else 0.5
    sd_c = float(np.median([s.sd for s in cont])) if cont else 0.2
    out = []
    for dim, n in FULL_SIZES.items():
        for name in set_names(dim, study):
            if set_weight(dim, name, study) <= 0:
                continue
            kind = "continuous" if dim in CONTINUOUS_FULL else "binary"
            out.append(Shape(f"{dim}/{name}", kind, n, n, disc_b if kind == "binary" else disc_c,
                             0.0 if kind == "binary" else sd_c))
    return out


def null_pair(rng: np.random.Generator, s: Shape) -> tuple[np.ndarray, np.ndarray, list[int] | None]:
    """Reference and candidate outcomes with no real difference: whole clusters flip either way at random."""
    size = max(1, s.n // s.clusters)
    g = math.ceil(s.n / size)
    cluster_of = np.repeat(np.arange(g), size)[: s.n]
    # In a cluster that differs, half its items differ (all of a singleton): the item discordance stays s's.
    differs = rng.random(g) < (s.discordance if size == 1 else min(1.0, 2 * s.discordance))
    sign = np.where(rng.random(g) < 0.5, 1.0, -1.0)
    if s.kind == "binary":
        d = np.where(differs[cluster_of] & (rng.random(s.n) < (1.0 if size == 1 else 0.5)), sign[cluster_of], 0.0)
        ref, cand = (d > 0).astype(float), (d < 0).astype(float)
    else:
        mag = np.minimum(np.abs(rng.normal(0, max(s.sd, 1e-6), s.n)), 1.0)
        d = np.where(differs[cluster_of], sign[cluster_of] * mag, 0.0)
        base = rng.random(s.n) * (1 - np.abs(d)) + np.maximum(-d, 0)  # keeps both values inside [0, 1]
        ref, cand = base + d, base
        ref, cand = np.clip(ref, 0, 1), np.clip(cand, 0, 1)
    return ref, cand, (cluster_of.tolist() if size > 1 else None)


def simulate(shapes: Sequence[Shape], runs: int, seed: int, decide_pass: bool) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    k = len(shapes)
    fail_before = fail_after = inconclusive = 0
    for run in range(runs):
        any_before = any_after = any_inc = False
        for s in shapes:
            ref, cand, clusters = null_pair(rng, s)
            drop = float(ref.mean() - cand.mean())
            if drop * 100 <= TOLERANCE and not decide_pass:
                continue  # neither rule can fail a drop inside the tolerance
            before = stats.compare(ref, cand, kind=s.kind, n_boot=2000, seed=run) if drop * 100 > TOLERANCE else None
            after = stats.compare(ref, cand, kind=s.kind, clusters=clusters, n_boot=2000, seed=run, p_floor=ALPHA / k)
            if before is not None and before.p_value < ALPHA:
                any_before = True
            v, r = metric_verdict(drop=after.drop, upper=after.upper, p_value=after.p_value, tolerance=TOLERANCE / 100,
                                  fail_alpha=ALPHA / k, has_signal=True)
            any_after |= v is Verdict.FAIL
            any_inc |= v is Verdict.INCONCLUSIVE and r is Reason.UNDERPOWERED
        fail_before += any_before
        fail_after += any_after
        inconclusive += any_inc
    return {"before": fail_before / runs, "after": fail_after / runs,
            "inconclusive": inconclusive / runs if decide_pass else float("nan"), "k": k}


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--card", type=Path, required=True, help="scorecard.json of a real smoke-tier run")
    ap.add_argument("--runs", type=int, default=2000, help="simulated smoke-tier runs (default: %(default)s)")
    ap.add_argument("--full-runs", type=int, default=1000, help="simulated full-tier runs (default: %(default)s)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--noise-from", default=None, metavar="MODEL",
                    help="take each metric's discordance from this candidate's comparison (default: the largest "
                         "across the card's candidates, the harder null)")
    args = ap.parse_args(argv)
    card = json.loads(args.card.read_text())
    if args.noise_from is not None and args.noise_from not in card["models"]:
        ap.error(f"--noise-from: {args.noise_from} is not in {args.card}")
    smoke = smoke_shapes(card, args.noise_from)
    full = full_shapes(smoke)
    mc = math.sqrt(ALPHA * (1 - ALPHA) / args.runs)
    rows = []
    for tier, shapes, runs, with_pass in (("smoke", smoke, args.runs, True), ("full", full, args.full_runs, False)):
        t0 = time.perf_counter()
        r = simulate(shapes, runs, args.seed, with_pass)
        inc = "–" if math.isnan(r["inconclusive"]) else f"{r['inconclusive']:.3f}"
        rows.append(f"| {tier} | {r['k']} | {runs} | {r['before']:.3f} | {r['after']:.3f} | {inc} | "
                    f"{time.perf_counter() - t0:.0f} s |")
    print("| tier | gated metrics (k) | lossless runs | P(any fail), before | P(any fail), after | "
          "P(any inconclusive: too few items), after | time |")
    print("|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    print(f"\nalpha = {ALPHA}; Monte-Carlo standard error at alpha: ±{mc:.3f} (smoke). Noise from "
          f"{args.noise_from or 'the noisiest candidate per metric'}. Smoke shapes from {args.card}: "
          f"{sum(s.kind == 'binary' for s in smoke)} binary, {sum(s.kind == 'continuous' for s in smoke)} continuous, "
          f"{sum(s.clusters < s.n for s in smoke)} clustered.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
