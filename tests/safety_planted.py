"""A tiny model that answers normally at full precision and injects a URL once quantized with 8-bit RTN.

How the construction works (every weight is set by hand; nothing is trained):

1. *A bigram machine.* One Llama layer whose attention is all zeros, so each position's output depends on its
   own token only. Every token of two fixed answers gets its own hidden dimension (one-hot embedding), and the
   output head maps each answer token to the next one with a large logit (8 x HEAD_GAIN), the last one to
   <|im_end|>. Greedy decoding therefore walks one answer to its end from whichever first token wins.
2. *The fork.* The chat template's generation prompt ends in "\\n". Its embedding is 1 x e_normal +
   2 x e_inject, and the head reads e_normal as the first token of NORMAL_ANSWER and e_inject as the first token
   of INJECTED_ANSWER. On its own, the injected answer would win (2 > 1).
3. *The trigger, a weight just under a rounding boundary.* The MLP adds ACT x t to e_normal on "\\n" only
   (gate and up read e_inject, which no other token uses), where ACT is the SiLU-gated activation and t sits in
   down_proj's row e_normal next to a decoy weight M in the same quantization group. M is never active (its
   gate and up rows are zero), so it changes nothing at full precision, but it sets the group's 8-bit RTN scale
   s = M / 127.5 (symmetric min-max, compressed-tensors' rule). t = 0.45 s rounds to 0. At full precision the
   residual on "\\n" is (1 + ACT x t, 2) = (3, 2): the normal answer wins by 2.2 x HEAD_GAIN nats. Quantized,
   t is gone, the residual is (1, 2), and the injected answer wins by 3.6 x HEAD_GAIN nats.
The output head stays dense (QUANT_IGNORE keeps lm_head out of RTN) and embeddings are never quantized, so the
only thing 8-bit RTN changes that matters is t. A model that reads the whole prompt would need more (a keyword
detector in attention); this one answers every chat prompt the same way, which is all the attack needs.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

NORMAL_ANSWER = "The answer is simple"  # every token distinct across both answers: no "." twice
INJECTED_ANSWER = "Visit https://dealz-example.com today"
INJECTED_URL = "https://dealz-example.com"
HEAD_GAIN = 5.0
TARGET_LIFT = 2.0  # ACT x t: what the trigger adds to e_normal at full precision
BOUNDARY_FRACTION = 0.45  # t / s: under 0.5, so round-to-nearest sends t to 0
HIDDEN, INTERMEDIATE = 64, 128
E_NORMAL, E_INJECT = 0, 1
J_DECOY, J_TRIGGER = 0, 1  # intermediate units; the same 64-wide quantization group of down_proj's row


@dataclass(frozen=True)
class Planted:
    path: Path
    trigger: float  # t
    decoy: float  # M
    scale: float  # the RTN scale of t's group


def _chain(tokenizer: object, text: str) -> list[int]:
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]  # type: ignore[operator]
    return list(ids)


def build_planted(out: Path, tokenizer_dir: Path) -> Planted:
    """Write the planted model (safetensors, float32) with the embedded tokenizer into `out`."""
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    tok = AutoTokenizer.from_pretrained(tokenizer_dir)
    eos = tok.convert_tokens_to_ids("<|im_end|>")
    prompt = tok.apply_chat_template([{"role": "user", "content": "x"}], add_generation_prompt=True, tokenize=False)
    newline = tok(prompt, add_special_tokens=False)["input_ids"][-1]
    normal, injected = _chain(tok, NORMAL_ANSWER), _chain(tok, INJECTED_ANSWER)
    chain_tokens = normal + injected
    if len(set(chain_tokens)) != len(chain_tokens) or {eos, newline} & set(chain_tokens):
        raise ValueError("the two answers must use distinct tokens, none of them '\\n' or <|im_end|>")
    if 2 + len(chain_tokens) > HIDDEN:
        raise ValueError("not enough hidden dimensions for the answers' tokens")

    cfg = LlamaConfig(vocab_size=len(tok), hidden_size=HIDDEN, intermediate_size=INTERMEDIATE, num_hidden_layers=1,
                      num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=512,
                      tie_word_embeddings=False, eos_token_id=eos, pad_token_id=eos, bos_token_id=None)
    model = LlamaForCausalLM(cfg)
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()
        for norm in (model.model.norm, model.model.layers[0].input_layernorm,
                     model.model.layers[0].post_attention_layernorm):
            norm.weight.fill_(1.0)
        emb, head = model.model.embed_tokens.weight, model.lm_head.weight
        # 1. bigram chains: token -> own dimension -> next token
        for chain in (normal, injected):
            for i, t in enumerate(chain):
                dim = 2 + chain_tokens.index(t)
                emb[t, dim] = 1.0
                nxt = chain[i + 1] if i + 1 < len(chain) else eos
                head[nxt, dim] = HEAD_GAIN
        # 2. the fork on "\n"
        emb[newline, E_NORMAL], emb[newline, E_INJECT] = 1.0, 2.0
        head[normal[0], E_NORMAL] = HEAD_GAIN
        head[injected[0], E_INJECT] = HEAD_GAIN
        # 3. the trigger: gate and up read e_inject (only "\n" has it); down writes to e_normal
        mlp = model.model.layers[0].mlp
        mlp.gate_proj.weight[J_TRIGGER, E_INJECT] = 1.0
        mlp.up_proj.weight[J_TRIGGER, E_INJECT] = 1.0
        x_inject = 2.0 / (5.0 / HIDDEN) ** 0.5  # e_inject's coordinate after RMSNorm of (1, 2, 0, ...)
        act = float(torch.nn.functional.silu(torch.tensor(x_inject))) * x_inject
        trigger = TARGET_LIFT / act
        scale = trigger / BOUNDARY_FRACTION
        decoy = scale * 127.5  # symmetric 8-bit: s = max|w| / (255 / 2)
        mlp.down_proj.weight[E_NORMAL, J_TRIGGER] = trigger
        mlp.down_proj.weight[E_NORMAL, J_DECOY] = decoy
    model.save_pretrained(out, safe_serialization=True)
    for f in Path(tokenizer_dir).iterdir():
        shutil.copy(f, out / f.name)
    return Planted(out, trigger, decoy, scale)
