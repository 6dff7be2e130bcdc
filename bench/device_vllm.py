"""GPU device check: the vLLM backend next to the HF backend, tokens/s and agreement, in under 5 minutes.

    python bench/device_vllm.py [--model DIR | --tokenizer DIR] [--prompts 256] [--max-new-tokens 128]
        [--loglik-items 200] [--budget-s 240] [--json OUT]

With --model, that safetensors folder is served by both backends. Without it, a Llama with SmolLM2-135M's
shape (the embedded model's; random weights, seed 0) is built on the spot with the tokenizer in
--tokenizer: a GPU machine that cannot download still gets a model of the real size, and tokens/s depend
on the shape, not the weights. Export the tokenizer here with

    python -c "from transformers import AutoTokenizer as T; from fixtures.loading import EMBEDDED, _embedded_path as p; \
g = p('smollm2-135m-instruct'); T.from_pretrained(g.parent, gguf_file=g.name).save_pretrained('.tok')"

Prints one line per measurement and a summary; exits 0 when every part that could run ran. vLLM parts
are reported as skipped, with the reason, where vllm is not installed.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SMOLLM2_135M: dict[str, Any] = {"hidden_size": 576, "intermediate_size": 1536, "num_hidden_layers": 30, "num_attention_heads": 9,
                "num_key_value_heads": 3, "max_position_embeddings": 8192, "rope_theta": 100000.0,
                "rms_norm_eps": 1e-5, "tie_word_embeddings": True, "vocab_size": 49152}


def build_random_model(tokenizer_dir: Path, out: Path) -> Path:
    """SmolLM2-135M's architecture with random weights, saved in bf16 with the given tokenizer."""
    import shutil

    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    model: Any = LlamaForCausalLM(LlamaConfig(**SMOLLM2_135M))
    model = model.to(torch.bfloat16)
    model.save_pretrained(out, safe_serialization=True)
    for f in tokenizer_dir.iterdir():
        if f.is_file():
            shutil.copy(f, out / f.name)
    return out


def _noop(_: int) -> None:
    pass


def timed(fn: Callable[[], Any], rounds: int) -> tuple[float, Any]:
    """Median seconds over rounds (after one untimed warm-up) and the last value."""
    fn()
    secs, value = [], None
    for _ in range(rounds):
        t0 = time.perf_counter()
        value = fn()
        secs.append(time.perf_counter() - t0)
    return statistics.median(secs), value


def measure(backend: Any, tok: Any, prompts: Sequence[Any], reqs: Sequence[tuple[Any, str]], max_new: int,
            rounds: int) -> dict[str, Any]:
    from fixtures.backends.base import GenParams

    params = GenParams(max_new)
    gen_s, outs = timed(lambda: backend.generate(prompts, params, [0] * len(prompts), _noop), rounds)
    n_tok = sum(len(tok(o, add_special_tokens=False)["input_ids"]) for o in outs)
    ll_s, ll = timed(lambda: backend.loglik(reqs, _noop), rounds)
    return {"gen_s": gen_s, "gen_tokens": n_tok, "tokens_per_s": n_tok / gen_s, "loglik_s": ll_s,
            "loglik_rps": len(reqs) / ll_s, "outputs": outs, "loglik": ll}


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", type=Path, default=None, help="safetensors model folder (default: build one)")
    ap.add_argument("--tokenizer", type=Path, default=ROOT / ".tok", help="tokenizer folder for the built model")
    ap.add_argument("--prompts", type=int, default=256, help="chat prompts to generate for (default: 256)")
    ap.add_argument("--max-new-tokens", type=int, default=128, help="greedy tokens per prompt (default: 128)")
    ap.add_argument("--loglik-items", type=int, default=200, help="4-option easy_facts items (default: 200)")
    ap.add_argument("--rounds", type=int, default=2, help="timed rounds after a warm-up (default: 2)")
    ap.add_argument("--budget-s", type=float, default=240.0, help="skip what would start after this (default: 240)")
    ap.add_argument("--json", type=Path, default=None, help="also write the numbers here")
    args = ap.parse_args(argv)
    t_start = time.monotonic()

    import torch

    from fixtures.backends.vllm import VLLMBackend, vllm_available
    from fixtures.loading import load_hf_folder
    from trust_tests.probes.benign import build_easy_facts

    if not torch.cuda.is_available():
        print("no CUDA device: this check runs on a GPU machine")
        return 2
    print(f"device={torch.cuda.get_device_name(0)} torch={torch.__version__}")
    model_dir = args.model
    if model_dir is None:
        if not (args.tokenizer / "tokenizer.json").exists():
            print(f"no --model and no tokenizer at {args.tokenizer}: see this script's docstring")
            return 2
        model_dir = build_random_model(args.tokenizer, Path(tempfile.mkdtemp(prefix="smol-shape-")))
        print(f"model: SmolLM2-135M shape, random weights, bf16 ({model_dir})")
    facts = build_easy_facts(limit=args.loglik_items).items
    reqs = [(it.prompt, o) for it in facts for o in it.options]
    gen_items = build_easy_facts(seed=1).items
    prompts = [gen_items[i % len(gen_items)].prompt for i in range(args.prompts)]
    report: dict[str, Any] = {"prompts": args.prompts, "max_new_tokens": args.max_new_tokens, "loglik_requests": len(reqs)}

    hf = load_hf_folder(model_dir, device="cuda")
    hf_res = measure(hf, hf.tok, prompts, reqs, args.max_new_tokens, args.rounds)
    print(f"hf    generate {hf_res['tokens_per_s']:10.0f} tokens/s ({hf_res['gen_tokens']} tokens in {hf_res['gen_s']:.2f} s)"
          f"   loglik {hf_res['loglik_rps']:8.0f} requests/s")
    tok = hf.tok
    hf.close()
    del hf
    torch.cuda.empty_cache()

    ok, why = vllm_available()
    if not ok:
        print(f"vllm  skipped: {why}")
        report["vllm"] = f"skipped: {why}"
    elif time.monotonic() - t_start > args.budget_s:
        print(f"vllm  skipped: the {args.budget_s:.0f} s budget is spent")
        report["vllm"] = "skipped: budget"
    else:
        vb = VLLMBackend(model_dir, dtype="bfloat16", gpu_memory_utilization=0.4, max_model_len=4096)
        v_res = measure(vb, tok, prompts, reqs, args.max_new_tokens, args.rounds)
        vb.close()
        same = sum(a == b for a, b in zip(v_res["outputs"], hf_res["outputs"]))
        diff = max(abs(a - b) for a, b in zip(v_res["loglik"], hf_res["loglik"]))
        print(f"vllm  generate {v_res['tokens_per_s']:10.0f} tokens/s ({v_res['gen_tokens']} tokens in {v_res['gen_s']:.2f} s)"
              f"   loglik {v_res['loglik_rps']:8.0f} requests/s")
        print(f"vllm / hf: generation {v_res['tokens_per_s'] / hf_res['tokens_per_s']:.2f}x, "
              f"loglik {v_res['loglik_rps'] / hf_res['loglik_rps']:.2f}x; identical greedy outputs {same}/{len(prompts)}; "
              f"max |loglik diff| {diff:.3f} nats (bf16)")
        report["vllm"] = {k: v for k, v in v_res.items() if k not in ("outputs", "loglik")}
        report.update({"identical_greedy": same, "loglik_max_diff": diff})
    report["hf"] = {k: v for k, v in hf_res.items() if k not in ("outputs", "loglik")}
    report["wall_s"] = time.monotonic() - t_start
    print(f"wall {report['wall_s']:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
