"""``research-ci baseline``: write the committed baseline file of accepted findings.

The baseline lists the fingerprints of a report's findings (see :mod:`research_ci.ratchet`).
Committed to the repository, it lets ``gate = "new"`` gate on the findings it does not list
where there is no git history to compare with.
"""

from __future__ import annotations

from pathlib import Path

import click

from research_ci.cli.options import output_option, report_option
from research_ci.errors import EXIT_OK, UsageError


@click.command()
@click.argument(
    "path", default=".", type=click.Path(file_okay=False, path_type=Path), required=False
)
@report_option(
    "The report whose findings are accepted (default PATH/.research-ci/report.json; "
    "run `research-ci check` first).",
    in_project=True,
)
@output_option(
    "The baseline file to write (default: [tool.research-ci] baseline, else "
    "PATH/research-ci-baseline.json)."
)
def baseline(path: Path, report_path: Path | None, output_path: Path | None) -> int:
    """Accept the findings of the last check: write them to the baseline file.

    Commit the file. With [tool.research-ci] gate = "new" and no --base, `research-ci check`
    then fails only on findings that are not in it.
    """
    from research_ci.config import DEFAULT_BASELINE, load_settings
    from research_ci.fsutil import boundary, ensure_writable
    from research_ci.ratchet import write_baseline
    from research_ci.report import load_report, report_path_in

    settings = load_settings(path)
    report_file = report_path or report_path_in(settings.root)
    report = load_report(report_file, within=boundary(report_file, settings.root))
    missing = sum(1 for finding in report.findings() if not finding.fingerprint)
    if missing:
        raise UsageError(
            f"the report has {missing} findings without a fingerprint (written by an older "
            "research-ci): run `research-ci check` again"
        )
    target = output_path or settings.baseline or settings.root / DEFAULT_BASELINE
    ensure_writable(target, within=boundary(target, settings.root))
    count = write_baseline(report, target)
    click.echo(f"{target}: {count} findings accepted")
    return EXIT_OK
