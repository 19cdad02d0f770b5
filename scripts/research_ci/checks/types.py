"""The types check: ``mypy --output json`` with the project's ``[tool.mypy]``.

mypy runs from research-ci's environment but looks at the project's packages through
``--python-executable`` (the project's environment), so third-party imports resolve.
"""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path
from typing import TYPE_CHECKING

from research_ci.checks.common import error_result, ran, relative_path, run_module
from research_ci.checks.spec import CheckSpec, MergeRule, Metrics, PenaltyRule, count_badge
from research_ci.process import ToolError
from research_ci.report import CheckResult, Finding, Severity
from research_ci.words import plural

if TYPE_CHECKING:
    from research_ci.config import Settings

NAME = "types"


@dataclasses.dataclass(frozen=True)
class TypesMetrics(Metrics):
    """``errors``: mypy's errors (its notes are findings, not errors)."""

    errors: int = 0


def figures(metrics: TypesMetrics) -> str:
    """``2 errors`` or ``no errors``."""
    return plural(metrics.errors, "error") if metrics.errors else "no errors"


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
                check=NAME,
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
    if settings.tools.mypy_files:
        return []
    return [path for path in settings.paths if (settings.root / path).exists()] or ["."]


def run(settings: Settings, python: Path) -> CheckResult:
    """Run mypy against the project, seeing the packages installed for ``python``."""
    started = time.perf_counter()
    try:
        completed = run_module(
            settings,
            "mypy",
            "--output",
            "json",
            "--python-executable",
            python,
            "--no-error-summary",
            *mypy_targets(settings),
        )
    except ToolError as exc:
        return error_result(NAME, str(exc), started)
    try:
        findings = parse_mypy_json(completed.stdout, settings)
    except (json.JSONDecodeError, KeyError) as exc:
        return error_result(NAME, f"cannot read mypy's JSON output: {exc}", started)
    # mypy exits 2 on blocking errors (a syntax error) but still reports them as JSON.
    if completed.returncode not in (0, 1, 2) or (completed.returncode != 0 and not findings):
        return error_result(NAME, f"mypy failed: {completed.tail(3)}", started)
    metrics = TypesMetrics(errors=sum(1 for finding in findings if finding.severity == "error"))
    failed = metrics.errors > 0
    return ran(NAME, metrics.to_json(), findings, started, failed=failed, summary=figures(metrics))


CHECK: CheckSpec[TypesMetrics] = CheckSpec(
    name=NAME,
    metrics=TypesMetrics.of,
    run=lambda inputs: run(inputs.settings, inputs.project_python()),
    figures=figures,
    priority=2,
    badges={NAME: lambda result, m, _report: count_badge(NAME, result, m.errors, "error")},
    badge_rank=2,
    penalties=(PenaltyRule(NAME, "mypy error", 2, 20, lambda m: m.errors),),
    merge=MergeRule(distinct_count="errors"),
)
