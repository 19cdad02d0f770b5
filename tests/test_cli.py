"""The command line as a whole: every command's help, without TensorFlow."""

from __future__ import annotations

import subprocess
import sys

import click

from research_ci.cli import HIDDEN, SUBCOMMANDS, cli


def _command_paths(group: click.Group, prefix: list[str]) -> list[list[str]]:
    ctx = click.Context(group, info_name=prefix[-1] if prefix else "research-ci")
    paths: list[list[str]] = []
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None, name
        paths.append([*prefix, name])
        if isinstance(command, click.Group):
            paths.extend(_command_paths(command, [*prefix, name]))
    return paths


def test_every_listed_command_resolves() -> None:
    assert [path[0] for path in _command_paths(cli, []) if len(path) == 1] == list(SUBCOMMANDS)
    assert cli.get_command(click.Context(cli), "cli-reference") is not None
    assert set(HIDDEN).isdisjoint(SUBCOMMANDS)


def test_help_does_not_import_tensorflow() -> None:
    """Every command's --help (moved here from test_check.py and test_data_settings.py)."""
    paths = [[], *_command_paths(cli, [])]
    code = (
        "import sys\n"
        "from research_ci.cli import main\n"
        f"for args in {paths!r}:\n"
        "    assert main([*args, '--help']) == 0, args\n"
        "heavy = [m for m in ('tensorflow', 'tensorflow_data_validation', 'apache_beam',"
        " 'pyarrow') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stderr
    assert "Commands:" in completed.stdout
    for name in SUBCOMMANDS:
        assert name in completed.stdout
    assert "infer" in completed.stdout
    assert "--beam-option" in completed.stdout
