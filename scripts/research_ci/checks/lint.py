"""The lint check: ``ruff check --output-format json`` with the project's ``[tool.ruff]``.

The ruff that runs is the project's own (its environment's, else its pre-commit pin, else
research-ci's: see :mod:`research_ci.tools`): rules grow between ruff versions, and the
project is linted by the version it is clean under.
"""

from __future__ import annotations

import dataclasses
import json
import time
from typing import TYPE_CHECKING, Any

from research_ci.checks.common import error_result, ran, relative_path, run_resolved
from research_ci.checks.spec import CheckSpec, MergeRule, Metrics, PenaltyRule, count_badge
from research_ci.process import ToolError
from research_ci.report import CheckResult, Finding
from research_ci.toolconfig import shown_options
from research_ci.tools import ToolSetupError, resolve
from research_ci.words import plural

if TYPE_CHECKING:
    from research_ci.checks.spec import CheckInputs
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
        cell = item.get("cell")  # a notebook's cell (1-based); the rows are the cell's
        findings.append(
            Finding(
                check=NAME,
                file=relative_path(item["filename"], settings.root),
                line=location.get("row"),
                col=location.get("column"),
                end_line=end.get("row"),
                code=code,
                message=str(item.get("message", "")),
                cell=cell if isinstance(cell, int) and cell > 0 else None,
            )
        )
    return findings


def flake8_notice(settings: Settings) -> list[Finding]:
    """One notice when the project keeps flake8 settings: ruff does not read them."""
    file = settings.tools.flake8_config
    if file is None:
        return []
    where = f"{file} [tool.flake8]" if file == "pyproject.toml" else file
    message = (
        f"ruff does not read {where} (its flake8 settings "
        f"{shown_options(settings.tools.flake8_options)} are not applied); "
        "set them in [tool.ruff] to lint with them"
    )
    return [
        Finding(
            check=NAME,
            file=file,
            line=None,
            code="flake8-config",
            message=message,
            severity="notice",
        )
    ]


def run(inputs: CheckInputs) -> CheckResult:
    """Run the project's ruff over its paths."""
    started = time.perf_counter()
    settings = inputs.settings
    try:
        tool = resolve("ruff", settings, inputs.environment, announce=inputs.announce)
        completed = run_resolved(
            settings,
            tool,
            "check",
            "--output-format",
            "json",
            "--no-fix",
            "--quiet",
            *settings.file_tool_paths,
        )
    except (ToolError, ToolSetupError) as exc:
        return error_result(NAME, str(exc), started)
    if completed.returncode not in (0, 1):
        return error_result(NAME, f"ruff failed: {completed.tail(3)}", started, tool=tool.to_dict())
    try:
        findings = parse_ruff_json(completed.stdout, settings)
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        return error_result(NAME, f"cannot read ruff's JSON output: {exc}", started)
    metrics = LintMetrics(violations=len(findings))
    summary = figures(metrics)
    failed = bool(findings)
    return ran(
        NAME,
        metrics.to_json(),
        findings,
        started,
        failed=failed,
        summary=summary,
        tool=tool.to_dict(),
    )


CHECK: CheckSpec[LintMetrics] = CheckSpec(
    name=NAME,
    metrics=LintMetrics.of,
    run=run,
    figures=figures,
    priority=5,
    badges={NAME: lambda result, m, _report: count_badge(NAME, result, m.violations, "issue")},
    badge_rank=3,
    penalties=(PenaltyRule(NAME, "ruff violation", 1, 20, lambda m: m.violations),),
    merge=MergeRule(distinct_count="violations"),
    notices=flake8_notice,
)
