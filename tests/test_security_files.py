"""Security of what a run writes: every cache kind is private to the user (0700/0600) with no exec bit, and an endpoint key
that a hostile or misconfigured server echoes back reaches no report, log, junit or Allure file.

Real subprocess runs of the plugin (tests/reliability_helpers.py). Covered elsewhere: pickle refusal and
remote code (test_security.py), planted secrets in a local-model run and result-cache/report modes
(test_reliability_runs.py), escaping of model output in HTML (test_reports.py, test_reports_browser.py).
"""
from __future__ import annotations

import json
import stat
from pathlib import Path

from tests.endpoint_helpers import Scripted, server  # noqa: F401 - `server` is a fixture, requested by name
from tests.plugin_helpers import CAND, REF, Picks, Project, registry_toml, with_answers
from tests.reliability_helpers import files_under, junit_results, registry, run, write_tiny_gguf

pytest_plugins = ["pytester", "tests.plugin_helpers"]

UMASK = 0o027


def assert_modes_follow_umask(root: Path, mask: int) -> None:
    """Files: no exec bit and nothing the umask takes away; folders: nothing the umask takes away."""
    __tracebackhide__ = True
    bad = []
    for p in [root, *root.rglob("*")]:
        if p.is_symlink():
            continue
        mode = stat.S_IMODE(p.stat().st_mode)
        if p.is_file() and mode & 0o111:
            bad.append(f"{p} is executable ({oct(mode)})")
        if mode & mask:
            bad.append(f"{p} ignores the umask {oct(mask)} ({oct(mode)})")
    if bad:
        raise AssertionError("\n".join(bad))


def assert_private(root: Path) -> None:
    """Folders 0700, files 0600: nothing for the group or others, and no file is executable."""
    __tracebackhide__ = True
    bad = []
    for p in [root, *root.rglob("*")]:
        if p.is_symlink():
            continue
        mode = stat.S_IMODE(p.stat().st_mode)
        if (p.is_file() and mode != 0o600) or (p.is_dir() and mode != 0o700):
            bad.append(f"{p} is not private ({oct(mode)})")
    if bad:
        raise AssertionError("\n".join(bad))


def test_converted_and_compressed_model_caches_are_private(project: Project, picks: Picks, tmp_path: Path) -> None:
    gguf = write_tiny_gguf(tmp_path / "tiny.gguf")
    models = {"tiny-gguf": {"base": f"gguf:{gguf}"},
              "tiny-gguf-mag50": {"base": "tiny-gguf", "method": "magnitude(sparsity=0.5,structure=unstructured)"}}
    project.write(with_answers(picks.items, picks.ref), models=("tiny-gguf-mag50",), registry=registry(models))
    result = run(project, "-k", "benign", umask=UMASK)
    assert result.returncode in (0, 1, 6, 7), result  # any verdict: this test is about the files
    kinds = {p.parent.parent.name for p in (project.home / "models").glob("*/*/manifest.json")}
    assert kinds == {"embedded", "compressed"}, kinds  # the GGUF was converted and the model pruned, here
    assert (project.home / "results.sqlite").is_file()
    assert_private(project.home)  # whatever the umask (027 here): copies of gated weights, model outputs
    assert_modes_follow_umask(project.root / "reports", UMASK)


KEY = "sk-PLANTED-endpoint-9f3c2e7a1b"
OTHER_SECRETS = {"HF_TOKEN": "hf_PLANTEDhubTOKEN5555555555555", "OPENAI_API_KEY": "sk-PLANTED-openai-666666666666"}


def test_an_endpoint_key_echoed_by_the_server_reaches_no_report_log_or_junit(
    project: Project, picks: Picks, server: tuple[str, Scripted]  # noqa: F811
) -> None:
    url, script = server
    # The server answers every request with an error that quotes the Authorization header back.
    script.default = (400, {}, json.dumps({"error": f"bad request; you sent Authorization: Bearer {KEY}"}))
    project.write(with_answers(picks.items, picks.ref), models=(CAND,), registry=registry_toml(project.zoo))
    result = run(project, "-k", "benign", "--endpoint", f"{CAND}={url}#cand", "--endpoint", f"{REF}={url}#ref",
                 "-p", "allure_pytest", "--alluredir", "reports/allure-results", "--junitxml", "reports/junit.xml",
                 "-rA", "--log-level", "DEBUG", env={"COMPTRUST_ENDPOINT_KEY": KEY, **OTHER_SECRETS})
    assert result.returncode == 1, result
    [(outcome, message)] = [v for k, v in junit_results(project.root / "reports" / "junit.xml").items() if CAND in k]
    assert outcome == "failed" and "HTTP 400" in message and "bad request" in message, message  # the server's words
    assert script.seen and all(s["headers"].get("Authorization") == f"Bearer {KEY}" for s in script.seen)  # sent

    written = list(files_under(project.root / "reports", project.home))
    assert any(p.suffix == ".xml" for p in written) and any("allure-results" in str(p) for p in written)
    secrets = {"COMPTRUST_ENDPOINT_KEY": KEY, **OTHER_SECRETS}
    leaks = [(str(p), name) for p in written for name, value in secrets.items() if value.encode() in p.read_bytes()]
    leaks += [("pytest output", name) for name, value in secrets.items() if value in result.output]
    assert leaks == []
