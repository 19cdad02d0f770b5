"""Baked projects run their own checks, as their CI would, and grade A.

``research-ci check`` makes each baked project's ``.venv`` with uv (numpy, black, ruff, mypy,
pytest from PyPI) and grades it; the default combination and the minimal one (Python 3.10,
no data validation, no notebooks, 90 % coverage) are checked once per session and the other
tests reuse their environments. A plain ``research-ci check`` of the default project includes
the data check: in the TFDV Python of ``RESEARCH_CI_DATA_PYTHON`` when ``make test`` sets it,
else in the environment research-ci provisions (into this run's cache, see conftest.py).
``make install`` is atomic and shares ``.venv`` with the check; the pre-commit hooks run the
tools of that ``.venv``. cruft follows the template through git, as a user's project would.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import json
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from projects import run_command
from research_ci.report import validate_report_dict
from research_ci.scaffold import bake, placeholder_warning
from template_helpers import (
    BIN,
    COMBOS,
    REPO,
    TEMPLATE,
    BakedProject,
    bake_combo,
    clean_environment,
    research_ci,
)

pytestmark = pytest.mark.slow


@dataclasses.dataclass(frozen=True)
class Checked:
    """A baked project after ``research-ci check`` ran in it."""

    project: BakedProject
    run: subprocess.CompletedProcess[str]
    report: dict[str, Any]

    @property
    def python(self) -> Path:
        """The interpreter of the project's own environment (made by the check)."""
        return self.project.path / ".venv" / "bin" / "python"


@contextlib.contextmanager
def exclusive(lock_file: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``lock_file`` (shared by every xdist worker of the run)."""
    with lock_file.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def check_combo(name: str, tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Checked:
    """Bake and check one combination once per test run, whichever worker asks first.

    xdist workers share the parent of their base temporary directories; the first worker bakes
    and checks, the others wait on the lock and read the result, so the expensive environment
    is built once even when the tests that use it run on different workers.
    """
    base = tmp_path_factory.getbasetemp()
    shared = base if worker_id == "master" else base.parent
    target = shared / f"template-checked-{name}"
    with exclusive(shared / f"template-checked-{name}.lock"):
        done = target / "check-run.json"
        if not done.exists():
            project = bake_combo(target, COMBOS[name])
            run = research_ci("check", project.path)
            done.write_text(
                json.dumps(
                    {
                        "path": str(project.path),
                        "returncode": run.returncode,
                        "stdout": run.stdout,
                        "stderr": run.stderr,
                    }
                ),
                encoding="utf-8",
            )
        record = json.loads(done.read_text(encoding="utf-8"))
    project = BakedProject(path=Path(record["path"]), answers=COMBOS[name])
    run = subprocess.CompletedProcess(
        ["research-ci", "check"], record["returncode"], record["stdout"], record["stderr"]
    )
    report_path = project.path / ".research-ci" / "report.json"
    assert report_path.exists(), run.stdout + run.stderr
    report: dict[str, Any] = json.loads(report_path.read_text(encoding="utf-8"))
    validate_report_dict(report, source=str(report_path))
    return Checked(project=project, run=run, report=report)


@pytest.fixture(scope="session")
def default_checked(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Checked:
    return check_combo("default", tmp_path_factory, worker_id)


@pytest.fixture(scope="session")
def minimal_checked(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Checked:
    return check_combo("minimal", tmp_path_factory, worker_id)


def assert_grade_a(checked: Checked, *, data: str) -> None:
    assert checked.run.returncode == 0, checked.run.stdout + checked.run.stderr
    assert checked.report["grade"] == "A"
    statuses = {name: check["status"] for name, check in checked.report["checks"].items()}
    assert statuses == {
        "format": "passed",
        "lint": "passed",
        "types": "passed",
        "tests": "passed",
        "data": data,
        "maintainability": "passed",
        "model": "passed",
    }


@pytest.mark.xdist_group("template-default")
def test_default_project_grades_a_with_its_data_checked(default_checked: Checked) -> None:
    """A plain `research-ci check` includes the data check, as CI does."""
    assert_grade_a(default_checked, data="passed")
    tests = default_checked.report["checks"]["tests"]
    assert tests["coverage"] >= 80
    assert tests["passed"] >= 20
    data = default_checked.report["checks"]["data"]
    assert not data["anomalies"]
    assert {dataset["name"] for dataset in data["datasets"]} >= {"eval", "serving"}


@pytest.mark.xdist_group("template-minimal")
def test_minimal_project_grades_a(minimal_checked: Checked) -> None:
    assert_grade_a(minimal_checked, data="skipped")
    assert minimal_checked.report["checks"]["tests"]["coverage_threshold"] == 90


@pytest.mark.xdist_group("template-default")
def test_default_project_runs_its_own_tests_and_entry_point(default_checked: Checked) -> None:
    project = default_checked.project
    tests = project.run(default_checked.python, "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert tests.returncode == 0, tests.stdout + tests.stderr
    run = project.run(default_checked.python, "-m", project.package)
    assert run.returncode == 0, run.stderr
    assert "eval:  RMSE" in run.stdout
    assert "serving: 160 predictions" in run.stdout


@pytest.mark.xdist_group("template-minimal")
def test_minimal_project_runs_its_own_tests(minimal_checked: Checked) -> None:
    project = minimal_checked.project
    tests = project.run(
        minimal_checked.python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--cov"
    )
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "Required test coverage of 90" in tests.stdout


@pytest.mark.xdist_group("template-default")
def test_notebook_passes_nbqa(default_checked: Checked) -> None:
    project = default_checked.project
    nbqa = project.path / ".venv" / "bin" / "nbqa"
    for tool in (["black", "--check"], ["ruff"], ["mypy"]):
        completed = project.run(nbqa, tool[0], "notebooks", *tool[1:])
        assert completed.returncode == 0, completed.stdout + completed.stderr


@pytest.mark.data
def test_schema_is_what_research_ci_data_infer_writes(tmp_path: Path) -> None:
    """The committed schema is reproducible from the committed training data."""
    project = bake_combo(tmp_path, {})
    schema = tmp_path / "schema.pbtxt"
    run = project.run(
        BIN / "research-ci",
        "data",
        "infer",
        "--data",
        "data/train.csv",
        "--label",
        "yield_t_ha",
        "--schema",
        schema,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert schema.read_text(encoding="utf-8") == project.read("data/schema.pbtxt")


def make(
    project: BakedProject, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``make ARGS`` in the project, with this run's uv and Python."""
    return project.run(
        "make", f"UV={BIN / 'uv'}", f"PYTHON={sys.executable}", *args, env=env, timeout=900
    )


def test_make_install_is_atomic_and_the_hooks_run_the_venv_tools(tmp_path: Path) -> None:
    """A failed install is retried; .venv then serves make, pre-commit and research-ci."""
    project = bake_combo(tmp_path, {"project_name": "Make Install"})
    pyproject = project.path / "pyproject.toml"
    good = pyproject.read_text(encoding="utf-8")
    pyproject.write_text(
        good.replace('"pytest>=8.3",', '"pytest>=8.3", "research-ci-no-such-package==0.0.1",'),
        encoding="utf-8",
    )
    failed = make(project, "install", env={"UV_OFFLINE": "1"})
    assert failed.returncode != 0, failed.stdout
    assert (project.path / ".venv" / "bin" / "python").exists(), "the venv was made"
    assert not (project.path / ".venv" / ".installed").exists()
    assert make(project, "--question", "install").returncode == 1, "install is not up to date"

    pyproject.write_text(good, encoding="utf-8")
    installed = make(project, "install")
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert (project.path / ".venv" / ".installed").is_file()
    assert make(project, "--question", "install").returncode == 0
    ran = make(project, "run")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "eval:  RMSE" in ran.stdout

    # The hooks run black, ruff, mypy (and nbQA) from .venv: nothing to download.
    git(project.path, "init", "--quiet")
    git(project.path, "add", "--all")
    hooks = project.run(
        project.path / ".venv" / "bin" / "pre-commit",
        "run",
        "--all-files",
        env={"PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")},
    )
    assert hooks.returncode == 0, hooks.stdout + hooks.stderr
    for hook in ("black", "ruff", "mypy", "nbqa-black", "check toml"):
        assert re.search(rf"^{re.escape(hook)}\.+Passed$", hooks.stdout, re.MULTILINE), hook
    assert not list((tmp_path / "pre-commit-home").glob("repo*")), "no hook repository cloned"

    marker = project.path / ".venv" / "made-by-make-install"
    marker.touch()
    check = project.run(BIN / "research-ci", "check", "--only", "tests", timeout=900)
    assert check.returncode == 0, check.stdout + check.stderr
    assert marker.is_file(), "research-ci checked with the same .venv, not a new one"


def test_cruft_follows_a_project_made_by_research_ci_new(tmp_path: Path) -> None:
    project = bake_combo(tmp_path, {"project_name": "Cruft Check"})
    state = json.loads(project.read(".cruft.json"))
    assert state["directory"] == "templates/research-project"
    assert Path(state["template"]) == REPO
    check = project.run(BIN / "cruft", "check")
    assert check.returncode == 0, check.stdout + check.stderr
    assert "up to date" in check.stdout


def test_cruft_create_bakes_the_committed_template(tmp_path: Path) -> None:
    created = subprocess.run(
        [
            str(BIN / "cruft"),
            "create",
            str(REPO),
            "--directory",
            "templates/research-project",
            "--no-input",
            "--output-dir",
            str(tmp_path),
            "--extra-context",
            json.dumps({"project_name": "Via Cruft"}),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        env=clean_environment(),
    )
    assert created.returncode == 0, created.stdout + created.stderr
    state = json.loads((tmp_path / "via-cruft" / ".cruft.json").read_text(encoding="utf-8"))
    assert state["context"]["cookiecutter"]["package_name"] == "via_cruft"
    assert (tmp_path / "via-cruft" / "src" / "via_cruft" / "pipeline.py").is_file()


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        capture_output=True,
        text=True,
        check=True,
    )


def commit_all(repo: Path, message: str) -> None:
    """``git init``, then commit every file of ``repo``."""
    git(repo, "init", "--quiet")
    git(repo, "add", "-A")
    git(repo, "commit", "--quiet", "-m", message)


def template_repository(tmp_path: Path) -> Path:
    """A git repository of our own that holds the template, committed; its template folder."""
    upstream = tmp_path / "upstream"
    shutil.copytree(TEMPLATE, upstream / "templates" / "research-project")
    commit_all(upstream, "template v1")
    return upstream / "templates" / "research-project"


def cruft(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """cruft's ``ARGS`` in ``project``, in a clean environment."""
    return run_command([BIN / "cruft", *args], cwd=project, env=clean_environment())


def test_cruft_update_applies_a_template_change(tmp_path: Path) -> None:
    """The documented update path, end to end, with a template repository of our own."""
    template = template_repository(tmp_path)
    project = bake(template, tmp_path / "work", {}, no_input=True).path
    commit_all(project, "baked")
    assert cruft(project, "diff", "--exit-code").returncode == 0

    gitignore = template / "{{cookiecutter.project_slug}}" / ".gitignore"
    gitignore.write_text(gitignore.read_text(encoding="utf-8") + "*.parquet\n", encoding="utf-8")
    git(tmp_path / "upstream", "commit", "--quiet", "-am", "template v2: ignore parquet files")
    stale = cruft(project, "check")
    assert stale.returncode == 1, stale.stdout + stale.stderr

    update = cruft(project, "update", "--skip-apply-ask", "--allow-untracked-files")
    assert update.returncode == 0, update.stdout + update.stderr
    assert (project / ".gitignore").read_text(encoding="utf-8").endswith("*.parquet\n")
    fresh = cruft(project, "check")
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr


def test_cruft_update_sets_the_action_reference_new_warned_about(tmp_path: Path) -> None:
    """The fix `research-ci new` prints for the placeholder works on a committed project."""
    baked = bake(template_repository(tmp_path), tmp_path / "work", {}, no_input=True)
    warning = placeholder_warning(baked.context)
    assert warning is not None
    command = shlex.split(warning.split(" or set it later with ", 1)[1])
    assert command[:2] == ["cruft", "update"]
    commit_all(baked.path, "baked")
    update = cruft(baked.path, *command[1:], "--skip-apply-ask")
    assert update.returncode == 0, update.stdout + update.stderr
    workflow = (baked.path / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8")
    assert "uses: OWNER/research-ci@v1" in workflow
    assert "ORG/research-ci" not in workflow
    state = json.loads((baked.path / ".cruft.json").read_text(encoding="utf-8"))
    assert placeholder_warning(state["context"]) is None
