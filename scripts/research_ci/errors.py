"""research-ci's exceptions share one base, :class:`ResearchCIError`, and one rule.

:class:`UsageError` means "the user gave us bad input" (exit code 2): everything research-ci
refuses (a missing path, broken TOML, an unknown check, a report of a newer schema) raises it
with one readable line, before any check starts; the CLI prints that line on stderr and exits 2
without a traceback and without changing any file. The other errors (a tool that cannot run,
an environment that cannot be made, a GitHub call or a push that fails) are defined beside the
code that raises them, and end up in a result or a message rather than a traceback: a check
that cannot run returns a result with status ``error``.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


class ResearchCIError(Exception):
    """The base of every exception research-ci raises on purpose."""


class UsageError(ResearchCIError):
    """Bad input from the user: printed as one line, exit code 2."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))
        self.message = " ".join(message.split())

    def __str__(self) -> str:
        return self.message
