"""``research-ci summary``: print (or write) the Markdown report of a JSON report."""

from __future__ import annotations

from pathlib import Path

import click

from research_ci.cli.options import limit_option, output_option, report_option
from research_ci.errors import EXIT_OK
from research_ci.fsutil import atomic_write_text
from research_ci.report import load_report
from research_ci.summary import (
    DEFAULT_MAX_CHARS,
    DEFAULT_MAX_FINDINGS,
    render_summary,
    text_length,
)


@click.command()
@report_option("The JSON report to summarise.")
@output_option("Write the Markdown to this file (replacing it) instead of printing it.")
@limit_option(
    "--max-chars",
    minimum=1_000,
    default=DEFAULT_MAX_CHARS,
    help_text="Size budget (GitHub's comment limit is 65,536).",
)
@limit_option(
    "--max-findings",
    minimum=0,
    default=DEFAULT_MAX_FINDINGS,
    help_text="Findings shown at most, most important first.",
)
def summary(report_path: Path, output_path: Path | None, max_chars: int, max_findings: int) -> int:
    """Print the Markdown report: grade, checks, rubric, top findings, data anomalies.

    For a GitHub job summary: research-ci summary >> "$GITHUB_STEP_SUMMARY".
    """
    report = load_report(report_path, keep_findings=max_findings)
    text = render_summary(report, max_chars=max_chars, max_findings=max_findings)
    if output_path is None:
        click.echo(text, nl=False)
    else:
        atomic_write_text(output_path, text)
        click.echo(f"{output_path}: summary written ({text_length(text)} characters)")
    return EXIT_OK
