"""The template's own CI workflow, every job of it, run for real under act (host mode).

A baked project gets ``.github/workflows/ci.yml``: lint, types, a tests matrix (3.11-3.13 for
the default python_version 3.11), model, data, notebooks, then the quality job that merges the
partial reports and comments on the pull request, and the badge job that commits the README
badge on a push to the default branch. These tests run that file unchanged with act:
``ORG/research-ci@v1`` is mapped to a copy of this repository's action, the other remote
actions to tests/stubs.

- a push to main, default bake (``research-ci new --no-input``): all eight jobs (ten with the
  matrix) succeed, grade A, the badge commit lands in a local bare ``origin``;
- pull requests, on a leaner bake (``include_data_validation=no include_notebooks=no``, the
  other shape of the rendered workflow; those two jobs do not depend on the event): clean, every
  job succeeds, one sticky comment, nothing pushed; with an unused import, the lint job fails
  with the F401 annotation and the quality gate fails.

Host mode runs the steps on this machine, so two things differ from a GitHub runner:

- the notebooks job's ``pip install -e .[dev]`` would write into this machine's Python (the
  setup-python stand-in exposes an interpreter that is already installed); ``PIP_USER=1`` sends
  it to the per-test ``$HOME`` instead;
- the data job uses the TFDV environment ``make test`` prepares (``.venv-data``) when there is
  one, as a runner with a prebuilt environment would; otherwise the action installs its own.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from fragments import assert_fragments
from stubs.act import REPO as REPO_ROOT
from stubs.act import ActRun, copy_action_source, copy_with_bare_origin, git, run_act
from stubs.github_api import GitHubApiStandIn

# (xdist 3.8 cannot apply xdist_group under pytest 9.2 yet: the tests also run side by side.)
pytestmark = [pytest.mark.act, pytest.mark.slow, pytest.mark.xdist_group("act-template")]

WORKFLOW = ".github/workflows/ci.yml"
PACKAGE = "my_research_project"
REPOSITORY = "acme/my-research-project"
PR_NUMBER = 11
MATRIX = ["3.11", "3.12", "3.13"]  # python_version 3.11 (the default) and every newer one
#: Every job of the lean bake (no data validation, no notebook), matrix legs apart.
LEAN_JOBS = {"lint", "types", *(f"tests[{version}]" for version in MATRIX), "model", "quality"}
#: Every job of the default bake.
EVERY_JOB = LEAN_JOBS | {"data", "notebooks", "badge"}
LEAN = ("include_data_validation=no", "include_notebooks=no")
DATA_PYTHON = REPO_ROOT / ".venv-data" / "bin" / "python"


def push_event() -> dict[str, Any]:
    return {
        "ref": "refs/heads/main",
        "repository": {"default_branch": "main", "full_name": REPOSITORY},
    }


def pull_request_event(number: int = PR_NUMBER) -> dict[str, Any]:
    return {
        "number": number,
        "pull_request": {
            "number": number,
            "head": {"ref": "feature", "sha": "abc123"},
            "base": {"ref": "main"},
        },
        "repository": {"default_branch": "main", "full_name": REPOSITORY},
    }


def job_results(run: ActRun) -> dict[str, str]:
    """``{job: result}``, one entry per matrix leg (``tests[3.12]``)."""
    results: dict[str, str] = {}
    for record in run.records:
        if "jobResult" not in record:
            continue
        version = (record.get("matrix") or {}).get("python-version")
        name = str(record["jobID"]) + (f"[{version}]" if version else "")
        results[name] = str(record["jobResult"])
    return results


def job_outputs(run: ActRun, job: str, step: str) -> dict[str, str]:
    return {
        str(record["name"]): str(record.get("arg", ""))
        for record in run.commands("set-output")
        if record.get("jobID") == job and record.get("stepID") == [step]
    }


def job_summary(run: ActRun, job: str) -> str:
    return "".join(
        str(record.get("content", ""))
        for record in run.commands("summary")
        if record.get("jobID") == job
    )


def explain(run: ActRun) -> str:
    """What went wrong, for assertion messages."""
    failed = [
        (record.get("jobID"), record.get("msg"))
        for record in run.records
        if record.get("stepResult") == "failure"
    ]
    plain = [line for line in run.log.splitlines() if not line.startswith("{")]
    return "\n".join(
        [
            f"jobs: {job_results(run)}",
            f"errors: {run.annotations('error')}",
            f"failed steps: {failed}",
            run.raw_output()[-3000:],
            *plain[-20:],
        ]
    )


def bake(out: Path, *options: str) -> Path:
    """``research-ci new OUT --no-input OPTIONS``, committed on main."""
    research_ci = REPO_ROOT / ".venv" / "bin" / "research-ci"
    subprocess.run(
        [str(research_ci), "new", str(out), "--no-input", *options],
        check=True,
        capture_output=True,
    )
    root = out / "my-research-project"
    git(root, "init", "--quiet", "--initial-branch", "main")
    git(root, "add", "--all")
    git(root, "commit", "--quiet", "-m", "initial commit")
    return root


@pytest.fixture(scope="module")
def default_bake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return bake(tmp_path_factory.mktemp("default"))


@pytest.fixture(scope="module")
def lean_bake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return bake(tmp_path_factory.mktemp("lean"), *LEAN)


@pytest.fixture(scope="module")
def action_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This repository's action as users get it from ``ORG/research-ci@v1``."""
    return copy_action_source(tmp_path_factory.mktemp("action") / "research-ci")


@pytest.fixture
def api() -> Iterator[GitHubApiStandIn]:
    with GitHubApiStandIn() as server:
        yield server


class Project:
    """A copy of the baked project with a local bare ``origin`` and its own act ``$HOME``."""

    def __init__(self, source: Path, tmp_path: Path, action_source: Path) -> None:
        self.root, self.origin = copy_with_bare_origin(source, tmp_path)
        self.home = tmp_path / "home"
        self.action_source = action_source

    def run(self, event: str, api: GitHubApiStandIn) -> ActRun:
        env = {"PIP_USER": "1", "PIP_NO_INPUT": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
        if not os.environ.get("RESEARCH_CI_DATA_PYTHON") and DATA_PYTHON.exists():
            env["RESEARCH_CI_DATA_PYTHON"] = str(DATA_PYTHON)
        return run_act(
            self.root,
            event=event,
            payload=push_event() if event == "push" else pull_request_event(),
            workflow=WORKFLOW,
            home=self.home,
            action_source=self.action_source,
            api_url=api.url,
            repository=REPOSITORY,
            env=env,
            # Every job of the default bake, one after the other on a shared 2-core machine.
            timeout_s=600,
        )

    def origin_log(self) -> list[str]:
        return git(self.origin, "log", "--format=%s", "main").splitlines()


@pytest.fixture
def default_project(default_bake: Path, tmp_path: Path, action_source: Path) -> Project:
    return Project(default_bake, tmp_path, action_source)


@pytest.fixture
def lean_project(lean_bake: Path, tmp_path: Path, action_source: Path) -> Project:
    return Project(lean_bake, tmp_path, action_source)


def assert_quality_grade_a(run: ActRun, *, data: bool) -> None:
    outputs = job_outputs(run, "quality", "report")
    assert outputs["grade"] == "A", explain(run)
    assert int(outputs["score"]) >= 90
    assert float(outputs["coverage"]) >= 80
    # "0" when the data job ran and its report was merged, empty when there is no data job.
    assert outputs["anomalies"] == ("0" if data else "")
    summary = job_summary(run, "quality")
    checks = ("format", "lint", "types", "tests", "model", *(["data"] if data else []))
    assert_fragments(
        summary,
        "<!-- research-ci:summary -->",
        "grade A",
        "gate **passed**",
        *(f"| {check} | ✅ passed |" for check in checks),
    )


def assert_every_job_passes(
    project: Project, event: str, api: GitHubApiStandIn, jobs: Iterable[str], *, data: bool
) -> None:
    """Run ``event``: the run succeeds, each of ``jobs`` passes, nothing annotates an error,
    quality says A."""
    run = project.run(event, api)
    assert run.returncode == 0, explain(run)
    assert job_results(run) == dict.fromkeys(jobs, "success"), explain(run)
    assert run.annotations("error") == []
    assert_quality_grade_a(run, data=data)


def test_push_to_main_runs_every_job_and_commits_the_badge(
    default_project: Project, api: GitHubApiStandIn
) -> None:
    project = default_project
    assert_every_job_passes(project, "push", api, EVERY_JOB, data=True)
    # Each job uploaded its partial report; quality merged them; the matrix ran every version.
    uploaded = {path.name for path in (project.home / "artifacts").iterdir()}
    assert {f"research-ci-report-tests-tests-py{version}-Linux" for version in MATRIX} <= uploaded
    assert "research-ci-report-quality-merged-Linux" in uploaded
    # The badge job committed the README badge block to origin/main, with [skip ci].
    log = project.origin_log()
    assert len(log) == 2, log
    assert "[skip ci]" in log[0]
    changed = git(project.origin, "show", "--name-only", "--format=", "main").split()
    assert changed == ["README.md"]
    readme = git(project.origin, "show", "main:README.md")
    assert "<!-- research-ci:badges:start -->" in readme
    assert "![quality: A" in readme
    # A push never comments.
    assert api.writes() == []


def test_pull_request_runs_every_job_comments_and_pushes_nothing(
    lean_project: Project, api: GitHubApiStandIn
) -> None:
    project = lean_project
    # badge is skipped on a pull request: act does not run it at all.
    assert_every_job_passes(project, "pull_request", api, LEAN_JOBS, data=False)
    assert project.origin_log() == ["initial commit"]
    assert git(project.origin, "for-each-ref", "--format=%(refname)").split() == ["refs/heads/main"]
    # The quality job keeps one sticky comment on the pull request.
    assert [(r.method, r.path) for r in api.writes()] == [
        ("POST", f"/repos/{REPOSITORY}/issues/{PR_NUMBER}/comments")
    ]
    body = api.comments[PR_NUMBER][0]["body"]
    assert body.startswith("<!-- research-ci:summary -->")
    assert "grade A" in body


def test_lint_fault_fails_the_lint_job_with_an_annotation(
    lean_project: Project, api: GitHubApiStandIn
) -> None:
    project = lean_project
    module = project.root / "src" / PACKAGE / "features.py"
    text = module.read_text("utf-8")
    anchor = "from __future__ import annotations\n\n"
    assert anchor in text
    module.write_text(text.replace(anchor, anchor + "import os\n\n", 1), encoding="utf-8")
    line = text.split(anchor)[0].count("\n") + 3
    git(project.root, "commit", "--quiet", "--all", "-m", "unused import")

    run = project.run("pull_request", api)
    assert run.returncode != 0, explain(run)
    results = job_results(run)
    assert results["lint"] == "failure", explain(run)
    # Only lint is at fault; quality merges the reports and its gate fails.
    assert results == {
        **dict.fromkeys(LEAN_JOBS, "success"),
        "lint": "failure",
        "quality": "failure",
    }, explain(run)
    errors = run.annotations("error")
    lint = [item for item in errors if item.get("title") == "research-ci lint (F401)"]
    assert len(lint) == 1, errors
    assert lint[0]["file"] == f"src/{PACKAGE}/features.py"
    assert lint[0]["line"] == str(line)
    assert "`os` imported but unused" in lint[0]["message"]
    gates = [item for item in errors if item.get("title") == "research-ci: quality gate"]
    assert len(gates) == 2, errors  # the lint job's gate and the quality job's
    assert job_outputs(run, "quality", "report")["grade"] in "ABCDF"
    assert "gate **failed**" in job_summary(run, "quality")
    body = api.comments[PR_NUMBER][0]["body"]
    assert "F401" in body
    assert f"src/{PACKAGE}/features.py:{line}" in body
    assert project.origin_log() == ["initial commit"]
