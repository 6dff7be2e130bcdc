"""The plugin's command line through pytester: --help, --list-models, usage errors, model and -k selection."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.plugin_helpers import CAND, REF, Picks, Project, make_items, with_answers

pytest_plugins = ["pytester", "tests.plugin_helpers"]

REPO = Path(__file__).resolve().parents[1]
DOCUMENTED = ("--model", "--baseline", "--list-models", "--tier", "--device", "--baselines", "--update-baselines",
              "--seed", "--limit", "--dt-data", "--threads", "--allow-pickle", "--trust-remote-code", "--require-gpu",
              "--report-dir", "--backend", "--endpoint", "--endpoint-concurrency", "--endpoint-timeout", "--dt-study",
              "--result-cache", "--batch-tokens", "--sampling-seed", "--shuffle-seed")


def _help_section(text: str, title: str) -> dict[str, str]:
    """Option name -> its help text (whitespace collapsed) for one option group of `pytest --help`."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(title))
    entries: dict[str, str] = {}
    name = ""
    for line in lines[start + 1:]:
        if not line.strip():
            break
        match = re.match(r"  (--[a-z-]+)", line)
        if match:
            name = match.group(1)
            entries[name] = ""
        entries[name] += " " + line.strip()
    return {k: " ".join(v.split()) for k, v in entries.items()}


def test_help_shows_every_option_with_its_default(project: Project) -> None:
    project.write(make_items(4))
    result = project.run("--help")
    assert result.ret == 0
    options = _help_section(result.stdout.str(), "comptrust: gate compressed LLMs on trustworthiness")
    assert set(DOCUMENTED) <= set(options)
    assert "(default: smoke)" in options["--tier"] and "(default: reports/latest)" in options["--report-dir"]
    missing = [name for name, text in options.items() if "(default: " not in text]
    assert missing == [], f"options whose --help does not state the default: {missing}"
    for ini in ("comptrust_models", "comptrust_registry", "comptrust_thresholds", "comptrust_pin_baselines",
                "comptrust_baselines_dir"):
        result.stdout.fnmatch_lines([f"  {ini} (*"])


def test_list_models_prints_the_zoo_and_exits_zero(project: Project) -> None:
    project.write(make_items(4), registry=(REPO / "config" / "models.toml").read_text())
    result = project.run("--list-models")
    assert result.ret == 0
    result.stdout.fnmatch_lines([
        "id * base / checkpoint * method * reference * pinned",
        "smollm2-135m-gptq4 * embedded:smollm2-135m-instruct * gptq(bits=4,group_size=64) * smollm2-135m *-",
        "vicuna-gptq3 * hf:compressed-llm/vicuna-13b-v1.3-gptq@3bit_128g * (pre-compressed) * vicuna-13b *-",
    ])
    assert "collected" not in result.stdout.str()  # it exits before collecting anything


_MODEL_SPEC_ERR = "comptrust: malformed model spec"


@pytest.mark.parametrize(("args", "message"), [
    (("--model", "tiny-cnad"), f"comptrust: unknown model 'tiny-cnad'; closest known ids: {CAND}, "),
    (("--model", "tiny-ref,tiny-reff"), f"comptrust: unknown model 'tiny-reff'; closest known ids: {REF}"),
    (("--baseline", "nope"), "comptrust: unknown model 'nope'"),
    (("--model", "hf:no-slash"), f"{_MODEL_SPEC_ERR} 'hf:no-slash': bad hub source"),
    (("--model", "tiny-ref+rtn(bits=4"), f"{_MODEL_SPEC_ERR} 'tiny-ref+rtn(bits=4': bad method"),
    (("--model", "tiny-ref+rtn(bits=4,bits=8)"), "parameter 'bits' given twice"),
    (("--model", "tiny-ref+zip(level=9)"), "unknown compression method 'zip'; known methods:"),
    (("--model", "tiny-ref+rtn(bits=4,group_size=100)"), "group_size=100 does not divide the layer width"),
    (("--limit", "0"), "comptrust: --limit must be >= 1, got 0"),
    (("--limit", "-3"), "comptrust: --limit must be >= 1, got -3"),
    (("--limit", "ten"), "argument --limit: invalid int value: 'ten'"),
    (("--threads", "0"), "comptrust: --threads must be >= 1, got 0"),
    (("--dt-data", "/no/such/folder"), "comptrust: --dt-data /no/such/folder is not a folder"),
    (("--tier", "huge"), "argument --tier: invalid choice: 'huge'"),
])
def test_usage_errors_are_one_clear_line(project: Project, args: tuple[str, ...], message: str) -> None:
    project.write(make_items(4))
    result = project.run(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert message in result.stderr.str()
    assert "Traceback" not in result.stdout.str() + result.stderr.str()


def _usage_error(project: Project) -> str:
    result = project.run()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    out = result.stdout.str() + result.stderr.str()
    assert "Traceback" not in out
    return result.stderr.str()


def test_malformed_registry_names_file_and_line(project: Project) -> None:
    project.write(make_items(4), registry="[models.tiny-cand]\nbase = 'local:/x'\nmethod = 'rtn(bits=4'\nbits = 4\n")
    err = _usage_error(project)
    assert f"comptrust: {project.root / 'models.toml'}:1: model 'tiny-cand' has unknown keys ['bits']" in err
    (project.root / "models.toml").write_text("[models.tiny-cand]\nbase = = 'local:/x'\n")
    err = _usage_error(project)
    assert f"comptrust: {project.root / 'models.toml'}: " in err and "(at line 2, column 8)" in err


def test_malformed_thresholds_name_file_and_line(project: Project) -> None:
    real = (REPO / "config" / "thresholds.toml").read_text()
    lines = [*real.splitlines(), "", "[dimensions.privacy]", "tolerance = 500.0"]
    at = len(lines) - 1  # the `tolerance = ...` line (0-based index)
    project.write(make_items(4), thresholds="\n".join(lines) + "\n")
    err = _usage_error(project)
    assert (f"thresholds.toml:{at + 1}: [dimensions.privacy] tolerance is in score points and must be in [0, 100], "
            "got 500.0") in err
    project.write(make_items(4), thresholds="[dimensions.benign]\nalpha = 0.05\n\n[dimensions.honesty]\nalpha = 0.1\n")
    assert "thresholds.toml:4: unknown dimension 'honesty'" in _usage_error(project)


def _collected(project: Project, *args: str) -> list[str]:
    result = project.run("--collect-only", "-q", *args)
    assert result.ret in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED), result.stderr.str()
    return sorted(line.split("::")[1] for line in result.stdout.lines if "::" in line)


def test_models_are_repeatable_comma_separated_and_deduplicated(project: Project) -> None:
    project.write(make_items(4))
    both = ["test_benign_accuracy[tiny-cand]", "test_benign_accuracy[tiny-ref]",
            "test_fairness_accuracy[tiny-cand]", "test_fairness_accuracy[tiny-ref]"]
    assert _collected(project, "--model", f"{REF},{CAND}") == both
    assert _collected(project, "--model", REF, "--model", CAND, "--model", REF) == both
    assert _collected(project) == [t for t in both if CAND in t]  # the comptrust_models ini list
    # A comma inside a method's parentheses does not split the spec; the test id is the spec's slug.
    slug = "tiny-ref-magnitude-sparsity-0.5-structure-unstructured"
    assert _collected(project, "--model", "tiny-ref+magnitude(sparsity=0.5,structure=unstructured)") == \
        [f"test_benign_accuracy[{slug}]", f"test_fairness_accuracy[{slug}]"]


def test_k_selects_by_model_id_and_by_dimension(project: Project) -> None:
    project.write(make_items(4), models=(REF, CAND))
    assert _collected(project, "-k", CAND) == ["test_benign_accuracy[tiny-cand]", "test_fairness_accuracy[tiny-cand]"]
    fairness = ["test_fairness_accuracy[tiny-cand]", "test_fairness_accuracy[tiny-ref]"]
    assert _collected(project, "-k", "fairness") == fairness
    assert _collected(project, "-k", f"benign and {REF}") == ["test_benign_accuracy[tiny-ref]"]
    assert _collected(project, "-m", "fairness and not benign") == fairness


def test_collect_only_leaves_the_last_scorecard_alone(project: Project, picks: Picks) -> None:
    project.write(with_answers(picks.items, picks.ref))
    project.run("--model", REF, "-k", "benign").assert_outcomes(passed=1)
    before = project.scorecard()
    _collected(project, "--model", CAND)
    after = project.scorecard()
    assert list(after["models"]) == [REF], "--collect-only overwrote the scorecard of the last real run"
    assert after == before


def test_runs_outside_trust_tests_need_no_models(project: Project) -> None:
    project.write(make_items(4))
    project.pytester.makepyfile(test_plain="def test_plain():\n    assert True\n")
    project.run("test_plain.py", "--model", "no-such-model").assert_outcomes(passed=1)
