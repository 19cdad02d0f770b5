"""`research-ci check` on real throwaway projects, one per kind of fault, with the real tools."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import read_valid_report
from projects import write_project
from research_ci.cli import main

FAULTS: dict[str, dict[str, str]] = {
    "misformatted": {"src/{pkg}/messy.py": '"""Messy."""\n\nVALUES = [1,2,\n  3]\n'},
    "lint": {"src/{pkg}/unused.py": '"""Unused import."""\n\nimport os\n'},
    "relative-import": {
        "src/{pkg}/rel.py": '"""Relative import."""\n\nfrom .stats import mean\n\n'
        '__all__ = ["mean"]\n'
    },
    "types": {
        "src/{pkg}/wrong.py": '"""Wrong types."""\n\n\ndef half(x: int) -> str:\n'
        '    """Half."""\n    return x // 2\n'
    },
    "failing-test": {
        "tests/test_fail.py": "from {pkg}.stats import mean\n\n\ndef test_wrong() -> None:\n"
        "    assert mean([1.0, 3.0]) == 3.0\n"
    },
    "coverage": {
        "src/{pkg}/untested.py": '"""Code without tests."""\n\n\n'
        + "\n\n".join(
            f'def f{i}(x: int) -> int:\n    """F{i}."""\n    y = x + {i}\n    return y * 2\n'
            for i in range(12)
        )
    },
}

#: fault -> (failing check, finding code, file, line)
EXPECTED: dict[str, tuple[str, str, str | None, int | None]] = {
    "misformatted": ("format", "black", "src/sample_project/messy.py", 3),
    "lint": ("lint", "F401", "src/sample_project/unused.py", 3),
    "relative-import": ("lint", "TID252", "src/sample_project/rel.py", 3),
    "types": ("types", "return-value", "src/sample_project/wrong.py", 6),
    "failing-test": ("tests", "test-failure", "tests/test_fail.py", 4),
    "coverage": ("tests", "coverage", None, None),
}


def run_check(project: Path, *args: str) -> tuple[int, dict[str, object]]:
    code = main(["check", str(project), "--format", "json", *args])
    return code, read_valid_report(project / ".research-ci" / "report.json")


@pytest.mark.slow
def test_clean_project_grades_a(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = write_project(tmp_path / "clean")
    code, report = run_check(project)
    printed = json.loads(capsys.readouterr().out)
    assert code == 0
    assert printed == report
    assert report["grade"] == "A"
    assert report["score"] == 100
    checks = report["checks"]
    assert isinstance(checks, dict)
    assert {name: checks[name]["status"] for name in checks} == {
        "format": "passed",
        "lint": "passed",
        "types": "passed",
        "tests": "passed",
        "data": "skipped",
        "maintainability": "passed",
        "model": "skipped",
    }
    assert checks["tests"]["passed"] == 4
    assert checks["tests"]["coverage"] == 100.0
    assert (project / ".venv" / "bin" / "python").exists()


@pytest.mark.slow
@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_each_fault_fails_its_check(tmp_path: Path, fault: str) -> None:
    project = write_project(tmp_path / fault, files=FAULTS[fault])
    code, report = run_check(project)
    check, finding_code, file, line = EXPECTED[fault]
    checks = report["checks"]
    assert isinstance(checks, dict)
    assert code == 1
    assert checks[check]["status"] == "failed"
    unselected = (check, "data", "model")
    others = {name: c["status"] for name, c in checks.items() if name not in unselected}
    assert set(others.values()) == {"passed"}, others
    findings = checks[check]["findings"]
    assert any(
        f["code"] == finding_code and f["file"] == file and f["line"] == line for f in findings
    ), findings
    assert report["gate"]["passed"] is False  # type: ignore[index]
    assert report["grade"] != "A" or fault in ("misformatted", "lint", "relative-import", "types")


@pytest.mark.slow
def test_failing_test_caps_grade_and_counts(tmp_path: Path) -> None:
    project = write_project(tmp_path / "p", files=FAULTS["failing-test"])
    _, report = run_check(project)
    tests = report["checks"]["tests"]  # type: ignore[index]
    assert (tests["passed"], tests["failed"], tests["errors"]) == (4, 1, 0)
    assert report["grade"] == "D"
    assert any("at most D" in cap for cap in report["rubric"]["caps"])  # type: ignore[index]


@pytest.mark.slow
def test_only_runs_selected_checks_and_no_install_uses_existing_env(tmp_path: Path) -> None:
    project = write_project(tmp_path / "p", files=FAULTS["types"])
    code, report = run_check(project, "--only", "format,lint")
    checks = report["checks"]
    assert isinstance(checks, dict)
    assert code == 0
    assert checks["types"]["status"] == "skipped"
    assert not (project / ".venv").exists()
    code, report = run_check(project, "--only", "types", "--no-install")
    assert code == 1
    assert report["checks"]["types"]["errors"] == 1  # type: ignore[index]


@pytest.mark.slow
def test_project_without_dependencies_or_project_table(tmp_path: Path) -> None:
    """Only a package and tests, found through pytest's and mypy's own path settings."""
    project = write_project(tmp_path / "bare")
    (project / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\npythonpath = ["src"]\n\n'
        '[tool.mypy]\nstrict = true\nmypy_path = "src"\n',
        encoding="utf-8",
    )
    code, report = run_check(project)
    assert code == 0, report["gate"]
    assert report["grade"] == "A"


@pytest.mark.slow
def test_minimum_grade_gate(tmp_path: Path) -> None:
    project = write_project(
        tmp_path / "p",
        files=FAULTS["lint"],
        extra_pyproject='\n[tool.research-ci]\nminimum-grade = "A"\nchecks = ["lint"]\n',
    )
    code, report = run_check(project)
    assert code == 1
    assert report["settings"]["minimum_grade"] == "A"  # type: ignore[index]
    code, report = run_check(project, "--minimum-grade", "b")
    assert report["settings"]["minimum_grade"] == "B"  # type: ignore[index]


@pytest.mark.slow
def test_github_format_annotates_findings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project = write_project(tmp_path / "repo" / "sub", files=FAULTS["lint"])
    monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path / "repo"))
    code = main(["check", str(project), "--only", "lint", "--format", "github"])
    out = capsys.readouterr().out
    assert code == 1
    assert "::error file=sub/src/sample_project/unused.py,line=3" in out
