#!/usr/bin/env bash
# The CI trust gate, as the GitHub and GitLab examples in examples/ci/ run it (docs/CI.md):
#
#   scripts/ci_gate.sh MODEL [pytest args...]
#
# Runs `pytest --model=MODEL` from the current directory (the repository root), builds the HTML report,
# writes the job summary, collects everything into $COMPTRUST_ARTIFACTS (default reports/ci/):
#   scorecard/ (json, html, md, plots)  html/index.html (Allure)  allure-results/  junit.xml
#   gate.log  summary.md  exit-code
# then prints one line explaining the exit code and exits with the gate's code (0 pass, 1 regression or
# error, 2 interrupted, 3 internal error, 4 usage error, 5 nothing collected, 6 no evidence, 7 inconclusive).
# The summary is also appended to $GITHUB_STEP_SUMMARY when set; exit-code=N goes to $GITHUB_OUTPUT.
# Python: $COMPTRUST_PYTHON, else .venv/bin/python (what `make setup` builds), else python3.
set -euo pipefail

if [ $# -lt 1 ] || [ -z "$1" ]; then
  echo "usage: scripts/ci_gate.sh MODEL [pytest args...]   (MODEL: a registry id or a spec)" >&2
  exit 4
fi
model="$1"
shift

py="${COMPTRUST_PYTHON:-}"
if [ -z "$py" ]; then
  if [ -x .venv/bin/python ]; then py=.venv/bin/python; else py=python3; fi
fi
out="${COMPTRUST_ARTIFACTS:-reports/ci}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

mkdir -p "$out"
# Only what this script writes is replaced; html/ stays, its history/ gives the Allure report its trends.
rm -rf "$out/scorecard" "$out/allure-results" "$out/junit.xml" "$out/gate.log" "$out/summary.md" "$out/exit-code"

args=(--model="$model" --report-dir="$out/scorecard" --junitxml="$out/junit.xml")
# --alluredir exists only when allure-pytest is loaded: autoloaded, or named with -p in the arguments.
if "$py" -c 'import allure_pytest' 2>/dev/null \
   && { [ -z "${PYTEST_DISABLE_PLUGIN_AUTOLOAD:-}" ] || [[ " $* " == *allure_pytest* ]]; }; then
  args+=(--alluredir="$out/allure-results" --clean-alluredir)
fi

echo "comptrust gate: $py -m pytest ${args[*]} $*"
set +e
"$py" -m pytest "${args[@]}" "$@" 2>&1 | tee "$out/gate.log"
rc=${PIPESTATUS[0]}
set -e
echo "$rc" > "$out/exit-code"

# The report and the summary never change the verdict: a failure here is reported and the gate's code kept.
if [ -d "$out/allure-results" ]; then
  PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}" "$py" -m reports.build --results "$out/allure-results" \
    --out "$out/html" --scorecard "$out/scorecard" \
    || echo "comptrust gate: the Allure HTML report was not built (see above); scorecard/scorecard.html still was" >&2
fi
if [ -n "${GITHUB_OUTPUT:-}" ]; then
  echo "exit-code=$rc" >> "$GITHUB_OUTPUT"
fi
PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}" "$py" -m reports.ci_summary --exit-code "$rc" --artifacts "$out" \
  --model "$model" || echo "comptrust gate: exit $rc (the summary could not be written)"
exit "$rc"
