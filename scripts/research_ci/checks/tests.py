"""The tests check: pytest with pytest-cov in the project's environment.

Results come from pytest's JUnit XML (``junit_family=xunit1``, which carries file and line)
and coverage's JSON report, never from the terminal output. The coverage threshold is
coverage's own ``fail_under`` when set, else ``[tool.research-ci] coverage-threshold``.
"""

from __future__ import annotations

import json
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

from research_ci.checks.common import error_result, plural, relative_path
from research_ci.config import Settings
from research_ci.process import ToolError, run_tool
from research_ci.report import CheckResult, Finding

#: pytest's exit codes that still mean "the tests ran" (0 ok, 1 failures, 5 no tests).
RAN_EXIT_CODES = (0, 1, 2, 5)
MAX_MESSAGE = 500


def coverage_target(settings: Settings) -> list[str]:
    """``--cov`` alone when coverage's ``source`` is configured, else ``src`` or the root."""
    run_table = settings.pyproject.get("tool", {}).get("coverage", {}).get("run", {})
    if run_table.get("source") or run_table.get("source_pkgs"):
        return ["--cov"]
    if (settings.root / "src").is_dir():
        return ["--cov=src"]
    return ["--cov=."]


def parse_junit(path: Path, settings: Settings) -> tuple[dict[str, int], list[Finding]]:
    """Counts and one finding per failing or erroring test case."""
    root = ET.parse(path).getroot()  # noqa: S314 - pytest wrote this file just now
    counts = {"passed": 0, "failed": 0, "errors": 0, "skipped": 0}
    findings: list[Finding] = []
    for case in root.iter("testcase"):
        outcome = "passed"
        problem = None
        for child in case:
            if child.tag == "failure":
                outcome, problem = "failed", child
            elif child.tag == "error":
                outcome, problem = "errors", child
            elif child.tag == "skipped" and outcome == "passed":
                outcome = "skipped"
        counts[outcome] += 1
        if problem is not None:
            name = ".".join(filter(None, [case.get("classname"), case.get("name")]))
            detail = problem.get("message") or (problem.text or "").strip().splitlines()[-1:]
            text = detail if isinstance(detail, str) else " ".join(detail)
            line = case.get("line")
            file = case.get("file")
            findings.append(
                Finding(
                    check="tests",
                    file=relative_path(file, settings.root) if file else None,
                    line=int(line) + 1 if line is not None and line.isdigit() else None,
                    code="test-error" if outcome == "errors" else "test-failure",
                    message=f"{name}: {' '.join(text.split())[:MAX_MESSAGE]}",
                )
            )
    return counts, findings


def read_coverage(path: Path) -> float | None:
    """Total line (and branch) coverage in percent from coverage's JSON report."""
    if not path.exists():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return round(float(data["totals"]["percent_covered"]), 2)


def run(settings: Settings, python: Path) -> CheckResult:
    """Run the project's tests with coverage and compare coverage with the threshold."""
    started = time.perf_counter()
    threshold = settings.coverage_threshold
    with tempfile.TemporaryDirectory(prefix="research-ci-tests-") as tmp:
        junit = Path(tmp) / "junit.xml"
        coverage_json = Path(tmp) / "coverage.json"
        try:
            completed = run_tool(
                [
                    python,
                    "-m",
                    "pytest",
                    "-q",
                    "-p",
                    "pytest_cov",
                    "-o",
                    "junit_family=xunit1",
                    f"--junitxml={junit}",
                    *coverage_target(settings),
                    f"--cov-report=json:{coverage_json}",
                    "--cov-fail-under=0",
                ],
                cwd=settings.root,
                timeout_s=settings.timeout_s,
                env={"COVERAGE_FILE": str(Path(tmp) / ".coverage")},
            )
        except ToolError as exc:
            return error_result("tests", str(exc), started)
        if completed.returncode not in RAN_EXIT_CODES or not junit.exists():
            return error_result("tests", f"pytest could not run: {completed.tail(3)}", started)
        counts, findings = parse_junit(junit, settings)
        coverage = read_coverage(coverage_json)

    ran = counts["passed"] + counts["failed"] + counts["errors"]
    problems: list[str] = []
    if counts["failed"] or counts["errors"]:
        problems.append(
            f"{plural(counts['failed'], 'failed test')}, {plural(counts['errors'], 'error')}"
        )
    if ran == 0:
        problems.append("no tests ran")
        findings.append(
            Finding(check="tests", file=None, line=None, code="no-tests", message="no tests ran")
        )
    if coverage is not None and coverage < threshold:
        problems.append(f"coverage {coverage:.1f}% is under the threshold {threshold:g}%")
        findings.append(
            Finding(
                check="tests",
                file=None,
                line=None,
                code="coverage",
                message=f"coverage {coverage:.1f}% is under the threshold {threshold:g}%",
            )
        )
    summary = "; ".join(problems) or (
        f"{plural(counts['passed'], 'test')} passed, coverage "
        + (f"{coverage:.1f}%" if coverage is not None else "not measured")
    )
    return CheckResult(
        name="tests",
        status="failed" if problems else "passed",
        summary=summary,
        duration_s=time.perf_counter() - started,
        metrics={**counts, "coverage": coverage, "coverage_threshold": threshold},
        findings=findings,
    )
