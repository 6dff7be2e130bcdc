"""Path-valued options as a user types them: a real `pytest` process started from the repository root.

pytest chooses the rootdir and ini file from the command line before any plugin's options are known, so
`--dt-data /outside` (a space, an existing folder) roots the run at /outside. Installed (make setup's
`pip install -e .`), the plugin is a pytest11 entry point and answers that with one line; the `=` form
works. The installed state is reproduced here without touching the venv: a dist-info folder holding the
same entry point, on PYTHONPATH.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fixtures.plugin import PATH_OPTIONS

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def installed_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment of a venv where comptrust is installed: its pytest11 entry point is visible."""
    site = tmp_path_factory.mktemp("site")
    info = site / "comptrust-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: comptrust\nVersion: 0.1.0\n")
    # The same entry point as pyproject.toml's [project.entry-points.pytest11].
    (info / "entry_points.txt").write_text("[pytest11]\nfixtures.plugin = fixtures.plugin\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COMPTRUST_"))}
    env["PYTHONPATH"] = os.pathsep.join([str(site), str(REPO)])
    return env


def _pytest(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=300)


def test_the_entry_point_is_declared_under_the_modules_name() -> None:
    import tomllib

    meta = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert meta["project"]["entry-points"]["pytest11"] == {"fixtures.plugin": "fixtures.plugin"}
    # make's set-up installs comptrust itself, which registers that entry point (make -n: print, do not run).
    # uv installs it (scripts/uv_setup.py), pip is the fallback: both editable and without dependencies.
    recipe = subprocess.run(["make", "-n", "-B", "setup"], cwd=REPO, capture_output=True, text=True, timeout=60).stdout
    assert any("scripts/uv_setup.py" in line for line in recipe.splitlines()), recipe
    assert any("pip install" in line and "--no-deps -e ." in line for line in recipe.splitlines()), recipe
    uv_steps = (REPO / "scripts" / "uv_setup.py").read_text()
    assert '["--no-deps", "-r", str(req / "data.txt"), "-e", str(ROOT)]' in uv_steps


@pytest.mark.parametrize("option", PATH_OPTIONS)
def test_space_form_with_a_folder_outside_the_repo_is_one_line(installed_env: dict[str, str], tmp_path: Path,
                                                               option: str) -> None:
    outside = tmp_path / "DecodingTrust" / "data"
    outside.mkdir(parents=True)
    result = _pytest(installed_env, "--tier", "full", option, str(outside), "--collect-only", "-q")
    assert result.returncode == pytest.ExitCode.USAGE_ERROR, result.stdout + result.stderr
    errors = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith(f"ERROR: comptrust: write {option}={outside} (with '='): pytest takes a path")
    assert "unrecognized arguments" not in result.stderr


def test_equals_form_roots_the_run_at_the_repository(installed_env: dict[str, str], tmp_path: Path) -> None:
    outside = tmp_path / "data"
    outside.mkdir()
    result = _pytest(installed_env, f"--dt-data={outside}", f"--baselines={tmp_path}", "--collect-only",
                     "-p", "no:randomly", "tests/test_registry.py")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"rootdir: {REPO}" in result.stdout and "configfile: pytest.ini" in result.stdout


def test_space_form_inside_the_repo_still_works(installed_env: dict[str, str]) -> None:
    result = _pytest(installed_env, "--dt-data", "tests/data/dt/data", "--collect-only", "-q", "-p", "no:randomly",
                     "tests/test_registry.py")
    assert result.returncode == 0, result.stdout + result.stderr


def test_help_is_fast_and_shows_the_equals_form(installed_env: dict[str, str]) -> None:
    start = time.monotonic()
    result = _pytest(installed_env, "--help")
    elapsed = time.monotonic() - start
    assert result.returncode == 0, result.stderr
    assert "--dt-data=PATH" in result.stdout and "--baselines=DIR" in result.stdout
    assert elapsed < 20, f"pytest --help took {elapsed:.1f}s"  # a heavy import at plugin load would show here


def test_the_backend_registry_imports_no_heavy_library() -> None:
    """Every backend module is imported to register it (configure time, `--help`, fully cached reruns): none of
    them may import torch or transformers at module level."""
    code = ("import sys\nfrom fixtures.backends.base import known_backends\nassert known_backends()\n"
            "print(sorted(m for m in ('torch', 'transformers', 'matplotlib') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
