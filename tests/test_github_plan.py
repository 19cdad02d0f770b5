"""The action's plan (research_ci.github.plan): its inputs checked, its steps' outputs computed.

The same module runs as the action's first step under act (tests/test_action.py); here every
rule is exercised directly, and the module is run the way the action runs it: with a plain
Python and only ``scripts/`` on the path, before research-ci is installed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from action_inputs import REFUSED_INPUTS, input_ids
from projects import write_project
from report_builders import lint_check, make_report, types_check
from research_ci.cli import main as cli_main
from research_ci.cli.github import _base_commit
from research_ci.errors import UsageError
from research_ci.github.plan import (
    artifact_name,
    input_variable,
    main,
    plan_environments,
    plan_inputs,
    project_python,
)
from research_ci.report import load_report, save_report

REPO = Path(__file__).resolve().parents[1]


CHECKS = "format,lint,types,tests"


def inputs(**values: str) -> dict[str, str]:
    """The environment the action gives the plan: ``checks`` always (action.yml's default)."""
    values = {"checks": CHECKS, **values}
    return {input_variable(name.replace("_", "-")): value for name, value in values.items()}


def project(root: Path, pyproject: str | None = None, python_version: str | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    if pyproject is not None:
        (root / "pyproject.toml").write_text(pyproject, encoding="utf-8")
    if python_version is not None:
        (root / ".python-version").write_text(python_version, encoding="utf-8")
    return root


def test_defaults(tmp_path: Path) -> None:
    project(tmp_path)
    env = {**inputs(), "GITHUB_JOB": "quality", "RUNNER_OS": "Linux"}
    assert plan_inputs(env, tmp_path) == {
        "working-directory": str(tmp_path.resolve()),
        "checks": "format,lint,types,tests",
        "merge": "false",
        "data": "false",
        "need-data-python": "false",
        "python-version": "3.11",
        "report": str(tmp_path.resolve() / ".research-ci" / "report.json"),
        "artifact": "research-ci-report-quality-format-lint-types-tests-py3.11-Linux",
        "badge-link": "",
        "base": "",
    }


@pytest.mark.parametrize(
    ("pyproject", "python_version", "expected"),
    [
        ('[project]\nrequires-python = ">=3.12"\n', None, "3.12"),
        ('[project]\nrequires-python = "~=3.10.4"\n', None, "3.10"),
        ('[project]\nrequires-python = "==3.13.*"\n', None, "3.13"),
        ('[project]\nrequires-python = "<4"\n', None, None),
        ('[project]\nrequires-python = ">=3.12"\n', "3.13.1\n", "3.13.1"),
        (None, "\n", None),
        ("[project\n", None, None),  # broken TOML: `check` says why, later
    ],
)
def test_project_python(
    tmp_path: Path, pyproject: str | None, python_version: str | None, expected: str | None
) -> None:
    assert project_python(project(tmp_path, pyproject, python_version)) == expected


@pytest.mark.parametrize("kind", ["outside", "fifo", "/dev/zero"])
def test_project_python_reads_only_the_projects_regular_files(tmp_path: Path, kind: str) -> None:
    root = project(tmp_path / "p", '[project]\nrequires-python = ">=3.12"\n')
    version_file = root / ".python-version"
    if kind == "outside":
        secret = tmp_path / "secret"
        secret.write_text("3.9-from-outside\n", encoding="utf-8")
        version_file.symlink_to(secret)
    elif kind == "fifo":
        os.mkfifo(version_file)  # reading it would hang
    else:
        version_file.symlink_to(kind)  # reading it would never end
    assert project_python(root) == "3.12"
    (root / "pyproject.toml").unlink()
    (root / "pyproject.toml").symlink_to(version_file)
    assert project_python(root) is None


def test_checks_data_and_the_data_environment(tmp_path: Path) -> None:
    project(tmp_path)
    planned = plan_inputs(inputs(checks=" Lint, DATA\n"), tmp_path)
    assert planned["checks"] == "lint,data"
    assert planned["data"] == "true"
    assert planned["need-data-python"] == "true"
    prebuilt = {**inputs(checks="data"), "RESEARCH_CI_DATA_PYTHON": "/opt/tfdv/bin/python"}
    assert plan_inputs(prebuilt, tmp_path)["need-data-python"] == "false"


def test_merge_and_report_paths(tmp_path: Path) -> None:
    project(tmp_path / "sub")
    planned = plan_inputs(
        inputs(merge_reports="a/*.json\nb/*.json", working_directory="sub", report="r.json"),
        tmp_path,
    )
    assert (planned["merge"], planned["checks"]) == ("true", "")
    assert planned["report"] == str(tmp_path / "r.json")
    assert planned["working-directory"] == str((tmp_path / "sub").resolve())
    assert planned["artifact"] == "research-ci-report-job-merged-os"
    absolute = plan_inputs(inputs(report="/tmp/x/report.json"), tmp_path / "sub")
    assert absolute["report"] == "/tmp/x/report.json"


def test_artifact_names_are_safe() -> None:
    name = artifact_name("my job/1", ["tests"], "3.12", "Linux")
    assert name == "research-ci-report-my-job-1-tests-py3.12-Linux"


def test_badge_link_is_the_workflow_page(tmp_path: Path) -> None:
    project(tmp_path)
    env = {
        **inputs(),
        "GITHUB_REPOSITORY": "acme/proj",
        "GITHUB_WORKFLOW_REF": "acme/proj/.github/workflows/quality.yml@refs/heads/main",
    }
    link = plan_inputs(env, tmp_path)["badge-link"]
    assert link == "https://github.com/acme/proj/actions/workflows/quality.yml"


#: What the action's tests refuse too, and what only the plan's own tests try.
BAD_INPUTS = [
    *REFUSED_INPUTS,
    ({"commit-badge": "1"}, "commit-badge must be true or false"),
    ({"checks": " , "}, "checks is empty"),
    ({"badge": "none\r"}, "are one line"),
    ({"base": "--upload-pack=x"}, "the base input is not a commit"),
]


@pytest.mark.parametrize(("values", "message"), BAD_INPUTS, ids=input_ids(BAD_INPUTS))
def test_bad_inputs(tmp_path: Path, values: dict[str, str], message: str) -> None:
    project(tmp_path)
    with pytest.raises(UsageError, match=message.replace(".", r"\.")):
        plan_inputs(inputs(**values), tmp_path)


def test_environments_change_with_the_locks(tmp_path: Path) -> None:
    action = tmp_path / "action"
    (action / "locks" / "data").mkdir(parents=True)
    for name in ("uv.lock", "pyproject.toml", "locks/data/requirements.txt"):
        (action / name).write_text(name, encoding="utf-8")
    env = {"PYTHON_FULL": "3.12.1", "DATA_PYTHON_FULL": "3.11.9", "RUNNER_TOOL_CACHE": "/cache"}
    first = plan_environments(env, action)
    assert first["venv"].startswith("/cache/research-ci/venv-py3.12.1-")
    assert "/data-py3.11.9-" in first["data-venv"]
    assert first["key"].startswith("research-ci-os-arch-image-py3.12.1-")
    (action / "uv.lock").write_text("changed", encoding="utf-8")
    second = plan_environments(env, action)
    assert second["venv"] != first["venv"]
    assert second["data-venv"] == first["data-venv"]


def test_main_writes_outputs_or_one_annotation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project(tmp_path)
    output = tmp_path / "output.txt"
    env = {**inputs(), "GITHUB_WORKSPACE": str(tmp_path), "GITHUB_OUTPUT": str(output)}
    assert main(["inputs"], env) == 0
    assert "python-version<<ghadelimiter_" in output.read_text("utf-8")
    assert main(["inputs"], {**env, **inputs(badge="no\n::warning::x")}) == 2
    assert main(["nonsense"], env) == 2
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith("::error title=research-ci::inputs other than")
    assert printed[1].startswith("::error title=research-ci::usage:")
    assert main(["inputs"], {**inputs(), "GITHUB_WORKSPACE": str(tmp_path)}) == 0
    assert "checks=format,lint,types,tests" in capsys.readouterr().out
    assert main(["inputs"], {"GITHUB_WORKSPACE": str(tmp_path)}) == 2  # no checks at all


def test_runs_before_research_ci_is_installed(tmp_path: Path) -> None:
    """As the action runs it: `python -B -m`, only scripts/ on the path, no site-packages."""
    project(tmp_path, '[project]\nrequires-python = ">=3.12"\n')
    env = {
        **inputs(),
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(REPO / "scripts"),
        "GITHUB_WORKSPACE": str(tmp_path),
    }
    completed = subprocess.run(
        [sys.executable, "-B", "-S", "-m", "research_ci.github.plan", "inputs"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "python-version=3.12" in completed.stdout


# --- `research-ci github run`: the action's check step ---------------------------------------


def _run_step(monkeypatch: pytest.MonkeyPatch, **env: str) -> int:
    for name in ("WORKING_DIRECTORY", "CHECKS", "REPORT", "MERGE_REPORTS", "DATA_PYTHON"):
        monkeypatch.delenv(name, raising=False)
    # `github run` exports RESEARCH_CI_DATA_PYTHON: let monkeypatch restore it afterwards.
    monkeypatch.setenv("RESEARCH_CI_DATA_PYTHON", os.environ.get("RESEARCH_CI_DATA_PYTHON", ""))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return cli_main(["github", "run"])


def test_run_merges_the_partial_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "parts").mkdir()
    save_report(make_report(lint_check(2)), tmp_path / "parts" / "lint.json")
    save_report(make_report(types_check(0)), tmp_path / "parts" / "types.json")
    merged = tmp_path / "report.json"
    patterns = f"{tmp_path}/parts/*.json\n\n"
    assert _run_step(monkeypatch, REPORT=str(merged), MERGE_REPORTS=patterns) == 0
    assert "merged 2 reports" in capsys.readouterr().out
    assert set(load_report(merged).checks) == {"lint", "types"}


def test_run_refuses_globs_that_match_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    patterns = f"{tmp_path}/none/*.json\n::warning::injected"
    assert _run_step(monkeypatch, REPORT=str(tmp_path / "r.json"), MERGE_REPORTS=patterns) == 2
    (line,) = capsys.readouterr().out.splitlines()
    assert line.startswith("::error title=research-ci::merge-reports matched no file: ")
    assert not (tmp_path / "r.json").exists()


def test_run_without_its_plan_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run_step(monkeypatch) == 2
    assert "REPORT is not set" in capsys.readouterr().err


@pytest.mark.slow
def test_run_passes_a_failed_gate_on_to_the_gate_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    project_dir = write_project(tmp_path / "p", files={"src/{pkg}/bad.py": "import os\n"})
    report = tmp_path / "report.json"
    env = {"WORKING_DIRECTORY": str(project_dir), "REPORT": str(report), "CHECKS": "lint"}
    assert _run_step(monkeypatch, **env, DATA_PYTHON="/opt/tfdv/bin/python") == 0
    assert os.environ["RESEARCH_CI_DATA_PYTHON"] == "/opt/tfdv/bin/python"
    assert "::error" in capsys.readouterr().out  # --format github: the findings, annotated
    assert load_report(report).gate_passed is False
    assert _run_step(monkeypatch, **{**env, "CHECKS": "lint,nope"}) == 2


def test_the_base_commit_is_fetched_or_left_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    for args in (["init", "-q"], ["commit", "-q", "--allow-empty", "-m", "one"]):
        subprocess.run(
            ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", *args],
            check=True,
            capture_output=True,
        )
    head = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "HEAD"], check=True, capture_output=True, text=True
    ).stdout.strip()
    assert _base_commit("", repo) is None
    assert _base_commit(head, repo) == head
    assert capsys.readouterr().out == ""
    assert _base_commit("0" * 40, repo) is None  # no origin to fetch it from
    assert "cannot fetch the base commit: no comparison" in capsys.readouterr().out
