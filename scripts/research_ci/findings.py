"""Choosing and ordering findings for people to read: summary, terminal output, annotations.

Every consumer of a report shows only some of its findings (a PR comment has a size limit,
GitHub shows ten annotations of a kind per step), so they all show the most important ones
first, in the same order: errors before warnings before notices, then by check (each check's
``priority``: failing tests, type errors, data anomalies, lint, formatting), then in the order
the tool reported them.
"""

from __future__ import annotations

from collections.abc import Iterable

from research_ci.checks.registry import CHECK_PRIORITY
from research_ci.report import Finding

#: Severities, most important first.
SEVERITY_PRIORITY: tuple[str, ...] = ("error", "warning", "notice")


def _rank(order: tuple[str, ...], value: str) -> int:
    return order.index(value) if value in order else len(order)


def prioritized(findings: Iterable[Finding]) -> list[Finding]:
    """The findings, most important first (a stable sort: ties keep the tool's order)."""
    return sorted(
        findings,
        key=lambda item: (
            _rank(SEVERITY_PRIORITY, item.severity),
            _rank(CHECK_PRIORITY, item.check),
        ),
    )


def location(finding: Finding) -> str:
    """``file:line:col`` as far as the finding knows it; ``""`` when it has no file.

    In a notebook: ``nb.ipynb:cell 3:line 2`` (the line within the cell).
    """
    if not finding.file:
        return ""
    if finding.cell is not None:
        return f"{finding.file}:cell {finding.cell}" + (
            f":line {finding.line}" if finding.line else ""
        )
    parts = [finding.file]
    if finding.line:
        parts.append(str(finding.line))
        if finding.col:
            parts.append(str(finding.col))
    return ":".join(parts)


def deduplicated(findings: Iterable[Finding]) -> list[Finding]:
    """The findings without exact repeats, first occurrence kept, order otherwise unchanged."""
    seen: set[Finding] = set()
    unique: list[Finding] = []
    for finding in findings:
        if finding not in seen:
            seen.add(finding)
            unique.append(finding)
    return unique
