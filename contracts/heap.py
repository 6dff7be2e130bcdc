"""Handing freed heap back to the system once a large object graph (a model, a build) is gone."""
from __future__ import annotations

import contextlib
import ctypes
import gc
import sys


def release_freed(collect: bool = True) -> None:
    """Collect garbage (unless not `collect`), then return free heap pages to the system (glibc only).

    glibc keeps freed chunks below its mmap threshold (which grows to 32 MB as large tensors come and go) in its
    arenas: a released model's weights and a test's KV caches otherwise stay in the process's resident set.
    """
    if collect:
        gc.collect()
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):  # not glibc (musl): nothing to trim
            ctypes.CDLL("libc.so.6").malloc_trim(0)
