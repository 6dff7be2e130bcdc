"""Chat-message helpers shared by probe builders and backends: joining same-role turns and splitting them again."""
from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

TURNS_KEY = "turns"  # a merged message's original same-role turns, a JSON list of strings


def merge_turns(messages: Sequence[Mapping[str, str]]) -> tuple[dict[str, str], ...]:
    """Consecutive same-role messages joined with a newline (some chat templates, Llama-2's, reject
    them); a merged message keeps its parts under TURNS_KEY for `render`. Chat templates ignore the key."""
    out: list[dict[str, str]] = []
    parts: list[list[str]] = []
    for m in messages:
        if out and out[-1]["role"] == m["role"]:
            parts[-1].append(m["content"])
            out[-1] = {"role": m["role"], "content": "\n".join(parts[-1]), TURNS_KEY: json.dumps(parts[-1])}
        else:
            out.append({"role": m["role"], "content": m["content"]})
            parts.append([m["content"]])
    return tuple(out)


def split_turns(messages: Sequence[Mapping[str, str]]) -> list[dict[str, str]]:
    """The inverse of `merge_turns`: each merged message back as its separate turns."""
    out: list[dict[str, str]] = []
    for m in messages:
        turns = json.loads(m[TURNS_KEY]) if TURNS_KEY in m else [m["content"]]
        out += [{"role": m["role"], "content": str(t)} for t in turns]
    return out
