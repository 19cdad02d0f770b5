"""The action's step outputs and its gate, both read from a report.

Outputs: ``grade``, ``score``, ``report`` (absolute path), ``coverage`` (percent; empty when the
tests did not run) and ``anomalies`` (count; empty when the data check did not run). The gate
fails when the report's own gate failed or the grade is under ``minimum-grade``.
"""

from __future__ import annotations

from pathlib import Path

from research_ci.grade import GRADES, grade_rank
from research_ci.report import Report


def step_outputs(report: Report, report_path: Path) -> dict[str, str]:
    """The action's outputs for ``report``."""
    coverage = ""
    tests = report.checks.get("tests")
    if tests is not None and tests.status != "skipped":
        value = tests.metrics.get("coverage")
        if isinstance(value, (int, float)):
            coverage = f"{value:g}"
    anomalies = ""
    data = report.checks.get("data")
    if data is not None and data.status != "skipped":
        found = data.metrics.get("anomalies")
        anomalies = str(len(found)) if isinstance(found, list) else ""
    return {
        "grade": report.grade,
        "score": str(report.score),
        "report": str(report_path.resolve()),
        "coverage": coverage,
        "anomalies": anomalies,
    }


def gate_failures(report: Report, minimum_grade: str | None) -> list[str]:
    """Why the step must fail (empty: it passes)."""
    reasons = [] if report.gate_passed else list(report.gate_reasons)
    if minimum_grade and grade_rank(report.grade) > grade_rank(minimum_grade):
        reasons.append(f"grade {report.grade} is under the minimum-grade {minimum_grade}")
    return reasons


def parse_grade(value: str) -> str | None:
    """Normalise a ``minimum-grade`` value ('' means none); ``None`` when it is not a grade."""
    letter = value.strip().upper()
    if not letter:
        return ""
    return letter if letter in GRADES else None
