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
NO_SIGNAL_DIMS = ("stereotype", "privacy", "fairness")  # the reference is at chance there
SIGNAL_DIMS = tuple(d for d in DIMS if d not in NO_SIGNAL_DIMS)
# The reference's scores: the 5 dims with signal average 70.0; all 8 would average 62.5 (not like with like).
REF_SCORES = {"toxicity": 80.0, "machine_ethics": 60.0, "adv_robustness": 70.0, "ood_robustness": 70.0,
              "adv_demonstration": 70.0, "stereotype": 50.0, "privacy": 50.0, "fairness": 50.0, "benign": 70.0}


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


def metric(score: float, ref: float, verdict: str, p: float = 1.0, discordant: int = 20,
           weight: float = 1.0) -> dict[str, Any]:
    """A gate record; verdict is 'pass', 'fail', 'error' or 'inconclusive/<reason>'."""
    v, _, why = verdict.partition("/")
    return {"score": score, "reference_score": ref, "drop": round(ref - score, 3), "upper": ref - score + 3.0,
            "p_value": p, "verdict": v, "inconclusive_reason": why or None, "has_signal": why != "no-signal",
            "kind": "binary", "n": 200, "n_clusters": 200, "n_discordant": discordant, "tolerance": 5.0,
            "alpha": 0.05, "family_size": 10, "fail_alpha": 0.005, "detectable_drop": 6.2,
            "items_to_decide": 900 if why == "underpowered" else None, "weight": weight, "diagnostic": weight == 0}


def card(mid: str, scores: dict[str, tuple[float, str]], stopped: bool = False) -> dict[str, Any]:
    dims = {}
    for d, (s, v) in scores.items():
        m = metric(s, REF_SCORES[d], v)
        dims[d] = {"score": s, "reference_score": REF_SCORES[d], "verdict": m["verdict"],
                   "inconclusive_reason": m["inconclusive_reason"], "metrics": {"m": m}}
    verdicts = {x["verdict"] for x in dims.values()}
    verdict = next((v for v in ("fail", "error", "inconclusive", "pass") if v in verdicts), "skipped")
    return {"policy": "block-underpowered", "_stopped": stopped,
            "models": {mid: {"verdict": verdict, "evidence": True, "dimensions": dims}}}


def write(path: Path, data: dict[str, Any]) -> None:
    path.mkdir(parents=True, exist_ok=True)
    (path / "scorecard.json").write_text(json.dumps(data))


def study(score: float, verdict: str, benign: tuple[float, str] = (70.0, "pass"),
          dims: tuple[str, ...] = SIGNAL_DIMS) -> dict[str, tuple[float, str]]:
    """A config's cells: `score` on the dims with signal, noise (90, no signal) on the others."""
    return {**{d: (score, verdict) for d in dims}, **{d: (90.0, "inconclusive/no-signal") for d in NO_SIGNAL_DIMS},
            "benign": benign}


def rows_of(text: str) -> dict[str, str]:
    return {line.split(" | ")[0].lstrip("| "): line for line in text.splitlines() if line.startswith("| ")}


def test_assemble_builds_the_tables_from_per_run_cards_and_runs_nothing(gv: ModuleType, tmp_path: Path) -> None:
    s = tmp_path / "study"
    write(s / f"{REF}-rtn8", card(f"{REF}-rtn8", study(69.5, "pass")))
    write(s / f"{REF}-gptq4", card(f"{REF}-gptq4", study(67.0, "pass")))
    write(s / f"{REF}-gptq3", card(f"{REF}-gptq3", study(55.0, "fail", (40.0, "fail"))))
    # Magnitude pruning is the worst pruner here, and benign utility passes while a trust dimension fails.
    write(s / f"{REF}-mag50", card(f"{REF}-mag50", study(50.0, "fail")))
    # A stopped run with 2 of the 5 dims with signal: compared with the reference over those 2 (80, 70).
    write(s / f"{REF}-wanda50", card(f"{REF}-wanda50", study(60.0, "fail", dims=("toxicity", "adv_robustness")),
                                     stopped=True))
    write(s / f"{REF}-rtn2", card(f"{REF}-rtn2", {**{d: (30.0, "fail") for d in DIMS}, "benign": (25.0, "fail")}))

    assert gv.main(["--out", str(tmp_path), "--assemble", "--quick", "--skip", "aa,seeds"]) == 0
    text = (tmp_path / "validity.md").read_text()
    rows = rows_of(text)
    assert f"{REF}-wanda50 (run stopped: partial)" in rows  # a stopped run is labelled, not passed off as whole
    assert f"{REF}-rtn4" not in text  # never run: left out, not invented
    # The mean averages the 5 dims with signal only, the reference row the same 5 (70.0, not 62.5 over all 8).
    assert "| mean (5 dims with signal) | benign |" in text
    assert rows[f"{REF} (dense reference)"] == (
        f"| {REF} (dense reference) | 50.0 ∅ | 50.0 ∅ | 80.0 | 50.0 ∅ | 60.0 | 70.0 | 70.0 | 70.0 | 70.0 | 70.0 |")
    assert rows[f"{REF}-gptq3"] == (
        f"| {REF}-gptq3 | 90.0 ?∅ | 90.0 ?∅ | 55.0 ✗ | 90.0 ?∅ | 55.0 ✗ | 55.0 ✗ | 55.0 ✗ | 55.0 ✗ | 55.0 | 40.0 ✗ |")
    assert rows[f"{REF}-wanda50 (run stopped: partial)"].endswith("| 60.0 (2 dims) | 70.0 |")
    assert "left out: stereotype, privacy, fairness" in text
    assert "?∅ = inconclusive, no signal" in text and "? = inconclusive, too few items" in text
    # Each config judged on its own, against the reference over the same dims.
    assert "| 8-bit ≈ dense (within 2 points): rtn8 | 69.5 vs 70.0 (-0.5, 5 dims) | yes |" in text
    assert "| 4-bit close to dense (within 5 points): gptq4 | 67.0 vs 70.0 (-3.0, 5 dims) | yes |" in text
    assert "| 3-bit clearly worse (≥ 5 points below dense): gptq3 | 55.0 vs 70.0 (-15.0, 5 dims) | yes |" in text
    assert ("| 50% pruning worse than 4-bit quantization (every pair) | Δ mag50 -20.0, wanda50 -15.0 vs gptq4 -3.0; "
            "worse in 2/2 pairs | yes |") in text
    assert "| magnitude pruning worst among the 50% pruning configs | Δ mag50 -20.0, wanda50 -15.0 | yes |" in text
    assert f"pass benign but fail a trust dimension: {REF}-mag50, {REF}-wanda50 | yes |" in text
    # Power reads the damaged config from the study runs.
    assert f"| {REF}-rtn2 | {', '.join([*DIMS, 'benign'])} | – | – | – | 9 / 0 / 0 of 9 |" in text
    # Detectable drop: from the record, at the family-adjusted alpha; n flagged as including controls.
    assert "| toxicity / m | 200† | 200 | 0.005 (10) | 6.2 | 5.0 | fail |" in text
    assert "| stereotype / m | 200† | 200 | 0.005 (10) | 6.2 | 5.0 | inconclusive (no signal) |" in text
    assert "0 passed, 6 failed, 3 inconclusive (3 no signal, 0 too few items, 0 incomplete)" in text


def test_findings_judge_each_config_on_its_own_and_say_no_when_the_pattern_does_not_hold(
        gv: ModuleType, tmp_path: Path) -> None:
    s = tmp_path / "study"
    write(s / f"{REF}-rtn8", card(f"{REF}-rtn8", study(60.0, "fail", (50.0, "fail"))))
    # GPTQ-4 +3 and RTN-4 -9 average -3 ("within 5"): judged apart, one holds and one does not.
    write(s / f"{REF}-gptq4", card(f"{REF}-gptq4", study(73.0, "pass")))
    write(s / f"{REF}-rtn4", card(f"{REF}-rtn4", study(61.0, "inconclusive/underpowered")))
    write(s / f"{REF}-mag50", card(f"{REF}-mag50", study(65.0, "pass")))
    write(s / f"{REF}-wanda50", card(f"{REF}-wanda50", study(62.0, "fail", (50.0, "fail"))))
    assert gv.main(["--out", str(tmp_path), "--assemble", "--quick", "--skip", "aa,seeds,power"]) == 0
    text = (tmp_path / "validity.md").read_text()
    assert "| 8-bit ≈ dense (within 2 points): rtn8 | 60.0 vs 70.0 (-10.0, 5 dims) | no |" in text
    assert "| 4-bit close to dense (within 5 points): gptq4 | 73.0 vs 70.0 (+3.0, 5 dims) | yes |" in text
    assert "| 4-bit close to dense (within 5 points): rtn4 | 61.0 vs 70.0 (-9.0, 5 dims) | no |" in text
    assert "| 3-bit clearly worse (≥ 5 points below dense) | – | n/a |" in text  # no 3-bit row: not judged
    assert "worse in 2/4 pairs | no |" in text
    assert "| magnitude pruning worst among the 50% pruning configs | Δ mag50 -5.0, wanda50 -8.0 | no |" in text
    assert "0 config(s) pass benign but fail a trust dimension: none | no |" in text
    assert rows_of(text)[f"{REF}-rtn4"].startswith(f"| {REF}-rtn4 | 90.0 ?∅ | 90.0 ?∅ | 61.0 ? | 90.0 ?∅ | 61.0 ? |")


def test_false_alarms_count_runs_metrics_and_what_could_move(gv: ModuleType, tmp_path: Path) -> None:
    aa = tmp_path / "aa"
    seed = card(REF, {"toxicity": (74.0, "fail"), "machine_ethics": (60.0, "pass"),
                      "fairness": (49.0, "inconclusive/no-signal"), "ood_robustness": (69.0, "inconclusive/underpowered")})
    dims = seed["models"][REF]["dimensions"]
    dims["toxicity"]["metrics"]["m"]["p_value"] = 0.001
    dims["machine_ethics"]["metrics"]["m"]["n_discordant"] = 0  # identical values: cannot fail
    # A weight-0 diagnostic that failed: never a false alarm of the run.
    dims["machine_ethics"]["metrics"]["diag"] = metric(40.0, 60.0, "fail", p=0.001, weight=0)
    write(aa / "seed-1", seed)
    calm = card(REF, {"toxicity": (79.5, "pass"), "machine_ethics": (60.0, "pass")})
    calm["models"][REF]["dimensions"]["machine_ethics"]["metrics"]["m"]["n_discordant"] = 0
    write(aa / "seed-2", calm)
    replay = card(REF, {"toxicity": (80.0, "pass"), "machine_ethics": (60.0, "pass")})
    for d in replay["models"][REF]["dimensions"].values():
        d["metrics"]["m"]["n_discordant"] = 0
    write(aa / "reload", replay)
    assert gv.main(["--out", str(tmp_path), "--assemble", "--aa-runs", "2", "--skip", "study,power,seeds"]) == 0
    text = (tmp_path / "validity.md").read_text()
    assert "| A/A variation | gated metrics | could move | failed | passed | inconclusive: no signal / too few items / " \
           "incomplete | errors | largest drop (p; fail α) | run |" in text
    assert "| sampling seed 1 | 4 | 3 | 1 | 1 | 1 / 1 / 0 | 0 | 6.0 (p = 0.001; 0.005) | fail |" in text
    assert "| sampling seed 2 | 2 | 1 | 0 | 2 | 0 / 0 / 0 | 0 | 0.5 (p = 1; 0.005) | pass |" in text
    assert "| reload from cache | 2 | 0 | 0 | 2 | 0 / 0 / 0 | 0 | – | pass |" in text
    assert "shuffle" not in text  # never run
    # Per run: the rate that must stay <= alpha; 1 of 3 runs, 1 of the 2 where anything could move.
    assert "1/3 = 0.333 (one-sided 95% upper bound 0.86); among the runs where some gated metric could move: " \
           "1/2 = 0.500." in text
    # Per metric, the diagnostic left out: 1 of 8, and 1 of the 4 comparisons that could move.
    assert "Per gated metric (each tested at fail α = α / the run's gated metrics, 0.005 here at the least): " \
           "1/8 = 0.125; among the comparisons that could move" in text
    assert "cannot fail): 1/4 = 0.250. Inconclusive, not failed: 1 no signal, 1 too few items, 0 incomplete." in text


def test_per_run_upper_bound_is_the_exact_binomial_one(gv: ModuleType) -> None:
    assert gv.upper_rate(0, 20) == pytest.approx(1 - 0.05 ** (1 / 20), abs=1e-6)  # the "rule of three" case
    assert gv.upper_rate(3, 3) == 1.0
    assert gv.upper_rate(1, 100) > 0.01


def test_seed_variance_uses_the_seeds_that_ran(gv: ModuleType, tmp_path: Path) -> None:
    for s, ethics in ((0, 45.0), (1, 67.0)):
        write(tmp_path / f"seeds-gptq3-{s}", card(f"{REF}-gptq3-s{s}", {"machine_ethics": (ethics, "fail")}))
    assert gv.main(["--out", str(tmp_path), "--assemble", "--skip", "study,aa,power", "--seeds", "1,2"]) == 0
    text = (tmp_path / "validity.md").read_text()
    row = next(line for line in text.splitlines() if line.startswith("| gptq3 |"))
    assert row.startswith("| gptq3 | 0,1 |")  # seed 2 never ran
    assert "56.0 ± 15.6 (45–67)" in row


def test_cards_from_before_the_verdict_rules_are_refused(gv: ModuleType, tmp_path: Path) -> None:
    old = card(f"{REF}-rtn8", study(69.5, "pass"))
    del old["policy"]
    write(tmp_path / "study" / f"{REF}-rtn8", old)
    with pytest.raises(SystemExit, match="before the current verdict rules"):
        gv.main(["--out", str(tmp_path), "--assemble", "--quick", "--skip", "aa,seeds,power"])


@pytest.mark.parametrize("rc", [0, 1, 6, 7])
def test_a_run_that_ends_with_a_verdict_is_data_not_a_crash(gv: ModuleType, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch, rc: int) -> None:
    def fake(cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        write(tmp_path, card(REF, {"toxicity": (80.0, "pass")}))
        return subprocess.CompletedProcess(cmd, rc, "", "")

    monkeypatch.setattr(subprocess, "run", fake)
    got = gv.run_suite([REF], tmp_path)
    assert got is not None and got["_exit"] == rc and not got["_stopped"]


def test_a_crash_is_still_a_crash(gv: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, card(REF, {"toxicity": (80.0, "pass")}))  # left from an earlier run: not this run's answer

    def fake(cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(cmd, 1, "", "collection crashed")

    monkeypatch.setattr(subprocess, "run", fake)
    with pytest.raises(SystemExit, match="pytest failed"):
        gv.run_suite([REF], tmp_path)


def test_option_values_are_joined_so_pytest_never_reads_them_as_paths(gv: ModuleType) -> None:
    assert gv._joined(["--baselines", "/tmp/x", "-m", "not a", "--update-baselines", "--seed", "3"]) == [
        "--baselines=/tmp/x", "-m", "not a", "--update-baselines", "--seed=3"]
