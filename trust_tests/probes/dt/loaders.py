"""Per-dimension loaders for DecodingTrust's `data/` folder, into small typed records.

Each loader reads only its own dimension's files and raises `DTDataError` (file, line, dimension) for
them alone, so one missing dimension never blocks another. Paths are relative to `data/`; the exact
names each dimension expects are listed in `EXPECTED_FILES`.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .files import DTDataError, first_existing, read_csv, read_json, read_jsonl, read_npy, read_text, require
from .settings import FairnessSetting

__all__ = [
    "AdvGlueExample",
    "ClassificationRecord",
    "DTDataError",
    "EthicsScenario",
    "FairnessRecord",
    "JiminyScenario",
    "KnowledgeQuestion",
    "StereotypePrompt",
    "StyleExample",
    "ToxicityPrompt",
    "load_adv_demo",
    "load_advglue",
    "load_enron_context",
    "load_enron_names",
    "load_enron_shots",
    "load_ethics_commonsense",
    "load_fairness",
    "load_jiminy",
    "load_ood_knowledge",
    "load_ood_style",
    "load_stereotype",
    "load_toxicity_prompts",
    "load_toxicity_templates",
]


# ---- stereotype ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class StereotypePrompt:
    topic: str
    group: str
    template: str  # the statement with `[target_group]`
    text: str  # the full user prompt: task description + statement
    line: int


def load_stereotype(root: Path) -> tuple[list[StereotypePrompt], dict[str, str]]:
    """`stereotype/dataset/user_prompts.csv` and `system_prompts.csv` (types benign/untargeted/targeted)."""
    dim = "stereotype"
    user_path = require(root, "stereotype/dataset/user_prompts.csv", dim)
    rows = read_csv(user_path, dim, ["stereotype_topic", "target_group", "stereotype_template", "user_prompt"])
    prompts = []
    for r in rows:
        statement = r["stereotype_template"].replace("[target_group]", r["target_group"])
        if not r["user_prompt"].endswith(statement):
            raise DTDataError(
                dim, user_path, "user_prompt does not end with its filled-in stereotype_template", int(r["_line"])
            )
        prompts.append(
            StereotypePrompt(
                r["stereotype_topic"], r["target_group"], r["stereotype_template"], r["user_prompt"], int(r["_line"])
            )
        )
    sys_path = require(root, "stereotype/dataset/system_prompts.csv", dim)
    systems = {r["type"]: r["system_prompt"] for r in read_csv(sys_path, dim, ["type", "system_prompt"])}
    missing = [t for t in ("benign", "untargeted", "targeted") if t not in systems]
    if missing:
        raise DTDataError(dim, sys_path, f"no row for system prompt type(s) {missing}")
    return prompts, systems


# ---- toxicity -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ToxicityPrompt:
    text: str
    toxicity: float | None  # the prompt's own Perspective score, as shipped
    line: int


def load_toxicity_prompts(root: Path, rel: str) -> list[ToxicityPrompt]:
    """RealToxicityPrompts-style jsonl: `{"prompt": {"text": ..., "toxicity" | "score": {"toxicity"}}}`."""
    path = require(root, rel, "toxicity")
    out = []
    for row in read_jsonl(path, "toxicity", required=["prompt.text"]):
        prompt = row["prompt"]
        score = prompt.get("toxicity", (prompt.get("score") or {}).get("toxicity"))
        out.append(ToxicityPrompt(str(prompt["text"]), None if score is None else float(score), row["_line"]))
    return out


def load_toxicity_templates(root: Path, rel: str) -> list[tuple[str, str]]:
    """(system prompt, task description) pairs from `toxicity/toxicity_prompts.py`, read as data.

    The file is parsed, never executed: only the literal `PROMPTS = [...]` list is evaluated.
    """
    path = require(root, rel, "toxicity")
    text = read_text(path, "toxicity")
    try:
        tree = ast.parse(text, filename=str(path))
    except SyntaxError as e:
        raise DTDataError("toxicity", path, f"not parseable Python ({e.msg})", e.lineno) from None
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "PROMPTS" for t in node.targets):
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                raise DTDataError("toxicity", path, "PROMPTS is not a plain literal list", node.lineno) from None
            if not isinstance(value, list) or not all(
                isinstance(p, dict) and isinstance(p.get("sys_prompt"), str) and isinstance(p.get("task_desc"), str)
                for p in value
            ):
                raise DTDataError(
                    "toxicity", path, "PROMPTS entries need string `sys_prompt` and `task_desc`", node.lineno
                )
            return [(p["sys_prompt"], p["task_desc"]) for p in value]
    raise DTDataError("toxicity", path, "no `PROMPTS = [...]` assignment found")


# ---- shared classification format (fairness, adversarial demonstrations) ------------------------


@dataclass(frozen=True)
class ClassificationRecord:
    """DecodingTrust's classification jsonl row: input, label, options, few-shot examples."""

    input: str
    label: str
    options: tuple[str, ...]
    examples: tuple[tuple[str, str], ...]
    line: int


def _classification_rows(path: Path, dimension: str) -> list[ClassificationRecord]:
    out = []
    for row in read_jsonl(path, dimension, required=["input", "label", "option"]):
        lineno = row["_line"]
        examples = row.get("examples", [])
        if not isinstance(examples, list) or not all(isinstance(e, list) and len(e) == 2 for e in examples):
            raise DTDataError(dimension, path, "`examples` must be a list of [text, label] pairs", lineno)
        out.append(
            ClassificationRecord(
                str(row["input"]),
                str(row["label"]),
                tuple(str(o) for o in row["option"]),
                tuple((str(t), str(lab)) for t, lab in examples),
                lineno,
            )
        )
    return out


# ---- fairness -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FairnessRecord:
    record: ClassificationRecord
    gold: int  # from the gt_labels .npy
    sensitive: str | int  # from the sensitive-attribute .npy ("Male"/"Female", or 0/1 for crime)


def load_fairness(root: Path, folder: str, setting: FairnessSetting) -> list[FairnessRecord]:
    """`fairness/fairness_data/<prompt>.jsonl` with its `gt_labels_*.npy` and `sensitive_attr_*.npy`."""
    dim = "fairness"
    rows = _classification_rows(require(root, f"{folder}/{setting.prompt_file}", dim), dim)
    labels_path = require(root, f"{folder}/{setting.labels_file}", dim)
    sens_path = require(root, f"{folder}/{setting.sensitive_file}", dim)
    gold, sens = read_npy(labels_path, dim), read_npy(sens_path, dim)
    for path, arr in ((labels_path, gold), (sens_path, sens)):
        if arr.ndim != 1 or len(arr) != len(rows):
            raise DTDataError(dim, path, f"has shape {arr.shape}; expected ({len(rows)},), one entry per prompt line")
    return [FairnessRecord(r, int(g), s.item()) for r, g, s in zip(rows, gold, sens, strict=True)]


# ---- machine ethics -----------------------------------------------------------------------------


@dataclass(frozen=True)
class EthicsScenario:
    label: int  # 1: the action is wrong
    text: str
    is_short: bool
    line: int


def load_ethics_commonsense(root: Path, rel: str) -> list[EthicsScenario]:
    """ETHICS commonsense csv (`label,input,is_short,edited`)."""
    dim = "machine_ethics"
    path = require(root, rel, dim)
    out = []
    for r in read_csv(path, dim, ["label", "input", "is_short"]):
        line = int(r["_line"])
        if r["label"] not in ("0", "1"):
            raise DTDataError(dim, path, f"label must be 0 or 1, got {r['label']!r}", line)
        if r["is_short"] not in ("True", "False"):
            raise DTDataError(dim, path, f"is_short must be True or False, got {r['is_short']!r}", line)
        out.append(EthicsScenario(int(r["label"]), r["input"], r["is_short"] == "True", line))
    return out


@dataclass(frozen=True)
class JiminyScenario:
    text: str
    label: tuple[int, ...] | None  # None: neutral; else harm counts, bad when the first two sum > 0


def load_jiminy(root: Path, rel: str) -> list[JiminyScenario]:
    """Jiminy Cricket json: a list of `[text, label or null, game]`."""
    dim = "machine_ethics"
    path = require(root, rel, dim)
    data = read_json(path, dim)
    if not isinstance(data, list):
        raise DTDataError(dim, path, "expected a JSON list of [text, label, game] entries")
    out = []
    for i, entry in enumerate(data):
        ok = (
            isinstance(entry, list)
            and len(entry) >= 2
            and isinstance(entry[0], str)
            and (
                entry[1] is None
                or (isinstance(entry[1], list) and len(entry[1]) >= 2 and all(isinstance(x, int) for x in entry[1]))
            )
        )
        if not ok:
            raise DTDataError(dim, path, f"entry {i} is not [text, null | [ints], game]")
        out.append(JiminyScenario(entry[0], None if entry[1] is None else tuple(entry[1])))
    return out


# ---- privacy ------------------------------------------------------------------------------------


def _str_map(data: Any, path: Path) -> dict[str, str]:
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        raise DTDataError("privacy", path, "expected a JSON object of email -> name strings")
    return data


def load_enron_names(root: Path, folder: str) -> dict[str, str]:
    path = require(root, f"{folder}/email2name.json", "privacy")
    return _str_map(read_json(path, "privacy"), path)


def load_enron_shots(root: Path, folder: str, name: str) -> dict[str, list[tuple[str, str]]]:
    """`one_shot.json`, `five_shot.json`, ...: target email -> [[demo email, demo name], ...]."""
    path = require(root, f"{folder}/{name}.json", "privacy")
    data = read_json(path, "privacy")
    if not isinstance(data, dict):
        raise DTDataError("privacy", path, "expected a JSON object of email -> [[email, name], ...]")
    out: dict[str, list[tuple[str, str]]] = {}
    for email, shots in data.items():
        if not isinstance(shots, list) or not all(
            isinstance(s, list) and len(s) == 2 and all(isinstance(x, str) for x in s) for s in shots
        ):
            raise DTDataError("privacy", path, f"entry {email!r} is not a list of [email, name] pairs")
        out[email] = [(s[0], s[1]) for s in shots]
    return out


def load_enron_context(root: Path, folder: str) -> dict[str, str]:
    """`context.json`: target email -> the text that preceded the address in the Enron corpus."""
    path = require(root, f"{folder}/context.json", "privacy")
    return _str_map(read_json(path, "privacy"), path)


# ---- adversarial robustness (AdvGLUE++) ---------------------------------------------------------

ADVGLUE_FIELDS: Mapping[str, tuple[str, ...]] = {
    "sst2": ("sentence",),
    "qqp": ("question1", "question2"),
    "mnli": ("premise", "hypothesis"),
    "mnli-mm": ("premise", "hypothesis"),
    "qnli": ("question", "sentence"),
    "rte": ("sentence1", "sentence2"),
}


@dataclass(frozen=True)
class AdvGlueExample:
    task: str
    label: int
    fields: Mapping[str, str]  # the task's text fields, in order
    method: str | None  # the attack; "semattack" rows carry a ready-made `sentence`
    index: int  # position in the task's list


def load_advglue(root: Path, folder: str, source: str, tasks: Sequence[str]) -> dict[str, list[AdvGlueExample]]:
    """`adv-glue-plus-plus/data/<source>.json`: {task: [{label, <fields>, method?}, ...]}."""
    dim = "adv_robustness"
    path = require(root, f"{folder}/{source}.json", dim)
    data = read_json(path, dim)
    if not isinstance(data, dict):
        raise DTDataError(dim, path, "expected a JSON object keyed by task")
    out: dict[str, list[AdvGlueExample]] = {}
    for task in tasks:
        if task not in data or not isinstance(data[task], list):
            raise DTDataError(dim, path, f"no list for task `{task}`")
        keys = ADVGLUE_FIELDS[task]
        rows = []
        for i, row in enumerate(data[task]):
            method = row.get("method") if isinstance(row, dict) else None
            need = ("sentence",) if method == "semattack" else keys
            if not isinstance(row, dict) or "label" not in row or any(k not in row for k in need):
                raise DTDataError(dim, path, f"{task}[{i}] needs `label` and {list(need)}")
            rows.append(
                AdvGlueExample(
                    task,
                    int(row["label"]),
                    {k: str(row[k]) for k in keys if k in row}
                    | ({"sentence": str(row["sentence"])} if method == "semattack" else {}),
                    method,
                    i,
                )
            )
        out[task] = rows
    return out


# ---- OOD robustness -----------------------------------------------------------------------------


@dataclass(frozen=True)
class KnowledgeQuestion:
    question: str
    choices: tuple[str, ...]
    answer: str  # the index of the right choice, as a digit string
    date: str | None  # "Today is ..." context; MMLU demonstrations have none


def _knowledge(entry: Any, where: str, path: Path) -> KnowledgeQuestion:
    ok = (
        isinstance(entry, dict)
        and isinstance(entry.get("question_sentence"), str)
        and isinstance(entry.get("choices"), list)
        and len(entry["choices"]) >= 4
        and "answer" in entry
    )
    if not ok:
        raise DTDataError("ood_robustness", path, f"{where} needs question_sentence, 4 choices and answer")
    answer = entry["answer"]
    answer = str(answer[0] if isinstance(answer, list) else answer)
    return KnowledgeQuestion(
        entry["question_sentence"], tuple(str(c) for c in entry["choices"]), answer, entry.get("question_date")
    )


def load_ood_knowledge(
    root: Path, rels: Sequence[str]
) -> tuple[dict[str, list[KnowledgeQuestion]], dict[str, list[KnowledgeQuestion]]]:
    """`ood/knowledge.json`: {"test": {"qa_2020"|"qa_2023": [...]}, "demo": {"<set>_<run>": [...]}}."""
    path = first_existing(root, rels, "ood_robustness")
    data = read_json(path, "ood_robustness")
    if not isinstance(data, dict) or not isinstance(data.get("test"), dict) or not isinstance(data.get("demo"), dict):
        raise DTDataError("ood_robustness", path, "expected top-level `test` and `demo` objects")
    parts = []
    for top in ("test", "demo"):
        parts.append(
            {
                name: [_knowledge(e, f"{top}.{name}[{i}]", path) for i, e in enumerate(rows)]
                for name, rows in data[top].items()
            }
        )
    return parts[0], parts[1]


@dataclass(frozen=True)
class StyleExample:
    sentence: str
    label: int  # 0 negative, 1 positive


def load_ood_style(
    root: Path, rels: Sequence[str]
) -> tuple[dict[str, list[StyleExample]], dict[str, list[StyleExample]]]:
    """`ood/style.json`: {"dev": {style: [{sentence, label}]}, "train_demo": {"<style>_<run>": [...]}}."""
    path = first_existing(root, rels, "ood_robustness")
    data = read_json(path, "ood_robustness")
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("dev"), dict)
        or not isinstance(data.get("train_demo"), dict)
    ):
        raise DTDataError("ood_robustness", path, "expected top-level `dev` and `train_demo` objects")
    parts = []
    for top in ("dev", "train_demo"):
        part: dict[str, list[StyleExample]] = {}
        for name, rows in data[top].items():
            part[name] = []
            for i, e in enumerate(rows):
                if not isinstance(e, dict) or "sentence" not in e or str(e.get("label")) not in ("0", "1"):
                    raise DTDataError("ood_robustness", path, f"{top}.{name}[{i}] needs `sentence` and label 0/1")
                part[name].append(StyleExample(str(e["sentence"]), int(e["label"])))
        parts.append(part)
    return parts[0], parts[1]


# ---- adversarial demonstrations -----------------------------------------------------------------


def load_adv_demo(root: Path, rel: str) -> list[ClassificationRecord]:
    """`adv_demonstration/{counterfactual,spurious,backdoor}/.../<seed>.jsonl` (classification rows)."""
    return _classification_rows(require(root, rel, "adv_demonstration"), "adv_demonstration")


# Exact files each dimension needs under `data/` (with the study's settings). For the report/README.
EXPECTED_FILES: Mapping[str, tuple[str, ...]] = {
    "stereotype": ("stereotype/dataset/user_prompts.csv", "stereotype/dataset/system_prompts.csv"),
    "toxicity": (
        "toxicity/toxicity_prompts.py",
        "toxicity/user_prompts/toxic.jsonl",
        "toxicity/user_prompts/nontoxic.jsonl",
        "toxicity/user_prompts/toxic.jsonl.gpt3.n=25.out1.split.annotated.jsonl.filtered.jsonl",
        "toxicity/user_prompts/toxic.jsonl.gpt4.n=25.out1.split.annotated.jsonl.filtered.jsonl",
    ),
    "fairness": (
        "fairness/fairness_data/{adult_0_200_test_base_rate_*,adult_32_200_train_base_rate_*,"
        "adult_16_200_train_br_0.0_test_br_0.5,adult_32_200_train_br_0.0_test_br_0.5,"
        "crime_0_300_test_base_rate_*}.jsonl, with gt_labels_<same>.npy and sensitive_attr_<same>.npy (adult)",
    ),
    "machine_ethics": (
        "machine_ethics/ethics/commonsense/cm_test.csv",
        "machine_ethics/ethics/commonsense/cm_train.csv",
        "machine_ethics/jiminy_test.json (extras)",
        "machine_ethics/jiminy_train.json (extras)",
    ),
    "privacy": (
        "privacy/enron_data/email2name.json",
        "privacy/enron_data/one_shot.json",
        "privacy/enron_data/five_shot.json",
        "privacy/enron_data/one_shot_non_domain.json",
        "privacy/enron_data/five_shot_non_domain.json",
        "privacy/enron_data/context.json (optional)",
    ),
    "adv_robustness": (
        "adv-glue-plus-plus/data/alpaca.json",
        "adv-glue-plus-plus/data/vicuna.json",
        "adv-glue-plus-plus/data/stable-vicuna.json",
    ),
    "ood_robustness": (
        "ood/knowledge.json (or ood/knowledge/knowledge.json)",
        "ood/style.json (or ood/styles/style.json)",
    ),
    "adv_demonstration": (
        "adv_demonstration/counterfactual/<task>_cf/<seed>.jsonl",
        "adv_demonstration/spurious/<construction>/<entail-bias|non-entail-bias>/<seed>.jsonl",
        "adv_demonstration/backdoor/experiment1/sst-2_<setup>_<attack>_<asr|cacc>/<seed>.jsonl",
    ),
}
