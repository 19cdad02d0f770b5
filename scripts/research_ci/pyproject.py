"""The one TOML reader: a project's ``pyproject.toml`` (or any TOML file) as a dict.

Every problem (missing, unreadable, not UTF-8, invalid TOML) is one
:class:`~research_ci.errors.UsageError` line naming the file.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from research_ci.errors import UsageError
from research_ci.fsutil import boundary, read_bytes

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib


def read_toml(path: Path, *, missing: str) -> dict[str, Any]:
    """Parse the TOML file at ``path``; ``missing`` is the message when it does not exist.

    Only a regular file inside its folder is read (:mod:`research_ci.fsutil`), and only up to
    :data:`~research_ci.fsutil.MAX_TEXT_BYTES`.
    """
    try:
        raw = read_bytes(path, within=boundary(path))
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
    except RecursionError as exc:
        raise UsageError(f"{path}: invalid TOML: nested too deeply") from exc


def table(document: Mapping[str, Any], key: str, where: str) -> dict[str, Any]:
    """``document[key]`` when it is a table, empty when absent; any other value is refused."""
    value = document.get(key, {})
    if not isinstance(value, dict):
        raise UsageError(f"{where}: {key} must be a table, not {type(value).__name__}")
    return value


def tool_table(
    document: Mapping[str, Any], *names: str, file: str = "pyproject.toml"
) -> dict[str, Any]:
    """``[tool.<names...>]`` of the parsed ``file``, empty when absent.

    A key on the way that is not a table (``tool = 1``) is one :class:`UsageError` line.
    """
    current = table(document, "tool", file)
    path = "tool"
    for name in names:
        current = table(current, name, f"{file} [{path}]")
        path = f"{path}.{name}"
    return current
