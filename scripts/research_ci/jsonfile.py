"""Reading a JSON file that research-ci wrote earlier (a data or model report).

A missing, unreadable or invalid file is one :class:`~research_ci.errors.UsageError` line that
names what the file should have been. Only a regular file of at most
:data:`~research_ci.fsutil.MAX_REPORT_BYTES` is read (:mod:`research_ci.fsutil`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from research_ci.errors import UsageError
from research_ci.fsutil import MAX_REPORT_BYTES, read_text


def read_json(path: Path, *, what: str) -> Any:
    """The parsed JSON of ``path``; ``what`` names the file in messages ("model report")."""
    try:
        return json.loads(read_text(path, limit=MAX_REPORT_BYTES))
    except FileNotFoundError as exc:
        raise UsageError(f"{what} not found: {path}") from exc
    except RecursionError as exc:
        raise UsageError(f"cannot read {what} {path}: nested too deeply") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"cannot read {what} {path}: {exc}") from exc
