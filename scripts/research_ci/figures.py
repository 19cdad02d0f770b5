"""One short human line of figures per check ("3 violations", "40 passed, 2 failed").

Shared by the terminal output and the Markdown summary so that they describe a check with the
same words: the check's own sentence (:attr:`CheckSpec.figures`) when it ran, its summary when
it was skipped or could not run.
"""

from __future__ import annotations

from typing import Any

from research_ci.checks.registry import spec_of
from research_ci.report import CheckResult


def check_figures(result: CheckResult) -> str:
    """The check's figures in words; a skipped or erroring check shows its own summary."""
    spec = spec_of(result.name)
    if result.status in ("skipped", "error") or spec is None:
        return result.summary or result.status
    return spec.figures(spec.metrics(result))


def tool_words(result: CheckResult) -> str:
    """``ruff 0.3.0 (pre-commit)``: the tool that ran the check, or ``""``."""
    tool = result.tool
    if not tool:
        return ""
    return f"{tool.get('name', '?')} {tool.get('version', '?')} ({tool.get('from', '?')})"


def environment_words(environment: dict[str, Any] | None) -> str:
    """One line about the project's environment: where, which Python, what was installed.

    ``.venv (made now), Python 3.12.1 for >=3.12 (requires-python in pyproject.toml);
    installed -e .[test] (setup.py), pytest, pytest-cov (research-ci)``; ``""`` when no
    check needed the environment.
    """
    if not environment:
        return ""
    where = str(environment.get("location", "?"))
    if environment.get("error"):
        return f"{where}: {environment['error']}"
    state = (
        "made now"
        if environment.get("created")
        else "installed again" if environment.get("synced") else ""
    )
    text = f"{where}{f' ({state})' if state else ''}, Python {environment.get('python', '?')}"
    request = environment.get("python_request")
    if isinstance(request, dict):
        text += f" for {request.get('request')} ({request.get('source')})"
    installed = environment.get("installed") or []
    if installed:
        steps = ", ".join(f"{item.get('what')} ({item.get('from')})" for item in installed)
        text += f"; installed {steps}"
    if environment.get("overlay"):
        text += f"; {', '.join(environment['overlay'])} from research-ci's cache"
    notes = environment.get("notes") or []
    return "; ".join([text, *map(str, notes)])
