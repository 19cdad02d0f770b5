"""The format check: black, or ``ruff format`` when the project uses it, in check mode.

Which formatter and which version: see :mod:`research_ci.tools`. black runs twice at most:
first ``black --check``, which uses black's cache (files it has seen unchanged are skipped,
so a warm run costs what ``black --check`` costs by hand), then, only for the files it
would change, ``black --diff`` (which bypasses the cache) to find the first line each would
change. ``ruff format --diff`` runs once (ruff is fast, and its ``--check`` output changed
shape across versions). Neither formatter has a JSON output: the check reads the unified
diff (a machine format). Files the formatter cannot parse are reported from its
error lines.

The check gates only a project that adopted black or ``ruff format`` (see
:func:`advisory_by_default`); on any other it advises: reported with its figures, no points
off, no gate, as types does for a project that never configured mypy.
"""

from __future__ import annotations

import dataclasses
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING

from research_ci.checks.common import error_result, ran, relative_path, run_resolved, tool_failed
from research_ci.checks.spec import CheckSpec, MergeRule, Metrics, PenaltyRule
from research_ci.process import Completed, ToolError
from research_ci.report import CheckResult, Finding
from research_ci.tools import Tool, ToolSetupError, choose_formatter, read_pre_commit, resolve
from research_ci.words import plural

if TYPE_CHECKING:
    from research_ci.checks.spec import CheckInputs
    from research_ci.config import Settings

NAME = "format"

_HEADER = re.compile(r"^--- (?P<path>.+?)(?:\t.*)?$")
_HUNK = re.compile(r"^@@ -(?P<line>\d+)(?:,\d+)? \+\d+(?:,\d+)? @@")
# black < 25: "error: cannot format PATH: MESSAGE"; newer: "error: cannot parse[ for target
# version Python X.Y]: PATH:LINE:COL".
_CANNOT = re.compile(r"^error: cannot format (?P<path>.+?): (?P<message>.*)$")
_CANNOT_PARSE = re.compile(
    r"^error: cannot parse(?: for target version [^:]*)?: (?P<path>.+?):(?P<line>\d+):(?P<col>\d+)$"
)
_WOULD_REFORMAT = re.compile(r"^would reformat (?P<path>.+)$")
# ruff format: "error: Failed to parse PATH:LINE:COL: MESSAGE".
_RUFF_CANNOT_PARSE = re.compile(
    r"^error: Failed to parse (?P<path>.+?):(?P<line>\d+):(?P<col>\d+): (?P<message>.*)$"
)


_NOTEBOOK_CELL = re.compile(r"^(?P<file>.+\.ipynb):cell (?P<cell>\d+)$")


@dataclasses.dataclass(frozen=True)
class FormatMetrics(Metrics):
    """``files_to_reformat``: files the formatter would change or cannot parse."""

    files_to_reformat: int = 0

    def sentence(self) -> str:
        """``2 files to reformat`` or ``all files formatted``."""
        count = self.files_to_reformat
        return f"{plural(count, 'file')} to reformat" if count else "all files formatted"


#: What black says when it finds notebooks but lacks its ``jupyter`` extra (it skips them).
_SKIPPED_NOTEBOOKS = "Skipping .ipynb files as Jupyter dependencies are not installed"
#: What black says when it found nothing to check.
_NO_FILES = "No Python files are present to be formatted"
NOTEBOOKS_SKIPPED = Finding(
    check=NAME,
    file=None,
    line=None,
    code="black-jupyter",
    message=(
        "black skipped the notebooks: its jupyter extra is not installed (add "
        '"black[jupyter]" to the project\'s dev dependencies to check them)'
    ),
    severity="notice",
)


def parse_black_diff(diff: str) -> dict[str, int]:
    """Map each file in a unified diff (black's, ruff's) to the first line it would change."""
    first_lines: dict[str, int] = {}
    current: str | None = None
    old_line = 0
    for line in diff.splitlines():
        header = _HEADER.match(line)
        if header:
            current = header.group("path")
            continue
        hunk = _HUNK.match(line)
        if hunk:
            old_line = int(hunk.group("line"))
            continue
        if current is None or current in first_lines or line.startswith("+++"):
            continue
        if line.startswith(("-", "+")):
            first_lines[current] = max(1, old_line)
        elif line.startswith(" "):
            old_line += 1
    return first_lines


def parse_black_error(line: str, root: Path) -> Finding | None:
    """The finding of a file black cannot parse (``error: cannot ...`` on stderr), if any."""
    unparsable = _CANNOT_PARSE.match(line)
    cannot = unparsable or _CANNOT.match(line)
    if cannot is None:
        return None
    return Finding(
        check=NAME,
        file=relative_path(cannot.group("path"), root),
        line=int(unparsable.group("line")) if unparsable else None,
        col=int(unparsable.group("col")) + 1 if unparsable else None,
        code="black-parse",
        message=(
            "black cannot parse this file (syntax error)"
            if unparsable
            else f"black cannot format this file: {cannot.group('message')}"
        ),
    )


def _summary(findings: list[Finding], formatter: str, stderr: str) -> str:
    unparsable = sum(1 for finding in findings if (finding.code or "").endswith("-parse"))
    to_reformat = sum(1 for finding in findings if finding.severity != "notice") - unparsable
    parts = [FormatMetrics(files_to_reformat=to_reformat).sentence()] if to_reformat else []
    if unparsable:
        parts.append(f"{plural(unparsable, 'file')} {formatter} cannot parse")
    nothing = _NO_FILES in stderr
    summary = ", ".join(parts) or (
        "no Python file to format" if nothing else FormatMetrics().sentence()
    )
    if NOTEBOOKS_SKIPPED in findings:
        summary += "; notebooks not checked (black has no jupyter extra)"
    return summary


def _diff_findings(tool: Tool, files: list[str], settings: Settings) -> list[Finding]:
    """One finding per file black would change, at the first line it would change."""
    if not files:
        return []
    diff = run_resolved(settings, tool, "--diff", "--quiet", *files)
    first_lines = {
        relative_path(path, settings.root): line
        for path, line in parse_black_diff(diff.stdout).items()
    }
    return [
        Finding(
            check=NAME,
            file=relative_path(path, settings.root),
            line=first_lines.get(relative_path(path, settings.root), 1),
            code="black",
            message="black would reformat this file (run `black .`)",
        )
        for path in files
    ]


def run_black(tool: Tool, settings: Settings) -> tuple[list[Finding], Completed]:
    """``black --check`` (cached), then ``black --diff`` on the files it would change."""
    completed = run_resolved(settings, tool, "--check", *(tool.paths or settings.file_tool_paths))
    files = [
        match.group("path")
        for line in completed.stderr.splitlines()
        if (match := _WOULD_REFORMAT.match(line.strip()))
    ]
    findings = _diff_findings(tool, files, settings)
    errors = (
        parse_black_error(line.strip(), settings.root) for line in completed.stderr.splitlines()
    )
    findings += [finding for finding in errors if finding is not None]
    if _SKIPPED_NOTEBOOKS in completed.stderr:
        findings.append(NOTEBOOKS_SKIPPED)
    return findings, completed


def run_ruff_format(tool: Tool, settings: Settings) -> tuple[list[Finding], Completed]:
    """``ruff format --diff``: ruff is fast enough to diff every file in one go.

    (Its ``--check`` output changed shape across versions; its unified diff did not.)
    """
    completed = run_resolved(settings, tool, "format", "--diff", *settings.file_tool_paths)
    findings: list[Finding] = []
    seen: set[str] = set()
    for path, first_line in parse_black_diff(completed.stdout).items():
        # A notebook's diff comes per cell ("nb.ipynb:cell 3"): one finding for the file, at
        # its first cell to change (line numbers are the cell's).
        notebook = _NOTEBOOK_CELL.match(path)
        file = relative_path(notebook.group("file") if notebook else path, settings.root)
        if file in seen:
            continue
        seen.add(file)
        findings.append(
            Finding(
                check=NAME,
                file=file,
                line=first_line,
                code="ruff-format",
                message="ruff would reformat this file (run `ruff format .`)",
                cell=int(notebook.group("cell")) if notebook else None,
            )
        )
    for line in completed.stderr.splitlines():
        unparsable = _RUFF_CANNOT_PARSE.match(line.strip())
        if unparsable:
            findings.append(
                Finding(
                    check=NAME,
                    file=relative_path(unparsable.group("path"), settings.root),
                    line=int(unparsable.group("line")),
                    col=int(unparsable.group("col")),
                    code="ruff-format-parse",
                    message=f"ruff cannot parse this file: {unparsable.group('message')}",
                )
            )
    return findings, completed


def run(inputs: CheckInputs) -> CheckResult:
    """Run the project's formatter in check mode over its paths."""
    started = time.perf_counter()
    settings = inputs.settings
    pre_commit = read_pre_commit(settings.root)
    formatter, _why = choose_formatter(settings, pre_commit)
    try:
        tool = resolve(
            formatter, settings, inputs.environment, announce=inputs.announce, pre_commit=pre_commit
        )
        if formatter == "ruff":
            findings, completed = run_ruff_format(tool, settings)
            ok_codes: tuple[int, ...] = (0, 1, 2)
        else:
            findings, completed = run_black(tool, settings)
            ok_codes = (0, 1, 123)
    except (ToolError, ToolSetupError) as exc:
        return error_result(NAME, str(exc), started)
    if completed.returncode not in ok_codes or (
        completed.returncode == ok_codes[2] and not findings
    ):
        return tool_failed(NAME, tool, completed, started)
    count = sum(1 for finding in findings if finding.severity != "notice")
    reported = FormatMetrics(files_to_reformat=count).to_json()
    summary = _summary(findings, tool.name, completed.stderr)
    return ran(
        NAME, reported, findings, started, failed=count > 0, summary=summary, tool=tool.to_dict()
    )


#: pre-commit hooks that run black or ``ruff format``.
FORMATTER_HOOKS = frozenset({"black", "black-jupyter", "ruff-format"})
#: Packages whose presence among the project's dependencies (or tox's) means it uses black.
BLACK_PACKAGES = frozenset({"black", "flake8-black", "pytest-black"})


def adopted_by(settings: Settings) -> str | None:
    """Why the project's formatting is black's or ruff's, or ``None`` when nothing says so."""
    tools = settings.tools
    if settings.formatter is not None:
        return "[tool.research-ci] formatter"
    if tools.black_config:
        return "[tool.black]"
    if tools.ruff_format_config:
        return "ruff's [format] settings"
    hooks = FORMATTER_HOOKS & read_pre_commit(settings.root).hooks
    if hooks:
        return f"the {', '.join(sorted(hooks))} pre-commit hook"
    packages = BLACK_PACKAGES & (settings.project.declared | tools.tox_dependencies)
    if packages:
        return f"{', '.join(sorted(packages))} among its dependencies"
    return None


def advisory_by_default(settings: Settings) -> str | None:
    """Why format only advises on this project: it never adopted black or ``ruff format``."""
    if adopted_by(settings) is not None:
        return None
    opt_in = 'set [tool.research-ci] formatter = "black" (or "ruff") to gate on it'
    if settings.tools.yapf_config is not None:
        return (
            f"the project formats with yapf ({settings.tools.yapf_config}); research-ci "
            f"checks black or ruff format: {opt_in}"
        )
    return (
        "the project has adopted no formatter (no [tool.black], ruff [format] settings, black "
        f"or ruff-format pre-commit hook, nor black among its dependencies): {opt_in}"
    )


CHECK: CheckSpec[FormatMetrics] = CheckSpec(
    name=NAME,
    metrics=FormatMetrics.of,
    run=run,
    priority=6,
    penalties=(
        PenaltyRule(
            NAME, "file the formatter would reformat", 2, 10, lambda m: m.files_to_reformat
        ),
    ),
    merge=MergeRule(distinct_count="files_to_reformat"),
    advisory_by_default=advisory_by_default,
)
