"""The ``research-ci`` command line: every click command lives in this package, and only here.

The modules below it are pure: they take and return values (settings, reports, Markdown) and
know nothing of click, of printing or of exit codes. Each subcommand is a module of this
package, imported only when invoked, so ``--help``, ``badge`` and ``summary`` never pay for
TensorFlow (the ``data`` commands import it themselves, and only where they compute). Imports
inside the commands exist for the same reason, start-up time, which is why ruff's PLC0415
(import outside the top level) is off for this package only (``pyproject.toml``).
"""

from __future__ import annotations

import contextlib
import errno
import importlib
import os
import signal
import sys
from typing import Any

import click

from research_ci import __version__
from research_ci.errors import EXIT_USAGE, UsageError
from research_ci.process import Interrupted, handle_signals

#: name -> ("module:attribute", short help shown by ``research-ci --help``)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "check": (
        "research_ci.cli.check:check",
        "Run the checks, write the report, grade the project.",
    ),
    "badge": ("research_ci.cli.badge:badge", "Write the quality badge block into the README."),
    "summary": (
        "research_ci.cli.summary:summary",
        "Print the Markdown report (job summary, PR comment).",
    ),
    "report": (
        "research_ci.cli.report:report",
        "Work with reports: merge partial reports into one.",
    ),
    "rubric": ("research_ci.cli.check:rubric", "Print the grading rubric (Markdown)."),
    "baseline": (
        "research_ci.cli.baseline:baseline",
        'Accept today\'s findings: write the baseline file that gate = "new" checks against.',
    ),
    "data": ("research_ci.cli.data:data", "Data validation with TFDV: infer, validate, skew."),
    "model": ("research_ci.cli.model:model", "Model performance per slice, with a fairness gate."),
    "new": ("research_ci.cli.new:new", "Create a new research project from the template."),
    "github": ("research_ci.cli.github:github", "GitHub glue: sticky PR comment, badge commit."),
    "cache": (
        "research_ci.cli.cache:cache",
        "List and prune the per-user cache (data environments).",
    ),
}


#: Commands that work but are not listed (maintenance helpers for this repository's docs).
HIDDEN: dict[str, str] = {"cli-reference": "research_ci.cli.reference:cli_reference"}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported only when used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Subcommands in the order they are documented."""
        del ctx
        return list(SUBCOMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """Import the subcommand's module on first use."""
        del ctx
        if cmd_name in HIDDEN:
            target = HIDDEN[cmd_name]
        elif cmd_name in SUBCOMMANDS:
            target = SUBCOMMANDS[cmd_name][0]
        else:
            return None
        module_name, attribute = target.split(":")
        command = getattr(importlib.import_module(module_name), attribute)
        if not isinstance(command, click.Command):  # pragma: no cover - programming error
            raise TypeError(f"{target} is not a click command")
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List the subcommands from the static table, without importing them."""
        del ctx
        with formatter.section("Commands"):
            formatter.write_dl([(name, short) for name, (_, short) in SUBCOMMANDS.items()])


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="research-ci")
def cli() -> None:
    """research-ci: code quality and data validation for research repositories.

    Run `research-ci check` in a project to lint, format-check, type-check and test it,
    grade it A-F and write a JSON report; `research-ci badge` puts the grade in the README.
    """


#: Writing the output failed for want of room: one line and exit code 2, not a traceback.
_OUTPUT_FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO})


def _error(message: str) -> None:
    """One line on stderr (which may itself be gone: then nothing)."""
    with contextlib.suppress(OSError, ValueError):
        click.echo(f"research-ci: error: {' '.join(message.split())}", err=True)


def _usage_message(exc: click.ClickException, argv: list[str]) -> str:
    """Click's own error on one line, with the command to ask for help."""
    message = exc.format_message().rstrip(".")
    if not isinstance(exc, click.UsageError):
        return message
    context = exc.ctx
    if context is not None:
        command = context.command_path
    else:  # an error of the option parser: name the subcommand, if one was given
        words = [word for word in argv if not word.startswith("-")][:1]
        command = " ".join(["research-ci", *(word for word in words if word in SUBCOMMANDS)])
    return f"{message} (see `{command} --help`)"


def _silence_stdout() -> None:
    """After a failed write, point stdout at /dev/null so the exit flush cannot fail again."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point: every refusal is one line on stderr, never a traceback.

    :class:`UsageError` and click's usage errors exit 2; a full disk under stdout (``summary
    >> $GITHUB_STEP_SUMMARY``) exits 2; SIGINT and SIGTERM stop every tool research-ci
    started, remove its temporary files and exit 130 or 143.
    """
    try:
        with handle_signals():
            result: Any = cli.main(args=argv, prog_name="research-ci", standalone_mode=False)
            sys.stdout.flush()
    except UsageError as exc:
        _error(str(exc))
        return EXIT_USAGE
    except Interrupted as exc:
        _error(f"interrupted ({exc}): the tools were stopped")
        return exc.exit_code
    except click.exceptions.Abort:
        _error("aborted")
        return 130
    except click.ClickException as exc:
        _error(_usage_message(exc, sys.argv[1:] if argv is None else argv))
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except BrokenPipeError:  # `research-ci summary | head`: the reader has what it wanted
        _silence_stdout()
        return 128 + signal.SIGPIPE
    except OSError as exc:
        if exc.errno not in _OUTPUT_FULL:
            raise
        _silence_stdout()
        _error(f"cannot write the output: {exc.strerror or exc}")
        return EXIT_USAGE
    return int(result or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
