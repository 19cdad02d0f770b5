"""The tests check: pytest with pytest-cov in the project's environment, with its own settings.

pytest runs with the project's environment's Python (see :mod:`research_ci.environment`), with
pytest-cov from research-ci's cache on ``PYTHONPATH`` when that environment lacks it and is not
research-ci's to change. The project's pytest and coverage settings apply wherever they are
written (see :mod:`research_ci.toolconfig`): research-ci adds a ``--cov`` only when
``addopts`` has none (``--cov`` alone when coverage's ``source`` is set, else ``src``, else a
flat layout's own packages, else the root), and never a threshold of its own, so the
project's ``--cov-fail-under`` stands.

Results come from research-ci's pytest plugin (``pytest_plugin/research_ci_outcomes.py``),
which records every report as pytest's own summary classifies it (passed, failed, error,
skipped, xfailed, xpassed, and modules that cannot be collected), and from coverage's JSON
report; never from the terminal output. When pytest stops before its session starts (a
``conftest.py`` that cannot be imported, an unknown option in ``addopts``), the exception
line pytest printed is the finding.

Grades: a failing test caps the grade at D; a suite that cannot be collected takes the most
the test rules can take, so it never grades better than one that runs and fails. Coverage is
only measured when tests ran; otherwise it is shown as not measured.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from research_ci.checks.common import error_result, ran, relative_path, run_module
from research_ci.checks.spec import (
    Badge,
    CapRule,
    CheckSpec,
    MergeRule,
    Metrics,
    PenaltyRule,
    badge,
    metric_count,
    metric_number,
)
from research_ci.environment import dist_version
from research_ci.errors import UsageError
from research_ci.process import LOG_OUTPUT_LIMIT, Completed, ToolError
from research_ci.report import CheckResult, Finding, Report, ignore_output_dir
from research_ci.tools import FROM_ENVIRONMENT, FROM_RESEARCH_CI
from research_ci.words import percent, plural

if TYPE_CHECKING:
    from research_ci.checks.spec import CheckInputs
    from research_ci.config import Settings
    from research_ci.environment import ProjectEnv

NAME = "tests"

#: pytest's exit codes when its session ran: 0 all passed, 1 some failed, 2 interrupted by
#: collection errors (research-ci's plugin records them), 5 no tests.
RAN_EXIT_CODES = (0, 1, 2, 5)
#: pytest's exit codes when it stopped before or outside the session (3 internal, 4 usage).
STOPPED_EXIT_CODES = (3, 4)
MAX_MESSAGE = 500
#: The directory of research-ci's pytest plugin (nothing else is in it) and its module name.
PLUGIN_DIRECTORY = Path(__file__).resolve().parent.parent / "pytest_plugin"
PLUGIN = "research_ci_outcomes"
OUTCOMES_VARIABLE = "RESEARCH_CI_OUTCOMES"

#: A test's outcomes, worst first: pytest's categories, and ``uncollected`` for a module that
#: cannot be collected (a test's outcome in a merged report is its worst across the reports).
OUTCOMES: tuple[str, ...] = (
    "uncollected",
    "failed",
    "error",
    "xpassed",
    "passed",
    "xfailed",
    "skipped",
)
#: A test's outcome -> the report's figure (pytest counts a collection failure as an error).
FIGURE_OF: Mapping[str, str] = {
    "uncollected": "errors",
    "passed": "passed",
    "failed": "failed",
    "error": "errors",
    "skipped": "skipped",
    "xfailed": "xfailed",
    "xpassed": "xpassed",
}
#: The outcomes of a failing test.
FAILING = frozenset({"uncollected", "failed", "error"})
#: Codes of the findings that name one test (or module), by its pytest node id.
TEST_FINDING_CODES = ("test-failure", "test-error", "collection-error")

#: Where the coverage threshold comes from when the project sets none. Under it, coverage
#: costs points and caps the grade at B, but does not fail the check: a gate on a threshold
#: the maintainers never chose is one they would dispute (pint, pypa/sampleproject).
DEFAULT_THRESHOLD_FROM = "research-ci's default"
#: Coverage at or above both this and the threshold is bright green.
COVERAGE_EXCELLENT = 90.0
#: Coverage at most this many points under the threshold is orange, further under is red.
COVERAGE_ORANGE_MARGIN = 10.0
#: What a suite that cannot be collected takes off: the most the other test rules can take.
FAILING_MAX_POINTS = 30
COVERAGE_MAX_POINTS = 20

_EXCEPTION_LINE = re.compile(r"^E\s+(?P<line>\S.*)$")
_COLLECTION_ERROR_LINE = re.compile(
    r"^(?:ImportError while loading conftest|ERROR: |[A-Za-z_.]*(?:Error|Exception): |"
    r"(?:[^\s:]+ -m )?[^\s:]*pytest(?:\.exe)?: error: |INTERNALERROR> \S*(?:Error|Exception)\b)"
)


@dataclasses.dataclass(frozen=True)
class TestsMetrics(Metrics):
    """Test counts as pytest counts them, and coverage against its threshold.

    ``coverage`` is ``None`` when it was not measured (no test ran, or coverage is off).
    ``collection_errors`` are among ``errors`` (as pytest counts them). ``test_outcomes`` maps
    each test's node id to its outcome; ``failed_on`` each failing test's id to the Pythons
    it failed on (``report merge`` counts every test once with them).
    """

    __test__ = False  # not a pytest test class

    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    xfailed: int = 0
    xpassed: int = 0
    collection_errors: int = 0
    coverage: float | None = None
    coverage_threshold: float | None = None
    coverage_threshold_from: str | None = None
    test_outcomes: Mapping[str, str] | None = None
    failed_on: Mapping[str, Sequence[str]] | None = None

    @classmethod
    def of(cls, result: CheckResult) -> TestsMetrics:
        """The figures of a tests result."""
        outcomes = result.metrics.get("test_outcomes")
        failed_on = result.metrics.get("failed_on")
        source = result.metrics.get("coverage_threshold_from")
        return cls(
            passed=metric_count(result, "passed"),
            failed=metric_count(result, "failed"),
            errors=metric_count(result, "errors"),
            skipped=metric_count(result, "skipped"),
            xfailed=metric_count(result, "xfailed"),
            xpassed=metric_count(result, "xpassed"),
            collection_errors=metric_count(result, "collection_errors"),
            coverage=metric_number(result, "coverage"),
            coverage_threshold=metric_number(result, "coverage_threshold"),
            coverage_threshold_from=source if isinstance(source, str) else None,
            test_outcomes=outcomes if isinstance(outcomes, dict) else None,
            failed_on=failed_on if isinstance(failed_on, dict) else None,
        )

    @property
    def failing(self) -> int:
        """Tests that failed or errored, and modules that could not be collected."""
        return self.failed + self.errors

    @property
    def failing_tests(self) -> int:
        """Tests that ran and failed or errored (modules that cannot be collected apart)."""
        return max(0, self.failing - self.collection_errors)

    @property
    def ran(self) -> int:
        """Tests that ran, whatever their outcome (skipped ones did not)."""
        return self.passed + self.xfailed + self.xpassed + self.failing_tests

    @property
    def no_test_ran(self) -> bool:
        """Whether pytest ran but no test did (none collected, or all skipped), without errors.

        (Figures without ``test_outcomes``, an older or hand-made report's, never say so.)
        """
        return self.test_outcomes is not None and self.ran == 0 and not self.collection_errors

    @property
    def coverage_gates(self) -> bool:
        """Whether coverage under the threshold fails the check: the project set a threshold."""
        return self.coverage_threshold_from != DEFAULT_THRESHOLD_FROM

    @property
    def coverage_shortfall(self) -> float:
        """Percentage points of coverage under the threshold (0 when not measured)."""
        if self.coverage is None:
            return 0.0
        return max(0.0, (self.coverage_threshold or 0.0) - self.coverage)

    def sentence(self) -> str:
        """``"40 passed, 2 failed; coverage 87% (threshold 90%)"``, or ``coverage not measured``."""
        text = outcome_counts(self)
        if self.coverage is None:
            return text + "; coverage not measured"
        text += f"; coverage {percent(self.coverage)}"
        if self.coverage_threshold:
            text += f" (threshold {percent(self.coverage_threshold)})"
        return text


def outcome_counts(metrics: TestsMetrics) -> str:
    """``"40 passed, 2 failed, 1 error, 3 skipped, 1 xfailed"`` (zero counts left out)."""
    if metrics.collection_errors and not metrics.ran:
        return f"cannot be collected ({plural(metrics.collection_errors, 'collection error')})"
    parts = [f"{metrics.passed} passed"]
    if metrics.failed:
        parts.append(f"{metrics.failed} failed")
    if metrics.errors:
        parts.append(plural(metrics.errors, "error"))
    for name in ("skipped", "xfailed", "xpassed"):
        count = getattr(metrics, name)
        if count:
            parts.append(f"{count} {name}")
    return ", ".join(parts)


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
        return badge("coverage", "not measured", "lightgrey")
    threshold = metrics.coverage_threshold
    if threshold is None:
        threshold = report.coverage_threshold
    return badge("coverage", percent(metrics.coverage), coverage_color(metrics.coverage, threshold))


def tests_badge(result: CheckResult, metrics: TestsMetrics, _report: Report) -> Badge:
    """``tests: 42 passed`` (green), ``tests: 2 failed, 1 error`` or ``1 collection error``."""
    if metrics.collection_errors:
        return badge(NAME, plural(metrics.collection_errors, "collection error"), "red")
    if metrics.failing:
        parts = [f"{metrics.failed} failed"] if metrics.failed else []
        if metrics.errors:
            parts.append(plural(metrics.errors, "error"))
        return badge(NAME, ", ".join(parts), "red")
    if result.status == "failed" and metrics.ran:
        return badge(NAME, "failing", "red")
    if metrics.ran == 0:
        return badge(NAME, "no tests", "yellow")
    return badge(NAME, f"{metrics.passed} passed", "brightgreen")


# --- running pytest -------------------------------------------------------------------------


def coverage_arguments(settings: Settings) -> list[str]:
    """``--cov`` for a run, and the JSON report: none of ours when ``addopts`` chooses.

    ``--cov`` alone when coverage's ``source`` is configured, else ``src``, else each import
    package (and module) of a flat layout (``--cov=nfft``, as its Makefile measures: not
    ``setup.py``, ``docs/conf.py`` or a ``tests`` folder beside it), else the root; no
    threshold (``--cov-fail-under``) of research-ci's, so the project's own stands.
    """
    tools = settings.tools
    if tools.pytest_addopts_cov:
        return []
    if tools.coverage_source:
        return ["--cov"]
    if (settings.root / "src").is_dir():
        return ["--cov=src"]
    return [f"--cov={name}" for name in settings.project.top_level] or ["--cov=."]


def pytest_arguments(settings: Settings, coverage_json: Path) -> list[str]:
    """The arguments of pytest: the project's settings, research-ci's plugin, coverage's JSON."""
    return [
        "-q",
        "-p",
        "pytest_cov",
        "-p",
        PLUGIN,
        *coverage_arguments(settings),
        f"--cov-report=json:{coverage_json}",
    ]


def _plugin_path(env: ProjectEnv) -> str:
    paths = [str(PLUGIN_DIRECTORY)]
    overlay = env.run_env().get("PYTHONPATH")
    if overlay:
        paths.append(overlay)
    return os.pathsep.join(paths)


def pytest_tool(env: ProjectEnv) -> dict[str, str]:
    """The report's record of the pytest that runs: the environment's, else research-ci's."""
    version = env.has("pytest")
    if version is not None:
        return {"name": "pytest", "version": version, "from": FROM_ENVIRONMENT}
    overlay = env.overlay
    found = dist_version(overlay, "pytest") if overlay is not None else None
    return {"name": "pytest", "version": found or "unknown", "from": FROM_RESEARCH_CI}


# --- reading the results --------------------------------------------------------------------


def exception_line(text: str) -> str | None:
    """The exception pytest shows last in a traceback (``ModuleNotFoundError: No module ...``).

    The last ``E   ...`` line when there is one, else the last line that looks like an error.
    """
    lines = [line.rstrip() for line in text.splitlines() if line.strip()]
    marked = [match.group("line") for line in lines if (match := _EXCEPTION_LINE.match(line))]
    if marked:
        return marked[-1].strip()
    errors = [line.strip() for line in lines if _COLLECTION_ERROR_LINE.match(line.strip())]
    return errors[-1] if errors else None


def _minor(version: str) -> str:
    """``3.12.1`` -> ``3.12``."""
    return ".".join(version.split(".")[:2])


@dataclasses.dataclass(frozen=True)
class Outcomes:
    """What research-ci's plugin recorded, as counts, per-test outcomes and findings."""

    counts: dict[str, int]
    tests: dict[str, str]
    findings: list[Finding]
    collection_errors: int


def _finding(entry: Mapping[str, Any], settings: Settings) -> Finding:
    nodeid = str(entry.get("nodeid") or "")
    file = entry.get("file") or (nodeid.split("::", maxsplit=1)[0] or None)
    line = entry.get("line")
    if entry.get("when") == "collect":
        why = exception_line(str(entry.get("text") or "")) or str(entry.get("message") or "")
        return Finding(
            check=NAME,
            file=relative_path(file, settings.root) if file else None,
            line=None,
            code="collection-error",
            message=f"{nodeid}: cannot be collected: {' '.join(why.split())[:MAX_MESSAGE]}",
        )
    text = str(entry.get("text") or "")
    message = (
        str(entry.get("message") or "")
        or exception_line(text)
        or next((line for line in reversed(text.splitlines()) if line.strip()), "")
    )
    where = "" if entry.get("when") == "call" else f" (in {entry.get('when')})"
    error = entry.get("category") == "error"
    return Finding(
        check=NAME,
        file=relative_path(file, settings.root) if file else None,
        line=line if isinstance(line, int) and line > 0 else None,
        code="test-error" if error else "test-failure",
        message=f"{nodeid}{where}: {' '.join(message.split())[:MAX_MESSAGE]}",
    )


def read_outcomes(path: Path, settings: Settings) -> Outcomes:
    """The plugin's file read into counts (pytest's), per-test outcomes and findings."""
    document = json.loads(path.read_text(encoding="utf-8"))
    counts = dict.fromkeys(FIGURE_OF.values(), 0)
    tests: dict[str, str] = {}
    findings: list[Finding] = []
    collection_errors = 0
    for entry in document.get("reports", []):
        category = entry.get("category")
        if category not in FIGURE_OF or category == "uncollected":
            continue
        counts[FIGURE_OF[category]] += 1
        nodeid = str(entry.get("nodeid") or "")
        if entry.get("when") == "collect" and category == "error":
            collection_errors += 1
            category = "uncollected"
        tests[nodeid] = worst_outcome([tests.get(nodeid, category), category])
        if category in ("failed", "error", "uncollected"):
            findings.append(_finding(entry, settings))
    return Outcomes(counts, tests, findings, collection_errors)


def stopped_finding(completed: Completed) -> Finding:
    """The finding of a pytest that stopped before its session (no outcomes were written)."""
    why = exception_line(completed.stdout + "\n" + completed.stderr) or completed.tail(1)
    return Finding(
        check=NAME,
        file=None,
        line=None,
        code="collection-error",
        message=f"pytest stopped before it collected: {' '.join(why.split())[:MAX_MESSAGE]}",
    )


#: coverage.py's warnings that what it measured is not what its ``source`` names.
COVERAGE_WARNINGS = ("module-not-imported", "no-data-collected", "module-not-measured")
_COVERAGE_WARNING = re.compile(
    r"CoverageWarning: (?P<message>.+?)\.? \((?P<slug>" + "|".join(COVERAGE_WARNINGS) + r")\)"
)


def coverage_warnings(completed: Completed) -> list[Finding]:
    """coverage.py's warnings about what it measured, as notices (each once).

    itsdangerous's ``source = ["jinja2", "tests"]`` names a package it does not have:
    coverage measures only the tests, says 100 %, and warns ``Module jinja2 was never
    imported``; the figure is only right with that warning beside it.
    """
    seen: dict[str, Finding] = {}
    for match in _COVERAGE_WARNING.finditer(completed.stdout + "\n" + completed.stderr):
        message = f"coverage warns: {match['message']} ({match['slug']})"
        seen.setdefault(
            message,
            Finding(
                check=NAME,
                file=None,
                line=None,
                code=f"coverage-{match['slug']}",
                message=message[:MAX_MESSAGE],
                severity="notice",
            ),
        )
    return list(seen.values())


def read_coverage(path: Path) -> float | None:
    """Total line (and branch) coverage in percent from coverage's JSON report."""
    if not path.exists():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return round(float(data["totals"]["percent_covered"]), 2)


def worst_outcome(outcomes: Iterable[str]) -> str:
    """The worst of a test's outcomes (failed, error, xpassed, passed, xfailed, skipped)."""
    return min(
        outcomes, key=lambda item: OUTCOMES.index(item) if item in OUTCOMES else len(OUTCOMES)
    )


def _problems(metrics: TestsMetrics, findings: Sequence[Finding]) -> list[str]:
    problems: list[str] = []
    if metrics.collection_errors:
        first = next((f for f in findings if f.code == "collection-error"), None)
        why = first.message.rpartition("collected: ")[2] if first is not None else ""
        problems.append(
            (
                f"{plural(metrics.collection_errors, 'test module')} cannot be collected"
                if metrics.ran
                else "the tests cannot be collected"
            )
            + (f" ({why})" if why else "")
        )
    if metrics.failing_tests:
        parts = [plural(metrics.failed, "failed test")] if metrics.failed else []
        test_errors = metrics.errors - metrics.collection_errors
        if test_errors > 0:
            parts.append(plural(test_errors, "test error"))
        problems.append(", ".join(parts))
    if metrics.ran == 0 and not metrics.collection_errors:
        problems.append("no tests ran")
    if metrics.coverage_shortfall > 0 and metrics.coverage_gates:
        problems.append(coverage_shortfall_words(metrics))
    return problems


def coverage_shortfall_words(metrics: TestsMetrics) -> str:
    """``coverage 77% is under the threshold 80%`` (naming research-ci's default as such)."""
    threshold = percent(metrics.coverage_threshold or 0)
    if not metrics.coverage_gates:
        threshold = f"{threshold}, research-ci's default (the project sets none)"
    return f"coverage {percent(metrics.coverage or 0)} is under the threshold {threshold}"


def run(inputs: CheckInputs) -> CheckResult:
    """Run the project's tests with coverage and compare coverage with the threshold."""
    started = time.perf_counter()
    settings = inputs.settings
    env = inputs.environment.get()
    tool = pytest_tool(env)
    inputs.announce(f"research-ci: running the tests (pytest {tool['version']}, {env.location})")
    with tempfile.TemporaryDirectory(prefix="research-ci-tests-") as tmp:
        outcomes_json = Path(tmp) / "outcomes.json"
        coverage_json = Path(tmp) / "coverage.json"
        try:
            completed = run_module(
                settings,
                "pytest",
                *pytest_arguments(settings, coverage_json),
                python=env.python,
                env={
                    **env.run_env(),
                    "COVERAGE_FILE": str(Path(tmp) / ".coverage"),
                    "PYTHONPATH": _plugin_path(env),
                    OUTCOMES_VARIABLE: str(outcomes_json),
                },
                output_limit=LOG_OUTPUT_LIMIT,  # a test may print without end
            )
        except ToolError as exc:
            return error_result(NAME, str(exc), started)
        if outcomes_json.exists() and completed.returncode in RAN_EXIT_CODES:
            outcomes = read_outcomes(outcomes_json, settings)
        elif completed.returncode in STOPPED_EXIT_CODES:
            outcomes = Outcomes(
                counts={**dict.fromkeys(FIGURE_OF.values(), 0), "errors": 1},
                tests={},
                findings=[stopped_finding(completed)],
                collection_errors=1,
            )
        else:
            why = f"pytest could not run: {completed.tail(3)}"
            return error_result(NAME, why, started, tool=tool)
        coverage = read_coverage(coverage_json)
        kept = keep_line_coverage(coverage_json, settings.root)

    python = _minor(env.version)
    metrics = TestsMetrics(
        **outcomes.counts,
        collection_errors=outcomes.collection_errors,
        coverage_threshold=settings.coverage_threshold,
        coverage_threshold_from=settings.coverage_threshold_from,
        test_outcomes=outcomes.tests,
        failed_on={
            test: [python] for test, outcome in outcomes.tests.items() if outcome in FAILING
        },
    )
    # Coverage of a run in which no test ran measures imports only: not a measurement.
    metrics = dataclasses.replace(metrics, coverage=coverage if metrics.ran else None)
    findings = outcomes.findings
    problems = _problems(metrics, findings)
    findings += coverage_warnings(completed) if metrics.coverage is not None else []
    if metrics.ran == 0 and not metrics.collection_errors:
        findings.append(
            Finding(check=NAME, file=None, line=None, code="no-tests", message="no tests ran")
        )
    if metrics.coverage_shortfall > 0:
        findings.append(
            Finding(
                check=NAME,
                file=None,
                line=None,
                code="coverage",
                message=coverage_shortfall_words(metrics),
                severity="error" if metrics.coverage_gates else "warning",
            )
        )
    summary = "; ".join(problems) or (
        f"{plural(metrics.passed, 'test')} passed, coverage "
        + (percent(metrics.coverage) if metrics.coverage is not None else "not measured")
        + (" (under research-ci's default threshold)" if metrics.coverage_shortfall > 0 else "")
    )
    reported = {**metrics.to_json(), **({"coverage_file": kept} if kept else {})}
    failed = bool(problems)
    return ran(NAME, reported, findings, started, failed=failed, summary=summary, tool=tool)


#: Where coverage.py's per-line JSON is kept for the diff coverage of ``check --base``.
LINE_COVERAGE_FILE = ".research-ci/coverage.json"


def keep_line_coverage(coverage_json: Path, root: Path) -> str | None:
    """Copy coverage's JSON report to ``.research-ci/coverage.json``; its path, or ``None``.

    The directory gets its ``.gitignore`` here too: with ``--report`` elsewhere, nothing else
    writes into it, and git would list it as untracked (pypa/sampleproject, structlog).
    """
    target = root / LINE_COVERAGE_FILE
    try:
        if not coverage_json.exists() or target.parent.is_symlink():
            return None
        target.parent.mkdir(exist_ok=True)
        ignore_output_dir(target.parent, within=root)
        if target.is_symlink():
            target.unlink()
        shutil.copyfile(coverage_json, target)
    except (OSError, UsageError):
        return None
    return LINE_COVERAGE_FILE


# --- merging the reports of a matrix ----------------------------------------------------------


def _test_of(finding: Finding, ids: Sequence[str]) -> str | None:
    """The test a failing-test finding names (its message starts with the node id)."""
    if finding.code not in TEST_FINDING_CODES:
        return None
    candidates = [test for test in ids if finding.message.startswith(test)]
    return max(candidates, key=len) if candidates else None


def merge_by_test(results: Sequence[CheckResult], merged: CheckResult) -> None:
    """Count every test once across the reports of a matrix (``merged`` is changed in place).

    A test's outcome is its worst (failed if it failed on any Python); ``failed_on`` keeps the
    Pythons each failing test failed on, and each failing test has one finding that names
    them. Reports without per-test outcomes (older research-ci) keep the default merge: each
    count is the largest of the reports'.
    """
    legs = [TestsMetrics.of(result) for result in results]
    if any(leg.test_outcomes is None for leg in legs):
        return
    outcomes: dict[str, list[str]] = {}
    failed_on: dict[str, list[str]] = {}
    for leg in legs:
        for test, outcome in (leg.test_outcomes or {}).items():
            outcomes.setdefault(test, []).append(outcome)
        for test, pythons in (leg.failed_on or {}).items():
            known = failed_on.setdefault(test, [])
            known.extend(python for python in pythons if python not in known)
    combined = {test: worst_outcome(values) for test, values in outcomes.items()}
    counts = dict.fromkeys(FIGURE_OF.values(), 0)
    for outcome in combined.values():
        counts[FIGURE_OF[outcome]] += 1
    merged.metrics.update(counts)
    merged.metrics["collection_errors"] = sum(
        1 for outcome in combined.values() if outcome == "uncollected"
    )
    merged.metrics["test_outcomes"] = combined
    merged.metrics["failed_on"] = {
        test: sorted(failed_on[test], key=_version_key) for test in failed_on
    }
    merged.findings = _one_finding_per_test(
        merged.findings, list(combined), merged.metrics["failed_on"]
    )


def _version_key(python: str) -> tuple[int, ...]:
    return tuple(int(part) if part.isdigit() else 0 for part in python.split("."))


def _one_finding_per_test(
    findings: Sequence[Finding], ids: Sequence[str], failed_on: Mapping[str, Sequence[str]]
) -> list[Finding]:
    kept: list[Finding] = []
    seen: set[str] = set()
    for finding in findings:
        test = _test_of(finding, ids)
        if test is None:
            kept.append(finding)
            continue
        if test in seen:
            continue
        seen.add(test)
        pythons = failed_on.get(test) or []
        suffix = f" (failed on Python {', '.join(pythons)})" if pythons else ""
        kept.append(dataclasses.replace(finding, message=finding.message + suffix))
    return kept


CHECK: CheckSpec[TestsMetrics] = CheckSpec(
    name=NAME,
    metrics=TestsMetrics.of,
    run=run,
    priority=1,
    start=1,
    badges={"coverage": coverage_badge, NAME: tests_badge},
    badge_rank=1,
    penalties=(
        PenaltyRule(
            NAME, "failing or erroring test", 5, FAILING_MAX_POINTS, lambda m: m.failing_tests
        ),
        PenaltyRule(
            NAME,
            "percentage point of coverage under the threshold",
            1,
            COVERAGE_MAX_POINTS,
            lambda m: m.coverage_shortfall,
        ),
        PenaltyRule(
            NAME,
            "test suite that cannot be collected or runs no test (as much as the two lines "
            "above together)",
            FAILING_MAX_POINTS + COVERAGE_MAX_POINTS,
            FAILING_MAX_POINTS + COVERAGE_MAX_POINTS,
            lambda m: 1 if m.collection_errors or m.no_test_ran else 0,
        ),
    ),
    caps=(
        CapRule(
            NAME,
            "a test fails or errors, the tests cannot be collected, or no test runs",
            "D",
            lambda m: m.failing > 0 or m.no_test_ran,
        ),
        CapRule(NAME, "coverage is under the threshold", "B", lambda m: m.coverage_shortfall > 0),
    ),
    merge=MergeRule(weakest=frozenset({"coverage"}), refine=merge_by_test),
)
