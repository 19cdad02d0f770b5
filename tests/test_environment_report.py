"""The environment and tool records of a report: JSON, terminal, Markdown summary, merge."""

from __future__ import annotations

from typing import Any

from rich.console import Console

from report_builders import clean_report, lint_check
from research_ci.figures import environment_words, tool_words
from research_ci.merge import merge_reports
from research_ci.output import print_text
from research_ci.report import Report, report_from_dict, validate_report_dict
from research_ci.summary import render_summary

ENVIRONMENT: dict[str, Any] = {
    "kind": "managed",
    "location": ".venv",
    "python": "3.12.1",
    "python_request": {"request": ">=3.12", "source": "requires-python in pyproject.toml"},
    "created": True,
    "synced": True,
    "installed": [
        {"what": "-e .[test]", "from": "setup.py"},
        {"what": "-r requirements|dev.txt", "from": "requirements|dev.txt"},
        {"what": "pytest, pytest-cov", "from": "research-ci"},
    ],
    "overlay": [],
    "notes": ["environment.yml is a conda environment"],
}


def report_with_tools() -> Report:
    report = clean_report()
    report.checks["lint"].tool = {"name": "ruff", "version": "0.3.0", "from": "pre-commit"}
    report.checks["format"].tool = {"name": "ruff", "version": "0.3.0", "from": "pre-commit"}
    report.environment = dict(ENVIRONMENT)
    validate_report_dict(report.to_dict(), source="test report")
    return report


def test_tool_and_environment_survive_json() -> None:
    report = report_with_tools()
    data = report.to_dict()
    assert data["checks"]["lint"]["tool"] == {
        "name": "ruff",
        "version": "0.3.0",
        "from": "pre-commit",
    }
    assert "tool" not in data["checks"]["tests"]
    again = report_from_dict(data)
    assert again.checks["lint"].tool == report.checks["lint"].tool
    assert "tool" not in again.checks["lint"].metrics
    assert again.environment == ENVIRONMENT
    assert "environment" not in clean_report().to_dict()


def test_words() -> None:
    report = report_with_tools()
    assert tool_words(report.checks["lint"]) == "ruff 0.3.0 (pre-commit)"
    assert tool_words(report.checks["tests"]) == ""
    assert environment_words(ENVIRONMENT) == (
        ".venv (made now), Python 3.12.1 for >=3.12 (requires-python in pyproject.toml); "
        "installed -e .[test] (setup.py), -r requirements|dev.txt (requirements|dev.txt), "
        "pytest, pytest-cov (research-ci); environment.yml is a conda environment"
    )
    overlaid = {
        "location": "$VIRTUAL_ENV (/opt/env)",
        "python": "3.11.7",
        "overlay": ["pytest-cov"],
        "installed": [],
    }
    assert environment_words(overlaid) == (
        "$VIRTUAL_ENV (/opt/env), Python 3.11.7; pytest-cov from research-ci's cache"
    )
    failed = {"location": ".venv", "error": "install failed: boom"}
    assert environment_words(failed) == ".venv: install failed: boom"
    assert environment_words(None) == ""


def test_summary_shows_tools_and_environment_as_plain_text() -> None:
    text = render_summary(report_with_tools())
    assert "| Check | Status | Result | Tool | Duration |" in text
    assert "| lint | ✅ passed | no violations | ruff 0.3.0 (pre-commit) | 0.2 s |" in text
    environment = next(line for line in text.splitlines() if line.startswith("Environment:"))
    assert "-r requirements\\|dev.txt (requirements\\|dev.txt)" in environment
    plain = render_summary(clean_report())
    assert "| Check | Status | Result | Duration |" in plain
    assert "Environment:" not in plain


def test_terminal_shows_tools_and_environment() -> None:
    console = Console(record=True, width=200, color_system=None)
    print_text(report_with_tools(), console=console)
    text = console.export_text()
    assert "ruff 0.3.0 (pre-commit)" in text
    assert "Environment: .venv (made now), Python 3.12.1" in text


def test_merge_keeps_the_tool_and_the_environment() -> None:
    first = report_with_tools()
    second = clean_report()
    second.checks["lint"] = lint_check(1)
    merged = merge_reports([second, first])
    assert merged.checks["lint"].tool == {"name": "ruff", "version": "0.3.0", "from": "pre-commit"}
    assert merged.environment == ENVIRONMENT
