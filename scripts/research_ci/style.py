"""How statuses, severities and grades look, in each place people read them.

One table per kind (the statuses of ``research_ci.report.STATUSES``, the severities of a
finding, the grades A-F), one row per value: the emoji of the Markdown summary, the rich style of
the terminal (and of the progress line's mark), the shields.io color of a badge.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping


@dataclasses.dataclass(frozen=True)
class Look:
    """``emoji`` for Markdown, ``style`` for rich, ``mark`` for a progress line."""

    emoji: str
    style: str
    mark: str = ""


STATUS_LOOKS: Mapping[str, Look] = {
    "passed": Look("✅", "green", "✓"),
    "failed": Look("❌", "red", "✗"),
    "error": Look("💥", "bold red", "!"),
    "skipped": Look("⏭️", "dim", "-"),
}
SEVERITY_LOOKS: Mapping[str, Look] = {
    "error": Look("", "red"),
    "warning": Look("⚠️", "yellow"),
    "notice": Look("ℹ️", "blue"),  # noqa: RUF001
}
#: Grade -> (shields.io badge color, rich terminal style).
GRADE_LOOKS: Mapping[str, tuple[str, str]] = {
    "A": ("brightgreen", "green"),
    "B": ("green", "green"),
    "C": ("yellow", "yellow"),
    "D": ("orange", "dark_orange"),
    "F": ("red", "red"),
}
UNKNOWN = Look("", "")


def status_look(status: str) -> Look:
    """How a check's status looks (a plain look for a status this version does not know)."""
    return STATUS_LOOKS.get(status, UNKNOWN)


def severity_look(severity: str) -> Look:
    """How a finding's severity looks."""
    return SEVERITY_LOOKS.get(severity, SEVERITY_LOOKS["notice"])
