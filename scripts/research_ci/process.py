"""Run an external program and capture what it printed, with a time limit.

The one way research-ci starts a subprocess: the checks' tools, uv, git (the badge commit,
the template's origin) and research-ci itself in the TFDV environment all go through
:func:`run_tool`.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from research_ci.errors import ResearchCIError


class ToolError(ResearchCIError):
    """A tool could not be run at all (missing executable, timeout)."""


@dataclasses.dataclass(frozen=True)
class Completed:
    """Exit code and output of one tool run."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    def tail(self, lines: int = 5) -> str:
        """The last lines of stderr (or stdout), for an error summary."""
        text = (self.stderr.strip() or self.stdout.strip()).splitlines()
        return " | ".join(text[-lines:])


def run_tool(
    args: Sequence[str | Path],
    *,
    cwd: Path,
    timeout_s: float,
    env: Mapping[str, str] | None = None,
    own_code: bool = False,
) -> Completed:
    """Run ``args`` in ``cwd``; raise :class:`ToolError` when it cannot start or times out.

    ``own_code`` marks a subprocess that runs research-ci itself (the data check in its TFDV
    environment): it keeps the caller's coverage measurement, which a project's tools drop.
    """
    argv = tuple(str(arg) for arg in args)
    environment = dict(os.environ)
    # The project's own tools must not inherit research-ci's virtual environment.
    # Nor the coverage measurement of whoever runs research-ci (its own test suite, say):
    # a checked project's pytest must measure the project, against its own threshold.
    for name in list(environment):
        if name in ("VIRTUAL_ENV", "PYTHONPATH") or (
            not own_code and name.startswith(("COVERAGE_PROCESS_", "COVERAGE_RCFILE", "COV_CORE_"))
        ):
            del environment[name]
    environment.setdefault("NO_COLOR", "1")
    if env:
        environment.update(env)
    try:
        completed = subprocess.run(
            argv,
            cwd=cwd,
            env=environment,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            timeout=timeout_s,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except FileNotFoundError as exc:
        raise ToolError(f"{argv[0]} not found") from exc
    except subprocess.TimeoutExpired as exc:
        raise ToolError(f"{Path(argv[0]).name} timed out after {timeout_s:g} s") from exc
    return Completed(
        args=argv,
        returncode=completed.returncode,
        stdout=completed.stdout,
        stderr=completed.stderr,
    )
