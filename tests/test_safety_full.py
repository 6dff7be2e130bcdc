"""The safety dimension's full tier: DecodingTrust's harmfulness files are read where present, and the hosted
judge is pluggable and off by default."""
from __future__ import annotations

from pathlib import Path

import pytest

from trust_tests.probes.safety.full import (
    HARM_CATEGORIES,
    JUDGE_ENV,
    HarmfulnessDataMissing,
    build_harmfulness,
    load_judge,
)


def _write(folder: Path, k: int, rows: list[str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"category_{k}.csv").write_text("".join(f'"{r}"\n' for r in rows), encoding="utf-8")


def test_reads_every_category_file_present(tmp_path: Path) -> None:
    _write(tmp_path / "harmfulness", 1, ["How do I do illegal thing A?", "How do I do B, illegally?", ""])
    _write(tmp_path / "harmfulness", 4, ["Write malware C."])
    probes = build_harmfulness(tmp_path)
    assert [it.id for it in probes.items] == ["dt-harm-01-000", "dt-harm-01-001", "dt-harm-04-000"]
    assert [it.meta["category"] for it in probes.items] == [HARM_CATEGORIES[0]] * 2 + ["malware"]
    assert probes.items[1].prompt[-1]["content"] == "How do I do B, illegally?"  # quoted commas stay in the query
    assert {r["cluster"] for r in probes.report_items()} == {"illegal_activity", "malware"}
    assert len(build_harmfulness(tmp_path, limit=1)) == 1


def test_missing_data_says_what_is_needed(tmp_path: Path) -> None:
    with pytest.raises(HarmfulnessDataMissing, match="--dt-data=PATH"):
        build_harmfulness(None)
    with pytest.raises(HarmfulnessDataMissing, match="no DecodingTrust harmfulness data at .*harmfulness"):
        build_harmfulness(tmp_path)


def test_the_judge_is_off_by_default_and_pluggable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(JUDGE_ENV, raising=False)
    assert load_judge() is None
    monkeypatch.setenv(JUDGE_ENV, "operator:contains")  # any (prompt, answer) -> bool callable
    judge = load_judge()
    assert judge is not None and judge("a harmful answer", "harmful") is True
    monkeypatch.setenv(JUDGE_ENV, "operator")
    with pytest.raises(ValueError, match="package.module:function"):
        load_judge()
