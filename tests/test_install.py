"""The documented install route: a wheel built from the repository, in a fresh environment.

``uv build`` builds the sdist and, from it, the wheel (as ``uv tool install .`` and
``pipx install .`` build from a clone); the wheel goes into a new virtual environment with
nothing else of this checkout, and that research-ci bakes a project and checks it, code and
data, the data environment provisioned from the lock inside the wheel into a fresh cache.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from projects import run_command
from research_ci.environment import uv_binary
from template_helpers import BIN, REPO, clean_environment, load_toml

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("wheel")]


def run(
    *args: str | Path, cwd: Path, env: dict[str, str] | None = None, timeout: float = 900
) -> subprocess.CompletedProcess[str]:
    return run_command(args, cwd=cwd, env=env or clean_environment(), timeout=timeout)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    built = run(uv_binary(), "build", "--quiet", "--out-dir", dist, REPO, cwd=dist, timeout=600)
    assert built.returncode == 0, built.stderr
    (wheel,) = dist.glob("research_ci-*.whl")
    return wheel


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with the wheel and its dependencies; its research-ci."""
    venv = tmp_path_factory.mktemp("wheel-venv") / "venv"
    uv = uv_binary()
    made = run(uv, "venv", "--quiet", "--python", sys.executable, venv, cwd=venv.parent)
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    added = run(uv, "pip", "install", "--quiet", "--python", python, wheel, cwd=venv.parent)
    assert added.returncode == 0, added.stderr
    return venv / "bin" / "research-ci"


def git(*args: str) -> str:
    completed = subprocess.run(
        ["git", "-C", str(REPO), *args], capture_output=True, text=True, check=False
    )
    return completed.stdout.strip()


def recorded_sources() -> set[str]:
    """What the build may record: the checkout, or its origin remote when HEAD is published."""
    return {str(REPO.resolve()), git("remote", "get-url", "origin")} - {""}


def test_the_wheel_carries_the_template_its_origin_and_the_data_locks(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        origin = json.loads(archive.read("research_ci/project_template/template-origin.json"))
    assert "research_ci/project_template/research-project/cookiecutter.json" in names
    assert "research_ci/locks/data/requirements.txt" in names
    assert "research_ci/locks/data/requirements-py312.txt" in names
    assert origin["template"] in recorded_sources()
    assert origin["commit"] == git("rev-parse", "HEAD")
    assert origin["directory"] == "templates/research-project"


def test_the_installed_wheel_bakes_and_checks_a_project_with_its_data(
    installed: Path, tmp_path: Path
) -> None:
    """``research-ci new`` + ``research-ci check`` from the wheel: grade A, data included."""
    assert installed.parent.parent != BIN.parent
    version = run(installed, "--version", cwd=tmp_path)
    assert version.returncode == 0, version.stderr

    new = run(installed, "new", tmp_path, "--no-input", cwd=tmp_path)
    assert new.returncode == 0, new.stderr
    project = tmp_path / "my-research-project"
    warnings = new.stderr.splitlines()
    assert len(warnings) == 1, new.stderr
    assert "research_ci_action is ORG/research-ci@v1, a placeholder" in warnings[0]
    assert "cruft update --variables-to-update" in warnings[0]
    state = json.loads((project / ".cruft.json").read_text(encoding="utf-8"))
    assert state["template"] in recorded_sources()
    assert state["commit"] == git("rev-parse", "HEAD")
    assert state["directory"] == "templates/research-project"
    if state["template"] == str(REPO.resolve()):  # a remote may be out of reach (no network)
        cruft = run(BIN / "cruft", "check", cwd=project)
        assert cruft.returncode == 0, cruft.stdout + cruft.stderr

    environment = {
        key: value for key, value in clean_environment().items() if key != "RESEARCH_CI_DATA_PYTHON"
    }
    environment["RESEARCH_CI_CACHE_DIR"] = str(tmp_path / "cache")
    check = run(installed, "check", cwd=project, env=environment)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "installing the data environment once" in check.stderr
    report = json.loads((project / ".research-ci" / "report.json").read_text(encoding="utf-8"))
    assert report["grade"] == "A"
    statuses = {name: result["status"] for name, result in report["checks"].items()}
    checks = load_toml(project / "pyproject.toml")["tool"]["research-ci"]["checks"]
    assert "data" in checks
    assert statuses == dict.fromkeys(checks, "passed")
    # The data environment got research_ci from a copy of the wheel's package, not the checkout.
    (code,) = (tmp_path / "cache" / "code").iterdir()
    assert (code / "research_ci" / "data" / "provision.py").is_file()
