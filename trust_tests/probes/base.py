"""The probe-set data types every dimension's builder returns."""
from __future__ import annotations

import hashlib
import importlib.util
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

from contracts.protocols import Prompt

def chat(user: str, system: str | None = None) -> tuple[dict[str, str], ...]:
    """Chat messages in the order the tokenizer's template expects."""
    msgs: list[dict[str, str]] = []
    if system is not None:
        msgs.append({"role": "system", "content": system})
    msgs.append({"role": "user", "content": user})
    return tuple(msgs)


def prompt_text(prompt: Prompt) -> str:
    """A readable one-string rendering of a prompt, for reports."""
    if isinstance(prompt, str):
        return prompt
    return "\n".join(f"[{m['role']}] {m['content']}" for m in prompt)


@dataclass(frozen=True)
class Item:
    id: str
    prompt: Prompt
    options: tuple[str, ...] = ()
    answer: int | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return prompt_text(self.prompt)

    def canonical(self) -> dict[str, Any]:
        prompt = self.prompt if isinstance(self.prompt, str) else [dict(m) for m in self.prompt]
        return {"id": self.id, "prompt": prompt, "options": list(self.options), "answer": self.answer,
                "meta": dict(self.meta)}


@dataclass(frozen=True)
class ProbeSet:
    name: str
    items: tuple[Item, ...]
    # The meta key whose items share a source (one sentence's perturbations, one topic's statements): the
    # gate's tests move such clusters whole. None: every item is its own cluster.
    cluster_key: str | None = None

    def __len__(self) -> int:
        return len(self.items)

    @cached_property
    def version(self) -> str:
        blob = json.dumps([i.canonical() for i in self.items], sort_keys=True, ensure_ascii=True, default=str)
        return hashlib.sha256(f"{self.name}\n{blob}".encode()).hexdigest()[:16]

    def report_items(self) -> list[dict[str, Any]]:
        """One dict per item for gate.check(items=...): id, prompt text, plus flat metadata."""
        out = []
        for it in self.items:
            row: dict[str, Any] = {"id": it.id, "prompt": it.text}
            if self.cluster_key is not None:
                row["cluster"] = str(it.meta[self.cluster_key])
            if it.answer is not None and it.options:
                row["expected"] = it.options[it.answer]
            row.update({k: v for k, v in it.meta.items() if isinstance(v, (str, int, float, bool))})
            out.append(row)
        return out

    def limited(self, limit: int | None) -> ProbeSet:
        return self if limit is None else replace(self, items=self.items[:limit])


def package_dir(package: str) -> Path:
    """Where an installed data package lives, without importing it (their imports pull heavy deps)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            f"data package {package!r} is not installed; run `make setup` (it installs requirements/data.txt)"
        )
    return Path(list(spec.submodule_search_locations)[0])
