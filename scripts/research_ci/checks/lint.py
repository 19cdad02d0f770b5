"""The lint check: ``ruff check --output-format json`` with the rules the project adopted.

The ruff that runs is the project's own (its environment's, else its pre-commit pin, else
research-ci's: see :mod:`research_ci.tools`): rules grow between ruff versions, and the
project is linted by the version it is clean under. Its rules are the project's ruff
configuration; else its flake8 settings, translated; else ruff's classic rule set (see
:mod:`research_ci.lintrules`).
"""

from __future__ import annotations

import dataclasses
import json
import time
from typing import TYPE_CHECKING, Any

from research_ci.checks.common import error_result, ran, relative_path, run_resolved, tool_failed
from research_ci.checks.spec import CheckSpec, MergeRule, Metrics, PenaltyRule, count_badge
from research_ci.lintrules import (
    BLOCKING_RULES,
    CLASSIC_RULES,
    Translation,
    parse_linters,
    parse_rules,
    target_version,
    translate_flake8,
)
from research_ci.process import ToolError
from research_ci.report import CheckResult, Finding
from research_ci.toolconfig import shown_options
from research_ci.tools import PreCommit, Tool, ToolSetupError, read_pre_commit, resolve
from research_ci.words import plural

if TYPE_CHECKING:
    from research_ci.checks.spec import CheckInputs
    from research_ci.config import Settings

NAME = "lint"
#: Where the rules come from: the project's ruff, its flake8 settings, or ruff's classic set.
FROM_RUFF = "ruff"
FROM_FLAKE8 = "flake8"
FROM_CLASSIC = "classic"
#: pre-commit hooks that run ruff's linter.
RUFF_HOOKS = frozenset({"ruff", "ruff-check"})


@dataclasses.dataclass(frozen=True)
class LintMetrics(Metrics):
    """``violations``: ruff's findings."""

    violations: int = 0

    def sentence(self) -> str:
        """``3 violations`` or ``no violations``."""
        count = self.violations
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


def rules_source(settings: Settings, pre_commit: PreCommit | None = None) -> str:
    """Where the rules come from: ``ruff``, ``flake8`` or ``classic``.

    ``ruff`` when the project adopted ruff (configured it, or runs it by pre-commit, tox or
    its dependencies), else ``flake8`` when it configures flake8 (see
    :mod:`research_ci.lintrules`).
    """
    tools = settings.tools
    hooks = (pre_commit or read_pre_commit(settings.root)).hooks
    if (
        tools.ruff_config is not None
        or RUFF_HOOKS & hooks
        or settings.project.declares("ruff")
        or "ruff" in tools.tox_dependencies
    ):
        return FROM_RUFF
    return FROM_FLAKE8 if tools.flake8_config is not None else FROM_CLASSIC


def flake8_notice(settings: Settings) -> list[Finding]:
    """One notice when ruff lints a project that also keeps flake8 settings ruff does not read.

    (Without a ruff configuration, the lint check translates them instead: see :func:`run`.)
    """
    file = settings.tools.flake8_config
    if file is None or rules_source(settings) != FROM_RUFF:
        return []
    where = settings.tools.flake8_where
    message = (
        f"ruff does not read {where} (its flake8 settings "
        f"{shown_options(settings.tools.flake8_options)} are not applied); "
        "set them in [tool.ruff] to lint with them"
    )
    return [_notice(file, "flake8-config", message)]


def _notice(file: str | None, code: str, message: str) -> Finding:
    return Finding(check=NAME, file=file, line=None, code=code, message=message, severity="notice")


def target_arguments(settings: Settings) -> list[str]:
    """``--target-version pyXY`` when ruff would not know the project's oldest Python.

    ruff reads it from its own ``target-version``, else ``[project] requires-python``; a
    setuptools project states it in ``python_requires`` only.
    """
    tools = settings.tools
    if tools.ruff_target_version or tools.requires_python or not tools.setup_python_requires:
        return []
    version = target_version(tools.setup_python_requires[0])
    return ["--target-version", version] if version else []


def translate(settings: Settings, tool: Tool, pre_commit: PreCommit) -> Translation:
    """The project's flake8 settings as ruff options, for the rules of the ruff that runs."""
    rules = run_resolved(settings, tool, "rule", "--all", "--output-format", "json")
    linters = run_resolved(settings, tool, "linter", "--output-format", "json")
    if rules.returncode != 0 or linters.returncode != 0:
        raise ToolError(f"ruff cannot list its rules: {rules.tail(1) or linters.tail(1)}")
    try:
        known_rules, known_linters = parse_rules(rules.stdout), parse_linters(linters.stdout)
    except (json.JSONDecodeError, AttributeError, TypeError) as exc:
        raise ToolError(f"cannot read ruff's list of rules: {exc}") from exc
    plugins = settings.tools.flake8_plugins | settings.project.declared
    return translate_flake8(
        settings.tools.flake8_settings,
        plugins,
        known_rules,
        known_linters,
        plugins_known="flake8" in plugins or "flake8" in pre_commit.hooks,
    )


def translation_notice(settings: Settings, translation: Translation) -> Finding:
    """What the lint check took from the flake8 settings, and what ruff cannot check."""
    tools = settings.tools
    message = (
        f"lint runs ruff with the project's flake8 settings from {tools.flake8_where} "
        f"({plural(len(translation.select), 'rule')}: {', '.join(translation.linters)})"
    )
    if translation.unimplemented:
        message += (
            f"; not checked, ruff does not implement them: {', '.join(translation.unimplemented)}"
        )
    if translation.preview_only:
        message += f"; in ruff's preview only, not checked: {', '.join(translation.preview_only)}"
    return _notice(tools.flake8_config, "flake8-settings", message)


CLASSIC_NOTICE = (
    "the project configures no linter (no ruff or flake8 settings): lint runs ruff's "
    f"classic rules {', '.join(CLASSIC_RULES)} and advises; it counts "
    f"{', '.join(BLOCKING_RULES)} (syntax errors, undefined names) as violations, the others "
    "as notices. A [tool.ruff] table lints and gates with ruff's own defaults"
)


def blocking(code: str | None) -> bool:
    """Whether a finding of ruff's classic rules is a violation where no linter is configured."""
    return code is None or code == "syntax-error" or code.startswith(BLOCKING_RULES)


def advise(findings: list[Finding]) -> list[Finding]:
    """The classic rules' findings, with those that do not block made notices."""
    return [
        finding if blocking(finding.code) else dataclasses.replace(finding, severity="notice")
        for finding in findings
    ]


def rules_for(
    settings: Settings, tool: Tool, pre_commit: PreCommit, source: str
) -> tuple[list[str], list[Finding], str]:
    """The ``ruff check`` arguments for the rules of ``source``, notices, and their words."""
    if source == FROM_FLAKE8:
        translation = translate(settings, tool, pre_commit)
        notice = translation_notice(settings, translation)
        words = f"ruff with the project's flake8 settings from {settings.tools.flake8_where}"
        args = translation.arguments()
    elif source == FROM_CLASSIC:
        notice = _notice(None, "lint-rules", CLASSIC_NOTICE)
        words = f"ruff's classic rules {', '.join(CLASSIC_RULES)}"
        args = ["--select", ",".join(CLASSIC_RULES)]
    else:
        return target_arguments(settings), [], ""
    return [*args, *target_arguments(settings)], [notice], words


def run(inputs: CheckInputs) -> CheckResult:
    """Run the project's ruff over its paths, with the rules it adopted."""
    started = time.perf_counter()
    settings = inputs.settings
    pre_commit = read_pre_commit(settings.root)
    source = rules_source(settings, pre_commit)
    try:
        tool = resolve(
            "ruff", settings, inputs.environment, announce=inputs.announce, pre_commit=pre_commit
        )
        rules, notices, words = rules_for(settings, tool, pre_commit, source)
        completed = run_resolved(
            settings,
            tool,
            "check",
            "--output-format",
            "json",
            "--no-fix",
            "--quiet",
            *rules,
            *settings.file_tool_paths,
        )
    except (ToolError, ToolSetupError) as exc:
        return error_result(NAME, str(exc), started)
    if completed.returncode not in (0, 1):
        return tool_failed(NAME, tool, completed, started)
    try:
        findings = parse_ruff_json(completed.stdout, settings)
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        return error_result(NAME, f"cannot read ruff's JSON output: {exc}", started)
    if source == FROM_CLASSIC:
        findings = advise(findings)
    gating = [finding for finding in findings if finding.severity != "notice"]
    metrics = LintMetrics(violations=len(gating))
    advisory = len(findings) - len(gating)
    summary = metrics.sentence() + (f" ({advisory} advisory)" if advisory else "")
    summary += f", {words}" if words else ""
    return ran(
        NAME,
        metrics.to_json(),
        findings + notices,
        started,
        failed=bool(gating),
        summary=summary,
        tool=tool.to_dict(),
    )


def advisory_by_default(settings: Settings) -> str | None:
    """Why lint only advises on this project: it configures no linter (ruff's classic rules)."""
    if rules_source(settings) != FROM_CLASSIC:
        return None
    return (
        "the project configures no linter (no ruff or flake8 settings): ruff's classic rules "
        "advise; a [tool.ruff] table, or [tool.research-ci] advisory = [], makes lint gate"
    )


CHECK: CheckSpec[LintMetrics] = CheckSpec(
    name=NAME,
    metrics=LintMetrics.of,
    run=run,
    priority=5,
    badges={NAME: lambda result, m, _report: count_badge(NAME, result, m.violations, "issue")},
    badge_rank=3,
    penalties=(PenaltyRule(NAME, "ruff violation", 1, 20, lambda m: m.violations),),
    merge=MergeRule(distinct_count="violations"),
    notices=flake8_notice,
    advisory_by_default=advisory_by_default,
)
