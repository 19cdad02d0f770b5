"""The one list of checks. Adding a check: write its module (a :class:`CheckSpec`), add a line here.

Everything that used to list the checks by hand derives from :data:`CHECKS`: the names and
their order in the report, the default selection, the order in which findings and badges are
shown, the rubric, the merge rules and the summary sections.
"""

from __future__ import annotations

from typing import Any

from research_ci.checks import data, lint, maintainability, model, tests, types
from research_ci.checks import format as format_check
from research_ci.checks.spec import CheckSpec

#: Every check, in report order.
CHECKS: tuple[CheckSpec[Any], ...] = (
    format_check.CHECK,
    lint.CHECK,
    types.CHECK,
    tests.CHECK,
    data.CHECK,
    maintainability.CHECK,
    model.CHECK,
)
BY_NAME: dict[str, CheckSpec[Any]] = {spec.name: spec for spec in CHECKS}
#: The checks' names, in report order.
CHECK_NAMES: tuple[str, ...] = tuple(BY_NAME)
#: What runs when ``[tool.research-ci] checks`` is not set and no check's own table is there.
DEFAULT_CHECKS: tuple[str, ...] = tuple(spec.name for spec in CHECKS if spec.default)
#: Checks in the order their findings matter to a reader (most important first).
CHECK_PRIORITY: tuple[str, ...] = tuple(
    spec.name for spec in sorted(CHECKS, key=lambda spec: spec.priority)
)


def spec_of(name: str) -> CheckSpec[Any] | None:
    """The check called ``name``, or ``None`` for a name this version does not know."""
    return BY_NAME.get(name)
