"""One subprocess, measured: its wall time and its CPU time (user + system, with its children).

On a loaded machine the wall time of a run depends on what else runs; its CPU time much less,
so the benchmarks print both.
"""

from __future__ import annotations

import dataclasses
import resource
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path


@dataclasses.dataclass(frozen=True)
class Measured:
    """A finished subprocess (output captured as text) and what it took."""

    wall: float
    cpu: float
    completed: subprocess.CompletedProcess[str]


def run_measured(
    args: Sequence[str | Path], *, cwd: Path | None = None, env: Mapping[str, str] | None = None
) -> Measured:
    """Run ``args`` to the end (never raising on its exit code) and measure it."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    completed = subprocess.run(
        [str(arg) for arg in args],
        cwd=cwd,
        env=None if env is None else dict(env),
        capture_output=True,
        text=True,
        errors="replace",
        check=False,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Measured(wall, cpu, completed)
