"""``research-ci badge``: write the badge block into the README (and SVG badges on request).

Only command-line plumbing lives here: which files, which report, what to print and the exit
code. The badges are :mod:`research_ci.badge`, the README editing is :mod:`research_ci.readme`.
"""

from __future__ import annotations

from pathlib import Path

import click

from research_ci.badge import report_badges, svg_files
from research_ci.cli.options import path_option, project_argument, report_option
from research_ci.errors import EXIT_FAILED, EXIT_OK, UsageError
from research_ci.fsutil import atomic_write_all, boundary, ensure_writable, read_bytes
from research_ci.readme import find_readme, readme_format, render_block, update_readme
from research_ci.report import load_report, report_path_in


def _check_directory(directory: Path) -> None:
    """Refuse a directory that cannot exist (it or an ancestor is a regular file)."""
    target = directory
    while not target.exists() and target != target.parent:
        target = target.parent
    if not target.is_dir():
        raise UsageError(f"cannot write SVG badges to {directory}: {target} is not a directory")


def _stale_svgs(files: dict[Path, str], project: Path) -> list[Path]:
    """The SVGs that differ from what is there; a target that could not be written is refused."""
    stale = []
    for path, text in files.items():
        within = boundary(path, project)
        try:
            current = read_bytes(path, within=within)
        except FileNotFoundError:
            current = None
        except OSError as exc:
            raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from exc
        if current != text.encode("utf-8"):
            ensure_writable(path, within=within)
            stale.append(path)
    return stale


@click.command()
@project_argument
@report_option("The JSON report to read. [default: PATH/.research-ci/report.json]", in_project=True)
@path_option(
    "--readme",
    "readme_path",
    "The README to update, Markdown or reStructuredText (.rst). [default: pyproject.toml's "
    "[project] readme, else PATH/README.md, README.rst... whichever exists]",
)
@click.option(
    "--check",
    is_flag=True,
    help="Write nothing; exit 1 when the README (or the --svg badges) are out of date.",
)
@path_option(
    "--svg",
    "svg_dir",
    "Also write one self-contained SVG per badge into this directory (quality.svg...).",
    metavar="DIR",
)
@click.option(
    "--link",
    metavar="URL",
    help="URL every badge links to. [default: the report's report_url, if any]",
)
def badge(
    *,
    path: Path,
    report_path: Path | None,
    readme_path: Path | None,
    check: bool,
    svg_dir: Path | None,
    link: str | None,
) -> int:
    """Write the quality badges between the research-ci markers in the README.

    The block sits between <!-- research-ci:badges:start --> and
    <!-- research-ci:badges:end --> (in a README.rst: the comments
    .. research-ci:badges:start and .. research-ci:badges:end, with .. image:: badges);
    when absent it is inserted under the title heading, or at the top next to the badges
    already there when the README has no title. Nothing outside the markers changes, and a
    second run changes nothing.
    """
    if not path.is_dir():
        raise UsageError(f"not a directory: {path}")
    report_file = report_path or report_path_in(path)
    report = load_report(report_file, within=boundary(report_file, path), keep_findings=0)
    readme = readme_path or find_readme(path)
    readme_within = boundary(readme, path)
    link = link or report.report_url
    badges = report_badges(report)
    block = render_block(badges, link=link, fmt=readme_format(readme))
    # Everything is checked before anything is written: a bad README, SVG folder or link
    # is refused with every file as it was.
    readme_stale = update_readme(readme, block, check=True, within=readme_within)
    if svg_dir is not None:
        _check_directory(svg_dir)
    svgs = svg_files(badges, svg_dir, link=link) if svg_dir is not None else {}
    stale_svgs = _stale_svgs(svgs, path)
    if check:
        stale = ([readme] if readme_stale else []) + stale_svgs
        if stale:
            names = ", ".join(str(item) for item in stale)
            click.echo(
                f"research-ci: badges are out of date in {names}; run `research-ci badge`",
                err=True,
            )
            return EXIT_FAILED
        click.echo(f"{readme}: badges are up to date")
        return EXIT_OK
    if svg_dir is not None:
        atomic_write_all(
            {svg_path: svgs[svg_path].encode("utf-8") for svg_path in stale_svgs},
            within=boundary(svg_dir / "badge.svg", path),
        )
        click.echo(f"{svg_dir}: {len(stale_svgs)} of {len(svgs)} SVG badges written")
    if readme_stale and update_readme(readme, block, within=readme_within):
        click.echo(f"{readme}: badges updated ({report.grade} ({report.score}))")
    else:
        click.echo(f"{readme}: badges already up to date")
    return EXIT_OK
