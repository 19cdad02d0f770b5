"""``research-ci summary``: the Markdown report for ``$GITHUB_STEP_SUMMARY`` and PR comments.

:func:`render_summary` is the pure function others import (the sticky PR comment uses it).
The Markdown comes from ``templates/summary.md.j2``. It is kept under a size budget (GitHub
refuses comments over 65,536 characters): findings are dropped first, least important first,
then data rows, with a note saying how many are not shown; as a last resort the text is cut.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

from markupsafe import Markup

from research_ci.checks.registry import spec_of
from research_ci.checks.spec import SummarySection
from research_ci.figures import check_figures, environment_words, tool_words
from research_ci.findings import location, prioritized
from research_ci.mdescape import link_target
from research_ci.report import Finding, Report
from research_ci.style import severity_look, status_look
from research_ci.templating import render_markdown
from research_ci.words import shorten

#: First line of every summary: lets a bot find (and update) its own PR comment.
SUMMARY_MARKER = "<!-- research-ci:summary -->"
#: GitHub's limit on an issue or PR comment body, in characters.
GITHUB_COMMENT_LIMIT = 65_536
#: Default budget: under the limit with room for a bot to add a line or two.
DEFAULT_MAX_CHARS = 65_000
#: Findings shown at most (most important first), however much room is left.
DEFAULT_MAX_FINDINGS = 50
#: A finding's message is cut to this many characters in the table.
MAX_MESSAGE_CHARS = 300

CUT_NOTE = "\n\n> The summary was cut to fit; see the report artifact.\n"


def text_length(text: str) -> int:
    """Length as GitHub counts it, conservatively: UTF-16 code units (an emoji is 2)."""
    return len(text.encode("utf-16-le")) // 2


@dataclasses.dataclass(frozen=True)
class _Group:
    check: str
    total: int
    findings: list[dict[str, str]]

    @property
    def shown(self) -> int:
        return len(self.findings)


def _finding_row(finding: Finding) -> dict[str, str]:
    return {
        "location": location(finding),
        "code": finding.code or "",
        "message": shorten(finding.message, MAX_MESSAGE_CHARS),
        "severity_emoji": severity_look(finding.severity).emoji,
    }


def _groups(shown: Sequence[Finding], totals: dict[str, int]) -> list[_Group]:
    """Shown findings grouped by check, groups in order of their most important finding."""
    grouped: dict[str, list[dict[str, str]]] = {}
    for finding in shown:
        grouped.setdefault(finding.check, []).append(_finding_row(finding))
    # A finding names its check itself: a report may file it under another check's name.
    return [_Group(check, totals.get(check, len(rows)), rows) for check, rows in grouped.items()]


def _sections(report: Report) -> list[SummarySection]:
    """The sections of the checks in the report that have one, in check order."""
    sections = []
    for name, result in report.checks.items():
        spec = spec_of(name)
        if spec is not None and spec.summary is not None:
            section = spec.summary(spec.metrics(result))
            if section is not None:
                sections.append(section)
    return sections


def _section_views(sections: Sequence[SummarySection], shown_rows: int) -> list[dict[str, Any]]:
    """What each section's template gets: the first ``shown_rows`` rows in all, and the rest."""
    views = []
    for section in sections:
        tables = section.shown(shown_rows)
        shown = sum(len(rows) for rows in tables.values())
        shown_rows -= shown
        views.append(
            {
                "template": section.template,
                "noun": section.noun,
                "tables": tables,
                "hidden": section.rows - shown,
            }
        )
    return views


#: New findings listed under the delta's headline, most important first.
MAX_DELTA_FINDINGS = 30
#: Fixed findings named in the delta's one line.
MAX_FIXED_NAMED = 10


def line_ranges(lines: Sequence[int]) -> str:
    """``1-3, 7, 9-10`` for ``[1, 2, 3, 7, 9, 10]``."""
    parts: list[str] = []
    ordered = sorted(set(lines))
    start = previous = None
    for line in [*ordered, None]:
        if start is not None and (line is None or previous is None or line != previous + 1):
            parts.append(f"{start}" if start == previous else f"{start}-{previous}")
            start = None
        if line is not None and start is None:
            start = line
        previous = line
    return ", ".join(parts)


def _debt(figures: dict[str, Any] | None) -> str:
    return f"{figures.get('debt_ratio', 0):g}%" if figures else "—"


def _delta_view(report: Report) -> dict[str, Any] | None:
    """What the delta section of the template shows, or ``None`` without a delta."""
    from research_ci.delta import FileChange  # noqa: PLC0415

    data = report.delta
    if data is None:
        return None
    new = prioritized([Finding.from_dict(item) for item in data.get("new", [])])
    fixed = prioritized([Finding.from_dict(item) for item in data.get("fixed", [])])
    files = []
    for item in data.get("files", []):
        change = FileChange(path=str(item["path"]), base=item.get("base"), head=item.get("head"))
        files.append(
            {
                "path": change.path,
                "base_rating": change.base["rating"] if change.base else "—",
                "head_rating": change.head["rating"] if change.head else "—",
                "base_debt": _debt(change.base),
                "head_debt": _debt(change.head),
                "worse": change.worse,
            }
        )
    coverage = data.get("diff_coverage") or {}
    missing = coverage.get("missing_lines") or {}
    return {
        "headline": data.get("headline", ""),
        "ref": data["base"]["ref"],
        "commit": data["base"].get("commit"),
        "note": data.get("note"),
        "base_rating": data["base"].get("maintainability"),
        "head_rating": data["head"].get("maintainability"),
        "new": [
            {**_finding_row(finding), "check": finding.check}
            for finding in new[:MAX_DELTA_FINDINGS]
        ],
        "new_total": len(new),
        "new_hidden": max(0, len(new) - MAX_DELTA_FINDINGS),
        "fixed": [_finding_row(finding) for finding in fixed[:MAX_FIXED_NAMED]],
        "fixed_total": len(fixed),
        "fixed_hidden": max(0, len(fixed) - MAX_FIXED_NAMED),
        "files": files,
        "uncovered": [
            {"path": path, "lines": line_ranges(lines)} for path, lines in sorted(missing.items())
        ],
    }


def _render(
    report: Report,
    *,
    findings: Sequence[Finding],
    totals: dict[str, int],
    shown_findings: int,
    sections: Sequence[SummarySection],
    shown_rows: int,
    provenance: str | None = None,
) -> str:
    checks = [
        {
            "name": name,
            "status": result.status,
            "emoji": status_look(result.status).emoji,
            "figures": check_figures(result),
            "tool": tool_words(result),
            "duration": f"{result.duration_s:.1f} s",
            "advisory": result.advisory is not None,
        }
        for name, result in report.checks.items()
    ]
    advisory = [
        {"name": name, "why": result.advisory}
        for name, result in report.checks.items()
        if result.advisory is not None and result.status != "skipped"
    ]
    return render_markdown(
        "summary.md.j2",
        marker=Markup(SUMMARY_MARKER),  # noqa: S704  (research-ci's own constant)
        report=report,
        gate_emoji="✅" if report.gate_passed else "❌",
        coverage_threshold=f"{report.coverage_threshold:g}%",
        checks=checks,
        verdict=shorten(report.verdict(), MAX_MESSAGE_CHARS),
        advisory=advisory,
        environment=environment_words(report.environment),
        groups=_groups(findings[:shown_findings], totals),
        hidden_findings=sum(totals.values()) - shown_findings,
        sections=_section_views(sections, shown_rows),
        link=link_target(report.report_url) if report.report_url else None,
        delta=_delta_view(report),
        provenance=provenance,
    )


def _largest_fitting(low: int, high: int, fits: Callable[[int], bool]) -> int:
    """The largest ``n`` in ``[low, high]`` with ``fits(n)``; ``low`` when none fits."""
    while low < high:
        middle = (low + high + 1) // 2
        if fits(middle):
            low = middle
        else:
            high = middle - 1
    return low


def render_summary(
    report: Report,
    *,
    max_chars: int = DEFAULT_MAX_CHARS,
    max_findings: int = DEFAULT_MAX_FINDINGS,
    provenance: str | None = None,
) -> str:
    """The Markdown summary of ``report``, at most ``max_chars`` long (see :func:`text_length`).

    Shows at most ``max_findings`` findings, most important first, fewer when the budget
    requires, then fewer rows of the checks' own sections (the data tables); a note says
    how many are not shown. ``provenance``, when given, is a sentence under the marker that
    says where the figures come from (a fork's own run). The report may hold only its first
    ``max_findings`` findings of each severity per check (``load_report(keep_findings=...)``):
    the counts come from :meth:`Report.finding_counts`.
    """
    findings = prioritized(report.findings())
    totals = report.finding_counts()
    sections = _sections(report)
    total_rows = sum(section.rows for section in sections)

    def attempt(shown_findings: int, shown_rows: int = total_rows) -> str:
        return _render(
            report,
            findings=findings,
            totals=totals,
            shown_findings=shown_findings,
            sections=sections,
            shown_rows=shown_rows,
            provenance=provenance,
        )

    shown = min(len(findings), max(0, max_findings))
    text = attempt(shown)
    if text_length(text) <= max_chars:
        return text
    shown = _largest_fitting(0, shown, lambda n: text_length(attempt(n)) <= max_chars)
    text = attempt(shown)
    if text_length(text) <= max_chars:
        return text
    rows = _largest_fitting(0, total_rows, lambda n: text_length(attempt(0, n)) <= max_chars)
    text = attempt(0, rows)
    if text_length(text) <= max_chars:
        return text
    budget = max(0, max_chars - text_length(CUT_NOTE))
    return _cut(text, budget) + CUT_NOTE


def _cut(text: str, budget: int) -> str:
    """The longest prefix of ``text`` within ``budget`` UTF-16 units."""
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > budget:
            return text[:index]
    return text
