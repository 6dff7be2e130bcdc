"""The full tier end to end: DecodingTrust-format fixture data through the eight trust modules and the gate.

Unit part: the static set names match what `build_full` builds, and the set weights make the gate's
weighted mean of set scores equal DecodingTrust's dimension score. Pytester part: the real trust modules
run on a tiny random Llama with `--tier full --dt-data tests/data/dt/data` (the study cut down to the
fixtures by `--dt-study`), a broken file fails only its dimension, and without data offline they skip.
"""
from __future__ import annotations

import json
import random
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from tests.plugin_helpers import COPY, Project, make_items
from trust_tests.probes.dt import DIMENSIONS
from trust_tests.probes.dt.builders import build_full
from trust_tests.probes.dt.evaluate import item_values, score_dimension
from trust_tests.probes.dt.files import _hf_probe
from trust_tests.probes.dt.plan import chance, load_study, set_names, set_weight
from trust_tests.probes.dt.study import STUDY
from trust_tests.probes.dt.slices.fairness import fairness_statistic

pytest_plugins = ["pytester", "tests.plugin_helpers"]

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data" / "dt" / "data"
SMALL = REPO / "tests" / "data" / "dt" / "small_study.json"
MODULES = [REPO / "trust_tests" / f"test_{d}.py" for d in DIMENSIONS]


# ---- unit: names, weights, chance ---------------------------------------------------------------


@pytest.mark.parametrize("dimension", DIMENSIONS)
def test_set_names_match_what_build_full_builds(dimension: str) -> None:
    study = load_study(SMALL)
    built = build_full(dimension, DATA, seed=0, limit=None, study=study)
    assert tuple(built) == set_names(dimension, study)


@pytest.mark.parametrize("study", [STUDY, load_study(SMALL)], ids=["study", "small"])
@pytest.mark.parametrize("dimension", DIMENSIONS)
def test_set_weights_sum_to_one(dimension: str, study: object) -> None:
    weights = [set_weight(dimension, n, study) for n in set_names(dimension, study)]  # type: ignore[arg-type]
    assert sum(weights) == pytest.approx(1.0)
    assert min(weights) >= 0.0


def test_study_set_counts_and_part_weights() -> None:
    assert len(set_names("toxicity")) == 8 and len(set_names("fairness")) == 11
    assert len(set_names("privacy")) == 27 + 12 * 3 + 8  # Enron modes, PII type x mode, topics
    assert set_weight("machine_ethics", "zero_shot") == pytest.approx(0.25)
    assert set_weight("machine_ethics", "jailbreak_3") == pytest.approx(0.25 / 5)
    assert set_weight("privacy", "enron/context-50") == pytest.approx(0.4 / 27)
    assert set_weight("privacy", "understanding/vote") == pytest.approx(0.3 / 8)
    assert set_weight("adv_demonstration", "backdoor/badword/setup1/cacc/42") == 0.0
    assert set_weight("adv_demonstration", "backdoor/badword/setup1/asr/42") == pytest.approx(1 / 3 / 36)
    assert chance("adv_robustness", "alpaca/mnli", 3) == pytest.approx(1 / 3)
    assert chance("machine_ethics", "jailbreak_1", 2) is None
    assert chance("ood_robustness", "knowledge/qa_2023_idk", 5) is None
    assert chance("toxicity", "toxic/template-0", 0) is None


def _fake_generations(dimension: str, sets: dict, seed: int = 0) -> dict[str, list[list[str]]]:
    """Seeded answers drawn from each item's options, secrets and refusals: every outcome kind occurs."""
    rng = random.Random(seed)
    out = {}
    for name, probes in sets.items():
        gens = []
        for it in probes.items:
            pool = [*it.options, "I don't know.", "Sorry, I cannot help with that.", "yes", "no", "I agree.",
                    "I disagree.", "damn you idiot", "Yes, I will tell Mike."]
            if dimension == "fairness":
                # Recognised answers only: with fewer than 3, DecodingTrust calls a setting perfectly fair,
                # a rule the gate's per-resample statistic does not apply (see trust_tests/probes/dt/gating.py).
                pool = list(it.options)
            pool += [f"{v} is it" for k in ("email", "secret") if (v := it.meta.get(k))]
            gens.append([rng.choice(pool) for _ in range(int(it.meta["n"]))])
        out[name] = gens
    return out


def _fake_toxicity(texts: Sequence[str]) -> list[float]:
    return [min(1.0, 0.1 * (len(t) % 9) + (0.5 if "idiot" in t else 0.0)) for t in texts]


@pytest.mark.parametrize("dimension", [d for d in DIMENSIONS if d != "stereotype"])
def test_weighted_set_scores_are_the_decodingtrust_score(dimension: str) -> None:
    # Stereotype is left out: DecodingTrust rounds each group x topic cell to 2 decimals first.
    study = load_study(SMALL)
    sets = build_full(dimension, DATA, seed=0, limit=None, study=study)
    gens = _fake_generations(dimension, sets)
    total = 0.0
    for name, probes in sets.items():
        values = np.asarray(item_values(dimension, name, probes, gens[name], toxicity=_fake_toxicity, seed=0))
        if dimension == "fairness":
            stat = fairness_statistic([it.meta["sensitive"] for it in probes.items], [it.meta["y"] for it in probes.items],
                                      study.fairness.score)
            score = stat(values, np.arange(len(values)))
        else:
            score = float(values.mean())
        total += set_weight(dimension, name, study) * score
    expected = score_dimension(dimension, sets, gens, toxicity=_fake_toxicity, seed=0,
                               privacy_weights=study.privacy.weights).score
    assert 100 * total == pytest.approx(expected, abs=1e-9)


# ---- end to end (pytester, tiny random Llama) ---------------------------------------------------


@pytest.fixture
def full_project(project: Project) -> Project:
    """The pytester project with the eight real trust modules instead of the inner test."""
    import trust_tests.probes.dt.gating  # noqa: F401 - imported once outside inner runs (see preimport)
    import trust_tests.probes.toxicity_scorers  # noqa: F401

    project.write(make_items(4))
    (project.root / "trust_tests" / "test_inner_gate.py").unlink()
    for module in MODULES:
        shutil.copy(module, project.root / "trust_tests" / module.name)
    return project


def _full(project: Project, *args: str, data: Path = DATA, study: Path = SMALL) -> pytest.RunResult:
    # --opt=VALUE: a path given as a separate argument would take part in finding the inner run's rootdir.
    return project.run("--tier", "full", f"--dt-data={data}", f"--dt-study={study}", "--limit", "2",
                       "--model", COPY, "-p", "no:randomly", "-rs", *args)


def _quick_study(tmp_path: Path) -> Path:
    """The fixtures' study with one set and a few short samples for each sampled kind: the study's 25 or
    100 samples of up to 150 tokens per item are most of an inner run's time on CPU."""
    overrides = json.loads(SMALL.read_text())
    few = {"max_new_tokens": 24, "temperature": 1.0, "n": 4}  # instead of 25 (100) samples of 150 (64) tokens
    overrides["stereotype"] = {"system_types": ["targeted"], "generation": few}
    overrides["toxicity"] = {"templates": [1], "subsets": {"toxic": "toxicity/user_prompts/toxic.jsonl"},
                             "generation": few}
    overrides["privacy"] = {**overrides["privacy"], "understanding_topics": {"divorce": "got divorced"},
                            "understanding_generation": few}
    path = tmp_path / "quick_study.json"
    path.write_text(json.dumps(overrides))
    return path


def test_every_dimension_runs_end_to_end_through_the_gate(full_project: Project, tmp_path: Path) -> None:
    study = _quick_study(tmp_path)
    result = _full(full_project, "-k", "_full", study=study)
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) == 0 and outcomes.get("errors", 0) == 0, result.stdout.str()
    # A copy of the reference gated against it: every set passes, or is inconclusive (no signal, or 2 items
    # cannot show a drop under the tolerance) and says why.
    skips = [ln for ln in result.stdout.lines if ln.startswith("SKIPPED")]
    assert all("inconclusive (" in ln for ln in skips), skips
    card = full_project.scorecard()
    dims = card["models"][COPY]["dimensions"]
    assert set(DIMENSIONS) <= set(dims)
    for dim in DIMENSIONS:
        metrics = dims[dim]["metrics"]
        assert set(metrics) == set(set_names(dim, load_study(study))), dim
        assert all(m["verdict"] in ("pass", "inconclusive") for m in metrics.values()), (dim, metrics)
        assert all(m["n"] <= 2 for m in metrics.values())
    assert card["tier"] == "full"


def test_a_broken_file_fails_only_its_dimension(full_project: Project, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    broken = data / "fairness" / "fairness_data" / "adult_0_200_test_base_rate_0.0.jsonl"
    lines = broken.read_text().splitlines()
    broken.write_text("\n".join([lines[0], '{"input": "cut off', *lines[2:]]) + "\n")
    result = _full(full_project, "-k", "fairness_full or machine_ethics_full", data=data)
    outcomes = result.parseoutcomes()
    n_fair = len(set_names("fairness", load_study(SMALL)))
    assert outcomes.get("failed") == n_fair, result.stdout.str()
    failures = [ln for ln in result.stdout.lines if ln.startswith("FAILED")]
    assert all("test_fairness_full" in ln for ln in failures)
    text = result.stdout.str()
    assert f"[fairness] {broken}, line 2: invalid JSON" in text
    ethics = outcomes.get("passed", 0) + outcomes.get("skipped", 0)
    assert ethics == len(set_names("machine_ethics", load_study(SMALL)))  # the other dimension still ran


def test_a_missing_file_that_feeds_one_set_fails_only_that_set(full_project: Project, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    (data / "machine_ethics" / "ethics" / "commonsense" / "cm_train.csv").unlink()
    result = _full(full_project, "-k", "machine_ethics_full", data=data)
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed") == 1, result.stdout.str()
    assert "_ test_machine_ethics_full[few_shot_2-" in result.stdout.str()
    assert "file not found: `data/machine_ethics/ethics/commonsense/cm_train.csv` of DecodingTrust" in result.stdout.str()
    ran = outcomes.get("passed", 0) + outcomes.get("skipped", 0)
    assert ran == len(set_names("machine_ethics", load_study(SMALL))) - 1  # the other sets still ran


def test_without_data_offline_full_tests_skip_with_the_reason(full_project: Project,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    _hf_probe.cache_clear()  # the probe is cached per process; this run must see the offline hub
    try:
        result = full_project.run("--tier", "full", "--model", COPY, "-p", "no:randomly", "-rs", "-k", "stereotype")
    finally:
        _hf_probe.cache_clear()
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) == 0 and outcomes.get("failed", 0) == 0, result.stdout.str()
    text = result.stdout.str()
    assert "no --dt-data PATH given, and HF_HUB_OFFLINE is set" in text
    # The smoke tests step aside (deselected, named in one line); only the full sets remain, skipped.
    assert "smoke-tier test(s) deselected (this run is --tier full; run them with --tier smoke)" in text
    assert outcomes["skipped"] == len(STUDY.stereotype.system_types) and outcomes["deselected"] >= 3, outcomes


def test_smoke_tier_runs_no_full_test(full_project: Project) -> None:
    result = full_project.run("--model", COPY, "-p", "no:randomly", "-rs", "-k", "_full")
    outcomes = result.parseoutcomes()
    # Every full-tier test is deselected (not skipped: -ra stays clean), one per dimension, and none ran.
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED, result.stdout.str()
    assert set(outcomes) == {"deselected"}, outcomes
    assert (f"comptrust: {len(DIMENSIONS)} full-tier test(s) deselected (this run is --tier smoke; run them with "
            "--tier full --dt-data PATH)") in result.stdout.str()


def test_study_overrides_can_change_sampling(tmp_path: Path) -> None:
    from trust_tests.probes.dt.settings import Generation

    study = load_study(_quick_study(tmp_path))
    assert study.stereotype.generation == Generation(24, 1.0, 4)
    assert study.privacy.understanding_generation == Generation(24, 1.0, 4)
    sets = build_full("stereotype", DATA, seed=0, limit=1, study=study)
    assert [it.meta["n"] for p in sets.values() for it in p.items] == [4]
    with pytest.raises(ValueError, match="study overrides"):
        load_study(tmp_path / "missing.json")
