"""Bad input: one readable line on stderr, exit code 2, no traceback, nothing changed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from projects import write_project


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "research_ci", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
    )


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def assert_usage_error(result: subprocess.CompletedProcess[str], fragment: str) -> None:
    assert result.returncode == 2, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert fragment in lines[0], lines[0]


def test_nonexistent_path(tmp_path: Path) -> None:
    assert_usage_error(run_cli("check", str(tmp_path / "nope")), "path does not exist")


def test_no_pyproject(tmp_path: Path) -> None:
    before = snapshot(tmp_path)
    assert_usage_error(run_cli("check", str(tmp_path)), "no pyproject.toml")
    assert snapshot(tmp_path) == before


def test_broken_toml(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project\nname = 1\n", encoding="utf-8")
    before = snapshot(tmp_path)
    assert_usage_error(run_cli("check", str(tmp_path)), "invalid TOML")
    assert snapshot(tmp_path) == before


def test_pyproject_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_bytes(b'[project]\nname = "caf\xe9"\n')
    assert_usage_error(run_cli("check", str(tmp_path)), "not UTF-8")


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("--only", "lint,speling"), "unknown check 'speling'"),
        (("--only", ""), "no checks selected"),
    ],
)
def test_unknown_check_names(tmp_path: Path, args: tuple[str, ...], fragment: str) -> None:
    project = write_project(tmp_path / "p")
    before = snapshot(project)
    assert_usage_error(run_cli("check", str(project), *args), fragment)
    assert snapshot(project) == before


@pytest.mark.parametrize(
    ("table", "fragment"),
    [
        ('minimum-grade = "Z"', "minimum-grade must be one of"),
        ('checks = ["lint", "style"]', "unknown check 'style'"),
        ("coverage-treshold = 90", "unknown key coverage-treshold"),
        ("coverage-threshold = 190", "coverage threshold must be a number"),
        ("paths = []", "paths must be a non-empty list"),
        ("timeout = -1", "timeout must be a positive number"),
        ("timeout = inf", "timeout must be a positive number"),
        ("timeout = nan", "timeout must be a positive number"),
        ("timeout = 1e300", "at most 604800"),
        ("report-url = 3", "report-url must be a string"),
        ("data = 3", "'data' must be a table"),
    ],
)
def test_bad_research_ci_table(tmp_path: Path, table: str, fragment: str) -> None:
    project = write_project(tmp_path / "p", extra_pyproject=f"\n[tool.research-ci]\n{table}\n")
    assert_usage_error(run_cli("check", str(project)), fragment)
    assert not (project / ".research-ci").exists()


@pytest.mark.parametrize(
    ("pyproject", "fragment"),
    [
        ("tool = 1\n", "tool must be a table, not int"),
        ("[tool]\ncoverage = 1\n", "coverage must be a table, not int"),
        ("[tool]\nmypy = true\n", "mypy must be a table, not bool"),
        ("[tool]\nresearch-ci = 3\n", "research-ci must be a table, not int"),
    ],
)
def test_wrong_typed_pyproject_values_are_refused(
    tmp_path: Path, pyproject: str, fragment: str
) -> None:
    project = tmp_path / "p"
    project.mkdir()
    (project / "pyproject.toml").write_text(pyproject, encoding="utf-8")
    assert_usage_error(run_cli("check", str(project)), fragment)
    assert snapshot(project) == {"pyproject.toml": pyproject.encode()}


def test_unwritable_report_path(tmp_path: Path) -> None:
    project = write_project(tmp_path / "p")
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a directory", encoding="utf-8")
    result = run_cli("check", str(project), "--only", "lint", "--report", str(blocker / "r.json"))
    assert_usage_error(result, "cannot write")
    assert blocker.read_text(encoding="utf-8") == "a file, not a directory"


def test_report_path_is_a_directory(tmp_path: Path) -> None:
    project = write_project(tmp_path / "p")
    result = run_cli("check", str(project), "--only", "lint", "--report", str(tmp_path))
    assert result.returncode == 2


def test_unknown_format_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli("check", str(tmp_path), "--format", "xml")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_version_and_unknown_command() -> None:
    version = run_cli("--version")
    assert version.returncode == 0
    assert version.stdout.startswith("research-ci, version ")
    assert run_cli("frobnicate").returncode == 2


def test_rubric_check_detects_a_stale_page(tmp_path: Path) -> None:
    page = tmp_path / "rubric.md"
    page.write_text("old\n", encoding="utf-8")
    assert run_cli("rubric", "--output", str(page), "--check").returncode == 1
    assert page.read_text(encoding="utf-8") == "old\n"
    assert run_cli("rubric", "--output", str(page)).returncode == 0
    assert run_cli("rubric", "--output", str(page), "--check").returncode == 0
    assert "## Caps" in page.read_text(encoding="utf-8")


def test_committed_rubric_page_is_current() -> None:
    page = Path(__file__).resolve().parents[1] / "docs" / "rubric.md"
    assert run_cli("rubric", "--output", str(page), "--check").returncode == 0


def test_report_json_roundtrip_is_stable(tmp_path: Path) -> None:
    project = write_project(tmp_path / "p", files={"src/{pkg}/bad.py": "import os\n"})
    result = run_cli("check", str(project), "--only", "lint", "--format", "json")
    assert result.returncode == 1
    assert json.loads(result.stdout)["checks"]["lint"]["violations"] >= 1


@pytest.mark.parametrize(
    ("table", "fragment"),
    [
        ("[tool.research-ci.data]\nlabel = 3\n", "[tool.research-ci.data]"),
        ('[tool.research-ci.data]\nschema = "data/schema.pbtxt"\n', "nothing to check"),
    ],
)
def test_bad_data_table_is_refused_before_any_check_runs(
    tmp_path: Path, table: str, fragment: str
) -> None:
    project = write_project(tmp_path / "p", extra_pyproject=f"\n{table}")
    before = snapshot(project)
    assert_usage_error(run_cli("check", str(project), "--only", "lint,data"), fragment)
    assert snapshot(project) == before
