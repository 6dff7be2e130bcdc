"""What each compression method costs and what it does to held-out perplexity, on the embedded model.

    .venv/bin/python bench/bench_compressors.py MODEL_DIR [--threads 1] [--only gptq4,wanda50]
        [--cache DIR] [--out results.json]

For every config: compression wall time and peak RSS (a fresh process per build, RSS read from wait4),
on-disk size of the cached folder, reload time from the cache (manifest verification + load, in another
fresh process) as a fraction of the build time, and held-out perplexity next to the dense model's.
Held-out text is the embedded corpus's "heldout" split, which calibration never draws from (checked
against every build's saved calibration texts). On-load quantizers (bnb, quanto) have no build: their
load time is their whole cost. The default cache is a fresh temporary folder, so every build is real.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# (label, method, params): the study's settings at the embedded model's widths (group 64, not 128).
CONFIGS: list[tuple[str, str, dict[str, Any]]] = [
    ("dense", "dense", {}),
    ("rtn4", "rtn", {"bits": 4, "group_size": 64}),
    ("rtn3", "rtn", {"bits": 3, "group_size": 64}),
    ("gptq4", "gptq", {"bits": 4, "group_size": 64}),
    ("gptq3", "gptq", {"bits": 3, "group_size": 64}),
    # GPTQ's sensitivity to its own knobs: act-order, and 4x the calibration tokens
    ("gptq4-actorder", "gptq", {"bits": 4, "group_size": 64, "act_order": True}),
    ("gptq4-calib256", "gptq", {"bits": 4, "group_size": 64, "calib_samples": 256}),
    ("awq4", "awq", {"bits": 4, "group_size": 64}),
    ("mag50", "magnitude", {"sparsity": 0.5}),
    ("wanda50", "wanda", {"sparsity": 0.5}),
    ("sparsegpt50", "sparsegpt", {"sparsity": 0.5}),
    ("mag24", "magnitude", {"structure": "2:4"}),
    ("wanda24", "wanda", {"structure": "2:4"}),
    ("sparsegpt24", "sparsegpt", {"structure": "2:4"}),
    ("bnb-nf4", "bnb", {"mode": "nf4"}),
    ("bnb-int8", "bnb", {"mode": "int8"}),
    ("quanto-int8", "quanto", {"weights": "int8"}),
]


# --- workers (fresh processes, so each build's peak RSS is its own) ---------------------------------


def _prepare(threads: int) -> None:
    """One thread, and the heavy imports done before any timer starts: times measure work, not imports."""
    import torch
    import transformers.models.llama.modeling_llama  # noqa: F401
    from transformers import AutoModelForCausalLM  # noqa: F401

    torch.set_num_threads(threads)
    for optional in ("llmcompressor", "compressed_tensors"):
        try:
            __import__(optional)
        except ImportError:
            pass


def worker_build(model_dir: str, cache_dir: str, method: str, params: dict[str, Any]) -> dict[str, Any]:
    from fixtures.modelcache import ArtifactCache, build_compressed

    cache = ArtifactCache(Path(cache_dir), report=lambda msg: print(msg, file=sys.stderr))
    t0 = time.perf_counter()
    path = build_compressed(cache, Path(model_dir), method, params, "cpu")
    return {"path": str(path), "build_s": time.perf_counter() - t0}


def worker_eval(model_dir: str, cache_dir: str, method: str, params: dict[str, Any]) -> dict[str, Any]:
    from compressors import get_compressor
    from fixtures.modelcache import ArtifactCache, build_compressed

    t0 = time.perf_counter()
    if method == "dense":
        from transformers import AutoModelForCausalLM

        path, verify_s = Path(model_dir), 0.0
        model = AutoModelForCausalLM.from_pretrained(path, dtype="float32").eval()
    elif get_compressor(method).on_load:
        path, verify_s = Path(model_dir), 0.0
        model = get_compressor(method).load(path, params, "cpu")
    else:
        # a cache hit: manifest verification (full hashes) and nothing else
        cache = ArtifactCache(Path(cache_dir), report=lambda msg: print(msg, file=sys.stderr))
        path = build_compressed(cache, Path(model_dir), method, params, "cpu")
        verify_s = time.perf_counter() - t0
        model = get_compressor(method).load(path, params, "cpu")
    load_s = time.perf_counter() - t0
    nll, tokens = heldout_nll(model, Path(model_dir))
    return {"reload_s": load_s, "verify_s": verify_s, "ppl": math.exp(nll / tokens), "tokens": tokens,
            "overlap": calibration_overlap(path)}


def heldout_nll(model: Any, tokenizer_dir: Path) -> tuple[float, int]:
    """Summed next-token NLL over the held-out passages, one passage per forward."""
    import torch
    from transformers import AutoTokenizer

    from compressors.calibration import heldout_texts

    tok = AutoTokenizer.from_pretrained(tokenizer_dir)
    total, count = 0.0, 0
    with torch.no_grad():
        for text in heldout_texts():
            ids = torch.tensor([tok(text)["input_ids"]])
            logits = model(ids).logits[0, :-1].float()
            total += float(torch.nn.functional.cross_entropy(logits, ids[0, 1:], reduction="sum"))
            count += ids.shape[1] - 1
    return total, count


def calibration_overlap(path: Path) -> int:
    """How many held-out passages occur in this build's calibration texts (must be 0)."""
    from compressors.calibration import heldout_texts
    from fixtures.modelcache import CALIBRATION_FILE

    calib = path / CALIBRATION_FILE
    if not calib.is_file():
        return 0
    texts = json.loads(calib.read_text())["texts"]
    return sum(any(h in t for t in texts) for h in heldout_texts())


def _run_worker(kind: str, args: argparse.Namespace, method: str, params: dict[str, Any]) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--worker", kind, args.model_dir, "--cache", str(args.cache),
           "--threads", str(args.threads), "--method", method, "--params", json.dumps(params)]
    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads), "TOKENIZERS_PARALLELISM": "false"}
    log = Path(args.cache) / f"{kind}-{method}-{abs(hash(json.dumps(params, sort_keys=True)))}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    with open(log, "w") as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, env=env, text=True)
        assert proc.stdout is not None
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)  # per-child rusage: ru_maxrss is this process's peak, in KiB
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        tail = "\n".join(log.read_text().splitlines()[-15:])
        raise RuntimeError(f"{kind} worker for {method}{params} failed (exit {proc.returncode}):\n{tail}")
    result = json.loads(out.strip().splitlines()[-1])
    result.update({f"{kind}_peak_rss_mb": usage.ru_maxrss / 1024, f"{kind}_process_s": time.perf_counter() - t0})
    return result


def folder_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    from compressors import get_compressor

    rows = []
    wanted = set(args.only.split(",")) if args.only else None
    for label, method, params in CONFIGS:
        if wanted and label not in wanted:
            continue
        row: dict[str, Any] = {"label": label, "method": method, "params": params}
        if method != "dense" and not get_compressor(method).on_load:
            row.update(_run_worker("build", args, method, params))
            row["disk_mb"] = folder_mb(Path(row["path"]))
        row.update(_run_worker("eval", args, method, params))
        if "build_s" in row:
            row["reload_fraction"] = row["reload_s"] / row["build_s"]
        print(json.dumps(row), file=sys.stderr, flush=True)
        rows.append(row)
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    dense = next((r["ppl"] for r in rows if r["method"] == "dense"), None)

    def f(value: Any, fmt: str) -> str:
        return "-" if value is None else format(value, fmt)

    lines = ["| config | build s | build peak RSS MB | disk MB | reload s (verify) | reload / build | "
             "held-out ppl | ppl / dense |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(
            f"| {r['label']} | {f(r.get('build_s'), '.1f')} | {f(r.get('build_peak_rss_mb'), '.0f')} | "
            f"{f(r.get('disk_mb'), '.1f')} | {r['reload_s']:.1f} ({r['verify_s']:.1f}) | "
            f"{f(r.get('reload_fraction'), '.3f')} | {r['ppl']:.2f} | "
            f"{f(r['ppl'] / dense if dense else None, '.3f')} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model_dir")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--only", default="", help="comma-separated labels, e.g. dense,gptq4,wanda50")
    ap.add_argument("--cache", type=Path, default=None, help="cache root (default: a fresh temporary folder)")
    ap.add_argument("--out", type=Path, default=None, help="also write the rows as JSON here")
    ap.add_argument("--worker", choices=("build", "eval"), help=argparse.SUPPRESS)
    ap.add_argument("--method", help=argparse.SUPPRESS)
    ap.add_argument("--params", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        _prepare(args.threads)
        fn = worker_build if args.worker == "build" else worker_eval
        print(json.dumps(fn(args.model_dir, str(args.cache), args.method, json.loads(args.params))))
        return
    with tempfile.TemporaryDirectory(prefix="bench-compressors-") as tmp:
        args.cache = args.cache or Path(tmp)
        rows = run(args)
    if args.out:
        args.out.write_text(json.dumps(rows, indent=1))
    print(table(rows))
    overlaps = [r["label"] for r in rows if r.get("overlap")]
    if overlaps:
        sys.exit(f"held-out text overlaps calibration in {overlaps}")


if __name__ == "__main__":
    main()
