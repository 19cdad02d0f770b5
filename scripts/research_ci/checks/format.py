"""The format check: ``black --check --diff`` with the project's ``[tool.black]``.

black has no JSON output, so the check reads the unified diff it prints (a machine format):
one finding per file, at the first changed line. Files black cannot parse are reported from
its ``error: cannot format`` lines.
"""

from __future__ import annotations

import dataclasses
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING

from research_ci.checks.common import error_result, ran, relative_path, run_module
from research_ci.checks.spec import CheckSpec, MergeRule, Metrics, PenaltyRule
from research_ci.process import ToolError
from research_ci.report import CheckResult, Finding
from research_ci.words import plural

if TYPE_CHECKING:
    from research_ci.config import Settings

NAME = "format"

_HEADER = re.compile(r"^--- (?P<path>.+?)\t")
_HUNK = re.compile(r"^@@ -(?P<line>\d+)(?:,\d+)? \+\d+(?:,\d+)? @@")
# black < 25: "error: cannot format PATH: MESSAGE"; newer: "error: cannot parse[ for target
# version Python X.Y]: PATH:LINE:COL".
_CANNOT = re.compile(r"^error: cannot format (?P<path>.+?): (?P<message>.*)$")
_CANNOT_PARSE = re.compile(
    r"^error: cannot parse(?: for target version [^:]*)?: (?P<path>.+?):(?P<line>\d+):(?P<col>\d+)$"
)


@dataclasses.dataclass(frozen=True)
class FormatMetrics(Metrics):
    """``files_to_reformat``: files black would change or cannot parse."""

    files_to_reformat: int = 0


def figures(metrics: FormatMetrics) -> str:
    """``2 files to reformat`` or ``all files formatted``."""
    count = metrics.files_to_reformat
    return f"{plural(count, 'file')} to reformat" if count else "all files formatted"


def parse_black_diff(diff: str) -> dict[str, int]:
    """Map each file in black's diff to the first line it would change (not context)."""
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


def _summary(findings: list[Finding]) -> str:
    unparsable = sum(1 for finding in findings if finding.code == "black-parse")
    to_reformat = len(findings) - unparsable
    parts = [figures(FormatMetrics(files_to_reformat=to_reformat))] if to_reformat else []
    if unparsable:
        parts.append(f"{plural(unparsable, 'file')} black cannot parse")
    return ", ".join(parts) or figures(FormatMetrics())


def run(settings: Settings) -> CheckResult:
    """Run black in check mode over the project's paths."""
    started = time.perf_counter()
    try:
        completed = run_module(
            settings, "black", "--check", "--diff", "--quiet", *settings.file_tool_paths
        )
    except ToolError as exc:
        return error_result(NAME, str(exc), started)

    findings = [
        Finding(
            check=NAME,
            file=relative_path(path, settings.root),
            line=line,
            code="black",
            message="black would reformat this file (run `black .`)",
        )
        for path, line in parse_black_diff(completed.stdout).items()
    ]
    findings.extend(
        finding
        for line in completed.stderr.splitlines()
        if (finding := parse_black_error(line.strip(), settings.root)) is not None
    )
    if completed.returncode not in (0, 1, 123) or (completed.returncode == 123 and not findings):
        return error_result(NAME, f"black failed: {completed.tail(3)}", started)
    count = len(findings)
    reported = FormatMetrics(files_to_reformat=count).to_json()
    return ran(NAME, reported, findings, started, failed=count > 0, summary=_summary(findings))


CHECK: CheckSpec[FormatMetrics] = CheckSpec(
    name=NAME,
    metrics=FormatMetrics.of,
    run=lambda inputs: run(inputs.settings),
    figures=figures,
    priority=6,
    penalties=(
        PenaltyRule(NAME, "file black would reformat", 2, 10, lambda m: m.files_to_reformat),
    ),
    merge=MergeRule(distinct_count="files_to_reformat"),
)
