"""The CI job summary: one line that explains the gate's exit code, the scorecard, and the tests that failed.

    python -m reports.ci_summary --exit-code N --artifacts reports/ci [--model ID]

Writes ARTIFACTS/summary.md, appends it to $GITHUB_STEP_SUMMARY when that is set, and prints the
one-line explanation. scripts/ci_gate.sh calls it after the gate; it never changes the exit code.
"""
from __future__ import annotations

import argparse
import os
import sys
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

from contracts.verdicts import ExitCode
from reports.card_render import md_cell

# The gate's exit codes (contracts.verdicts.ExitCode; docs/CI.md has the same table): (short name, what to do).
EXIT_CODES: dict[int, tuple[str, str]] = {
    ExitCode.OK: ("passed", "every candidate passed the trust gate"),
    ExitCode.REGRESSION: ("trust regression or error", "a gated test failed: a trust regression, a stale or missing "
                          "baseline, or a model that could not load (see the failures below)"),
    ExitCode.INTERRUPTED: ("interrupted", "the run was interrupted (Ctrl-C, a signal, or pytest -x stopping early)"),
    ExitCode.INTERNAL_ERROR: ("internal error", "pytest or a plugin crashed: a bug or a broken set-up, not a verdict "
                              "on the model"),
    ExitCode.USAGE_ERROR: ("usage error", "bad command line, registry or thresholds file (the message above names it)"),
    ExitCode.NO_TESTS: ("no tests collected", "no trust test was selected: check -k/-m and the tier"),
    ExitCode.NO_EVIDENCE: ("no evidence", "a candidate ended without any pass/fail verdict (all skipped, unavailable "
                           "or without signal); pass --allow-no-evidence to accept that"),
    ExitCode.INCONCLUSIVE: ("inconclusive", "nothing failed, but a gated metric could not show its drop is within "
                            "tolerance (too few items); pass --inconclusive=warn to accept that"),
}
assert set(EXIT_CODES) == set(ExitCode), "every exit code of the gate is explained"
GITHUB_SUMMARY_LIMIT = 1024 * 1024  # GitHub rejects a step summary over 1 MiB
_FAILURES_SHOWN = 20


def explain(code: int) -> str:
    """`comptrust gate: exit 1 (trust regression or error): ...` for any code, known or not."""
    name, meaning = EXIT_CODES.get(code, ("unexpected", "not a gate exit code: the process was probably killed "
                                                        "(137: out of memory) or the set-up failed"))
    return f"comptrust gate: exit {code} ({name}): {meaning}"


def failed_tests(junit: Path) -> list[tuple[str, str]]:
    """(test name, first line of its message) for every failed or errored test case in a JUnit file."""
    try:
        root = ET.parse(junit).getroot()
    except (OSError, ET.ParseError):
        return []
    out = []
    for case in root.iter("testcase"):
        for tag in ("failure", "error"):
            node = case.find(tag)
            if node is not None:
                text = (node.get("message") or node.text or "").strip()
                out.append((case.get("name", "?"), text.splitlines()[0] if text else tag))
                break
    return out


def render(code: int, artifacts: Path, model: str | None = None) -> str:
    icon = "✅" if code == 0 else "❌"
    title = f"{icon} {md_cell(explain(code), 400)}"
    lines = [f"### {title}", ""]
    if model:
        lines += [f"Model: `{model.replace('`', '')}`", ""]
    card = artifacts / "scorecard" / "scorecard.md"
    if card.is_file():
        lines += [card.read_text(encoding="utf-8").rstrip(), ""]
    else:
        lines += ["No scorecard was written (the gate stopped before any model was judged).", ""]
    failures = failed_tests(artifacts / "junit.xml")
    if failures:
        lines += [f"### Failed tests ({len(failures)})", ""]
        lines += [f"- {md_cell(name, 200)}: {md_cell(msg, 600)}" for name, msg in failures[:_FAILURES_SHOWN]]
        if len(failures) > _FAILURES_SHOWN:
            lines.append(f"- … and {len(failures) - _FAILURES_SHOWN} more (junit.xml)")
        lines.append("")
    lines.append("Artifacts: `scorecard/` (JSON, HTML, Markdown), `html/index.html` (Allure report), `junit.xml`, "
                 "`gate.log`.")
    return "\n".join(lines) + "\n"


def write_summary(code: int, artifacts: Path, model: str | None = None) -> Path:
    text = render(code, artifacts, model)
    artifacts.mkdir(parents=True, exist_ok=True)
    out = artifacts / "summary.md"
    out.write_text(text, encoding="utf-8")
    step = os.environ.get("GITHUB_STEP_SUMMARY")
    if step:
        data = text.encode("utf-8")
        if len(data) > GITHUB_SUMMARY_LIMIT:
            cut = data[: GITHUB_SUMMARY_LIMIT - 200].decode("utf-8", "ignore")
            data = (cut + "\n\n… cut at GitHub's 1 MiB limit: the full summary is summary.md in the artifacts.\n").encode()
        with open(step, "ab") as fh:
            fh.write(data)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reports.ci_summary", description=__doc__.split("\n\n")[0])
    parser.add_argument("--exit-code", type=int, required=True, help="the gate's exit code")
    parser.add_argument("--artifacts", type=Path, required=True, help="the CI artifacts folder")
    parser.add_argument("--model", default=None, help="the gated model, for the title")
    args = parser.parse_args(argv)
    write_summary(args.exit_code, args.artifacts, args.model)
    print(explain(args.exit_code))
    return 0


if __name__ == "__main__":
    sys.exit(main())
