"""The full tier: DecodingTrust's published data, the compressed-trust study's settings, and scoring
computed DecodingTrust's way.

Each dimension is one slice, `slices/<dimension>.py`: a `DTSlice` subclass with the dimension's data
folder, study settings, loaders and record types, builder, set names, parts and chance rule, per-item values,
dimension score and gate hooks. Adding a dimension's full tier is adding its slice module (and its self-tests);
the modules below are shared machinery and look the slice up by name.

Modules, in the order data flows through them:

- `files`    — `DTDataError`, line-aware readers (jsonl, json, csv, npy), whether the HF dataset is reachable.
- `slice`    — `DTSlice`, what a slice provides, and the registry that imports every module of `slices/`.
- `source`   — where a dimension's files are: `--dt-data`, or its folder of the HF dataset.
- `loaders`  — the classification jsonl format several dimensions share.
- `settings` — what the dimensions' settings share (`Generation`: n, max tokens; the classifier chat's prompts).
- `study`    — `Study`: each slice's settings (sample counts, system prompts, few-shot counts), `customize`.
- `prompts`  — conversation helpers the slices' builders share (DecodingTrust's classification chat).
- `builders` — `build_full(dimension, data_dir, seed=, limit=)`: one `ProbeSet` per setting.
- `parsers`  — DecodingTrust's answer parsers (text in, label out).
- `scoring`  — DecodingTrust's formulas on plain lists, and the per-dimension aggregation they document.
- `evaluate` — generations -> per-item values for the gate, and the dimension score.
- `plan`     — set names, weights and chance levels from the settings alone (stable test ids).
- `gating`   — the full-tier tests' shared side: parametrize by set, sample, gate each set.

Nothing here ships DecodingTrust's files (CC BY-SA 4.0); they are read from the user's copy.
"""

from __future__ import annotations

from .slice import known_slices

DIMENSIONS = known_slices()  # the dimensions with a DecodingTrust slice (declared in trust_tests/test_<name>.py)
