"""The CLI reference page (docs/cli.md), generated from the click commands themselves.

Every command, argument and option comes from the code, so the reference cannot drift from
the CLI; ``make docs`` fails when the committed page is stale.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import click

from research_ci.cli.options import emit_generated, generated_file_options


@dataclasses.dataclass(frozen=True)
class Entry:
    """One command of the reference: its path, usage line, help and parameters."""

    path: str
    usage: str
    help: str
    params: list[tuple[str, str]]


def _entries(command: click.Command, path: list[str], parent: click.Context | None) -> list[Entry]:
    ctx = click.Context(command, info_name=path[-1], parent=parent, **command.context_settings)
    params: list[tuple[str, str]] = []
    for param in command.get_params(ctx):
        record = param.get_help_record(ctx)
        if record is not None:
            params.append(record)
        elif isinstance(param, click.Argument):
            params.append((param.make_metavar(ctx), "argument"))
    entries = [
        Entry(
            path=" ".join(path),
            usage=" ".join(command.collect_usage_pieces(ctx)),
            help=inspect_help(command),
            params=params,
        )
    ]
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                entries.extend(_entries(sub, [*path, name], ctx))
    return entries


def inspect_help(command: click.Command) -> str:
    """The command's help text without click's no-rewrap markers."""
    return (command.help or "").replace("\b\n", "").strip()


def reference_markdown() -> str:
    """The whole reference page."""
    from research_ci.cli import cli
    from research_ci.templating import render

    return render("cli.md.j2", entries=_entries(cli, ["research-ci"], None))


@click.command(hidden=True)
@generated_file_options
def cli_reference(output_path: Path | None, check_only: bool) -> int:
    """Print (or write) the Markdown CLI reference."""
    regenerate = f"research-ci cli-reference --output {output_path}"
    return emit_generated(
        reference_markdown(), output_path, check=check_only, regenerate=regenerate
    )
