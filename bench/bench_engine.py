"""Engine throughput, side by side: comptrust vs a naive transformers loop vs lm-evaluation-harness.

    .venv/bin/python bench/bench_engine.py MODEL_DIR [--threads 1] [--items 200] [--rounds 2]
        [--gen-prompts 24] [--max-new-tokens 32] [--lmeval-python PATH] [--only loglik,generate,lmeval]

1. Log-likelihood: the 4-option items of build_easy_facts scored by comptrust's LM over the HF backend
   (result cache disabled) and by a naive loop (one forward per (prompt, option), full logits).
2. Generation: the same chat prompts, greedy, same max_new_tokens: HFBackend's batched generation vs
   one `model.generate` per prompt.
3. The identical log-likelihood requests through lm-evaluation-harness's HFLM. lm-eval lives in a side
   environment (requirements/lmeval.txt); its Python is given with --lmeval-python and runs this same file
   in worker mode, which imports nothing from the repository.

Contenders share one process (and one copy of the weights) where they can, run with the same thread
count, and alternate round by round (A, B, A, B), so load from other processes hits both alike. The
ratios are what to read; absolute rates depend on the machine and what else it is doing.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
Request = tuple[str, str]  # (rendered context, continuation)


# --- lm-eval worker (runs in the side venv: stdlib + lm_eval only) -----------------------------------


def lmeval_worker(model_dir: str, requests_path: str, threads: int, batch_size: int) -> None:
    """Loads HFLM once, then scores the request file each time a line arrives on stdin."""
    import torch
    from lm_eval.api.instance import Instance
    from lm_eval.models.huggingface import HFLM

    torch.set_num_threads(threads)
    reqs = json.loads(Path(requests_path).read_text())
    lm = HFLM(pretrained=model_dir, batch_size=batch_size, device="cpu", dtype="float32")
    print(json.dumps({"ready": True}), flush=True)
    for _ in sys.stdin:
        instances = [Instance("loglikelihood", {}, (ctx, cont), i) for i, (ctx, cont) in enumerate(reqs)]
        t0 = time.perf_counter()
        out = lm.loglikelihood(instances, disable_tqdm=True)
        dt = time.perf_counter() - t0
        print(json.dumps({"seconds": dt, "loglik": [float(x[0]) for x in out]}), flush=True)


class LmevalProcess:
    """The side-venv worker as a child process, driven one round at a time."""

    def __init__(self, python: str, model_dir: Path, requests: Sequence[Request], threads: int, batch_size: int,
                 scratch: Path) -> None:
        path = scratch / "lmeval_requests.json"
        path.write_text(json.dumps([list(r) for r in requests]))
        env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads),
               "TOKENIZERS_PARALLELISM": "false", "HF_HUB_OFFLINE": "1"}
        self.proc = subprocess.Popen(
            [python, str(Path(__file__).resolve()), "--lmeval-worker", str(model_dir), str(path), str(threads),
             str(batch_size)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd="/",
        )
        self._read()  # ready

    def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith("{"):
                return dict(json.loads(line))
        raise RuntimeError(f"lm-eval worker exited with {self.proc.wait()}")

    def round(self) -> tuple[float, list[float]]:
        assert self.proc.stdin is not None
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()
        msg = self._read()
        return float(msg["seconds"]), [float(x) for x in msg["loglik"]]

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(timeout=60)


# --- contenders in this process --------------------------------------------------------------------


def easy_facts(n: int) -> tuple[list[Any], list[tuple[str, ...]]]:
    from trust_tests.probes.benign import build_easy_facts

    items = build_easy_facts(limit=n).items
    return [it.prompt for it in items], [it.options for it in items]


def naive_loglik(model: Any, tok: Any, requests: Sequence[Request]) -> list[float]:
    """What a user writes first: one full forward per request, logits over every position."""
    import torch

    out = []
    with torch.inference_mode():
        for ctx, cont in requests:
            ctx_ids = tok(ctx, add_special_tokens=False)["input_ids"]
            ids = tok(ctx + cont, add_special_tokens=False)["input_ids"]
            logits = model(torch.tensor([ids])).logits[0]
            logp = torch.log_softmax(logits.float(), dim=-1)
            out.append(float(sum(logp[k - 1, ids[k]] for k in range(len(ctx_ids), len(ids)))))
    return out


def naive_generate(model: Any, tok: Any, texts: Sequence[str], max_new_tokens: int, stop_ids: Sequence[int]) -> list[str]:
    import torch

    out = []
    with torch.inference_mode():
        for text in texts:
            ids = tok(text, add_special_tokens=False, return_tensors="pt")
            gen = model.generate(**ids, max_new_tokens=max_new_tokens, do_sample=False, eos_token_id=list(stop_ids),
                                 pad_token_id=tok.pad_token_id or tok.eos_token_id)
            out.append(tok.decode(gen[0, ids["input_ids"].shape[1]:], skip_special_tokens=True))
    return out


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    value = fn()
    return time.perf_counter() - t0, value


def interleave(contenders: dict[str, Callable[[], tuple[float, Any]]], rounds: int) -> dict[str, tuple[list[float], Any]]:
    """A, B, A, B...: each contender's per-round seconds and its last value."""
    times: dict[str, list[float]] = {k: [] for k in contenders}
    last: dict[str, Any] = {}
    for r in range(rounds):
        for name, run in contenders.items():
            dt, value = run()
            times[name].append(dt)
            last[name] = value
            print(f"  round {r + 1} {name:<10} {dt:7.2f} s", flush=True)
    return {k: (times[k], last[k]) for k in contenders}


def rate_line(name: str, seconds: list[float], work: int, unit: str) -> str:
    med = statistics.median(seconds)
    return f"  {name:<10} {work / med:9.2f} {unit}/s   (median of {len(seconds)}: {med:.2f} s for {work} {unit})"


def max_abs_diff(a: Sequence[float], b: Sequence[float]) -> float:
    return max((abs(x - y) for x, y in zip(a, b)), default=0.0)


# --- the benchmark ---------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model_dir", type=Path, nargs="?", help="a safetensors model folder (e.g. the embedded model's)")
    ap.add_argument("--threads", type=int, default=1, help="torch threads for every contender (default: 1)")
    ap.add_argument("--items", type=int, default=200, help="4-option easy_facts items for loglik (default: 200)")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds per contender; the median counts (default: 3)")
    ap.add_argument("--gen-prompts", type=int, default=24, help="prompts for generation (default: 24)")
    ap.add_argument("--max-new-tokens", type=int, default=32, help="greedy tokens per prompt (default: 32)")
    ap.add_argument("--lmeval-python", default=os.environ.get("COMPTRUST_LMEVAL_PYTHON"),
                    help="python of a venv with requirements/lmeval.txt (default: $COMPTRUST_LMEVAL_PYTHON; else skipped)")
    ap.add_argument("--lmeval-batch-size", type=int, default=16, help="HFLM batch_size (default: 16)")
    ap.add_argument("--only", default="loglik,generate,lmeval", help="comma-separated parts to run")
    ap.add_argument("--profile", type=Path, default=None, help="cProfile the comptrust contenders into this file")
    ap.add_argument("--json", type=Path, default=None, help="also write the numbers here")
    ap.add_argument("--lmeval-worker", nargs=4, metavar=("MODEL", "REQS", "THREADS", "BATCH"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.lmeval_worker:
        model, reqs, threads, batch = args.lmeval_worker
        lmeval_worker(model, reqs, int(threads), int(batch))
        return 0
    if args.model_dir is None:
        ap.error("model_dir is required")

    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    sys.path.insert(0, str(ROOT))
    import torch

    from fixtures.engine import LM
    from fixtures.loading import load_hf_folder

    torch.set_num_threads(args.threads)
    parts = {p.strip() for p in args.only.split(",") if p.strip()}
    if not parts or parts - {"loglik", "generate", "lmeval"}:
        ap.error(f"--only takes loglik, generate and lmeval, got {args.only!r}")
    backend = load_hf_folder(args.model_dir, device="cpu")
    model, tok = backend.model, backend.tok
    lm = LM("bench", "bench", lambda: backend, cache=None)  # no result cache: every round computes
    prompts, options = easy_facts(args.items)
    flat = [(p, o) for p, opts in zip(prompts, options) for o in opts]
    # The naive loop and lm-eval get the text the HF backend scores: the chat template, rendered.
    requests: list[Request] = [(backend.render(p)[0], o) for p, o in flat]
    report: dict[str, Any] = {"threads": args.threads, "rounds": args.rounds, "model": str(args.model_dir),
                              "torch": torch.__version__}
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()

    def ours(fn: Callable[[], Any]) -> Callable[[], tuple[float, Any]]:
        def run() -> tuple[float, Any]:
            if profiler is not None:
                profiler.enable()
            try:
                return timed(fn)
            finally:
                if profiler is not None:
                    profiler.disable()
        return run

    print(f"threads={args.threads} torch={torch.__version__} model={args.model_dir}")
    print("(the machine may be shared: read the ratios, measured interleaved, not the absolute rates)\n")

    if "loglik" in parts or "lmeval" in parts:
        n_req = len(requests)
        contenders: dict[str, Callable[[], tuple[float, Any]]] = {
            "comptrust": ours(lambda: lm.loglik(flat)),
        }
        if "loglik" in parts:
            contenders["naive"] = lambda: timed(lambda: naive_loglik(model, tok, requests))
        worker = None
        if "lmeval" in parts:
            if not args.lmeval_python:
                print("lm-eval: skipped (no --lmeval-python / $COMPTRUST_LMEVAL_PYTHON; see requirements/lmeval.txt)\n")
            else:
                import tempfile

                scratch = Path(tempfile.mkdtemp(prefix="comptrust-bench-"))
                worker = LmevalProcess(args.lmeval_python, args.model_dir.resolve(), requests, args.threads,
                                       args.lmeval_batch_size, scratch)
                contenders["lm-eval"] = worker.round
        print(f"[1,3] log-likelihood: {args.items} items x 4 options = {n_req} requests")
        res = interleave(contenders, args.rounds)
        if worker is not None:
            worker.close()
        ref = res["comptrust"][1]
        for name, (secs, values) in res.items():
            print(rate_line(name, secs, n_req, "requests"))
            report[f"loglik_{name}_rps"] = n_req / statistics.median(secs)
            if name != "comptrust":
                diff = max_abs_diff(ref, values)
                print(f"  {'':<10} max |loglik - comptrust| = {diff:.2e} nats")
                report[f"loglik_{name}_maxdiff"] = diff
        for name in res:
            if name != "comptrust":
                ratio = statistics.median(res[name][0]) / statistics.median(res["comptrust"][0])
                print(f"  comptrust / {name}: {ratio:.2f}x")
                report[f"loglik_ratio_vs_{name}"] = ratio
        print()

    if "generate" in parts:
        from trust_tests.probes.benign import build_easy_facts

        gen_prompts: list[Any] = [it.prompt for it in build_easy_facts(seed=1, limit=args.gen_prompts).items]
        texts = [backend.render(p)[0] for p in gen_prompts]
        n = args.max_new_tokens
        print(f"[2] greedy generation: {len(gen_prompts)} prompts, max_new_tokens={n}")
        res = interleave({
            "comptrust": ours(lambda: [o[0] for o in lm.generate(gen_prompts, max_new_tokens=n)]),
            "naive": lambda: timed(lambda: naive_generate(model, tok, texts, n, sorted(backend.stop_ids))),
        }, args.rounds)
        for name, (secs, outs) in res.items():
            n_tok = sum(len(tok(o, add_special_tokens=False)["input_ids"]) for o in outs)
            print(rate_line(name, secs, n_tok, "tokens") + f"  [{len(gen_prompts) / statistics.median(secs):.2f} prompts/s]")
            report[f"gen_{name}_prompts_per_s"] = len(gen_prompts) / statistics.median(secs)
        same = sum(a == b for a, b in zip(res["comptrust"][1], res["naive"][1]))
        ratio = statistics.median(res["naive"][0]) / statistics.median(res["comptrust"][0])
        print(f"  identical greedy outputs: {same}/{len(gen_prompts)}")
        print(f"  comptrust / naive: {ratio:.2f}x (per prompt)\n")
        report.update({"gen_ratio_vs_naive": ratio, "gen_identical": same, "gen_prompts": len(gen_prompts)})

    if profiler is not None:
        import pstats

        profiler.dump_stats(str(args.profile))
        print(f"profile of the comptrust rounds: {args.profile} (top 20 by own time)")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(20)
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
