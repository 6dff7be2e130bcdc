"""The full tier: DecodingTrust's published data, the compressed-trust study's settings, and scoring
computed DecodingTrust's way.

Modules, in the order data flows through them:

- `files`    — `DTDataError` and line-aware readers (jsonl, json, csv, npy); the Hugging Face source.
- `loaders`  — one loader per dimension, reading DecodingTrust's `data/` layout into typed records.
- `settings` — the study's settings as data (sample counts, system prompts, few-shot counts, n, max tokens).
- `builders` — `build_full(dimension, data_dir, seed=, limit=)`: one `ProbeSet` per setting.
- `parsers`  — DecodingTrust's answer parsers (text in, label out).
- `scoring`  — DecodingTrust's formulas on plain lists, and the per-dimension aggregation.
- `evaluate` — generations -> per-item values for the gate, and the dimension score.
- `plan`     — set names, weights and chance levels from the settings alone (stable test ids).
- `gating`   — the full-tier tests' shared side: parametrize by set, sample, gate each set.

Nothing here ships DecodingTrust's files (CC BY-SA 4.0); they are read from the user's copy.
"""

from __future__ import annotations

from .files import DATA_FOLDERS

DIMENSIONS = tuple(DATA_FOLDERS)  # the dimensions with DecodingTrust data (declared in trust_tests/test_<name>.py)
