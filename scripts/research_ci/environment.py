"""The project's own Python environment, which mypy and pytest need to see its dependencies.

A fresh clone has none: ``research-ci check`` then makes ``PROJECT/.venv`` with uv and installs
the project (editable) with its ``test``/``tests``/``dev`` extras and dependency groups, plus
pytest and pytest-cov. With ``--no-install`` it uses what is there: the project's ``.venv`` if
present, else the Python research-ci itself runs on.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from research_ci.config import Settings
from research_ci.errors import ResearchCIError
from research_ci.process import ToolError, run_tool

TEST_TOOLS: tuple[str, ...] = ("pytest", "pytest-cov")
ENV_TIMEOUT_S = 900.0


class EnvironmentSetupError(ResearchCIError):
    """The project's environment could not be made; the message says why, in one line."""


#: ``find_uv_bin`` reads ``sysconfig``, whose first use is not thread-safe (Python 3.11 gives a
#: half-filled table to a second thread): the project environment and the data check both ask.
_UV_LOCK = threading.Lock()


def uv_binary() -> Path:
    """The uv executable that ships with research-ci (the ``uv`` package on PyPI)."""
    from uv import find_uv_bin  # noqa: PLC0415 (only when a project needs installing)

    with _UV_LOCK:
        return Path(find_uv_bin())


def venv_python(venv: Path) -> Path:
    """The interpreter of a virtual environment, on POSIX or Windows."""
    posix = venv / "bin" / "python"
    return posix if posix.exists() or sys.platform != "win32" else venv / "Scripts" / "python.exe"


def _has_test_tools(python: Path, root: Path) -> bool:
    probe = run_tool([python, "-c", "import pytest, pytest_cov"], cwd=root, timeout_s=120.0)
    return probe.returncode == 0


def _uv(args: list[str | Path], settings: Settings) -> None:
    try:
        result = run_tool(
            [uv_binary(), *args],
            cwd=settings.root,
            timeout_s=ENV_TIMEOUT_S,
            env={"UV_PYTHON_DOWNLOADS": "never"},
        )
    except ToolError as exc:
        raise EnvironmentSetupError(str(exc)) from exc
    if result.returncode != 0:
        raise EnvironmentSetupError(f"uv {args[0]} {args[1]} failed: {result.tail(3)}")


def prepare_environment(settings: Settings, *, install: bool) -> Path:
    """Find or make the environment the project's types and tests checks run in: its Python."""
    python = venv_python(settings.root / ".venv")
    if not install:
        return python if python.exists() else Path(sys.executable)
    if not python.exists():
        _uv(["venv", "--quiet", "--python", sys.executable, settings.root / ".venv"], settings)
        if settings.project.installable:
            extras = settings.project.extras
            target = f"{settings.root}[{','.join(extras)}]" if extras else str(settings.root)
            args: list[str | Path] = ["pip", "install", "--quiet", "--python", python, "-e", target]
            for group in settings.project.dependency_groups:
                args += ["--group", f"{settings.root / 'pyproject.toml'}:{group}"]
            _uv(args, settings)
    if not _has_test_tools(python, settings.root):
        _uv(["pip", "install", "--quiet", "--python", python, *TEST_TOOLS], settings)
    return python


class ProjectPython:
    """The project's Python, made on first request and shared by every check that asks.

    Thread-safe: the first caller prepares the environment while the others wait; a failure
    is raised again (as :class:`EnvironmentSetupError`) to every caller.
    """

    def __init__(self, settings: Settings, *, install: bool) -> None:
        self._settings = settings
        self._install = install
        self._lock = threading.Lock()
        self._python: Path | None = None
        self._failure: str | None = None

    def get(self) -> Path:
        """The interpreter; blocks while another thread prepares it."""
        with self._lock:
            if self._python is None and self._failure is None:
                try:
                    self._python = prepare_environment(self._settings, install=self._install)
                except EnvironmentSetupError as exc:
                    self._failure = str(exc)
        if self._failure is not None:
            raise EnvironmentSetupError(self._failure)
        assert self._python is not None  # noqa: S101  (set above when there is no failure)
        return self._python
