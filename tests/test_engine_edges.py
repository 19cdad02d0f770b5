"""Edges of the engine: tools that cannot run, syntax errors, no tests, broken environments."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from conftest import read_valid_report
from projects import write_project
from research_ci.checks.format import parse_black_diff
from research_ci.cli import main
from research_ci.cli.check import _progress
from research_ci.process import ToolError, run_tool
from research_ci.report import CheckResult


def test_run_tool_missing_executable(tmp_path: Path) -> None:
    with pytest.raises(ToolError, match="not found"):
        run_tool([tmp_path / "no-such-tool"], cwd=tmp_path, timeout_s=5)


def test_run_tool_timeout(tmp_path: Path) -> None:
    with pytest.raises(ToolError, match=r"timed out after 0\.2 s"):
        run_tool([sys.executable, "-c", "import time; time.sleep(5)"], cwd=tmp_path, timeout_s=0.2)


def test_run_tool_tail_prefers_stderr(tmp_path: Path) -> None:
    done = run_tool(
        [sys.executable, "-c", "import sys; print('out'); print('a\\nb', file=sys.stderr)"],
        cwd=tmp_path,
        timeout_s=30,
    )
    assert done.tail(1) == "b"
    assert done.tail() == "a | b"


def test_black_diff_points_at_first_changed_line() -> None:
    diff = (
        "--- a.py\t2026-01-01 00:00:00+00:00\n+++ a.py\t2026-01-01 00:00:00+00:00\n"
        "@@ -4,5 +4,4 @@\n context\n context\n-x=1\n+x = 1\n"
        "@@ -20,2 +19,2 @@\n-y=2\n+y = 2\n"
        "--- b.py\t2026\n+++ b.py\t2026\n@@ -1,2 +1,2 @@\n+added\n"
    )
    assert parse_black_diff(diff) == {"a.py": 6, "b.py": 1}


def test_progress_reports_each_finished_check(capsys: pytest.CaptureFixture[str]) -> None:
    with _progress(enabled=True) as listen:
        assert listen is not None
        listen("lint", None)
        listen("lint", CheckResult(name="lint", status="failed", summary="2 violations"))
    assert "lint: 2 violations" in capsys.readouterr().err
    with _progress(enabled=False) as listen:
        assert listen is None


@pytest.mark.slow
def test_syntax_error_is_reported_by_every_code_check(tmp_path: Path) -> None:
    project = write_project(tmp_path / "p", files={"src/{pkg}/broken.py": "def f(:\n    pass\n"})
    code = main(["check", str(project), "--format", "json", "--only", "format,lint,types"])
    report = read_valid_report(project / ".research-ci" / "report.json")
    checks = report["checks"]
    assert code == 1
    assert checks["format"]["status"] == "failed"
    assert checks["format"]["findings"][0]["code"] == "black-parse"
    assert checks["lint"]["status"] == "failed"
    assert any(f["file"] == "src/sample_project/broken.py" for f in checks["lint"]["findings"])
    assert checks["types"]["status"] == "failed"
    assert checks["types"]["findings"][0]["code"] == "syntax"


@pytest.mark.slow
def test_no_tests_fails_the_tests_check(tmp_path: Path) -> None:
    project = write_project(tmp_path / "p")
    (project / "tests" / "test_stats.py").unlink()
    code = main(["check", str(project), "--format", "json", "--only", "tests"])
    tests = read_valid_report(project / ".research-ci" / "report.json")["checks"]["tests"]
    assert code == 1
    assert tests["status"] == "failed"
    assert tests["summary"].startswith("no tests ran")
    assert tests["findings"][0]["code"] == "no-tests"
    # No test is as bad as a suite that cannot be collected: 50 points, at most D (karpathy's
    # nn-zero-to-hero, with no test at all, graded A (95)).
    report = read_valid_report(project / ".research-ci" / "report.json")
    assert (report["score"], report["grade"]) == (50, "F")


@pytest.mark.slow
def test_collection_error_counts_as_a_test_error(tmp_path: Path) -> None:
    project = write_project(
        tmp_path / "p", files={"tests/test_broken.py": "import no_such_module_here\n"}
    )
    main(["check", str(project), "--format", "json", "--only", "tests"])
    tests = read_valid_report(project / ".research-ci" / "report.json")["checks"]["tests"]
    assert tests["status"] == "failed"
    assert (tests["errors"], tests["collection_errors"]) == (1, 1)
    assert [(f["code"], f["file"], f["message"]) for f in tests["findings"]] == [
        (
            "collection-error",
            "tests/test_broken.py",
            (
                "tests/test_broken.py: cannot be collected: "
                "ModuleNotFoundError: No module named 'no_such_module_here'"
            ),
        )
    ]


@pytest.mark.slow
def test_environment_that_cannot_be_made_is_an_error_not_a_crash(tmp_path: Path) -> None:
    project = write_project(tmp_path / "p")
    pyproject = project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text(encoding="utf-8").replace(
            'requires-python = ">=3.10"',
            'requires-python = ">=3.10"\ndependencies = ["missing @ file:///nonexistent/missing"]',
        ),
        encoding="utf-8",
    )
    code = main(["check", str(project), "--format", "json", "--only", "lint,types,tests"])
    report = read_valid_report(project / ".research-ci" / "report.json")
    checks = report["checks"]
    assert code == 1
    assert checks["lint"]["status"] == "passed"
    for name in ("types", "tests"):
        assert checks[name]["status"] == "error"
        assert "could not prepare the project environment" in checks[name]["summary"]
    assert report["grade"] in ("C", "D", "F")


@pytest.mark.slow
def test_text_format_prints_a_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = write_project(tmp_path / "p")
    assert main(["check", str(project), "--only", "format,lint"]) == 0
    out = capsys.readouterr().out
    assert "format" in out
    assert "Grade A" in out


def test_cli_reference_lists_every_command_and_is_current() -> None:
    page = Path(__file__).resolve().parents[1] / "docs" / "cli.md"
    assert main(["cli-reference", "--output", str(page), "--check"]) == 0
    text = page.read_text(encoding="utf-8")
    for command in (
        "check",
        "badge",
        "summary",
        "report merge",
        "data infer",
        "data validate",
        "data skew",
        "new",
        "github comment",
        "rubric",
    ):
        assert f"## `research-ci {command}`" in text, command
    assert "--no-install" in text


def test_cli_reference_check_detects_stale_page(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "cli.md"
    assert main(["cli-reference", "--output", str(page), "--check"]) == 1
    assert not page.exists()
    assert main(["cli-reference", "--output", str(page)]) == 0
    assert main(["cli-reference", "--output", str(page), "--check"]) == 0
    assert main(["cli-reference"]) == 0
    assert "# CLI reference" in capsys.readouterr().out
