"""The maintainability check: :mod:`research_ci.maintainability` as one check result.

Each issue becomes a warning finding (``code`` is the rule, e.g. ``method-complexity``) with
its fingerprint; a notebook's findings name the cell in the message and carry no line (a
line of the notebook's JSON would mislead an annotation). The check fails when the project's
rating is worse than ``minimum-rating``.
"""

from __future__ import annotations

import time

from research_ci.checks.common import error_result, plural
from research_ci.codeunits import source_files
from research_ci.config import Settings
from research_ci.grade import grade_rank
from research_ci.maintainability import (
    Analysis,
    Issue,
    MaintainabilitySettings,
    analyze,
    parse_settings,
)
from research_ci.process import ToolError
from research_ci.report import CheckResult, Finding


def maintainability_settings(settings: Settings) -> MaintainabilitySettings:
    """``[tool.research-ci.maintainability]`` of the project, validated."""
    table = settings.pyproject.get("tool", {}).get("research-ci", {}).get("maintainability")
    where = f"{settings.root / 'pyproject.toml'} [tool.research-ci.maintainability]"
    return parse_settings(table, source=where)


def issue_finding(issue: Issue) -> Finding:
    """One issue as a report finding."""
    if issue.cell is None:
        return Finding(
            check="maintainability",
            file=issue.path,
            line=issue.line,
            end_line=issue.end_line,
            code=issue.rule,
            message=issue.message,
            severity="warning",
            fingerprint=issue.fingerprint,
        )
    return Finding(
        check="maintainability",
        file=issue.path,
        line=None,
        code=issue.rule,
        message=f"cell {issue.cell}, line {issue.line}: {issue.message}",
        severity="warning",
        fingerprint=issue.fingerprint,
    )


def result_from(analysis: Analysis, started: float) -> CheckResult:
    """The check result of an analysis."""
    issues = analysis.issues
    minimum = analysis.settings.minimum_rating
    below = grade_rank(analysis.rating) > grade_rank(minimum)
    summary = (
        f"rating {analysis.rating} (technical debt {analysis.ratio:.1f}% of "
        f"{analysis.lines} lines), {plural(len(issues), 'issue')}"
    )
    if below:
        summary += f"; under the minimum rating {minimum}"
    return CheckResult(
        name="maintainability",
        status="failed" if below else "passed",
        summary=summary,
        duration_s=time.perf_counter() - started,
        metrics={**analysis.to_metrics(), "minimum_rating": minimum, "skipped": analysis.skipped},
        findings=[issue_finding(issue) for issue in issues],
    )


def run(settings: Settings) -> CheckResult:
    """Measure the project's code (and notebooks) under its configured paths."""
    started = time.perf_counter()
    chosen = maintainability_settings(settings)
    files = source_files(settings.root, settings.file_tool_paths, chosen.exclude)
    try:
        analysis = analyze(settings.root, files, chosen, timeout_s=settings.timeout_s)
    except ToolError as exc:
        return error_result("maintainability", str(exc), started)
    return result_from(analysis, started)
