"""Run an external program and capture what it printed, with a time limit.

The one way research-ci starts a subprocess (:func:`run_tool`): the checks' tools, uv, git (the
badge commit, the template's origin) and research-ci itself in the TFDV environment. So it is the
one place that decides what a checked project's code can reach:

* **A clean environment.** The project's tools (its tests, its build backend, mypy's plugins)
  run without the variables through which a step talks to GitHub (``GITHUB_ENV``,
  ``GITHUB_OUTPUT``, ``GITHUB_PATH``, ``GITHUB_STEP_SUMMARY``, ``GITHUB_STATE``: what a step
  writes there, GitHub applies to the later steps of the job, which hold the token) and
  without the tokens (:data:`SCRUBBED`); without research-ci's own virtual environment and
  coverage measurement either.
* **Its own process group.** Each tool runs in a session of its own, so that a timeout, Ctrl-C
  or SIGTERM stops it *and everything it started* (pytest's workers, a test's children):
  SIGTERM to the group, SIGKILL after :data:`GRACE_S`. :func:`handle_signals` turns SIGINT and
  SIGTERM into :class:`Interrupted` in the main thread and stops every running tool at once,
  so ``check`` ends within seconds and its temporary folders are removed on the way out.
* **Bounded output.** What a tool prints goes to unnamed temporary files, not memory; only the
  last ``output_limit`` bytes of each stream are read back (a test printing 200 MB costs
  research-ci nothing).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import select
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from types import FrameType
from typing import IO

from research_ci.errors import ResearchCIError

#: Where long setup work (an environment made, a tool installed) says its one line.
Announce = Callable[[str], None]

#: Never passed to a tool: GitHub's step files, the tokens, the action's inputs (below).
SCRUBBED = frozenset(
    {
        "GITHUB_ENV",
        "GITHUB_OUTPUT",
        "GITHUB_PATH",
        "GITHUB_STATE",
        "GITHUB_STEP_SUMMARY",
        "GITHUB_TOKEN",
        "GH_TOKEN",
        "GH_ENTERPRISE_TOKEN",
        "GITHUB_ENTERPRISE_TOKEN",
        "ACTIONS_RUNTIME_TOKEN",
        "ACTIONS_RUNTIME_URL",
        "ACTIONS_RESULTS_URL",
        "ACTIONS_CACHE_URL",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
        "ACTIONS_ID_TOKEN_REQUEST_URL",
    }
)
#: Not inherited (research-ci's own environment is not the project's), but a caller may set them.
NOT_INHERITED = frozenset({"VIRTUAL_ENV", "PYTHONPATH"})
#: Prefixes never passed on: an action's inputs (``INPUT_GITHUB-TOKEN``...).
SCRUBBED_PREFIXES = ("INPUT_",)
#: Dropped unless the subprocess is research-ci itself: the caller's coverage measurement.
COVERAGE_PREFIXES = ("COVERAGE_PROCESS_", "COVERAGE_RCFILE", "COV_CORE_")
#: A stopped tool's group gets this long between SIGTERM and SIGKILL.
GRACE_S = 2.0
#: How often a waiting thread looks whether research-ci is stopping.
POLL_S = 0.1
#: What is kept of each output stream by default (its end): enough for any tool's JSON.
DEFAULT_OUTPUT_LIMIT = 64 * 1024 * 1024
#: What is kept of a log that only explains a failure (pytest's): its last megabyte.
LOG_OUTPUT_LIMIT = 1024 * 1024


class ToolError(ResearchCIError):
    """A tool could not be run at all (missing executable, timeout, interrupted)."""


class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived: every tool is being stopped. ``exit_code`` is 128 + signal."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        """The shell's convention: 130 for SIGINT, 143 for SIGTERM."""
        return 128 + self.signum


@dataclasses.dataclass(frozen=True)
class Completed:
    """Exit code and output of one tool run (each stream's end when it was longer)."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    def tail(self, lines: int = 5) -> str:
        """The last lines of stderr (or stdout), for an error summary."""
        text = (self.stderr.strip() or self.stdout.strip()).splitlines()
        return " | ".join(text[-lines:])


_live: set[subprocess.Popen[bytes]] = set()
_live_lock = threading.Lock()
_stopping = threading.Event()


def tool_environment(
    env: Mapping[str, str] | None = None, *, own_code: bool = False
) -> dict[str, str]:
    """The environment a tool runs with: this one, scrubbed (see :data:`SCRUBBED`), plus ``env``.

    :data:`NOT_INHERITED` names come only from ``env``; :data:`SCRUBBED` ones never pass.
    """
    environment = {
        name: value
        for name, value in os.environ.items()
        if name not in NOT_INHERITED
        and not (own_code is False and name.startswith(COVERAGE_PREFIXES))
    }
    environment.setdefault("NO_COLOR", "1")
    if env:
        environment.update(env)
    for name in list(environment):
        if name in SCRUBBED or name.startswith(SCRUBBED_PREFIXES):
            del environment[name]
    return environment


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    """Send ``signum`` to the tool's whole process group (it leads its own session)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signum)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the group, SIGKILL after the grace period; reap the tool."""
    _signal_group(process, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=GRACE_S)
    # Whatever the leader did, its children may linger: the group is killed either way.
    _signal_group(process, signal.SIGKILL)
    process.wait()


def _read_end(stream: IO[bytes], limit: int) -> str:
    """The last ``limit`` bytes of ``stream``, decoded (a cut is said in the first line)."""
    size = stream.seek(0, os.SEEK_END)
    start = max(0, size - limit)
    stream.seek(start)
    text = stream.read().decode("utf-8", errors="replace")
    if start:
        text = f"[research-ci: the first {start} bytes of the output are not kept]\n{text}"
    return text


def run_tool(
    args: Sequence[str | Path],
    *,
    cwd: Path,
    timeout_s: float,
    env: Mapping[str, str] | None = None,
    own_code: bool = False,
    output_limit: int = DEFAULT_OUTPUT_LIMIT,
) -> Completed:
    """Run ``args`` in ``cwd``; raise :class:`ToolError` when it cannot start or times out.

    ``own_code`` marks a subprocess that runs research-ci itself (the data check in its TFDV
    environment): it keeps the caller's coverage measurement, which a project's tools drop.
    ``output_limit``: how much of each stream's end is kept.
    """
    argv = tuple(str(arg) for arg in args)
    if _stopping.is_set():
        raise ToolError(f"{Path(argv[0]).name} not started: research-ci is stopping")
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        try:
            process = subprocess.Popen(
                argv,
                cwd=cwd,
                env=tool_environment(env, own_code=own_code),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                start_new_session=True,
            )
        except FileNotFoundError as exc:
            raise ToolError(f"{argv[0]} not found") from exc
        with _live_lock:
            _live.add(process)
        try:
            returncode = _wait(process, timeout_s, argv)
        finally:
            if process.returncode is None:
                _stop(process)
            with _live_lock:
                _live.discard(process)
        return Completed(
            args=argv,
            returncode=returncode,
            stdout=_read_end(out, output_limit),
            stderr=_read_end(err, output_limit),
        )


def _wait_polling(process: subprocess.Popen[bytes], seconds: float) -> bool:
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=seconds)
        return True
    return False


@contextlib.contextmanager
def _exit_waiter(process: subprocess.Popen[bytes]) -> Iterator[Callable[[float], bool]]:
    """A function that waits at most its argument (seconds) for ``process`` to end: True if it has.

    On Linux it waits on a pidfd, which wakes the moment the tool ends: ``Popen.wait`` with a
    timeout sleeps in steps of up to 50 ms instead, time added to the check's wall clock.
    """
    try:
        descriptor = os.pidfd_open(process.pid)
    except (AttributeError, OSError):  # not Linux, or a kernel before 5.3
        yield lambda seconds: _wait_polling(process, seconds)
        return
    poller = select.poll()
    poller.register(descriptor, select.POLLIN)

    def wait(seconds: float) -> bool:
        if process.returncode is None and poller.poll(seconds * 1000):
            process.wait()
        return process.returncode is not None

    try:
        yield wait
    finally:
        os.close(descriptor)


def _wait(process: subprocess.Popen[bytes], timeout_s: float, argv: tuple[str, ...]) -> int:
    """The tool's exit code; stopped (and a :class:`ToolError`) on a timeout or when stopping."""
    deadline = time.monotonic() + timeout_s
    with _exit_waiter(process) as exited:
        while not exited(max(0.0, min(POLL_S, deadline - time.monotonic()))):
            if _stopping.is_set():
                _stop(process)
                raise ToolError(f"{Path(argv[0]).name} stopped: research-ci was interrupted")
            if time.monotonic() >= deadline:
                _stop(process)
                raise ToolError(f"{Path(argv[0]).name} timed out after {timeout_s:g} s")
    return int(process.returncode)


def stop_all() -> None:
    """Stop every running tool now (SIGTERM to each group; the waiting threads finish it)."""
    _stopping.set()
    with _live_lock:
        running = list(_live)
    for process in running:
        _signal_group(process, signal.SIGTERM)


def _kill_all() -> None:
    with _live_lock:
        running = list(_live)
    for process in running:
        _signal_group(process, signal.SIGKILL)


def _on_signal(signum: int, frame: FrameType | None) -> None:
    del frame
    if _stopping.is_set():  # a second Ctrl-C: no more grace
        _kill_all()
    stop_all()
    raise Interrupted(signum)


@contextlib.contextmanager
def handle_signals() -> Iterator[None]:
    """SIGINT and SIGTERM stop every tool and raise :class:`Interrupted` in the main thread.

    Outside the main thread (or where signals cannot be caught) this does nothing. The
    previous handlers come back on exit.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    for signum in previous:
        signal.signal(signum, _on_signal)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        _stopping.clear()
