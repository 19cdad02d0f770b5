"""`research-ci github outputs` and `github gate`: step outputs and the quality gate."""

from __future__ import annotations

from pathlib import Path

import pytest

from report_builders import (
    clean_report,
    data_check,
    format_check,
    lint_check,
    make_report,
    pytest_check,
    skipped,
)
from research_ci.cli import main
from research_ci.github.context import ActionsContext, write_outputs
from research_ci.github.outputs import gate_failures, parse_grade, step_outputs
from research_ci.report import Report, save_report

ANOMALY = {
    "feature": "fertilizer",
    "kind": "ENUM_TYPE_UNEXPECTED_STRING_VALUES",
    "description": "unexpected values",
    "severity": "ERROR",
    "dataset": "eval",
}


def saved(report: Report, tmp_path: Path) -> Path:
    path = tmp_path / "report.json"
    save_report(report, path)
    return path


def read_outputs(path: Path) -> dict[str, str]:
    """Parse the heredoc form of $GITHUB_OUTPUT."""
    values: dict[str, str] = {}
    lines = path.read_text("utf-8").splitlines()
    index = 0
    while index < len(lines):
        name, delimiter = lines[index].split("<<", 1)
        end = lines.index(delimiter, index + 1)
        values[name] = "\n".join(lines[index + 1 : end])
        index = end + 1
    return values


def test_outputs_of_a_clean_report(tmp_path: Path) -> None:
    report = clean_report()
    outputs = step_outputs(report, tmp_path / "report.json")
    assert outputs == {
        "grade": "A",
        "score": str(report.score),
        "report": str((tmp_path / "report.json").resolve()),
        "coverage": "95",
        "anomalies": "0",
    }


def test_outputs_are_empty_for_checks_that_did_not_run(tmp_path: Path) -> None:
    report = make_report(format_check(), skipped("tests"), skipped("data"))
    outputs = step_outputs(report, tmp_path / "r.json")
    assert outputs["coverage"] == ""
    assert outputs["anomalies"] == ""
    lint_only = step_outputs(make_report(lint_check()), tmp_path / "r.json")
    assert (lint_only["coverage"], lint_only["anomalies"]) == ("", "")


def test_outputs_count_anomalies_and_keep_fractional_coverage(tmp_path: Path) -> None:
    report = make_report(pytest_check(coverage=87.5), data_check([ANOMALY, ANOMALY]))
    outputs = step_outputs(report, tmp_path / "r.json")
    assert outputs["coverage"] == "87.5"
    assert outputs["anomalies"] == "2"


def test_outputs_command_writes_github_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    output = tmp_path / "github_output"
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    path = saved(clean_report(), tmp_path)
    assert main(["github", "outputs", "--report", str(path)]) == 0
    values = read_outputs(output)
    assert values["grade"] == "A"
    assert values["report"] == str(path.resolve())


def test_outputs_without_github_output_are_printed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("GITHUB_OUTPUT", raising=False)
    assert main(["github", "outputs", "--report", str(saved(clean_report(), tmp_path))]) == 0
    assert "grade=A" in capsys.readouterr().out.splitlines()


def test_multiline_output_values_survive(tmp_path: Path) -> None:
    output = tmp_path / "out"
    context = ActionsContext.from_env({"GITHUB_OUTPUT": str(output)})
    write_outputs(context, {"text": "line one\nline two", "empty": ""})
    assert read_outputs(output) == {"text": "line one\nline two", "empty": ""}


def test_missing_report_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["github", "outputs", "--report", str(tmp_path / "nope.json")]) == 2
    assert "report not found" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("value", "expected"), [("", ""), (" b ", "B"), ("a", "A"), ("F", "F"), ("E", None)]
)
def test_parse_grade(value: str, expected: str | None) -> None:
    assert parse_grade(value) == expected


def test_gate_passes_a_clean_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = saved(clean_report(), tmp_path)
    assert main(["github", "gate", "--report", str(path), "--minimum-grade", "A"]) == 0
    assert "quality gate passed" in capsys.readouterr().out


def test_gate_fails_under_the_minimum_grade(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = make_report(pytest_check(coverage=60.0), minimum_grade="D")
    assert report.grade != "A"
    path = saved(report, tmp_path)
    code = main(["github", "gate", "--report", str(path), "--minimum-grade", "a"])
    out = capsys.readouterr().out
    assert code == 1
    assert f"::error title=research-ci%3A quality gate::grade {report.grade} is under" in out


def test_gate_repeats_the_reports_own_reasons(tmp_path: Path) -> None:
    report = make_report(lint_check(violations=3))
    assert gate_failures(report, "") == list(report.gate_reasons)
    assert gate_failures(report, "") != []
    assert gate_failures(clean_report(), None) == []


def test_gate_refuses_a_bad_minimum_grade(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = saved(clean_report(), tmp_path)
    assert main(["github", "gate", "--report", str(path), "--minimum-grade", "Z"]) == 2
    assert "minimum-grade must be one of" in capsys.readouterr().err
