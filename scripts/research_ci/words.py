"""The words every reader of a report sees: plurals, percentages and measured numbers.

One owner for each, so that the terminal, the Markdown summary, the badges and the check
summaries in the JSON report say the same thing the same way.
"""

from __future__ import annotations

import math


def plural(count: int, word: str, plural_word: str | None = None) -> str:
    """``"1 error"``, ``"2 errors"``, ``plural(2, "anomaly", "anomalies")``."""
    return f"{count} {word if count == 1 else (plural_word or word + 's')}"


def percent(value: float) -> str:
    """A percentage for people: ``87.0`` -> ``"87%"``, ``87.25`` -> ``"87.2%"``.

    One decimal at most, rounded down, so that 99.96 % never reads as 100 %.
    """
    tenths = math.floor(round(value * 10, 6))
    return f"{tenths // 10}%" if tenths % 10 == 0 else f"{tenths / 10:.1f}%"


def shorten(text: str, limit: int) -> str:
    """``text`` on one line, cut to ``limit`` characters with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
