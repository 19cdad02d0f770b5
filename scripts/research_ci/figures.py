"""One short human line of figures per check ("3 violations", "40 passed, 2 failed").

Shared by the terminal output, the Markdown summary and the badges so that they all describe a
check with the same words. Pure functions of a :class:`~research_ci.report.CheckResult`.
"""

from __future__ import annotations

import math
from typing import Any

from research_ci.report import CheckResult


def plural(count: int, word: str, plural_word: str | None = None) -> str:
    """``"1 error"``, ``"2 errors"``."""
    return f"{count} {word if count == 1 else (plural_word or word + 's')}"


def metric_count(result: CheckResult, name: str) -> int:
    """An integer figure of the check; a list counts its items; absent or null is 0."""
    value: Any = result.metrics.get(name, 0)
    if isinstance(value, list):
        return len(value)
    if isinstance(value, (int, float)):
        return int(value)
    return 0


def coverage_of(result: CheckResult) -> float | None:
    """Coverage in percent, or ``None`` when the tests check did not measure it."""
    value = result.metrics.get("coverage")
    return float(value) if isinstance(value, (int, float)) else None


def percent(value: float) -> str:
    """A percentage for people: ``87.0`` -> ``"87%"``, ``87.25`` -> ``"87.2%"``.

    One decimal at most, rounded down, so that 99.96 % never reads as 100 %.
    """
    tenths = math.floor(round(value * 10, 6))
    return f"{tenths // 10}%" if tenths % 10 == 0 else f"{tenths / 10:.1f}%"


def over_threshold(measurement: dict[str, Any]) -> bool:
    """A drift or skew measurement is over its threshold (the value is what fails)."""
    return float(measurement.get("value", 0)) > float(measurement.get("threshold", 0))


def tests_counts(result: CheckResult) -> str:
    """``"40 passed, 2 failed, 1 error, 3 skipped"`` (zero counts left out)."""
    parts = [f"{metric_count(result, 'passed')} passed"]
    if failed := metric_count(result, "failed"):
        parts.append(f"{failed} failed")
    if errors := metric_count(result, "errors"):
        parts.append(plural(errors, "error"))
    if skipped := metric_count(result, "skipped"):
        parts.append(f"{skipped} skipped")
    return ", ".join(parts)


def check_figures(result: CheckResult) -> str:
    """The check's figures in words; a skipped or erroring check shows its own summary."""
    if result.status in ("skipped", "error"):
        return result.summary or result.status
    name = result.name
    if name == "format":
        count = metric_count(result, "files_to_reformat")
        return f"{plural(count, 'file')} to reformat" if count else "all files formatted"
    if name == "lint":
        count = metric_count(result, "violations")
        return plural(count, "violation") if count else "no violations"
    if name == "types":
        count = metric_count(result, "errors")
        return plural(count, "error") if count else "no errors"
    if name == "tests":
        text = tests_counts(result)
        coverage = coverage_of(result)
        if coverage is not None:
            text += f"; coverage {percent(coverage)}"
            threshold = result.metrics.get("coverage_threshold")
            if isinstance(threshold, (int, float)) and threshold > 0:
                text += f" (threshold {percent(float(threshold))})"
        return text
    if name == "data":
        parts = [plural(metric_count(result, "anomalies"), "anomaly", "anomalies")]
        for kind in ("drift", "skew"):
            measurements = result.metrics.get(kind)
            if isinstance(measurements, list) and measurements:
                over = sum(1 for item in measurements if over_threshold(item))
                parts.append(f"{kind} {over}/{len(measurements)} over threshold")
        return "; ".join(parts)
    return result.summary or result.status
