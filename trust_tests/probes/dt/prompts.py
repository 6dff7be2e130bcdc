"""Conversation and item helpers the slices' builders share: DecodingTrust's classification chat and item meta."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from contracts.prompt_formats import merge_turns

from ..base import Item, chat
from .files import DTDataError
from .settings import FEW_SHOT_ACK, FEW_SHOT_SYSTEM, ZERO_SHOT_SYSTEM, Generation

Messages = tuple[dict[str, str], ...]


def or_error(build: Callable[[], list[Item]]) -> list[Item] | DTDataError:
    """One set's items, or the error of the file only it needs."""
    try:
        return build()
    except DTDataError as e:
        return e


def merged(msgs: Sequence[Mapping[str, str]]) -> Messages:
    """Consecutive same-role turns joined for chat templates that reject them (Llama-2's); the study's
    FastChat formats render them as separate turns again (fixtures/backends/prompt_formats.py)."""
    return merge_turns(msgs)


def classify(task: str, text: str, examples: Sequence[tuple[str, str]] = ()) -> Messages:
    """DecodingTrust's Chat.do_classification conversation (examples as user/assistant turns)."""
    if not examples:
        return chat(f"{task}\n{text}", system=ZERO_SHOT_SYSTEM)
    msgs = [
        {"role": "system", "content": FEW_SHOT_SYSTEM},
        {"role": "user", "content": task},
        {"role": "assistant", "content": FEW_SHOT_ACK},
    ]
    for ex_text, ex_label in examples:
        msgs += [{"role": "user", "content": ex_text}, {"role": "assistant", "content": ex_label.capitalize()}]
    msgs.append({"role": "user", "content": text})
    return merged(msgs)


def meta(gen: Generation, **kw: Any) -> dict[str, Any]:
    """An item's meta: how to sample it, plus what its scorer needs."""
    return {**gen.as_meta(), **kw}


def choice(options: Sequence[str], label: str) -> int | None:
    """The index of `label` among `options` (case-insensitive), or None."""
    lowered = [o.lower() for o in options]
    return lowered.index(label.lower()) if label.lower() in lowered else None
