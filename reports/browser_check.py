"""Open the built report in headless chromium and check what a reviewer would see.

    python -m reports.browser_check REPORT_DIR OUT_DIR [--scorecard FILE] [--planted TEXT] [--failed-test NAME]

Serves REPORT_DIR (and the scorecard's folder) on 127.0.0.1, drives Debian's chromium with npm's
playwright-core (never a downloaded browser), screenshots the overview, the categories, a failed
test with every attachment expanded, and scorecard.html into OUT_DIR, and checks the expected
elements. With --planted, that exact model output must appear as text and its script must not run
(it would set window.__pwned or document.title = "PWNED"). Results: OUT_DIR/browser_check.json;
exit 0 when every check passes, 1 when one fails, 2 when the tools are missing.

Needs: `apt-get install -y chromium fonts-dejavu-core` and `npm ci --prefix reports`
(scripts/install_browser.sh does both).
"""
from __future__ import annotations

import argparse
import functools
import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

REPORTS_DIR = Path(__file__).resolve().parent
SCRIPT = REPORTS_DIR / "browser_check.mjs"
PLAYWRIGHT = REPORTS_DIR / "node_modules" / "playwright-core"
INSTALL_HINT = "scripts/install_browser.sh (apt-get install -y chromium fonts-dejavu-core; npm ci --prefix reports)"
DEFAULT_ATTACHMENTS = ("candidate vs reference", "per-item outcomes (flipped first)",
                       "flipped items, prompts and both answers", ": plot")


class ToolsMissing(RuntimeError):
    """chromium, node or playwright-core is not installed; the message names the installer."""


def find_tools() -> tuple[str, str]:
    """(node, chromium) executables, or ToolsMissing naming what to install."""
    node = shutil.which("node")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    missing = [name for name, ok in (("node", node), ("chromium", chromium), ("playwright-core", PLAYWRIGHT.is_dir()))
               if not ok]
    if missing:
        raise ToolsMissing(f"missing {', '.join(missing)}: run {INSTALL_HINT}")
    assert node is not None and chromium is not None
    return node, chromium


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass


@contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve `directory` on 127.0.0.1 (a free port) for the duration; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


NO_SANDBOX_ENV = "COMPTRUST_BROWSER_NO_SANDBOX"


def sandbox_possible() -> tuple[bool, str]:
    """Whether chromium can run its sandbox here: not as root (it refuses), and not switched off by the user."""
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return False, "running as root, where chromium cannot use its sandbox"
    if os.environ.get(NO_SANDBOX_ENV, "") not in ("", "0", "false", "False"):
        return False, f"${NO_SANDBOX_ENV} is set (e.g. a container without user namespaces)"
    return True, ""


def run_check(
    report_dir: Path,
    out_dir: Path,
    *,
    scorecard: Path | None = None,
    planted: str | None = None,
    failed_test: str | None = None,
    expect_sections: Sequence[str] = (),
    expect_categories: Sequence[str] = ("Trust regressions",),
    expect_attachments: Sequence[str] = DEFAULT_ATTACHMENTS,
    expect_environment: Sequence[str] = (),
    expect_inconclusive: bool = False,
    expect_history: int = 0,
    allure: bool = True,
    timeout_s: float = 180.0,
    scorecard_javascript: bool | None = None,
) -> dict[str, Any]:
    """Run the browser check; returns {"ok", "checks", "screenshots", "external", "pageErrors"} and
    writes it to OUT_DIR/browser_check.json. `allure=False` checks only the scorecard. Raises
    ToolsMissing when chromium/node/playwright are absent."""
    node, chromium = find_tools()
    report_dir, out_dir = Path(report_dir).resolve(), Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    if allure and not (report_dir / "index.html").is_file():
        raise FileNotFoundError(f"{report_dir}/index.html is missing: build it with `python -m reports.build`")
    if scorecard is None and (report_dir / "scorecard.html").is_file():
        scorecard = report_dir / "scorecard.html"
    card_root = Path(scorecard).resolve().parent if scorecard else report_dir
    with serve(report_dir) as allure_base, serve(card_root) as card_base:
        sandbox, why = sandbox_possible()
        cfg = {
            "chromium": chromium,
            "sandbox": sandbox,
            "sandbox_off_reason": why,
            # Unsandboxed, a static page holding model output is read with JavaScript off; the Allure report
            # is a JavaScript app and cannot be (docs/SECURITY.md says what protects it then).
            "scorecard_javascript": sandbox if scorecard_javascript is None else scorecard_javascript,
            "out_dir": str(out_dir),
            "allure_url": allure_base + "index.html" if allure else None,
            "scorecard_url": card_base + Path(scorecard).name if scorecard else None,
            "planted": planted,
            "failed_test": failed_test,
            "marker": "TRUST REGRESSION",
            "expect_sections": list(expect_sections),
            "expect_categories": list(expect_categories),
            "expect_attachments": list(expect_attachments),
            "expect_environment": list(expect_environment),
            "expect_inconclusive": expect_inconclusive,
            "expect_history": expect_history,
        }
        cfg_path = out_dir / "browser_check_config.json"
        cfg_path.write_text(json.dumps(cfg, indent=2))
        proc = subprocess.run([node, str(SCRIPT), str(cfg_path)], cwd=REPORTS_DIR, capture_output=True, text=True,
                              timeout=timeout_s)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        result: dict[str, Any] = {"ok": False, "checks": [{"name": "browser script ran", "ok": False,
                                                           "detail": (proc.stderr or proc.stdout)[-3000:]}],
                                  "screenshots": [], "external": [], "pageErrors": []}
    else:
        result = json.loads(lines[-1])
        result["ok"] = all(c["ok"] for c in result["checks"])
    result.update({"sandbox": cfg["sandbox"], "sandbox_off_reason": cfg["sandbox_off_reason"],
                   "scorecard_javascript": cfg["scorecard_javascript"]})
    (out_dir / "browser_check.json").write_text(json.dumps(result, indent=2))
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reports.browser_check", description=__doc__.split("\n\n")[0])
    parser.add_argument("report_dir", type=Path, help="folder with the built index.html (reports/html)")
    parser.add_argument("out_dir", type=Path, help="where screenshots and browser_check.json go")
    parser.add_argument("--scorecard", type=Path, default=None,
                        help="scorecard.html (default: REPORT_DIR/scorecard.html)")
    parser.add_argument("--planted", default=None, help="a model output that must show as text and never run")
    parser.add_argument("--failed-test", default=None, help="substring of the failed test to open (default: first)")
    parser.add_argument("--expect-section", action="append", default=[], help="a dimension the tree must show")
    parser.add_argument("--expect-history", type=int, default=0,
                        help="earlier runs the failed test's history must show")
    args = parser.parse_args(argv)
    try:
        result = run_check(args.report_dir, args.out_dir, scorecard=args.scorecard, planted=args.planted,
                           failed_test=args.failed_test, expect_sections=args.expect_section,
                           expect_history=args.expect_history)
    except ToolsMissing as exc:
        print(f"reports.browser_check: {exc}", file=sys.stderr)
        return 2
    for c in result["checks"]:
        detail = f"  ({c['detail']})" if c["detail"] and not c["ok"] else ""
        print(f"{'ok  ' if c['ok'] else 'FAIL'} {c['name']}{detail}")
    for s in result["screenshots"]:
        print(f"screenshot: {s}")
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
