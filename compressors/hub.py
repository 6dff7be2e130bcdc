"""Can the Hugging Face hub be used here: the one check that loading, calibration and provenance share.

Offline is decided by huggingface_hub's own rule, so comptrust and the hub client never disagree:
`HF_HUB_OFFLINE` (or, when it is unset or empty, `TRANSFORMERS_OFFLINE`) is true when its value, upper-cased,
is one of 1, ON, YES, TRUE (huggingface_hub.constants); anything else, `no` included, means online.
"""
from __future__ import annotations

import os
import socket
from functools import lru_cache
from urllib.parse import urlparse

# huggingface_hub.constants.ENV_VARS_TRUE_VALUES, copied so that checking costs no hub import.
TRUE_VALUES = frozenset({"1", "ON", "YES", "TRUE"})
_PROBE_TIMEOUT_S = 3.0


def offline_flag() -> str | None:
    """The variable that puts the hub client offline ("HF_HUB_OFFLINE" / "TRANSFORMERS_OFFLINE"), or None."""
    var = "HF_HUB_OFFLINE" if os.environ.get("HF_HUB_OFFLINE") else "TRANSFORMERS_OFFLINE"
    return var if (os.environ.get(var) or "").upper() in TRUE_VALUES else None


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
    flag = offline_flag()
    if flag:
        return False, f"{flag} is set, so hub downloads are disabled (unset it on a machine with internet)"
    url = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co"))
    host = url.hostname or "huggingface.co"
    port = url.port or (443 if url.scheme != "http" else 80)
    err = _probe(host, port)
    return (False, f"the Hugging Face hub is not reachable: {err}") if err else (True, "")
