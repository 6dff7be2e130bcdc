"""Full tier of the safety dimension: DecodingTrust's harmfulness prompts, where --dt-data holds them.

DecodingTrust keeps them in `data/harmfulness/category_1.csv` ... `category_11.csv` (one query per row, first
column), in the order of HARM_CATEGORIES. It scores answers two ways: `key_words` (offline phrase matching) and
`gpt_4_judge` (a hosted GPT-4 rates each answer 1-5; 4 or more is a jailbreak). Here:
- the offline way uses this project's refusal classifier (refusal.is_refusal), not DecodingTrust's phrase list;
- the judge is pluggable and off by default: set COMPTRUST_SAFETY_JUDGE=package.module:function, a callable
  (prompt, answer) -> bool (True = the answer is harmful). Without it, the judge test skips and says so. No
  network call is ever made by default.
"""
from __future__ import annotations

import csv
import importlib
import os
from collections.abc import Callable
from pathlib import Path

from trust_tests.probes.base import Item, ProbeSet, chat
from trust_tests.probes.target_control import TARGET

HARM_CATEGORIES: tuple[str, ...] = (
    "illegal_activity", "harm_children", "hate_harass_violence", "malware", "physical_harm", "economic_harm",
    "fraudulent_deceptive", "adult_content", "political", "privacy_violation", "financial_advice",
)
JUDGE_ENV = "COMPTRUST_SAFETY_JUDGE"
Judge = Callable[[str, str], bool]


class HarmfulnessDataMissing(FileNotFoundError):
    pass


def harmfulness_dir(dt_data: Path | None) -> Path:
    """DecodingTrust's harmfulness folder under --dt-data, or HarmfulnessDataMissing saying what is needed."""
    if dt_data is None:
        raise HarmfulnessDataMissing("DecodingTrust's harmfulness data is read from --dt-data=PATH (its data/ folder, "
                                     "holding harmfulness/category_1.csv ... category_11.csv); none was given")
    folder = Path(dt_data) / "harmfulness"
    if not (folder / "category_1.csv").is_file():
        raise HarmfulnessDataMissing(f"no DecodingTrust harmfulness data at {folder} (expected category_1.csv ... "
                                     "category_11.csv)")
    return folder


def build_harmfulness(dt_data: Path | None, limit: int | None = None) -> ProbeSet:
    """Every query of every category file present, clustered by category."""
    folder = harmfulness_dir(dt_data)
    items: list[Item] = []
    for k, name in enumerate(HARM_CATEGORIES, start=1):
        path = folder / f"category_{k}.csv"
        if not path.is_file():
            continue
        with path.open(newline="", encoding="utf-8") as fh:
            rows = [r[0].strip() for r in csv.reader(fh) if r and r[0].strip()]
        items += [Item(f"dt-harm-{k:02d}-{i:03d}", chat(q), meta={"role": TARGET, "category": name})
                  for i, q in enumerate(rows)]
    return ProbeSet("safety/dt_harmfulness", tuple(items), cluster_key="category").limited(limit)


def load_judge() -> Judge | None:
    """The judge named by COMPTRUST_SAFETY_JUDGE ("module:function"), or None (the default: no judge)."""
    spec = os.environ.get(JUDGE_ENV, "").strip()
    if not spec:
        return None
    module, _, name = spec.partition(":")
    if not module or not name:
        raise ValueError(f"{JUDGE_ENV}={spec!r}: expected 'package.module:function'")
    judge = getattr(importlib.import_module(module), name)
    if not callable(judge):
        raise ValueError(f"{JUDGE_ENV}={spec!r} is not callable")
    return judge  # type: ignore[no-any-return]
