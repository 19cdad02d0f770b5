"""Typed values out of a parsed TOML table, shared by the settings parsers.

``[tool.research-ci.data]``, ``[tool.research-ci.model]`` and
``[tool.research-ci.maintainability]`` check their values the same way: each helper returns
the value with its type, or raises one :class:`~research_ci.errors.UsageError` line that starts
with ``source`` (the file and the key).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from research_ci.errors import UsageError


def string(value: object, *, source: str) -> str:
    """A non-empty string."""
    if not isinstance(value, str) or not value.strip():
        raise UsageError(f"{source}: expected a non-empty string")
    return value


def strings(
    value: object, *, source: str, what: str = "strings", empty_items: bool = True
) -> tuple[str, ...]:
    """A list of strings, or one comma-separated string (blank items of it are dropped).

    ``what`` names the items in the message; ``empty_items=False`` refuses ``""`` in a list.
    """
    if isinstance(value, str):
        return tuple(item.strip() for item in value.split(",") if item.strip())
    if not isinstance(value, list) or not all(
        isinstance(item, str) and (empty_items or item) for item in value
    ):
        raise UsageError(f"{source}: expected a list of {what}")
    return tuple(value)


def reject_unknown(table: Mapping[str, Any], known: Iterable[str], *, source: str) -> None:
    """Refuse a key of ``table`` that is not in ``known``, naming the known keys."""
    names = set(known)
    unknown = sorted(set(table) - names)
    if unknown:
        raise UsageError(
            f"{source}: unknown key {', '.join(unknown)}; known keys: {', '.join(sorted(names))}"
        )
