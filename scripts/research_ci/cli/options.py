"""What the commands share: their arguments and options, and the write-or-check of a generated file.

One definition per option, so that ``--report`` means the same file with the same help in every
command, and the default report path is spelled once (:data:`research_ci.report.REPORT_PATH`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol, TypeVar

import click

from research_ci.data.settings import Dialect, parse_dialect
from research_ci.errors import EXIT_FAILED, EXIT_OK
from research_ci.fsutil import atomic_write_text
from research_ci.report import REPORT_PATH

F = TypeVar("F", bound=Callable[..., Any])
S = TypeVar("S")
S_co = TypeVar("S_co", covariant=True)


class TableParser(Protocol[S_co]):
    """``parse_<x>_settings``: settings from a raw ``[tool.research-ci.<x>]`` table."""

    def __call__(self, table: object, *, root: Path, source: str) -> S_co: ...


def project_argument(function: F) -> F:
    """``[PATH]``: the project, default the current directory."""
    return click.argument("path", default=".", type=click.Path(path_type=Path), required=False)(
        function
    )


def path_option(
    flag: str, dest: str, help_text: str, *, metavar: str = "FILE", **extra: Any
) -> Callable[[F], F]:
    """An option whose value is a path (``FILE`` or ``DIR``), checked by the command itself.

    The command, not click, refuses a bad path, so that the refusal is one line.
    """
    return click.option(
        flag, dest, metavar=metavar, type=click.Path(path_type=Path), help=help_text, **extra
    )


def limit_option(flag: str, *, minimum: int, default: int, help_text: str) -> Callable[[F], F]:
    """``--max-... N``: a whole number of at least ``minimum``."""
    return click.option(
        flag,
        metavar="N",
        type=click.IntRange(min=minimum),
        default=default,
        show_default=True,
        help=help_text,
    )


def config_file(config: Path | None) -> Path | None:
    """``--config``, else ``./pyproject.toml`` when there is one, else ``None`` (the defaults)."""
    if config is not None:
        return config
    default = Path("pyproject.toml")
    return default if default.is_file() else None


def configured_settings(
    config: Path | None, load: Callable[[Path], S], parse: TableParser[S], table: str
) -> S:
    """``table`` of :func:`config_file` read by ``load``, else its defaults (an empty table)."""
    path = config_file(config)
    if path is not None:
        return load(path)
    return parse({}, root=Path.cwd(), source=f"[{table}]")


def report_option(
    help_text: str, *, in_project: bool = False, name: str = "--report"
) -> Callable[[F], F]:
    """A JSON report file: ``PATH/.research-ci/report.json`` or, by default, the one here.

    ``in_project``: the default is under the command's PATH (resolved by the command, so the
    option's value is ``None`` when not given); else it is relative to the working directory.
    """
    return path_option(
        name,
        "report_path" if name == "--report" else name.lstrip("-"),
        help_text,
        default=None if in_project else REPORT_PATH,
        show_default=not in_project,
    )


def output_option(help_text: str) -> Callable[[F], F]:
    """``--output FILE``: where to write instead of printing."""
    return path_option("--output", "output_path", help_text)


def generated_file_options(function: F) -> F:
    """``--output FILE`` and ``--check`` of a generated docs page."""
    function = click.option(
        "--check", "check_only", is_flag=True, help="Exit 1 if --output is out of date."
    )(function)
    return output_option("Write to this file instead of stdout.")(function)


def emit_generated(text: str, output_path: Path | None, *, check: bool, regenerate: str) -> int:
    """Print a generated page, or write it to ``output_path``; with ``check`` only compare.

    A stale file under ``check`` is left untouched, named on stderr with the command that
    refreshes it, and the exit code is 1.
    """
    if output_path is None:
        click.echo(text, nl=False)
        return EXIT_OK
    current = output_path.read_text(encoding="utf-8") if output_path.exists() else None
    if current == text:
        return EXIT_OK
    if check:
        click.echo(f"{output_path} is out of date: run `{regenerate}`", err=True)
        return EXIT_FAILED
    atomic_write_text(output_path, text)
    return EXIT_OK


def csv_options(formats: Sequence[str], format_help: str) -> Callable[[F], F]:
    """How to read an input table: the CSV dialect, the encoding and the format (data, model)."""
    options = [
        click.option(
            "--delimiter",
            help=(
                "CSV field separator: one character (',', ';', '\\t' or 'tab', '|') or a longer "
                "string such as ', ' (UCI Adult). Default ','."
            ),
        ),
        click.option(
            "--column-names",
            metavar="A,B,...",
            help="Names of the columns of CSV files WITHOUT a header row (the first line is data).",
        ),
        click.option(
            "--na-value",
            "na_values",
            multiple=True,
            metavar="TEXT",
            help="A field value that means missing (repeatable), e.g. '?'. Empty fields always do.",
        ),
        click.option("--encoding", help="Text encoding of CSV files (default utf-8)."),
        click.option(
            "--format", "file_format", type=click.Choice(["auto", *formats]), help=format_help
        ),
    ]

    def decorate(function: F) -> F:
        for option in reversed(options):
            function = option(function)
        return function

    return decorate


def csv_dialect(options: dict[str, Any], base: Dialect) -> Dialect:
    """The :func:`csv_options` given on the command line, on top of the configured ``base``.

    Read as a ``[tool.research-ci.data]`` dialect table would be, by the same parser.
    """
    table: dict[str, Any] = {}
    if options.get("delimiter") is not None:
        table["delimiter"] = options["delimiter"]
    if options.get("column_names"):
        table["column-names"] = options["column_names"]
    if options.get("na_values"):
        table["na-values"] = list(options["na_values"])
    if options.get("encoding"):
        table["encoding"] = options["encoding"]
    if options.get("file_format"):
        table["format"] = options["file_format"]
    return parse_dialect(table, base=base, source="command line")
