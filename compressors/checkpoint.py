"""Pre-compressed hub checkpoints (the study's GPTQ/AWQ/pruned models) through transformers' normal path.

Offline this path is skipped with the reason `hub_available()` gives; it is never faked.
"""
from __future__ import annotations

import os
import re
import socket
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from compressors.base import ConfigError, SourceUnavailable

if TYPE_CHECKING:
    from transformers import PreTrainedModel

_HF_SPEC = re.compile(r"hf:([A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*)(?:@([\w./-]+))?")
_PROBE_TIMEOUT_S = 3.0


def parse_hf_spec(spec: str) -> tuple[str, str]:
    """'hf:ORG/NAME@REV' -> (repo_id, revision); the revision defaults to 'main'."""
    m = _HF_SPEC.fullmatch(spec.strip())
    if m is None:
        raise ConfigError(f"checkpoint {spec!r} is not hf:ORG/NAME[@REVISION]. Remedy: write e.g. "
                          "hf:compressed-llm/llama-2-13b-chat-gptq@4bit_128g")
    return m.group(1), m.group(2) or "main"


def _offline_flag() -> str | None:
    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        if os.environ.get(var, "").strip().lower() not in ("", "0", "false", "no", "off"):
            return var
    return None


@lru_cache(maxsize=8)
def _probe(host: str, port: int) -> str | None:
    # One TCP connect per process and host: enough to tell "no network" from "slow".
    try:
        with socket.create_connection((host, port), timeout=_PROBE_TIMEOUT_S):
            return None
    except OSError as exc:
        return f"{host}:{port} is unreachable within {_PROBE_TIMEOUT_S:g} s ({exc.__class__.__name__}: {exc})"


def hub_available() -> tuple[bool, str]:
    """(True, "") when the Hugging Face hub can be reached, else (False, reason to show in a skip)."""
    flag = _offline_flag()
    if flag:
        return False, f"{flag} is set, so hub downloads are disabled (unset it on a machine with internet)"
    url = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co"))
    host = url.hostname or "huggingface.co"
    port = url.port or (443 if url.scheme != "http" else 80)
    err = _probe(host, port)
    return (False, f"the Hugging Face hub is not reachable: {err}") if err else (True, "")


def load_checkpoint(repo_id: str, revision: str, device: str, allow_pickle: bool = False,
                    trust_remote_code: bool = False, token_env: str = "HF_TOKEN") -> PreTrainedModel:
    """Load a (pre-compressed) causal LM from the hub at a pinned revision.

    The checkpoint's own quantization_config (GPTQ/AWQ) selects the kernels, so GPTQ/AWQ checkpoints need
    their backend installed (see requirements/gptq.txt) and usually a GPU. Pickle weights are refused unless
    `allow_pickle`; the token is read from the environment variable `token_env`, never passed around.
    """
    ok, why = hub_available()
    if not ok:
        raise SourceUnavailable(f"hf:{repo_id}@{revision}: {why}")
    from transformers import AutoModelForCausalLM

    token = os.environ.get(token_env) or None
    kwargs: dict[str, Any] = {
        "revision": revision, "token": token, "trust_remote_code": trust_remote_code,
        "use_safetensors": None if allow_pickle else True, "dtype": "auto", "device_map": device,
    }
    try:
        return AutoModelForCausalLM.from_pretrained(repo_id, **kwargs)
    except OSError as exc:
        hint = "" if allow_pickle else " (if the repo has only pickle .bin weights: allow_pickle=True, if you trust it)"
        raise SourceUnavailable(f"hf:{repo_id}@{revision} could not be loaded: {exc}{hint}") from exc
