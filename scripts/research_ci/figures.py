"""One short human line of figures per check ("3 violations", "40 passed, 2 failed").

Shared by the terminal output and the Markdown summary so that they describe a check with the
same words: the check's own sentence (:attr:`CheckSpec.figures`) when it ran, its summary when
it was skipped or could not run.
"""

from __future__ import annotations

from research_ci.checks.registry import spec_of
from research_ci.report import CheckResult


def check_figures(result: CheckResult) -> str:
    """The check's figures in words; a skipped or erroring check shows its own summary."""
    spec = spec_of(result.name)
    if result.status in ("skipped", "error") or spec is None:
        return result.summary or result.status
    return spec.figures(spec.metrics(result))
