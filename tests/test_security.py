"""Untrusted checkpoints: pickle weights are refused and remote code stays off unless the user opts in.

Both run the real plugin end to end on folders made from the tiny zoo's model. The remote-code folder
ships a modeling file that drops a marker file when executed, so "not executed" is observed, not assumed.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.plugin_helpers import COPY, Picks, Project, with_answers
from tests.reliability_helpers import junit_results, run, zoo_with_local

pytest_plugins = ["pytester", "tests.plugin_helpers"]


def _cases(project: Project, mid: str) -> dict[str, tuple[str, str]]:
    return {k: v for k, v in junit_results(project.root / "junit.xml").items() if mid in k}


def test_pickle_checkpoint_is_refused_with_the_reason_unless_allowed(
    project: Project, picks: Picks, tmp_path: Path
) -> None:
    import torch
    from safetensors.torch import load_file

    folder = tmp_path / "pickled"
    folder.mkdir()
    for f in project.zoo.ref_dir.iterdir():  # config and tokenizer as they are; the weights as a pickle
        if f.suffix != ".safetensors":
            shutil.copy(f, folder / f.name)
    torch.save(load_file(project.zoo.ref_dir / "model.safetensors"), folder / "pytorch_model.bin")
    assert (folder / "pytorch_model.bin").exists() and not list(folder.glob("*.safetensors"))
    project.write(with_answers(picks.items, picks.ref), models=("tiny-pickled",),
                  registry=zoo_with_local(project, "tiny-pickled", folder))

    refused = run(project, "--junitxml", "junit.xml")
    assert refused.returncode == 1, refused
    cases = _cases(project, "tiny-pickled")
    assert cases and all(o == "failed" for o, _ in cases.values()), cases
    assert all("pickle" in m and "--allow-pickle" in m and "arbitrary code" in m for _, m in cases.values()), cases

    allowed = run(project, "--junitxml", "junit.xml", "--allow-pickle")
    assert allowed.returncode == 0, allowed  # the same weights as the reference: it passes once allowed
    assert {o for o, _ in _cases(project, "tiny-pickled").values()} == {"passed"}


MODELING = '''
from pathlib import Path

from transformers import LlamaConfig, LlamaForCausalLM

Path({marker!r}).write_text("remote code ran")


class ShadyConfig(LlamaConfig):
    pass


class ShadyForCausalLM(LlamaForCausalLM):
    config_class = ShadyConfig
'''


def test_remote_code_in_a_checkpoint_never_runs_without_the_flag(
    project: Project, picks: Picks, tmp_path: Path
) -> None:
    folder = tmp_path / "shady"
    shutil.copytree(project.zoo.ref_dir, folder)
    marker = tmp_path / "REMOTE_CODE_RAN"
    (folder / "shady_modeling.py").write_text(MODELING.format(marker=str(marker)))
    config = json.loads((folder / "config.json").read_text())
    config["auto_map"] = {"AutoConfig": "shady_modeling.ShadyConfig",
                          "AutoModelForCausalLM": "shady_modeling.ShadyForCausalLM"}
    (folder / "config.json").write_text(json.dumps(config))
    project.write(with_answers(picks.items, picks.ref), models=("tiny-shady", COPY),
                  registry=zoo_with_local(project, "tiny-shady", folder))

    plain = run(project, "--junitxml", "junit.xml")
    assert not marker.exists(), plain  # the checkpoint's code was not executed
    assert plain.returncode == 0, plain  # its weights load with the built-in Llama class instead

    trusted = run(project, "--junitxml", "junit.xml", "--trust-remote-code", "--result-cache", "off")
    assert marker.exists(), trusted  # the control: with the flag, the same folder's code does run
