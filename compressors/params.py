"""Parameter parsing shared by the methods: each check raises ConfigError naming the config and the remedy."""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from compressors.base import ArchInfo, config_error

CALIBRATION_DEFAULTS: dict[str, Any] = {
    "calib_samples": 64,
    "calib_seq_len": 128,
    "calib_source": "embedded",
    "calib_seed": 0,
}
STRUCTURES_HELP = 'use structure="unstructured" or "N:M" (N pruned in every M weights, 0 < N < M), e.g. "2:4"'
_NM_RE = re.compile(r"\s*(\d+)\s*:\s*(\d+)\s*")


def check_keys(method: str, params: Mapping[str, Any], allowed: Iterable[str]) -> None:
    allowed = sorted(allowed)
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise config_error(
            method, params, f"unknown parameter(s) {', '.join(unknown)}",
            f"use only {', '.join(allowed)}" if allowed else f"{method} takes no parameters",
        )


def int_param(method: str, params: Mapping[str, Any], key: str, default: int, *, minimum: int | None = None,
              choices: tuple[int, ...] | None = None) -> int:
    value = params.get(key, default)
    # bool is an int subclass; `bits=true` is a typo, not 1 bit.
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        elif isinstance(value, str) and value.strip().lstrip("-").isdigit():
            value = int(value)
        else:
            raise config_error(method, params, f"{key}={value!r} is not an integer", f"give {key} as a whole number")
    if choices is not None and value not in choices:
        raise config_error(
            method, params, f"{key}={value} is not supported",
            f"use {key} in {{{', '.join(map(str, choices))}}}",
        )
    if minimum is not None and value < minimum:
        raise config_error(method, params, f"{key}={value} is below {minimum}", f"use {key} >= {minimum}")
    return int(value)


def bool_param(method: str, params: Mapping[str, Any], key: str, default: bool) -> bool:
    value = params.get(key, default)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise config_error(method, params, f"{key}={value!r} is not a boolean", f"write {key}=true or {key}=false")


def choice_param(method: str, params: Mapping[str, Any], key: str, default: str, choices: tuple[str, ...]) -> str:
    value = params.get(key, default)
    if not isinstance(value, str) or value not in choices:
        raise config_error(method, params, f"{key}={value!r} is not supported",
                           f"use {key} in {{{', '.join(choices)}}}")
    return value


def group_size_param(method: str, params: Mapping[str, Any], default: int, arch: ArchInfo | None) -> int:
    """A positive group size dividing every quantized layer's input width, or -1 for one scale per output channel."""
    value = params.get("group_size", default)
    if value is None:
        return -1
    size = int_param(method, params, "group_size", default)
    if size == -1:
        return -1
    if size <= 0:
        raise config_error(method, params, f"group_size={size} must be positive",
                           "use a positive group size, or -1 for per-channel scales")
    if arch is not None:
        bad = [w for w in arch.linear_widths if w % size]
        if bad:
            ok = [g for g in (256, 128, 64, 32, 16) if all(w % g == 0 for w in arch.linear_widths)]
            raise config_error(
                method, params,
                f"group_size={size} does not divide the layer width(s) {', '.join(map(str, bad))} of this "
                f"{arch.model_type} model (widths {', '.join(map(str, arch.linear_widths))})",
                f"use group_size in {{{', '.join(map(str, ok))}}} or -1 (per channel)" if ok
                else "use group_size=-1 (per channel)",
            )
    return size


def parse_structure(method: str, params: Mapping[str, Any]) -> tuple[int, int] | None:
    """None for unstructured, else (N, M): N of every M consecutive input weights are pruned."""
    value = params.get("structure", "unstructured")
    if value == "unstructured":
        return None
    m = _NM_RE.fullmatch(value) if isinstance(value, str) else None
    if m is None:
        raise config_error(method, params, f"structure={value!r} is not understood", STRUCTURES_HELP)
    n, mm = int(m.group(1)), int(m.group(2))
    if not 0 < n < mm:
        raise config_error(method, params, f"structure {n}:{mm} needs 0 < N < M (N pruned in every M)",
                           'use e.g. structure="2:4" or "4:8"')
    return n, mm


def sparsity_params(method: str, params: Mapping[str, Any], arch: ArchInfo | None) -> dict[str, Any]:
    """Normalized `sparsity` and `structure`; an N:M structure fixes the sparsity at N/M and M must divide widths."""
    nm = parse_structure(method, params)
    default = 0.5 if nm is None else nm[0] / nm[1]
    value = params.get("sparsity", default)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise config_error(method, params, f"sparsity={value!r} is not a number",
                           "give sparsity as a fraction in (0, 1)")
    sparsity = float(value)
    if not 0.0 < sparsity < 1.0:
        raise config_error(method, params, f"sparsity={sparsity} is outside (0, 1)",
                           "give the fraction of weights to prune, e.g. sparsity=0.5")
    if nm is not None and abs(sparsity - nm[0] / nm[1]) > 1e-9:
        raise config_error(method, params, f"sparsity={sparsity} contradicts structure {nm[0]}:{nm[1]} "
                           f"(which prunes exactly {nm[0] / nm[1]:g})",
                           f"drop sparsity or set it to {nm[0] / nm[1]:g}")
    if nm is not None and arch is not None:
        bad = [w for w in arch.linear_widths if w % nm[1]]
        if bad:
            raise config_error(method, params, f"M={nm[1]} does not divide the layer width(s) "
                               f"{', '.join(map(str, bad))}", "pick an M that divides every layer width, e.g. 2:4")
    return {"sparsity": sparsity, "structure": "unstructured" if nm is None else f"{nm[0]}:{nm[1]}"}


def calibration_params(method: str, params: Mapping[str, Any], sources: tuple[str, ...]) -> dict[str, Any]:
    d = CALIBRATION_DEFAULTS
    return {
        "calib_samples": int_param(method, params, "calib_samples", d["calib_samples"], minimum=1),
        "calib_seq_len": int_param(method, params, "calib_seq_len", d["calib_seq_len"], minimum=8),
        "calib_source": choice_param(method, params, "calib_source", d["calib_source"], sources),
        "calib_seed": int_param(method, params, "calib_seed", d["calib_seed"], minimum=0),
    }
