"""The lint check: ``ruff check --output-format json`` with the project's ``[tool.ruff]``."""

from __future__ import annotations

import dataclasses
import json
import time
from typing import TYPE_CHECKING, Any

from research_ci.checks.common import error_result, ran, relative_path, run_module
from research_ci.checks.spec import CheckSpec, MergeRule, Metrics, PenaltyRule, count_badge
from research_ci.process import ToolError
from research_ci.report import CheckResult, Finding
from research_ci.words import plural

if TYPE_CHECKING:
    from research_ci.config import Settings

NAME = "lint"


@dataclasses.dataclass(frozen=True)
class LintMetrics(Metrics):
    """``violations``: ruff's findings."""

    violations: int = 0


def figures(metrics: LintMetrics) -> str:
    """``3 violations`` or ``no violations``."""
    count = metrics.violations
    return plural(count, "violation") if count else "no violations"


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
                check=NAME,
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
        completed = run_module(
            settings,
            "ruff",
            "check",
            "--output-format",
            "json",
            "--no-fix",
            "--quiet",
            *settings.file_tool_paths,
        )
    except ToolError as exc:
        return error_result(NAME, str(exc), started)
    if completed.returncode not in (0, 1):
        return error_result(NAME, f"ruff failed: {completed.tail(3)}", started)
    try:
        findings = parse_ruff_json(completed.stdout, settings)
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        return error_result(NAME, f"cannot read ruff's JSON output: {exc}", started)
    metrics = LintMetrics(violations=len(findings))
    summary = figures(metrics)
    return ran(NAME, metrics.to_json(), findings, started, failed=bool(findings), summary=summary)


CHECK: CheckSpec[LintMetrics] = CheckSpec(
    name=NAME,
    metrics=LintMetrics.of,
    run=lambda inputs: run(inputs.settings),
    figures=figures,
    priority=5,
    badges={NAME: lambda result, m, _report: count_badge(NAME, result, m.violations, "issue")},
    badge_rank=3,
    penalties=(PenaltyRule(NAME, "ruff violation", 1, 20, lambda m: m.violations),),
    merge=MergeRule(distinct_count="violations"),
)
