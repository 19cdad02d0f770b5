"""The one exception type that means "the user gave us bad input" (exit code 2).

Everything that research-ci refuses (a missing path, broken TOML, an unknown check, a report
of a newer schema) raises :class:`UsageError` with one readable line; the CLI prints that line
on stderr and exits 2 without a traceback and without changing any file.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


class UsageError(Exception):
    """Bad input from the user: printed as one line, exit code 2."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))
        self.message = " ".join(message.split())

    def __str__(self) -> str:
        return self.message
