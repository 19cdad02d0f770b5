"""``research-ci report``: work with reports (``report merge``: partial reports into one)."""

from __future__ import annotations

from pathlib import Path

import click

from research_ci.cli.options import report_option
from research_ci.errors import EXIT_OK
from research_ci.merge import expand_paths, merge_reports
from research_ci.report import load_report, save_report


@click.group()
def report() -> None:
    """Work with research-ci reports."""


@report.command()
@click.argument("files", nargs=-1, required=True, metavar="FILE...")
@report_option("Where to write the merged report.", name="--output")
def merge(files: tuple[str, ...], output: Path) -> int:
    """Merge partial reports (one per CI job) into one and grade it again.

    FILES may be globs ('reports/**/report.json'); quote them so the shell leaves them alone.
    """
    return merge_files(expand_paths(files), output)


def merge_files(paths: list[Path], output: Path) -> int:
    """Merge the reports at ``paths`` into ``output`` and say what it graded."""
    merged = merge_reports([load_report(path) for path in paths])
    save_report(merged, output)
    verdict = "passed" if merged.gate_passed else "failed"
    click.echo(
        f"merged {len(paths)} reports into {output}: grade {merged.grade} ({merged.score}), "
        f"gate {verdict}"
    )
    return EXIT_OK
