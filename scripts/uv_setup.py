"""Install the pinned stack into a venv with uv: the same files `make setup` gives pip, about 3x faster.

uv does not read pip's configuration, so this machine's pip index settings (index-url, extra-index-url,
find-links: where the CPU build of torch lies) are carried over, and every index is searched as pip does
(`unsafe-best-match`: the highest matching version wins, so torch==2.13.0 takes the local 2.13.0+cpu wheel just as
pip does). Exit status non-zero on any failure: the Makefile then installs with pip instead.

    python scripts/uv_setup.py .venv/bin/python
"""
from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

UV = "uv==0.13.9"
ROOT = Path(__file__).resolve().parent.parent
_REPEATED = {"extra-index-url": "--extra-index-url", "find-links": "--find-links"}


def pip_index_args(python: str) -> list[str]:
    """pip's index settings (files and PIP_* variables, as `pip config list` shows them) as uv arguments."""
    out = subprocess.run([python, "-m", "pip", "config", "list"], capture_output=True, text=True, check=True).stdout
    index: str | None = None
    repeated: dict[str, list[str]] = {key: [] for key in _REPEATED}
    for line in out.splitlines():
        name, _, value = line.partition("=")
        key = name.rpartition(".")[2]
        values = shlex.split(value.strip().strip("'\""))
        if key == "index-url" and values:
            index = values[0]
        elif key in repeated:
            repeated[key] += [v for v in values if v not in repeated[key]]
    args = ["--index-url", index] if index else []
    for key, flag in _REPEATED.items():
        for v in repeated[key]:
            args += [flag, v]
    return [*args, "--index-strategy", "unsafe-best-match"]


def main(python: str) -> int:
    venv_bin = Path(python).parent
    run = subprocess.run
    if run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check", UV]).returncode:
        return 1
    uv = [str(venv_bin / "uv"), "pip", "install", "--quiet", "--python", python, *pip_index_args(python)]
    req = ROOT / "requirements"
    steps = [
        ["-c", str(req / "lock.txt"), "-r", str(req / "main.txt")],
        # comptrust itself, editable (registers the pytest11 entry point), and the data packages, whose declared
        # dependencies conflict with the pins: no dependencies for either.
        ["--no-deps", "-r", str(req / "data.txt"), "-e", str(ROOT)],
    ]
    for step in steps:
        if run([*uv, *step]).returncode:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else sys.executable))
