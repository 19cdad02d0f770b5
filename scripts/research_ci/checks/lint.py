"""The lint check: ``ruff check --output-format json`` with the project's ``[tool.ruff]``."""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from research_ci.checks.common import error_result, plural, relative_path
from research_ci.config import Settings
from research_ci.process import ToolError, run_tool
from research_ci.report import CheckResult, Finding


def parse_ruff_json(text: str, settings: Settings) -> list[Finding]:
    """Turn ruff's JSON output into findings."""
    items: list[dict[str, Any]] = json.loads(text or "[]")
    findings: list[Finding] = []
    for item in items:
        location = item.get("location") or {}
        end = item.get("end_location") or {}
        code = item.get("code") or "syntax-error"
        findings.append(
            Finding(
                check="lint",
                file=relative_path(item["filename"], settings.root),
                line=location.get("row"),
                col=location.get("column"),
                end_line=end.get("row"),
                code=code,
                message=str(item.get("message", "")),
            )
        )
    return findings


def run(settings: Settings) -> CheckResult:
    """Run ruff over the project's paths."""
    started = time.perf_counter()
    try:
        completed = run_tool(
            [
                sys.executable,
                "-m",
                "ruff",
                "check",
                "--output-format",
                "json",
                "--no-fix",
                "--quiet",
                *settings.file_tool_paths,
            ],
            cwd=settings.root,
            timeout_s=settings.timeout_s,
        )
    except ToolError as exc:
        return error_result("lint", str(exc), started)
    if completed.returncode not in (0, 1):
        return error_result("lint", f"ruff failed: {completed.tail(3)}", started)
    try:
        findings = parse_ruff_json(completed.stdout, settings)
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        return error_result("lint", f"cannot read ruff's JSON output: {exc}", started)
    count = len(findings)
    return CheckResult(
        name="lint",
        status="failed" if count else "passed",
        summary=plural(count, "violation") if count else "no violations",
        duration_s=time.perf_counter() - started,
        metrics={"violations": count},
        findings=findings,
    )
