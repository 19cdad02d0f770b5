"""The action's step outputs and its gate, both read from a report.

Outputs: ``grade``, ``score``, ``report`` (absolute path), ``coverage`` (percent; empty when the
tests did not run) and ``anomalies`` (count; empty when the data check did not run). The gate
fails when the report's own gate failed or the grade is under ``minimum-grade``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from research_ci.checks.data import CHECK as DATA
from research_ci.checks.spec import CheckSpec, Sentence
from research_ci.checks.tests import CHECK as TESTS
from research_ci.grade import GRADES, grade_rank
from research_ci.report import Report

M = TypeVar("M", bound=Sentence)


def _figures(report: Report, spec: CheckSpec[M]) -> M | None:
    """The check's figures when it ran and produced some (not skipped, not unable to run)."""
    result = report.checks.get(spec.name)
    if result is None or result.status == "skipped" or not result.metrics:
        return None
    return spec.metrics(result)


def step_outputs(report: Report, report_path: Path) -> dict[str, str]:
    """The action's outputs for ``report``."""
    tests = _figures(report, TESTS)
    data = _figures(report, DATA)
    return {
        "grade": report.grade,
        "score": str(report.score),
        "report": str(report_path.resolve()),
        "coverage": f"{tests.coverage:g}" if tests and tests.coverage is not None else "",
        "anomalies": str(len(data.anomalies)) if data else "",
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
