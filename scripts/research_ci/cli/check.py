"""``research-ci check`` (run the checks, write the report, grade) and ``research-ci rubric``."""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import click

from research_ci.checks.registry import CHECK_NAMES
from research_ci.cli.options import (
    emit_generated,
    generated_file_options,
    project_argument,
    report_option,
)
from research_ci.errors import EXIT_FAILED, EXIT_OK
from research_ci.grade import GRADES
from research_ci.report import CheckResult, Report
from research_ci.runner import Listener
from research_ci.style import status_look

FORMATS = ("text", "json", "github")


def _announce_line(line: str) -> None:
    """One line on stderr, at once: in CI logs each long phase shows when it starts."""
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


@contextlib.contextmanager
def _progress(*, enabled: bool) -> Iterator[Listener | None]:
    """A rich status line on stderr for interactive terminals; nothing in CI or pipes."""
    with _progress_and_announce(enabled=enabled) as (listen, _announce):
        yield listen


@contextlib.contextmanager
def _progress_and_announce(
    *, enabled: bool
) -> Iterator[tuple[Listener | None, Callable[[str], None]]]:
    """The progress listener and the announcer of long phases.

    In a terminal, a rich status line names the running checks and each phase is printed
    above it; without one (CI logs, pipes), each phase is one plain line on stderr.
    """
    if not enabled:
        yield None, _announce_line
        return
    from rich.console import Console
    from rich.text import Text

    console = Console(stderr=True)
    running: set[str] = set()

    def announce(line: str) -> None:
        console.print(Text(line, style="dim"))

    with console.status("research-ci: starting checks") as status:

        def listen(name: str, result: CheckResult | None) -> None:
            if result is None:
                running.add(name)
            else:
                running.discard(name)
                look = status_look(result.status)
                line = f" {name}: {result.summary} ({result.duration_s:.1f} s)"
                console.print(Text.assemble((look.mark or "-", look.style), line))  # never markup
            if running:
                status.update(f"research-ci: running {', '.join(sorted(running))}")

        yield listen, announce


@click.command()
@project_argument
@click.option(
    "--only",
    metavar="CHECKS",
    help=f"Comma-separated checks to run ({','.join(CHECK_NAMES)}); "
    "default: [tool.research-ci] checks.",
)
@report_option(
    "Where to write the JSON report (default PATH/.research-ci/report.json).", in_project=True
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="text: terminal summary; json: the report; github: workflow-command annotations.",
)
@click.option(
    "--no-install",
    is_flag=True,
    help="Use the existing environment (an activated one, else PATH/.venv, else this Python); "
    "never install into it.",
)
@click.option(
    "--python",
    "python",
    metavar="VERSION|PATH",
    help="The Python to make PATH/.venv with (default: .python-version, else requires-python, "
    "else research-ci's own).",
)
@click.option(
    "--minimum-grade",
    type=click.Choice(GRADES, case_sensitive=False),
    help="Fail under this grade (overrides [tool.research-ci] minimum-grade).",
)
@click.option(
    "--base",
    "base_ref",
    metavar="REF",
    help="Compare with the merge base of REF and HEAD (a pull request's base): its static "
    "checks run in a temporary worktree; the report gets a delta section.",
)
@click.option(
    "--base-report",
    metavar="FILE",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Compare with this report instead of checking the base (with --base REF too, the "
    "diff coverage is measured against REF).",
)
def check(
    path: Path,
    only: str | None,
    report_path: Path | None,
    output_format: str,
    no_install: bool,
    python: str | None,
    minimum_grade: str | None,
    base_ref: str | None,
    base_report: Path | None,
) -> int:
    """Run format, lint, types, tests (and data) checks on the project at PATH.

    Writes the JSON report, prints the result and exits 0 when the gate passes, 1 when a
    check fails or the grade is under the minimum, 2 on a usage or configuration error.
    """
    return run_check(
        path,
        only=only,
        report_path=report_path,
        output_format=output_format,
        install=not no_install,
        python=python,
        minimum_grade=minimum_grade,
        base_ref=base_ref,
        base_report=base_report,
    )


def run_check(
    path: Path,
    *,
    only: str | None,
    report_path: Path | None,
    output_format: str,
    install: bool = True,
    python: str | None = None,
    minimum_grade: str | None = None,
    base_ref: str | None = None,
    base_report: Path | None = None,
) -> int:
    """What ``check`` does (also the action's check step, ``github run``): the exit code."""
    from concurrent.futures import ThreadPoolExecutor

    from research_ci import comparison
    from research_ci.config import Place, clean_checks, load_settings
    from research_ci.environment import ProjectEnvironment
    from research_ci.fsutil import boundary, ensure_writable
    from research_ci.grade import build_report
    from research_ci.report import load_report, report_path_in, save_report
    from research_ci.runner import run_checks

    settings = load_settings(path)
    selected = clean_checks(only, Place("--only")) if only is not None else settings.checks
    target = report_path or report_path_in(settings.root)
    within = boundary(target, settings.root)
    ensure_writable(target, within=within)
    commit = comparison.resolve(settings, base_ref)
    if base_report is not None:
        load_report(base_report, keep_findings=0)  # a bad one is refused before anything runs

    interactive = sys.stderr.isatty() and not os.environ.get("CI") and output_format == "text"
    if output_format == "text":
        # rich takes a quarter of a second to import: do it while the tools run.
        threading.Thread(
            target=importlib.import_module, args=("research_ci.output",), daemon=True
        ).start()
    with (
        ThreadPoolExecutor(max_workers=1) as pool,
        _progress_and_announce(enabled=interactive) as (listen, announce),
    ):
        environment = ProjectEnvironment(
            settings, install=install, python=python, announce=announce
        )
        # A base checkout (check --base) borrows the head's environment.
        base_future = (
            comparison.start_base(pool, settings, commit, selected, environment)
            if commit is not None and base_report is None
            else None
        )
        results = run_checks(
            settings, selected, environment=environment, listener=listen, announce=announce
        )
        base_run = base_future.result() if base_future is not None else None
    comparison.fingerprint_results(results, settings.root)
    report = build_report(
        project_name=settings.project_name,
        checks=results,
        minimum_grade=(minimum_grade or settings.minimum_grade).upper(),
        coverage_threshold=settings.coverage_threshold,
        report_url=settings.report_url,
    )
    report.environment = environment.record()
    report.gate = settings.gate
    if base_run is not None and base_run.results is None and base_run.note:
        click.echo(f"research-ci: {base_run.note}", err=True)
    report = comparison.finish(
        report, settings, base_run=base_run, base_report=base_report, base_commit=commit
    )
    save_report(report, target, within=within)
    _emit(report, output_format, settings.root)
    return EXIT_OK if report.gate_passed else EXIT_FAILED


def _emit(report: Report, output_format: str, root: Path) -> None:
    if output_format == "json":
        click.echo(report.to_json(), nl=False)
        return
    from research_ci import output

    if output_format == "github":
        workspace = os.environ.get("GITHUB_WORKSPACE")
        click.echo(
            output.github_commands(
                report, root=root, workspace=Path(workspace) if workspace else None
            ),
            nl=False,
        )
    else:
        output.print_text(report)


@click.command()
@generated_file_options
def rubric(output_path: Path | None, check_only: bool) -> int:
    """Print the grading rubric, generated from the table the grader uses."""
    from research_ci.grade import rubric_markdown
    from research_ci.templating import render

    text = render("rubric_page.md.j2", body=rubric_markdown())
    regenerate = f"research-ci rubric --output {output_path}"
    return emit_generated(text, output_path, check=check_only, regenerate=regenerate)
