"""Reading a JSON file that research-ci wrote earlier (a data or model report).

A missing, unreadable or invalid file is one :class:`~research_ci.errors.UsageError` line that
names what the file should have been.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from research_ci.errors import UsageError


def read_json(path: Path, *, what: str) -> Any:
    """The parsed JSON of ``path``; ``what`` names the file in messages ("model report")."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise UsageError(f"{what} not found: {path}") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"cannot read {what} {path}: {exc}") from exc
