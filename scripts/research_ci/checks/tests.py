"""The tests check: pytest with pytest-cov in the project's environment.

pytest runs with the project's environment's Python (see :mod:`research_ci.environment`), with
pytest-cov from research-ci's cache on ``PYTHONPATH`` when that environment lacks it and is not
research-ci's to change. Results come from pytest's JUnit XML (``junit_family=xunit1``, which
carries file and line) and coverage's JSON report, never from the terminal output. The
coverage threshold is coverage's own ``fail_under`` when set, else ``[tool.research-ci]
coverage-threshold``.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TYPE_CHECKING

from research_ci.checks.common import error_result, relative_path
from research_ci.checks.spec import (
    Badge,
    CapRule,
    CheckSpec,
    MergeRule,
    PenaltyRule,
    badge,
    metric_count,
    metric_number,
)
from research_ci.environment import dist_version
from research_ci.process import ToolError, run_tool
from research_ci.report import CheckResult, Finding, Report
from research_ci.tools import FROM_ENVIRONMENT, FROM_RESEARCH_CI
from research_ci.words import percent, plural

if TYPE_CHECKING:
    from research_ci.checks.spec import CheckInputs
    from research_ci.config import Settings
    from research_ci.environment import ProjectEnv

NAME = "tests"

#: pytest's exit codes that still mean "the tests ran" (0 ok, 1 failures, 5 no tests).
RAN_EXIT_CODES = (0, 1, 2, 5)
MAX_MESSAGE = 500


#: Coverage at or above both this and the threshold is bright green.
COVERAGE_EXCELLENT = 90.0
#: Coverage at most this many points under the threshold is orange, further under is red.
COVERAGE_ORANGE_MARGIN = 10.0


@dataclasses.dataclass(frozen=True)
class TestsMetrics:
    """Test counts, and coverage in percent against its threshold (``None``: not measured)."""

    __test__ = False  # not a pytest test class

    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    coverage: float | None = None
    coverage_threshold: float | None = None

    @classmethod
    def of(cls, result: CheckResult) -> TestsMetrics:
        """The figures of a tests result."""
        return cls(
            passed=metric_count(result, "passed"),
            failed=metric_count(result, "failed"),
            errors=metric_count(result, "errors"),
            skipped=metric_count(result, "skipped"),
            coverage=metric_number(result, "coverage"),
            coverage_threshold=metric_number(result, "coverage_threshold"),
        )

    @property
    def failing(self) -> int:
        """Tests that failed or errored."""
        return self.failed + self.errors

    @property
    def coverage_shortfall(self) -> float:
        """Percentage points of coverage under the threshold (0 when not measured)."""
        if self.coverage is None:
            return 0.0
        return max(0.0, (self.coverage_threshold or 0.0) - self.coverage)


def outcome_counts(metrics: TestsMetrics) -> str:
    """``"40 passed, 2 failed, 1 error, 3 skipped"`` (zero counts left out)."""
    parts = [f"{metrics.passed} passed"]
    if metrics.failed:
        parts.append(f"{metrics.failed} failed")
    if metrics.errors:
        parts.append(plural(metrics.errors, "error"))
    if metrics.skipped:
        parts.append(f"{metrics.skipped} skipped")
    return ", ".join(parts)


def figures(metrics: TestsMetrics) -> str:
    """``"40 passed, 2 failed; coverage 87% (threshold 90%)"``."""
    text = outcome_counts(metrics)
    if metrics.coverage is not None:
        text += f"; coverage {percent(metrics.coverage)}"
        if metrics.coverage_threshold:
            text += f" (threshold {percent(metrics.coverage_threshold)})"
    return text


def coverage_color(coverage: float, threshold: float) -> str:
    """The color of a coverage badge.

    Bright green at or above the threshold and 90 %, green at or above the threshold, orange
    up to 10 points under it, red further under.
    """
    if coverage >= threshold:
        return "brightgreen" if coverage >= COVERAGE_EXCELLENT else "green"
    if coverage >= threshold - COVERAGE_ORANGE_MARGIN:
        return "orange"
    return "red"


def coverage_badge(_result: CheckResult, metrics: TestsMetrics, report: Report) -> Badge:
    """``coverage: 87%``, colored against the check's threshold (else the report's)."""
    if metrics.coverage is None:
        return badge("coverage", "unknown", "lightgrey")
    threshold = metrics.coverage_threshold
    if threshold is None:
        threshold = report.coverage_threshold
    return badge("coverage", percent(metrics.coverage), coverage_color(metrics.coverage, threshold))


def tests_badge(result: CheckResult, metrics: TestsMetrics, _report: Report) -> Badge:
    """``tests: 42 passed`` (green) or ``tests: 2 failed, 1 error`` (red)."""
    if metrics.failing:
        parts = [f"{metrics.failed} failed"] if metrics.failed else []
        if metrics.errors:
            parts.append(plural(metrics.errors, "error"))
        return badge(NAME, ", ".join(parts), "red")
    if result.status == "failed":
        return badge(NAME, "failing", "red")
    if metrics.passed == 0:
        return badge(NAME, "no tests", "yellow")
    return badge(NAME, f"{metrics.passed} passed", "brightgreen")


def coverage_target(settings: Settings) -> list[str]:
    """``--cov`` alone when coverage's ``source`` is configured, else ``src`` or the root."""
    if settings.tools.coverage_source:
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
                    check=NAME,
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


def pytest_tool(env: ProjectEnv) -> dict[str, str]:
    """The report's record of the pytest that runs: the environment's, else research-ci's."""
    version = env.has("pytest")
    if version is not None:
        return {"name": "pytest", "version": version, "from": FROM_ENVIRONMENT}
    overlay = env.overlay
    found = dist_version(overlay, "pytest") if overlay is not None else None
    return {"name": "pytest", "version": found or "unknown", "from": FROM_RESEARCH_CI}


def run(inputs: CheckInputs) -> CheckResult:
    """Run the project's tests with coverage and compare coverage with the threshold."""
    started = time.perf_counter()
    settings = inputs.settings
    env = inputs.environment.get()
    python = env.python
    tool = pytest_tool(env)
    inputs.announce(f"research-ci: running the tests (pytest {tool['version']}, {env.location})")
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
                env={"COVERAGE_FILE": str(Path(tmp) / ".coverage"), **env.run_env()},
            )
        except ToolError as exc:
            return error_result(NAME, str(exc), started)
        if completed.returncode not in RAN_EXIT_CODES or not junit.exists():
            failed = error_result(NAME, f"pytest could not run: {completed.tail(3)}", started)
            failed.tool = tool
            return failed
        counts, findings = parse_junit(junit, settings)
        coverage = read_coverage(coverage_json)
        kept = keep_line_coverage(coverage_json, settings.root)

    ran = counts["passed"] + counts["failed"] + counts["errors"]
    problems: list[str] = []
    if counts["failed"] or counts["errors"]:
        problems.append(
            f"{plural(counts['failed'], 'failed test')}, {plural(counts['errors'], 'error')}"
        )
    if ran == 0:
        problems.append("no tests ran")
        findings.append(
            Finding(check=NAME, file=None, line=None, code="no-tests", message="no tests ran")
        )
    if coverage is not None and coverage < threshold:
        under = f"coverage {coverage:.1f}% is under the threshold {threshold:g}%"
        problems.append(under)
        findings.append(Finding(check=NAME, file=None, line=None, code="coverage", message=under))
    summary = "; ".join(problems) or (
        f"{plural(counts['passed'], 'test')} passed, coverage "
        + (f"{coverage:.1f}%" if coverage is not None else "not measured")
    )
    metrics = TestsMetrics(**counts, coverage=coverage, coverage_threshold=threshold)
    return CheckResult(
        name=NAME,
        status="failed" if problems else "passed",
        summary=summary,
        duration_s=time.perf_counter() - started,
        metrics={**dataclasses.asdict(metrics), **({"coverage_file": kept} if kept else {})},
        findings=findings,
        tool=tool,
    )


#: Where coverage.py's per-line JSON is kept for the diff coverage of ``check --base``.
LINE_COVERAGE_FILE = ".research-ci/coverage.json"


def keep_line_coverage(coverage_json: Path, root: Path) -> str | None:
    """Copy coverage's JSON report to ``.research-ci/coverage.json``; its path, or ``None``."""
    target = root / LINE_COVERAGE_FILE
    try:
        if not coverage_json.exists() or target.parent.is_symlink():
            return None
        target.parent.mkdir(exist_ok=True)
        if target.is_symlink():
            target.unlink()
        shutil.copyfile(coverage_json, target)
    except OSError:
        return None
    return LINE_COVERAGE_FILE


CHECK: CheckSpec[TestsMetrics] = CheckSpec(
    name=NAME,
    metrics=TestsMetrics.of,
    run=run,
    figures=figures,
    priority=1,
    badges={"coverage": coverage_badge, NAME: tests_badge},
    badge_rank=1,
    penalties=(
        PenaltyRule(NAME, "failing or erroring test", 5, 30, lambda m: m.failing),
        PenaltyRule(
            NAME,
            "percentage point of coverage under the threshold",
            1,
            20,
            lambda m: m.coverage_shortfall,
        ),
    ),
    caps=(
        CapRule(NAME, "a test fails or errors", "D", lambda m: m.failing > 0),
        CapRule(NAME, "coverage is under the threshold", "B", lambda m: m.coverage_shortfall > 0),
    ),
    merge=MergeRule(
        summed=frozenset({"passed", "failed", "errors", "skipped"}),
        weakest=frozenset({"coverage"}),
    ),
)
