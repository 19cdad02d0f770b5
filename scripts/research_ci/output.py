"""How ``research-ci check --format text|github`` shows a report.

* :func:`print_text`: a terminal summary with rich (a table of checks, the most important
  findings with ``file:line``, the grade in a panel).
* :func:`github_commands`: GitHub Actions workflow commands, one ``::error`` / ``::warning`` /
  ``::notice`` per finding, so that findings are annotated on the PR diff.

GitHub turns at most 10 error, 10 warning and 10 notice commands of a step into annotations
(and 50 per job; see actions/toolkit's docs/problem-matchers.md, "Limitations"); the rest are
silently dropped. So :func:`github_commands` prints the most important findings up to those
limits, then one notice with the number left out (they are all in the report and the
summary), then the grade notice: never more annotations than GitHub shows, and the ones shown
are the ones that matter.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from research_ci.figures import check_figures, environment_words, tool_words
from research_ci.findings import location, prioritized
from research_ci.report import Finding, Report
from research_ci.style import GRADE_LOOKS, severity_look, status_look
from research_ci.workflow_commands import workflow_command

#: Findings listed by :func:`print_text` at most.
TEXT_MAX_FINDINGS = 20
#: Annotations GitHub shows per step, per severity.
GITHUB_ANNOTATIONS_PER_STEP = 10
#: Notice slots kept for research-ci's own notices (findings left out, the grade).
_OWN_NOTICES = 2


# --- text ----------------------------------------------------------------------------------


def _checks_table(report: Report) -> Table:
    # Text, not a markup string: a project named "[/]" is a name, not rich markup.
    table = Table(title=Text(f"research-ci: {report.project_name}"), title_justify="left")
    table.add_column("Check")
    table.add_column("Status")
    table.add_column("Result", overflow="fold")
    tools = any(result.tool for result in report.checks.values())
    if tools:
        table.add_column("Tool", overflow="fold")
    table.add_column("Duration", justify="right")
    for name, result in report.checks.items():
        tool = [Text(tool_words(result), style="dim")] if tools else []
        advisory = " (advisory)" if result.advisory is not None else ""
        table.add_row(
            Text(name),
            Text(result.status + advisory, style=status_look(result.status).style),
            Text(check_figures(result)),
            *tool,
            f"{result.duration_s:.1f} s",
        )
    return table


def _finding_line(finding: Finding) -> Text:
    where = location(finding) or "(no file)"
    code = f" [{finding.code}]" if finding.code else ""
    style = severity_look(finding.severity).style
    return Text.assemble(
        (where, "bold"),
        (f" {finding.check}{code}", style),
        " ",
        " ".join(finding.message.split()),
    )


def _grade_panel(report: Report) -> Panel:
    """The verdict first, with its reasons; then the grade, the caps and the advisory checks."""
    reasons = report.gate_reasons
    if report.gate_passed:
        body = Text("Gate passed", style="bold green")
    elif len(reasons) == 1:
        body = Text.assemble(("Gate failed: ", "bold red"), reasons[0])
    else:
        body = Text("Gate failed:", style="bold red")
        for reason in reasons:
            body.append(f"\n- {reason}")
    body.append("\n")
    body.append(f"Grade {report.grade}", style=f"bold {GRADE_LOOKS.get(report.grade, ('', ''))[1]}")
    body.append(f" ({report.score}/100), minimum grade {report.minimum_grade}")
    for cap in report.caps:
        body.append(f"\ncap: {cap}", style="dim")
    for name, result in report.checks.items():
        if result.advisory is not None and result.status != "skipped":
            body.append(f"\n{name} is advisory (not graded): {result.advisory}", style="dim")
    return Panel(body, expand=False, border_style="green" if report.gate_passed else "red")


def print_text(report: Report, *, console: Console | None = None) -> None:
    """Print the report for a terminal: checks table, top findings, grade panel."""
    console = console or Console()
    console.print(_checks_table(report))
    environment = environment_words(report.environment)
    if environment:
        console.print(Text.assemble(("Environment: ", "bold"), environment))
    findings = prioritized(report.findings())
    if findings:
        console.print(Text(f"Findings ({len(findings)})", style="bold"))
        for finding in findings[:TEXT_MAX_FINDINGS]:
            console.print(_finding_line(finding))
        if len(findings) > TEXT_MAX_FINDINGS:
            hidden = len(findings) - TEXT_MAX_FINDINGS
            console.print(Text(f"... and {hidden} more (see the JSON report)", style="dim"))
    console.print(_grade_panel(report))


# --- GitHub workflow commands ----------------------------------------------------------------


def annotation_path(file: str, *, root: Path, workspace: Path | None) -> str:
    """The finding's file as GitHub wants it: relative to the workspace, with ``/``.

    Findings name files relative to the project ``root``; the project may sit in a
    subdirectory of the repository, so the path is re-based on ``workspace``
    (``GITHUB_WORKSPACE``; the current directory when ``None``, which is where Actions runs
    steps). A file outside the workspace keeps its absolute path.
    """
    path = Path(file)
    absolute = Path(os.path.abspath(path if path.is_absolute() else root / path))  # noqa: PTH100
    base = Path(os.path.abspath(workspace if workspace is not None else Path.cwd()))  # noqa: PTH100
    try:
        return absolute.relative_to(base).as_posix()
    except ValueError:
        return absolute.as_posix()


def finding_command(finding: Finding, *, root: Path, workspace: Path | None) -> str:
    """The workflow command that annotates one finding."""
    title = f"research-ci {finding.check}" + (f" ({finding.code})" if finding.code else "")
    if not finding.file:
        return workflow_command(finding.severity, finding.message, title=title)
    if finding.cell is not None:
        # A notebook's lines are its cells' lines, not lines of the JSON file GitHub shows:
        # annotate the file, and say where in the message.
        where = location(finding).removeprefix(finding.file + ":")
        return workflow_command(
            finding.severity,
            f"{where}: {finding.message}",
            file=annotation_path(finding.file, root=root, workspace=workspace),
            title=title,
        )
    return workflow_command(
        finding.severity,
        finding.message,
        file=annotation_path(finding.file, root=root, workspace=workspace),
        line=finding.line or None,
        col=(finding.col or None) if finding.line else None,
        endLine=(finding.end_line or None) if finding.line else None,
        title=title,
    )


def _annotated(findings: Sequence[Finding], per_step: int | None) -> list[Finding]:
    """The findings that get a command: the most important, within GitHub's limits."""
    if per_step is None:
        return list(findings)
    limits = {
        "error": per_step,
        "warning": per_step,
        "notice": max(0, per_step - _OWN_NOTICES),
    }
    chosen: list[Finding] = []
    for finding in findings:
        if limits.get(finding.severity, 0) > 0:
            limits[finding.severity] -= 1
            chosen.append(finding)
    return chosen


def annotated_findings(report: Report) -> list[Finding]:
    """The findings worth a mark on the diff: the new ones when the report has a delta."""
    if report.delta is not None:
        return [Finding.from_dict(item) for item in report.delta.get("new", [])]
    return report.findings()


def github_commands(
    report: Report,
    *,
    root: Path,
    workspace: Path | None,
    per_step: int | None = GITHUB_ANNOTATIONS_PER_STEP,
) -> str:
    """Workflow commands for the report's findings, then the grade (one per line).

    At most ``per_step`` commands per severity (``None``: all), most important first, and a
    notice counting the findings left out. Ends with a newline.
    """
    findings = prioritized(annotated_findings(report))
    chosen = _annotated(findings, per_step)
    lines = [finding_command(item, root=root, workspace=workspace) for item in chosen]
    if len(chosen) < len(findings):
        lines.append(
            workflow_command(
                "notice",
                f"{len(findings) - len(chosen)} more findings are not annotated "
                "(GitHub shows 10 of each kind per step); see the job summary or the report",
                title="research-ci",
            )
        )
    verdict = (
        "gate passed" if report.gate_passed else "gate failed: " + "; ".join(report.gate_reasons)
    )
    lines.append(
        workflow_command(
            "notice", f"{verdict}; grade {report.grade} ({report.score})", title="research-ci"
        )
    )
    return "\n".join(lines) + "\n"
