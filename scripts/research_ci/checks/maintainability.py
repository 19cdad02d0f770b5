"""The maintainability check: :mod:`research_ci.maintainability` as one check result.

Each issue becomes a warning finding (``code`` is the rule, e.g. ``method-complexity``) with
its fingerprint; a notebook's findings name the cell in the message and carry no line (a
line of the notebook's JSON would mislead an annotation). The check fails when the project's
rating is worse than ``minimum-rating``. The analysis module is imported when the check runs:
it reads the rubric's remediation table, and the rubric reads this module.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from research_ci.checks.common import error_result
from research_ci.checks.spec import (
    Badge,
    CheckSpec,
    PenaltyRule,
    SummarySection,
    badge,
    metric_count,
    metric_number,
)
from research_ci.report import CheckResult, Finding, Report
from research_ci.words import plural, shorten

if TYPE_CHECKING:
    from research_ci.config import Settings
    from research_ci.maintainability import Analysis, Issue

NAME = "maintainability"
RATINGS = ("A", "B", "C", "D", "F")
RATING_COLORS: Mapping[str, str] = {
    "A": "brightgreen",
    "B": "green",
    "C": "yellow",
    "D": "orange",
    "F": "red",
}
#: Technical-debt ratio (percent) that costs nothing in the grade: the ceiling of rating A.
FREE_DEBT_RATIO = 5.0
#: Files listed in the summary's table, worst first.
SUMMARY_FILES = 10
MAX_REASON_CHARS = 160


@dataclasses.dataclass(frozen=True)
class FileFigures:
    """One file's row: rating, debt, size and the costliest reasons."""

    path: str
    rating: str
    debt_ratio: float
    debt_minutes: float
    lines_of_code: int
    issues: int
    reasons: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class MaintainabilityMetrics:
    """The project's rating and technical debt, and each file's figures."""

    rating: str = "A"
    debt_ratio: float = 0.0
    debt_minutes: float = 0.0
    lines_of_code: int = 0
    issues: int = 0
    files: tuple[FileFigures, ...] = ()

    @classmethod
    def of(cls, result: CheckResult) -> MaintainabilityMetrics:
        """The figures of a maintainability result (absent figures read as an empty project)."""
        rating = result.metrics.get("rating")
        rows = result.metrics.get("files")
        files = tuple(
            FileFigures(
                path=str(row.get("path", "")),
                rating=str(row.get("rating", "A")),
                debt_ratio=float(row.get("debt_ratio") or 0),
                debt_minutes=float(row.get("debt_minutes") or 0),
                lines_of_code=int(row.get("lines_of_code") or 0),
                issues=int(row.get("issues") or 0),
                reasons=tuple(str(item) for item in row.get("reasons") or ()),
            )
            for row in (rows if isinstance(rows, list) else [])
            if isinstance(row, dict)
        )
        return cls(
            rating=str(rating) if rating in RATINGS else "A",
            debt_ratio=metric_number(result, "debt_ratio") or 0.0,
            debt_minutes=metric_number(result, "debt_minutes") or 0.0,
            lines_of_code=metric_count(result, "lines_of_code"),
            issues=metric_count(result, "issues"),
            files=files,
        )

    def worst(self, limit: int | None = None) -> list[FileFigures]:
        """Files with issues, worst technical-debt ratio first."""
        ordered = sorted(
            (item for item in self.files if item.issues),
            key=lambda item: (-item.debt_ratio, -item.debt_minutes, item.path),
        )
        return ordered if limit is None else ordered[:limit]

    def sentence(self) -> str:
        """``rating B (debt 7.5% of 1200 lines), 12 issues``."""
        return (
            f"rating {self.rating} (debt {self.debt_ratio:g}% of "
            f"{plural(self.lines_of_code, 'line')}), {plural(self.issues, 'issue')}"
        )


def issue_finding(issue: Issue) -> Finding:
    """One issue as a report finding (in a notebook, its cell and line go into the message)."""
    line: int | None = issue.line
    end_line, message = issue.end_line, issue.message
    if issue.cell is not None:
        line, end_line = None, None
        message = f"cell {issue.cell}, line {issue.line}: {message}"
    return Finding(
        check=NAME,
        file=issue.path,
        line=line,
        end_line=end_line,
        code=issue.rule,
        message=message,
        severity="warning",
        fingerprint=issue.fingerprint,
    )


def result_from(analysis: Analysis, started: float) -> CheckResult:
    """The check result of an analysis."""
    minimum = analysis.settings.minimum_rating
    below = RATINGS.index(analysis.rating) > RATINGS.index(minimum)
    data: dict[str, Any] = {**analysis.to_metrics(), "minimum_rating": minimum}
    if analysis.skipped:
        data["unparsed"] = list(analysis.skipped)
    metrics = MaintainabilityMetrics.of(
        CheckResult(name=NAME, status="passed", summary="", metrics=data)
    )
    summary = metrics.sentence()
    if below:
        summary += f"; under the minimum rating {minimum}"
    return CheckResult(
        name=NAME,
        status="failed" if below else "passed",
        summary=summary,
        duration_s=time.perf_counter() - started,
        metrics=data,
        findings=[issue_finding(issue) for issue in analysis.issues],
    )


def run(settings: Settings) -> CheckResult:
    """Measure the project's code (and notebooks) under its configured paths."""
    from research_ci.codeunits import source_files  # noqa: PLC0415
    from research_ci.maintainability import analyze  # noqa: PLC0415
    from research_ci.process import ToolError  # noqa: PLC0415

    started = time.perf_counter()
    chosen = settings.maintainability
    files = source_files(settings.root, settings.file_tool_paths, chosen.exclude)
    try:
        analysis = analyze(settings.root, files, chosen, timeout_s=settings.timeout_s)
    except ToolError as exc:
        return error_result(NAME, str(exc), started)
    return result_from(analysis, started)


def maintainability_badge(
    _result: CheckResult, metrics: MaintainabilityMetrics, _report: Report
) -> Badge:
    """``maintainability: B``, coloured from green (A) to red (F)."""
    return badge(NAME, metrics.rating, RATING_COLORS.get(metrics.rating, "lightgrey"))


def summary_section(metrics: MaintainabilityMetrics) -> SummarySection:
    """The files that need attention, worst first, with the reasons."""
    rows = [
        {
            "path": item.path,
            "rating": item.rating,
            "debt": f"{item.debt_ratio:g}%",
            "minutes": f"{item.debt_minutes:g}",
            "lines": item.lines_of_code,
            "reasons": shorten("; ".join(item.reasons), MAX_REASON_CHARS),
        }
        for item in metrics.worst()
    ]
    return SummarySection(
        template="summary_maintainability.md.j2",
        noun="maintainability",
        tables={"files": rows},
    )


CHECK: CheckSpec[MaintainabilityMetrics] = CheckSpec(
    name=NAME,
    metrics=MaintainabilityMetrics.of,
    run=lambda inputs: run(inputs.settings),
    priority=7,
    table=NAME,
    badges={NAME: maintainability_badge},
    badge_rank=5,
    penalties=(
        PenaltyRule(
            NAME,
            f"percentage point of technical-debt ratio over {FREE_DEBT_RATIO:g}%"
            " (the limit of rating A)",
            1,
            15,
            lambda m: max(0.0, m.debt_ratio - FREE_DEBT_RATIO),
        ),
    ),
    summary=summary_section,
)
