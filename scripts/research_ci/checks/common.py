"""What every check module shares: paths relative to the project, and the error result.

(What a check *declares* is :mod:`research_ci.checks.spec`.)
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from research_ci.process import DEFAULT_OUTPUT_LIMIT, Completed, run_tool
from research_ci.report import CheckResult, Finding

if TYPE_CHECKING:
    from research_ci.config import Settings
    from research_ci.tools import Tool


def relative_path(path: str | Path, root: Path) -> str:
    """``path`` relative to the project root, with forward slashes, when it is inside it."""
    candidate = Path(path)
    if not candidate.is_absolute():
        candidate = root / candidate
    try:
        return candidate.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return Path(path).as_posix()


def ran(
    name: str,
    figures: Mapping[str, Any],
    findings: list[Finding],
    started: float,
    *,
    failed: bool,
    summary: str,
    tool: Mapping[str, str] | None = None,
) -> CheckResult:
    """A check that ran: failed or passed, its figures (the report's form) and its findings.

    ``tool`` is the report's record of the tool that ran it (name, version, where from).
    """
    return CheckResult(
        name=name,
        status="failed" if failed else "passed",
        summary=summary,
        duration_s=time.perf_counter() - started,
        metrics=dict(figures),
        findings=findings,
        tool=dict(tool) if tool is not None else None,
    )


def error_result(
    name: str, message: str, started: float, *, tool: Mapping[str, str] | None = None
) -> CheckResult:
    """A check that could not run: status ``error`` with the reason as its summary."""
    return CheckResult(
        name=name,
        status="error",
        summary=message,
        duration_s=time.perf_counter() - started,
        tool=dict(tool) if tool is not None else None,
    )


def tool_failed(name: str, tool: Tool, completed: Completed, started: float) -> CheckResult:
    """The error result of a tool that exited as it never does on a finished run.

    The summary names the tool and ends with the last lines it printed (``mypy failed: ...``).
    """
    return error_result(
        name, f"{tool.name} failed: {completed.tail(3)}", started, tool=tool.to_dict()
    )


def run_module(
    settings: Settings,
    module: str,
    *args: str | Path,
    python: Path | None = None,
    env: Mapping[str, str] | None = None,
    output_limit: int = DEFAULT_OUTPUT_LIMIT,
) -> Completed:
    """``python -m module args`` in the project, within its time limit.

    ``python`` is research-ci's own interpreter unless given (the project's, for pytest);
    ``output_limit``: how much of each stream's end is kept.
    Raises :class:`~research_ci.process.ToolError` when it cannot start or times out.
    """
    return run_tool(
        [python or sys.executable, "-m", module, *args],
        cwd=settings.root,
        timeout_s=settings.timeout_s,
        env=env,
        output_limit=output_limit,
    )


def run_resolved(
    settings: Settings, tool: Tool, *args: str | Path, env: Mapping[str, str] | None = None
) -> Completed:
    """``tool args`` in the project, within its time limit: the tool the project pins.

    (:func:`research_ci.tools.resolve` chose it: the project's environment, its pre-commit
    ``rev:``, or research-ci's own.) Raises :class:`~research_ci.process.ToolError` when it
    cannot start or times out.
    """
    return run_tool(
        [*tool.command, *args], cwd=settings.root, timeout_s=settings.timeout_s, env=env
    )
