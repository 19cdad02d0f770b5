"""``check --format text|github``: the rich terminal summary and GitHub workflow commands."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console

from fragments import assert_fragments
from report_builders import (
    clean_report,
    finding,
    lint_check,
    make_report,
    pytest_check,
    types_check,
)
from research_ci.findings import location
from research_ci.output import annotation_path, finding_command, github_commands, print_text
from research_ci.report import CheckResult, Finding, Report
from research_ci.workflow_commands import escape_data, escape_property, workflow_command


def report_with(*findings: Finding) -> Report:
    lint = lint_check(0)
    lint.status = "failed"
    lint.metrics["violations"] = len(findings)
    lint.findings = list(findings)
    return make_report(lint)


def test_escaping() -> None:
    assert escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    assert workflow_command("notice", "hi") == "::notice::hi"
    assert workflow_command("error", "m", file="a,b.py", line=None) == "::error file=a%2Cb.py::m"


def test_one_command_per_finding_with_all_properties(tmp_path: Path) -> None:
    item = finding(
        "lint", "bad\nthing 100%", file="src/a.py", line=3, col=5, end_line=4, code="E1:x,y"
    )
    lines = github_commands(report_with(item), root=tmp_path, workspace=tmp_path).splitlines()
    assert lines[0] == (
        "::error file=src/a.py,line=3,col=5,endLine=4,"
        "title=research-ci lint (E1%3Ax%2Cy)::bad%0Athing 100%25"
    )
    assert lines[-1].startswith("::notice title=research-ci::gate failed: lint failed (")
    assert len(lines) == 2


def test_severities_and_findings_without_file(tmp_path: Path) -> None:
    report = report_with(
        finding("lint", "n", severity="notice", file=None, line=None),
        finding("lint", "w", severity="warning", line=None),
        finding("lint", "e", line=0),
    )
    lines = github_commands(report, root=tmp_path, workspace=tmp_path).splitlines()
    assert lines[:3] == [
        "::error file=src/pkg/mod.py,title=research-ci lint::e",
        "::warning file=src/pkg/mod.py,title=research-ci lint::w",
        "::notice title=research-ci lint::n",
    ]


def test_project_in_a_subdirectory_annotates_the_right_file(tmp_path: Path) -> None:
    root = tmp_path / "experiments" / "proj"
    lines = github_commands(report_with(finding("lint", "m")), root=root, workspace=tmp_path)
    assert lines.startswith("::error file=experiments/proj/src/pkg/mod.py,line=3,")


def test_paths_without_workspace_are_relative_to_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert annotation_path("src/a.py", root=Path("sub"), workspace=None) == "sub/src/a.py"
    outside = tmp_path.parent / "elsewhere.py"
    assert annotation_path(str(outside), root=tmp_path, workspace=None) == outside.as_posix()
    assert annotation_path(str(tmp_path / "x.py"), root=Path("ignored"), workspace=None) == "x.py"


def test_commands_are_capped_to_what_github_shows(tmp_path: Path) -> None:
    findings = (
        [finding("lint", f"e{i}") for i in range(25)]
        + [finding("lint", f"w{i}", severity="warning") for i in range(3)]
        + [finding("lint", f"n{i}", severity="notice") for i in range(12)]
    )
    report = report_with(*findings)
    lines = github_commands(report, root=tmp_path, workspace=tmp_path).splitlines()
    kinds = [line.split(" ", 1)[0].split("::")[1] for line in lines]
    assert kinds.count("error") == 10
    assert kinds.count("warning") == 3
    assert kinds.count("notice") == 10
    assert lines[-2] == (
        "::notice title=research-ci::19 more findings are not annotated (GitHub shows 10 of "
        "each kind per step); see the job summary or the report"
    )
    # The reason first, then the grade.
    assert lines[-1].startswith("::notice title=research-ci::gate failed: lint failed (")
    assert lines[-1].endswith(f"; grade {report.grade} ({report.score})")
    everything = github_commands(report, root=tmp_path, workspace=tmp_path, per_step=None)
    assert len(everything.splitlines()) == 41


def test_most_important_findings_are_annotated_first(tmp_path: Path) -> None:
    lint = lint_check(15)
    tests = pytest_check(failed=3)
    report = make_report(lint, tests)
    lines = github_commands(report, root=tmp_path, workspace=tmp_path).splitlines()
    assert all("research-ci tests" in line for line in lines[:3])


def test_clean_report_is_just_the_grade(tmp_path: Path) -> None:
    text = github_commands(clean_report(), root=tmp_path, workspace=None)
    assert text == "::notice title=research-ci::gate passed; grade A (100)\n"


def test_print_text(tmp_path: Path) -> None:
    tricky = finding("lint", "[bold]not markup[/bold]", code="X1")
    many = [finding("lint", f"problem {i}", line=i + 1) for i in range(25)]
    report = report_with(tricky, *many)
    report.checks["tests"] = CheckResult(name="tests", status="skipped", summary="no tests dir")
    console = Console(record=True, width=120, color_system=None)
    print_text(report, console=console)
    text = console.export_text()
    assert_fragments(
        text,
        "research-ci: demo",
        "lint",
        "26 violations",
        "no tests dir",
        "Findings (26)",
        "src/pkg/mod.py:1 lint problem 0",
        "[bold]not markup[/bold]",
        "... and 6 more (see the JSON report)",
        "Gate failed: lint failed (",
    )
    assert text.index("Gate failed") < text.index(f"Grade {report.grade} ({report.score}/100)")


def test_print_text_shows_a_project_name_that_looks_like_markup() -> None:
    report = clean_report()
    report.project_name = "[/] [bold]x"
    console = Console(record=True, width=120, color_system=None)
    print_text(report, console=console)
    assert "research-ci: [/] [bold]x" in console.export_text()


def test_print_text_clean_and_default_console(capsys: pytest.CaptureFixture[str]) -> None:
    print_text(clean_report())
    out = capsys.readouterr().out
    assert_fragments(out, "Gate passed", "Grade A (100/100), minimum grade C", absent=["Findings"])


def test_print_text_shows_caps_and_short_finding_lists() -> None:
    console = Console(record=True, width=120, color_system=None)
    print_text(make_report(pytest_check(failed=2)), console=console)
    text = console.export_text()
    assert_fragments(
        text,
        "cap: tests: a test fails or errors, the tests cannot be collected, "
        "or no test runs -> at most D",
        "Findings (2)",
        absent=["more (see the JSON report)"],
    )


def test_a_notebook_finding_annotates_the_file_with_its_cell(tmp_path: Path) -> None:
    cell = Finding(
        check="lint", file="nb/explore.ipynb", line=2, col=8, code="F401", message="unused", cell=3
    )
    command = finding_command(cell, root=tmp_path, workspace=tmp_path)
    assert command == (
        "::error file=nb/explore.ipynb,title=research-ci lint (F401)::cell 3:line 2: unused"
    )
    assert location(cell) == "nb/explore.ipynb:cell 3:line 2"
    assert location(Finding(check="format", file="a.ipynb", line=None, message="m", cell=1)) == (
        "a.ipynb:cell 1"
    )


def test_the_panel_says_why_first_and_marks_advisory_checks() -> None:
    types = types_check(2)
    types.advisory = "the project has no mypy configuration"
    report = make_report(types, lint_check(1))
    console = Console(record=True, width=120, color_system=None)
    print_text(report, console=console)
    text = console.export_text()
    assert "failed (advisory)" in text
    panel = text[text.index("Gate failed") :]
    assert panel.startswith("Gate failed: lint failed (1 violations)")
    assert_fragments(
        panel,
        "Grade A (99/100), minimum grade C",
        "types is advisory (not graded): the project has no mypy configuration",
    )
