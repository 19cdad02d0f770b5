"""The types check: ``mypy --output json`` with the project's ``[tool.mypy]``.

The mypy that runs is the project's own (its environment's, else its pre-commit pin with the
hook's ``additional_dependencies`` or its tox or requirements pin, else research-ci's, on the
project's Python version: see :mod:`research_ci.tools`), on the paths its configuration names
(mypy's ``files``, else ``[tool.research-ci] paths``, else those of its tox command). It
looks at the project's packages through ``--python-executable`` (the project's environment),
so third-party imports resolve. mypy older than 1.11 has no JSON
output: its text output is read instead.

Grades maintainers agree with:

* a project with no mypy configuration (no ``mypy.ini``, ``.mypy.ini``, ``[mypy]`` in
  ``setup.cfg``, ``[tool.mypy]``, nor a mypy pre-commit hook or tox command) never adopted
  mypy: the check is advisory there (reported, no points off, not gating) unless
  ``[tool.research-ci] advisory`` says otherwise;
* imports of packages without type information (``import-untyped``, ``import-not-found``:
  missing third-party stubs, usually) are notices, not errors, unless the project's mypy
  configuration sets ``ignore_missing_imports = false`` explicitly.
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
from typing import TYPE_CHECKING

from research_ci.checks.common import error_result, ran, relative_path, run_resolved, tool_failed
from research_ci.checks.spec import CheckSpec, MergeRule, Metrics, PenaltyRule, count_badge
from research_ci.process import ToolError
from research_ci.report import CheckResult, Finding, Severity
from research_ci.tools import FROM_ENVIRONMENT, Tool, ToolSetupError, read_pre_commit, resolve
from research_ci.toxconfig import runs
from research_ci.words import plural

if TYPE_CHECKING:
    from research_ci.checks.spec import CheckInputs
    from research_ci.config import Settings

NAME = "types"
#: mypy's codes for an import it has no types for (a third-party package without stubs).
MISSING_STUB_CODES: frozenset[str] = frozenset({"import-untyped", "import-not-found"})


@dataclasses.dataclass(frozen=True)
class TypesMetrics(Metrics):
    """mypy's figures.

    ``errors``: mypy's errors (its notes are findings, not errors); ``missing_stubs``: imports
    without type information, reported as notices.
    """

    errors: int = 0
    missing_stubs: int = 0

    def sentence(self) -> str:
        """``2 errors`` or ``no errors``, and ``3 imports without types (notices)``."""
        text = plural(self.errors, "error") if self.errors else "no errors"
        if self.missing_stubs:
            text += f"; {plural(self.missing_stubs, 'import')} without types (notices)"
        return text


def soften_missing_stubs(findings: list[Finding], settings: Settings) -> list[Finding]:
    """Missing-stub errors as notices, unless mypy is configured to report them."""
    if settings.tools.mypy_missing_imports_reported:
        return findings
    return [
        (
            dataclasses.replace(finding, severity="notice")
            if finding.code in MISSING_STUB_CODES and finding.severity == "error"
            else finding
        )
        for finding in findings
    ]


def advisory_by_default(settings: Settings) -> str | None:
    """Why types only advises on this project: it has never configured mypy."""
    if settings.tools.mypy_config is not None:
        return None
    if "mypy" in read_pre_commit(settings.root).hooks:
        return None
    tox = settings.project.tox
    if tox is not None and runs(tox, "mypy"):
        return None
    return "the project has no mypy configuration (opt in: [tool.research-ci] advisory = [])"


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


_TEXT_LINE = re.compile(
    r"^(?P<file>.+?):(?P<line>\d+):(?:(?P<col>\d+):)? (?P<severity>error|note|warning): "
    r"(?P<message>.*?)(?:  \[(?P<code>[a-z0-9-]+)\])?$"
)
#: The first mypy with ``--output json``.
JSON_SINCE = (1, 11)


def parse_mypy_text(text: str, settings: Settings) -> list[Finding]:
    """One finding per line of mypy's text output (``--show-column-numbers``, error codes)."""
    findings: list[Finding] = []
    for raw in text.splitlines():
        match = _TEXT_LINE.match(raw.rstrip())
        if match is None:
            continue
        severity: Severity = "error" if match.group("severity") == "error" else "notice"
        findings.append(
            Finding(
                check=NAME,
                file=relative_path(match.group("file"), settings.root),
                line=int(match.group("line")) or None,
                col=int(match.group("col")) if match.group("col") else None,
                code=match.group("code"),
                message=match.group("message"),
                severity=severity,
            )
        )
    return findings


def _json_output(tool: Tool) -> bool:
    parts = re.findall(r"\d+", tool.version)[:2]
    return tuple(int(part) for part in parts) >= JSON_SINCE


def mypy_targets(settings: Settings, tool: Tool | None = None) -> list[str]:
    """Paths to check: none when mypy's ``files`` is set (mypy reads it), else ours.

    Ours: ``[tool.research-ci] paths``, else the paths of the project's tox command that runs
    mypy (``tool.paths``, h11's ``mypy h11/``), else the project (``src`` and the tests in a
    src layout).
    """
    if settings.tools.mypy_files:
        return []
    if tool is not None and tool.paths:
        return list(tool.paths)
    return [path for path in settings.paths if (settings.root / path).exists()] or ["."]


#: What mypy says (exit 2) when the paths it is given hold no Python file.
NO_FILES = "There are no .py[i] files"


def run(inputs: CheckInputs) -> CheckResult:
    """Run the project's mypy against the project, seeing the packages of its environment."""
    started = time.perf_counter()
    settings = inputs.settings
    try:
        python = inputs.project_python()
        tool = resolve("mypy", settings, inputs.environment, announce=inputs.announce)
        as_json = _json_output(tool)
        output = (
            ["--output", "json"]
            if as_json
            else ["--show-column-numbers", "--show-error-codes", "--no-pretty", "--no-color-output"]
        )
        completed = run_resolved(
            settings,
            tool,
            *output,
            # mypy installed in the project's environment already sees its packages
            # (and skips starting that Python to ask where they are).
            *(() if tool.source == FROM_ENVIRONMENT else ("--python-executable", python)),
            "--no-error-summary",
            *mypy_targets(settings, tool),
        )
    except (ToolError, ToolSetupError) as exc:
        return error_result(NAME, str(exc), started)
    try:
        findings = (parse_mypy_json if as_json else parse_mypy_text)(completed.stdout, settings)
    except (json.JSONDecodeError, KeyError) as exc:
        return error_result(NAME, f"cannot read mypy's JSON output: {exc}", started)
    if completed.returncode == 2 and not findings and NO_FILES in completed.tail(3):
        # A repository of notebooks only (karpathy/nn-zero-to-hero): mypy has nothing to read.
        return CheckResult(
            name=NAME,
            status="skipped",
            summary="no .py or .pyi file to type-check (mypy does not read notebooks)",
            duration_s=time.perf_counter() - started,
            tool=tool.to_dict(),
        )
    # mypy exits 2 on blocking errors (a syntax error) but still reports them as JSON.
    if completed.returncode not in (0, 1, 2) or (completed.returncode != 0 and not findings):
        return tool_failed(NAME, tool, completed, started)
    raw_errors = sum(1 for finding in findings if finding.severity == "error")
    findings = soften_missing_stubs(findings, settings)
    errors = sum(1 for finding in findings if finding.severity == "error")
    metrics = TypesMetrics(errors=errors, missing_stubs=raw_errors - errors)
    failed = metrics.errors > 0
    summary = metrics.sentence()
    return ran(
        NAME,
        metrics.to_json(),
        findings,
        started,
        failed=failed,
        summary=summary,
        tool=tool.to_dict(),
    )


CHECK: CheckSpec[TypesMetrics] = CheckSpec(
    name=NAME,
    metrics=TypesMetrics.of,
    run=run,
    priority=2,
    start=4,
    badges={NAME: lambda result, m, _report: count_badge(NAME, result, m.errors, "error")},
    badge_rank=2,
    penalties=(PenaltyRule(NAME, "mypy error", 2, 20, lambda m: m.errors),),
    merge=MergeRule(distinct_count="errors"),
    advisory_by_default=advisory_by_default,
)
