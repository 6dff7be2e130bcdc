"""Registry ids and --dt-study set names become parts of baseline paths: they are validated, with a clear error."""
from __future__ import annotations

from pathlib import Path

import pytest

from fixtures.baselines import BaselineError, BaselineStore
from fixtures.registry import Registry, RegistryError


@pytest.mark.parametrize("mid", ["../../etc/evil", "a/b", "..", "has space", ".hidden", "x" * 101])
def test_a_registry_id_that_is_not_a_safe_name_is_refused_with_its_line(tmp_path: Path, mid: str) -> None:
    reg = tmp_path / "models.toml"
    reg.write_text(f'[models."ok"]\nbase = "local:/m"\n\n[models."{mid}"]\nbase = "local:/m"\n')
    with pytest.raises(RegistryError, match=r"models\.toml:4: model id .* is not allowed: use letters, digits"):
        Registry.load(reg)


@pytest.mark.parametrize("part", ["reference", "dimension", "metric"])
@pytest.mark.parametrize("bad", ["../../outside", "a/b", "..", "x y", "", "-lead"])
def test_baseline_path_parts_are_validated(tmp_path: Path, part: str, bad: str) -> None:
    args = {"tier": "smoke", "reference": "tiny-ref", "dimension": "benign", "metric": "accuracy", part: bad}
    with pytest.raises(BaselineError, match="cannot be part of a baseline path"):
        BaselineStore(tmp_path).path(**args)


def test_safe_names_including_study_set_names_still_work(tmp_path: Path) -> None:
    store = BaselineStore(tmp_path)
    path = store.path("full", "smollm2-135m", "adv_demonstration", "spurious_entail-bias_accuracy")
    assert path == tmp_path / "full" / "smollm2-135m" / "adv_demonstration" / "spurious_entail-bias_accuracy.json"
    assert store.path("smoke", "r", "machine_ethics", "1-fpr_jailbreak").parent.parent.parent.parent == tmp_path
