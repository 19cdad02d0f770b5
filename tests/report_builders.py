"""Reports built from CheckResult data (not mocks) for the tests of the report consumers."""

from __future__ import annotations

from typing import Any

from research_ci.grade import build_report
from research_ci.report import CheckResult, Finding, Report, Severity, validate_report_dict


def finding(
    check: str,
    message: str = "something is wrong",
    *,
    file: str | None = "src/pkg/mod.py",
    line: int | None = 3,
    col: int | None = None,
    end_line: int | None = None,
    code: str | None = None,
    severity: Severity = "error",
) -> Finding:
    """One finding with sensible defaults."""
    return Finding(
        check=check,
        file=file,
        line=line,
        col=col,
        end_line=end_line,
        code=code,
        message=message,
        severity=severity,
    )


def _counted(
    name: str, metric: str, findings: list[Finding], summary: str, duration_s: float
) -> CheckResult:
    """A check whose figure counts its findings: failed when there are any."""
    return CheckResult(
        name=name,
        status="failed" if findings else "passed",
        summary=summary,
        duration_s=duration_s,
        metrics={metric: len(findings)},
        findings=findings,
    )


def format_check(files: int = 0) -> CheckResult:
    """A black result with ``files`` files to reformat."""
    findings = [
        finding("format", "would reformat", file=f"src/f{i}.py", line=None) for i in range(files)
    ]
    return _counted(
        "format", "files_to_reformat", findings, f"{files} files would be reformatted", 0.4
    )


def lint_check(violations: int = 0) -> CheckResult:
    """A ruff result with ``violations`` findings."""
    findings = [
        finding("lint", f"unused import {i}", line=i + 1, col=1, code="F401")
        for i in range(violations)
    ]
    return _counted("lint", "violations", findings, f"{violations} violations", 0.2)


def types_check(errors: int = 0) -> CheckResult:
    """A mypy result with ``errors`` findings."""
    findings = [
        finding("types", f"incompatible type {i}", line=10 + i, code="arg-type")
        for i in range(errors)
    ]
    return _counted("types", "errors", findings, f"{errors} errors", 1.5)


def pytest_check(
    *,
    passed: int = 42,
    failed: int = 0,
    errors: int = 0,
    skipped: int = 0,
    coverage: float | None = 95.0,
    threshold: float = 80.0,
    status: Any = None,
) -> CheckResult:
    """A pytest + coverage result."""
    failing = failed + errors > 0 or (coverage is not None and coverage < threshold)
    return CheckResult(
        name="tests",
        status=status or ("failed" if failing else "passed"),
        summary=f"{passed} passed, {failed} failed",
        duration_s=3.25,
        metrics={
            "passed": passed,
            "failed": failed,
            "errors": errors,
            "skipped": skipped,
            "coverage": coverage,
            "coverage_threshold": threshold,
        },
        findings=[
            finding("tests", f"test_{i} failed: assert 1 == 2", file="tests/test_x.py", line=i)
            for i in range(1, failed + 1)
        ],
    )


def pytest_run(
    outcomes: dict[str, str],
    *,
    python: str = "3.12",
    coverage: float | None = 95.0,
    threshold: float = 80.0,
) -> CheckResult:
    """A tests result as research-ci's tests check writes it: counts from per-test outcomes.

    ``outcomes`` maps pytest node ids to ``passed``, ``failed``, ``error``, ``skipped``,
    ``xfailed``, ``xpassed`` or ``uncollected``; failing tests get one finding each that
    starts with their id, and ``failed_on`` names ``python``.
    """
    figure = {"uncollected": "errors", "error": "errors"}
    counts = dict.fromkeys(["passed", "failed", "errors", "skipped", "xfailed", "xpassed"], 0)
    for outcome in outcomes.values():
        counts[figure.get(outcome, outcome)] += 1
    failing = [
        test for test, outcome in outcomes.items() if outcome in ("failed", "error", "uncollected")
    ]
    collection = sum(1 for outcome in outcomes.values() if outcome == "uncollected")
    under = coverage is not None and coverage < threshold
    return CheckResult(
        name="tests",
        status="failed" if failing or under else "passed",
        summary=f"{len(failing)} failing tests" if failing else f"{counts['passed']} passed",
        duration_s=3.25,
        metrics={
            **counts,
            "collection_errors": collection,
            "coverage": coverage,
            "coverage_threshold": threshold,
            "test_outcomes": dict(outcomes),
            "failed_on": {test: [python] for test in failing},
        },
        findings=[
            finding(
                "tests",
                f"{test}: assert {python} == 'all'",
                file=test.split("::", maxsplit=1)[0],
                line=10,
                code="collection-error" if outcomes[test] == "uncollected" else "test-failure",
            )
            for test in failing
        ],
    )


def data_check(
    anomalies: list[dict[str, Any]] | None = None,
    drift: list[dict[str, Any]] | None = None,
    skew: list[dict[str, Any]] | None = None,
) -> CheckResult:
    """A TFDV result."""
    anomalies = anomalies or []
    over = [m for m in (drift or []) + (skew or []) if m["value"] > m["threshold"]]
    return CheckResult(
        name="data",
        status="failed" if anomalies or over else "passed",
        summary=f"{len(anomalies)} anomalies",
        duration_s=7.0,
        metrics={"anomalies": anomalies, "drift": drift or [], "skew": skew or []},
    )


def skipped(name: str, reason: str = "not configured") -> CheckResult:
    """A check that did not run."""
    return CheckResult(name=name, status="skipped", summary=reason)


def errored(name: str, reason: str = "tool crashed") -> CheckResult:
    """A check that could not run."""
    return CheckResult(name=name, status="error", summary=reason)


def make_report(
    *checks: CheckResult,
    project: str = "demo",
    minimum_grade: str = "C",
    coverage_threshold: float = 80.0,
    report_url: str | None = None,
) -> Report:
    """Grade the checks into a report, and check its JSON form against the schema."""
    report = build_report(
        project_name=project,
        checks={check.name: check for check in checks},
        minimum_grade=minimum_grade,
        coverage_threshold=coverage_threshold,
        report_url=report_url,
    )
    validate_report_dict(report.to_dict(), source="test report")
    return report


def clean_report(**kwargs: Any) -> Report:
    """Every check present and clean: grade A."""
    return make_report(
        format_check(), lint_check(), types_check(), pytest_check(), data_check(), **kwargs
    )
