"""The types check: ``mypy --output json`` with the project's ``[tool.mypy]``.

mypy runs from research-ci's environment but looks at the project's packages through
``--python-executable`` (the project's environment), so third-party imports resolve.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from research_ci.checks.common import error_result, plural, relative_path
from research_ci.config import Settings
from research_ci.process import ToolError, run_tool
from research_ci.report import CheckResult, Finding, Severity


def parse_mypy_json(text: str, settings: Settings) -> list[Finding]:
    """One finding per line of mypy's JSON output (errors; notes become notices)."""
    findings: list[Finding] = []
    for line in text.splitlines():
        raw = line.strip()
        if not raw.startswith("{"):
            continue
        item = json.loads(raw)
        severity: Severity = "error" if item.get("severity") == "error" else "notice"
        message = str(item.get("message", ""))
        if item.get("hint"):
            message = f"{message} ({item['hint']})"
        column = item.get("column")
        findings.append(
            Finding(
                check="types",
                file=relative_path(item["file"], settings.root) if item.get("file") else None,
                line=item.get("line") if (item.get("line") or 0) > 0 else None,
                col=column + 1 if isinstance(column, int) and column >= 0 else None,
                code=item.get("code"),
                message=message,
                severity=severity,
            )
        )
    return findings


def mypy_targets(settings: Settings) -> list[str]:
    """Paths to check: none when ``[tool.mypy] files`` is set (mypy reads it), else ours."""
    if settings.pyproject.get("tool", {}).get("mypy", {}).get("files"):
        return []
    return [path for path in settings.paths if (settings.root / path).exists()] or ["."]


def run(settings: Settings, python: Path) -> CheckResult:
    """Run mypy against the project, seeing the packages installed for ``python``."""
    started = time.perf_counter()
    try:
        completed = run_tool(
            [
                sys.executable,
                "-m",
                "mypy",
                "--output",
                "json",
                "--python-executable",
                python,
                "--no-error-summary",
                *mypy_targets(settings),
            ],
            cwd=settings.root,
            timeout_s=settings.timeout_s,
        )
    except ToolError as exc:
        return error_result("types", str(exc), started)
    try:
        findings = parse_mypy_json(completed.stdout, settings)
    except (json.JSONDecodeError, KeyError) as exc:
        return error_result("types", f"cannot read mypy's JSON output: {exc}", started)
    # mypy exits 2 on blocking errors (a syntax error) but still reports them as JSON.
    if completed.returncode not in (0, 1, 2) or (completed.returncode != 0 and not findings):
        return error_result("types", f"mypy failed: {completed.tail(3)}", started)
    errors = sum(1 for finding in findings if finding.severity == "error")
    return CheckResult(
        name="types",
        status="failed" if errors else "passed",
        summary=plural(errors, "error") if errors else "no type errors",
        duration_s=time.perf_counter() - started,
        metrics={"errors": errors},
        findings=findings,
    )
