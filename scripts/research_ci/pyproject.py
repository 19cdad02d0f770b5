"""The one TOML reader: a project's ``pyproject.toml`` (or any TOML file) as a dict.

Every problem (missing, unreadable, not UTF-8, invalid TOML) is one
:class:`~research_ci.errors.UsageError` line naming the file.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from research_ci.errors import UsageError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib


def read_toml(path: Path, *, missing: str) -> dict[str, Any]:
    """Parse the TOML file at ``path``; ``missing`` is the message when it does not exist."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise UsageError(missing) from exc
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}: not UTF-8 ({exc.reason} at byte {exc.start})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: invalid TOML: {exc}") from exc


def tool_table(document: dict[str, Any], *names: str) -> dict[str, Any]:
    """``[tool.<names...>]`` of a parsed document; empty when absent or not a table."""
    table: Any = document.get("tool", {})
    for name in names:
        table = table.get(name, {}) if isinstance(table, dict) else {}
    return table if isinstance(table, dict) else {}
