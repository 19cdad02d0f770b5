"""What every check module shares: paths relative to the project, and the error result."""

from __future__ import annotations

import time
from pathlib import Path

from research_ci.report import CheckResult


def relative_path(path: str | Path, root: Path) -> str:
    """``path`` relative to the project root, with forward slashes, when it is inside it."""
    candidate = Path(path)
    if not candidate.is_absolute():
        candidate = root / candidate
    try:
        return candidate.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return Path(path).as_posix()


def error_result(name: str, message: str, started: float) -> CheckResult:
    """A check that could not run: status ``error`` with the reason as its summary."""
    return CheckResult(
        name=name,
        status="error",
        summary=message,
        duration_s=time.perf_counter() - started,
    )


def plural(count: int, word: str) -> str:
    """``1 file``, ``2 files``."""
    return f"{count} {word}{'' if count == 1 else 's'}"
