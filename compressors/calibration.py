"""Calibration text: the offline corpus shipped in compressors/data/, and the study's sources when online.

The seed is part of every config because the study found trust scores vary strongly across calibration
seeds. The embedded corpus has a held-out split that calibration never reads, for perplexity checks.
"""
from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from compressors.base import ConfigError, SourceUnavailable

CORPUS_PATH = Path(__file__).parent / "data" / "calibration_corpus.jsonl"
SOURCES: tuple[str, ...] = ("embedded", "c4", "pile-val", "alpaca")
# Characters requested per calibration token: English BPE averages ~4-5 chars/token, so 6 leaves a margin
# and nearly every sample fills calib_seq_len after truncation.
CHARS_PER_TOKEN = 6

# The study's sources: (hub dataset, load_dataset kwargs, text field). Streamed, so nothing large is downloaded.
_HUB_SOURCES: dict[str, tuple[str, dict[str, Any], str]] = {
    # GPTQ's calibration set: the first shard of C4's English training split.
    "c4": ("allenai/c4", {"data_files": {"train": "en/c4-train.00000-of-01024.json.gz"}, "split": "train"}, "text"),
    # AWQ's calibration set.
    "pile-val": ("mit-han-lab/pile-val-backup", {"split": "validation"}, "text"),
    # Chat-style instruction data; `text` holds the formatted instruction/response.
    "alpaca": ("tatsu-lab/alpaca", {"split": "train"}, "text"),
}
_STREAM_SHUFFLE_BUFFER = 10_000


@lru_cache(maxsize=1)
def _corpus() -> tuple[dict[str, str], ...]:
    rows = [json.loads(line) for line in CORPUS_PATH.read_text(encoding="utf-8").splitlines() if line.strip()]
    return tuple(rows)


def embedded_passages(split: str = "calib") -> list[str]:
    """Passages of the shipped corpus; split is "calib" (calibration) or "heldout" (never calibrated on)."""
    if split not in ("calib", "heldout"):
        raise ValueError(f"split must be 'calib' or 'heldout', not {split!r}")
    return [row["text"] for row in _corpus() if row["split"] == split]


def heldout_texts() -> list[str]:
    """Held-out passages for perplexity: disjoint from every calibration draw of the embedded source."""
    return embedded_passages("heldout")


def calibration_texts(source: str, n: int, seed: int, min_chars: int = 0) -> list[str]:
    """`n` calibration texts drawn with `seed`; each has at least `min_chars` characters where the source allows.

    Embedded passages are short, so consecutive passages of a seeded shuffle are joined (blank line between)
    until a text is long enough. Hub sources skip documents shorter than `min_chars`.
    """
    if n < 1:
        raise ConfigError(f"calibration_texts(n={n}): need at least one text. Remedy: set calib_samples >= 1")
    if source == "embedded":
        return _pack(_shuffled_forever(embedded_passages("calib"), seed), n, min_chars)
    if source in _HUB_SOURCES:
        return _hub_texts(source, n, seed, min_chars)
    raise ConfigError(f"calib_source={source!r} is unknown. Remedy: use one of {', '.join(SOURCES)}")


def calibration_for(params: Mapping[str, Any]) -> list[str]:
    """The calibration texts a normalized config asks for (its calib_* keys)."""
    return calibration_texts(
        str(params["calib_source"]), int(params["calib_samples"]), int(params["calib_seed"]),
        min_chars=CHARS_PER_TOKEN * int(params["calib_seq_len"]),
    )


def calibration_key(params: Mapping[str, Any]) -> str:
    """What a cache key records about a config's calibration.

    The embedded corpus is offline and cheap to draw, so the key is the hash of the exact texts. Hub sources
    would need the network (and a large shuffle buffer) on every cache lookup, so their key is the request
    (source, count, seed, length); the texts' own hash is saved inside the built folder instead.
    """
    if params["calib_source"] == "embedded":
        return calibration_hash(calibration_for(params))
    request = {k: params[k] for k in ("calib_source", "calib_samples", "calib_seed", "calib_seq_len")}
    return "request:" + calibration_hash([json.dumps(request, sort_keys=True)])


def calibration_hash(texts: Sequence[str]) -> str:
    """Order-sensitive digest of the texts: the same draw gives the same hash on every machine."""
    blob = json.dumps(list(texts), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:24]


def _shuffled_forever(passages: Sequence[str], seed: int) -> Iterator[str]:
    if not passages:
        raise SourceUnavailable(f"the embedded calibration corpus {CORPUS_PATH} is empty")
    rng = random.Random(seed)
    while True:  # reshuffle after each pass, so large draws repeat passages in a new order
        order = list(passages)
        rng.shuffle(order)
        yield from order


def _pack(stream: Iterable[str], n: int, min_chars: int) -> list[str]:
    it = iter(stream)
    out = []
    for _ in range(n):
        parts = [next(it)]
        while sum(map(len, parts)) + 2 * (len(parts) - 1) < min_chars:
            parts.append(next(it))
        out.append("\n\n".join(parts))
    return out


def _network_errors() -> tuple[type[BaseException], ...]:
    """What a failed download raises: OSError (requests, sockets), httpx errors, hub HTTP errors."""
    import httpx
    from huggingface_hub.errors import HfHubHTTPError

    return (OSError, TimeoutError, httpx.HTTPError, HfHubHTTPError)


def _hub_texts(source: str, n: int, seed: int, min_chars: int) -> list[str]:
    from compressors.hub import hub_available

    ok, why = hub_available()
    if not ok:
        raise SourceUnavailable(f"calib_source={source!r} streams from the Hugging Face hub: {why}. "
                                "Use calib_source='embedded' offline")
    name, kwargs, field = _HUB_SOURCES[source]
    try:
        from datasets import load_dataset

        stream = load_dataset(name, streaming=True, **kwargs).shuffle(seed=seed, buffer_size=_STREAM_SHUFFLE_BUFFER)
        out: list[str] = []
        for row in stream:
            text = str(row.get(field) or "")
            if len(text) >= max(min_chars, 1):
                out.append(text)
                if len(out) == n:
                    break
    except _network_errors() as exc:
        raise SourceUnavailable(f"calib_source={source!r}: could not stream {name} ({exc})") from exc
    if len(out) < n:
        raise SourceUnavailable(f"calib_source={source!r}: {name} yielded only {len(out)} of {n} texts "
                                f"with >= {min_chars} characters")
    return out
