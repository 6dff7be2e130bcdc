"""Build the static HTML report offline with npm's Allure 3, carrying history between runs.

    python -m reports.build [--results reports/allure-results] [--out reports/html] [--scorecard reports/latest]

Writes OUT/index.html (one self-contained file), OUT/history/ (keep it, e.g. as a CI cache, so the
next run shows trends) and, when a scorecard exists, copies scorecard.{html,md,json} and the plots
into OUT/ as well. Prints the path of index.html. Needs `npm ci --prefix reports` once.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from reports.allure_support import CATEGORIES, carry_history, write_categories

REPORTS_DIR = Path(__file__).resolve().parent
ALLURE_CLI = REPORTS_DIR / "node_modules" / "allure" / "cli.js"
ALLURERC = REPORTS_DIR / "allurerc.mjs"
INSTALL_HINT = "npm ci --prefix reports"
SCORECARD_FILES = ("scorecard.html", "scorecard.md", "scorecard.json", "radar.svg", "radar.png", "bars.svg", "bars.png")


# Allure 3.18's awesome template always adds Google Analytics (reportUuid, version); an offline gate
# report must not phone home, so the tag and its inline config are removed after generation.
_ANALYTICS = re.compile(
    r'<script async src="https://www\.googletagmanager\.com/gtag/js[^"]*"></script>\s*'
    r"<script>\s*window\.dataLayer[\s\S]*?</script>"
)


class BuildError(RuntimeError):
    """The report cannot be built; the message says what to run."""


def check_tools() -> str:
    """The node executable, or BuildError naming the command that installs what is missing."""
    node = shutil.which("node")
    if node is None:
        raise BuildError("node is not on PATH: install Node.js 20+ (Debian: apt-get install -y nodejs npm), "
                         f"then run `{INSTALL_HINT}`")
    if not ALLURE_CLI.is_file():
        raise BuildError(f"Allure 3 is not installed ({ALLURE_CLI} is missing): run `{INSTALL_HINT}` "
                         "from the repository root (offline-reproducible from reports/package-lock.json)")
    return node


def build_report(results: Path, out: Path, *, scorecard: Path | None = None, name: str = "comptrust trust gate",
                 history_limit: int = 50) -> Path:
    """Generate OUT/index.html from the Allure results, continuing OUT/history. Returns index.html."""
    results, out = Path(results).resolve(), Path(out).resolve()
    node = check_tools()
    if not results.is_dir() or not any(results.glob("*-result.json")):
        raise BuildError(f"no Allure results in {results}: run the tests first, e.g. "
                         f"`pytest --alluredir {results}`")
    if not (results / "categories.json").is_file():
        write_categories(results)
    carry_history(out, results)  # the previous report's history, before `out` is rewritten
    history = results / "history" / "history.jsonl"
    history.parent.mkdir(parents=True, exist_ok=True)
    categories = results / "categories.json"
    try:
        json.loads(categories.read_text())
    except ValueError:
        categories.write_text(json.dumps(CATEGORIES))  # a broken file must not break the build
    if out.exists() and any(out.iterdir()) and not (out / "index.html").is_file():
        raise BuildError(f"{out} exists and is not a report folder (no index.html): refusing to replace it")
    env = {**os.environ, "COMPTRUST_ALLURE_HISTORY": str(history), "COMPTRUST_ALLURE_CATEGORIES": str(categories),
           "COMPTRUST_REPORT_NAME": name, "NO_COLOR": "1"}
    # Allure 3 only flattens its plugin folder into an empty output, so generate into a fresh
    # sibling folder and swap it in; a failed build leaves the previous report untouched.
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    tmp.chmod(0o755)  # mkdtemp makes it private; the report is meant to be served and shared
    try:
        cmd = [node, str(ALLURE_CLI), "generate", str(results), "--config", str(ALLURERC), "--output", str(tmp),
               "--history-limit", str(history_limit)]
        proc = subprocess.run(cmd, cwd=REPORTS_DIR, env=env, capture_output=True, text=True, timeout=300)
        if proc.returncode != 0 or not (tmp / "index.html").is_file():
            raise BuildError(f"allure generate failed (exit {proc.returncode}):\n{proc.stdout[-2000:]}\n"
                             f"{proc.stderr[-2000:]}")
        strip_analytics(tmp / "index.html")
        if out.exists():
            shutil.rmtree(out)
        tmp.rename(out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    index = out / "index.html"
    (out / "history").mkdir(exist_ok=True)
    if history.is_file():
        shutil.copy2(history, out / "history" / "history.jsonl")
    if scorecard is not None and (Path(scorecard) / "scorecard.html").is_file():
        for fname in SCORECARD_FILES:
            src = Path(scorecard) / fname
            if src.is_file():
                shutil.copy2(src, out / fname)
    return index


def strip_analytics(index: Path) -> bool:
    """Remove the analytics tag from a generated index.html; True if one was removed."""
    text = index.read_text(encoding="utf-8")
    cleaned, n = _ANALYTICS.subn("", text, count=1)
    if n:
        index.write_text(cleaned, encoding="utf-8")
    return n > 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reports.build", description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", type=Path, default=Path("reports/allure-results"), help="allure-pytest results")
    parser.add_argument("--out", type=Path, default=Path("reports/html"), help="report folder (keeps history/)")
    parser.add_argument("--scorecard", type=Path, default=Path("reports/latest"),
                        help="folder with scorecard.html to copy next to index.html (skipped if absent)")
    parser.add_argument("--name", default="comptrust trust gate", help="report title")
    args = parser.parse_args(argv)
    try:
        index = build_report(args.results, args.out, scorecard=args.scorecard, name=args.name)
    except BuildError as exc:
        print(f"reports.build: {exc}", file=sys.stderr)
        return 2
    print(index)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
