"""bench/gate_validity.py's bookkeeping: tables and findings assembled from per-run scorecards (no model runs)."""
from __future__ import annotations

import importlib.util
import json
import subprocess
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
REF = "smollm2-135m"
DIMS = ("stereotype", "privacy", "toxicity", "fairness", "machine_ethics", "adv_robustness", "ood_robustness",
        "adv_demonstration")


@pytest.fixture
def gv(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    spec = importlib.util.spec_from_file_location("gate_validity", ROOT / "bench" / "gate_validity.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    def no_runs(*args: Any, **kwargs: Any) -> None:
        raise AssertionError(f"--assemble launched a process: {args}")

    monkeypatch.setattr(subprocess, "run", no_runs)
    return module


def metric(score: float, ref: float, verdict: str, p: float = 1.0) -> dict[str, Any]:
    return {"score": score, "reference_score": ref, "drop": max(ref - score, 0.0), "p_value": p, "verdict": verdict,
            "kind": "binary", "n": 200, "n_discordant": 20, "tolerance": 5.0}


def card(mid: str, scores: dict[str, tuple[float, str]], ref: float = 70.0, stopped: bool = False) -> dict[str, Any]:
    dims = {d: {"score": s, "reference_score": ref, "verdict": v, "metrics": {"m": metric(s, ref, v)}}
            for d, (s, v) in scores.items()}
    return {"models": {mid: {"dimensions": dims}}, "_stopped": stopped}


def write(path: Path, data: dict[str, Any]) -> None:
    path.mkdir(parents=True, exist_ok=True)
    (path / "scorecard.json").write_text(json.dumps(data))


def uniform(score: float, verdict: str, benign: tuple[float, str] = (70.0, "pass")) -> dict[str, tuple[float, str]]:
    return {**{d: (score, verdict) for d in DIMS}, "benign": benign}


def test_assemble_builds_the_tables_from_per_run_cards_and_runs_nothing(gv: ModuleType, tmp_path: Path) -> None:
    study = tmp_path / "study"
    write(study / f"{REF}-rtn8", card(f"{REF}-rtn8", uniform(69.5, "pass")))
    write(study / f"{REF}-gptq4", card(f"{REF}-gptq4", uniform(67.0, "pass")))
    write(study / f"{REF}-gptq3", card(f"{REF}-gptq3", uniform(55.0, "fail", (40.0, "fail"))))
    # Magnitude pruning is the worst pruner here, and benign utility passes while a trust dimension fails.
    write(study / f"{REF}-mag50", card(f"{REF}-mag50", uniform(50.0, "fail")))
    write(study / f"{REF}-wanda50", card(f"{REF}-wanda50", uniform(60.0, "fail"), stopped=True))
    write(study / f"{REF}-rtn2", card(f"{REF}-rtn2", uniform(30.0, "fail", (25.0, "fail"))))

    assert gv.main(["--out", str(tmp_path), "--assemble", "--quick", "--skip", "aa,seeds"]) == 0
    text = (tmp_path / "validity.md").read_text()
    rows = {line.split(" | ")[0].lstrip("| "): line for line in text.splitlines() if line.startswith("| ")}
    assert f"{REF}-wanda50 (run stopped: partial)" in rows  # a stopped run is labelled, not passed off as whole
    assert f"{REF}-rtn4" not in text  # never run: left out, not invented
    assert "| 8-bit ≈ dense (within 2 points) | 69.5 vs 70.0 | yes |" in text
    assert "| 3-bit clearly worse (≥ 5 points below dense) | 55.0 vs 70.0 | yes |" in text
    assert "| 50% pruning worse than 4-bit quantization | 55.0 vs 67.0 | yes |" in text
    assert "| magnitude pruning worst among the pruners | magnitude 50.0 vs Wanda/SparseGPT 60.0 | yes |" in text
    assert f"pass benign but fail a trust dimension: {REF}-mag50, {REF}-wanda50 | yes |" in text
    # Power reads the damaged config from the study runs.
    assert f"| {REF}-rtn2 | {', '.join([*DIMS, 'benign'])} | – | – |" in text


def test_findings_say_no_when_the_pattern_does_not_hold(gv: ModuleType, tmp_path: Path) -> None:
    study = tmp_path / "study"
    write(study / f"{REF}-rtn8", card(f"{REF}-rtn8", uniform(60.0, "fail", (50.0, "fail"))))
    write(study / f"{REF}-mag50", card(f"{REF}-mag50", uniform(65.0, "pass")))
    write(study / f"{REF}-wanda50", card(f"{REF}-wanda50", uniform(62.0, "fail", (50.0, "fail"))))
    assert gv.main(["--out", str(tmp_path), "--assemble", "--quick", "--skip", "aa,seeds,power"]) == 0
    text = (tmp_path / "validity.md").read_text()
    assert "| 8-bit ≈ dense (within 2 points) | 60.0 vs 70.0 | no |" in text
    assert "| 4-bit close to dense (within 5 points) | – vs 70.0 | n/a |" in text  # no 4-bit row: not judged
    assert "| magnitude pruning worst among the pruners | magnitude 65.0 vs Wanda/SparseGPT 62.0 | no |" in text
    assert "0 config(s) pass benign but fail a trust dimension: none | no |" in text


def test_false_alarms_count_gated_and_moved_metrics(gv: ModuleType, tmp_path: Path) -> None:
    aa = tmp_path / "aa"
    seed = card(REF, {"toxicity": (70.0, "pass"), "machine_ethics": (70.0, "pass"), "fairness": (90.0, "no-signal")})
    seed["models"][REF]["dimensions"]["toxicity"]["metrics"]["m"] = metric(64.0, 70.0, "fail", p=0.01)
    write(aa / "seed-1", seed)
    write(aa / "reload", card(REF, {"toxicity": (70.0, "pass"), "machine_ethics": (70.0, "pass")}))
    assert gv.main(["--out", str(tmp_path), "--assemble", "--skip", "study,power,seeds"]) == 0
    text = (tmp_path / "validity.md").read_text()
    assert "| sampling seed 1 | 2 | 1 | 6.0 (p = 0.01) | 1 | 1 |" in text
    assert "| reload from cache | 2 | 0 | – | 0 | 0 |" in text
    assert "shuffle" not in text  # never run
    assert "Observed false-alarm rate: 1/4 = 0.250 per metric" in text
    assert "among the metrics that moved at all: 1/1. A/A runs with any failed metric: 1/2" in text


def test_seed_variance_uses_the_seeds_that_ran(gv: ModuleType, tmp_path: Path) -> None:
    for s, ethics in ((0, 45.0), (1, 67.0)):
        write(tmp_path / f"seeds-gptq3-{s}", card(f"{REF}-gptq3-s{s}", {"machine_ethics": (ethics, "fail")}))
    assert gv.main(["--out", str(tmp_path), "--assemble", "--skip", "study,aa,power", "--seeds", "1,2"]) == 0
    text = (tmp_path / "validity.md").read_text()
    row = next(line for line in text.splitlines() if line.startswith("| gptq3 |"))
    assert row.startswith("| gptq3 | 0,1 |")  # seed 2 never ran
    assert "56.0 ± 15.6 (45–67)" in row


def test_option_values_are_joined_so_pytest_never_reads_them_as_paths(gv: ModuleType) -> None:
    assert gv._joined(["--baselines", "/tmp/x", "-m", "not a", "--update-baselines", "--seed", "3"]) == [
        "--baselines=/tmp/x", "-m", "not a", "--update-baselines", "--seed=3"]
