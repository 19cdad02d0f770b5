"""Find a Python interpreter that satisfies a project's request (``3.12``, ``>=3.11``, a path).

In this order: research-ci's own Python when it satisfies the request (no search at all);
``uv python find`` (the search path and uv's managed Pythons); pyenv's versions, which are
often installed but not on the search path (``$PYENV_ROOT``, ``pyenv root``, ``~/.pyenv``).
pyenv's shims are left out of uv's search: a shim for a version that is not active fails
when run, and uv stops at the first interpreter it cannot query.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from research_ci.errors import ResearchCIError
from research_ci.layout import PythonRequest
from research_ci.process import ToolError, run_tool

FIND_TIMEOUT_S = 60.0
_VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")


class InterpreterNotFoundError(ResearchCIError):
    """No interpreter satisfies the project's request; the message says how to get one."""


@dataclasses.dataclass(frozen=True)
class Interpreter:
    """A Python, its version (``3.12.1``) and how it was found."""

    path: Path
    version: str
    found_by: str

    @property
    def minor(self) -> str:
        """``3.12``."""
        return ".".join(self.version.split(".")[:2])


def own_version() -> str:
    """The version of the Python research-ci runs on."""
    return ".".join(str(part) for part in sys.version_info[:3])


def _version_key(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def pyenv_roots() -> list[Path]:
    """Where pyenv keeps its versions: ``$PYENV_ROOT``, ``pyenv root``, ``~/.pyenv``."""
    roots: list[Path] = []
    if os.environ.get("PYENV_ROOT"):
        roots.append(Path(os.environ["PYENV_ROOT"]))
    pyenv = shutil.which("pyenv")
    if pyenv:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            found = subprocess.run(
                [pyenv, "root"], capture_output=True, text=True, check=False, timeout=30
            ).stdout.strip()
            if found:
                roots.append(Path(found))
    roots.append(Path.home() / ".pyenv")
    return list(dict.fromkeys(roots))


def pyenv_pythons() -> list[Interpreter]:
    """Pyenv's CPython versions (``versions/3.12.1/bin/python3.12``), newest first."""
    found: dict[str, Path] = {}
    for root in pyenv_roots():
        versions = root / "versions"
        if not versions.is_dir():
            continue
        for entry in versions.iterdir():
            match = _VERSION.match(entry.name)
            if match is None:
                continue
            python = entry / "bin" / f"python{match.group(1)}.{match.group(2)}"
            if python.is_file():
                found.setdefault(entry.name, python)
    return [
        Interpreter(found[version], version, "pyenv")
        for version in sorted(found, key=_version_key, reverse=True)
    ]


def _without_shims(path: str) -> str:
    """``PATH`` without pyenv's shim directories."""
    entries = path.split(os.pathsep)
    kept = [entry for entry in entries if not re.search(r"[\\/]shims[\\/]?$", entry)]
    return os.pathsep.join(kept)


def python_version(python: Path) -> str | None:
    """The version of the interpreter at ``python`` (``3.12.1``), or ``None`` if it cannot run."""
    try:
        probe = run_tool(
            [python, "-c", "import platform; print(platform.python_version())"],
            cwd=Path.cwd(),
            timeout_s=FIND_TIMEOUT_S,
        )
    except ToolError:
        return None
    version = probe.stdout.strip()
    return version if probe.returncode == 0 and version else None


def uv_find(request: str, uv: Path, *, cwd: Path) -> Interpreter | None:
    """What ``uv python find --system REQUEST`` finds (never downloads), with its version."""
    try:
        found = run_tool(
            [uv, "python", "find", "--system", request],
            cwd=cwd,
            timeout_s=FIND_TIMEOUT_S,
            env={
                "UV_PYTHON_DOWNLOADS": "never",
                "PATH": _without_shims(os.environ.get("PATH", "")),
            },
        )
    except ToolError:
        return None
    lines = found.stdout.strip().splitlines()
    if found.returncode != 0 or not lines:
        return None
    path = Path(lines[-1])
    version = python_version(path)
    return Interpreter(path, version, "uv") if version else None


def how_to_get(request: PythonRequest) -> str:
    """One line: which Python the project needs and how to get one."""
    wanted = request.request
    version = re.search(r"\d+\.\d+", wanted)
    install = version.group(0) if version else "VERSION"
    return (
        f"the project needs Python {wanted} ({request.source}) and none was found on PATH, "
        f"in pyenv or among uv's Pythons: install one (uv python install {install}, or "
        f"pyenv install {install}) or pass --python"
    )


def find_interpreter(request: PythonRequest | None, uv: Path, *, cwd: Path) -> Interpreter:
    """The Python to make the project's environment with (see the module docstring)."""
    own = Interpreter(Path(sys.executable), own_version(), "research-ci's own")
    if request is None:
        return own
    if request.is_path:
        path = Path(request.request).expanduser()
        version = python_version(path)
        if version is None:
            raise InterpreterNotFoundError(
                f"{request.request} ({request.source}) is not a Python that runs"
            )
        return Interpreter(path, version, request.source)
    if request.accepts(own.version):
        return own
    found = uv_find(request.request, uv, cwd=cwd)
    if found is not None and request.accepts(found.version):
        return found
    for candidate in pyenv_pythons():
        if request.accepts(candidate.version):
            return candidate
    raise InterpreterNotFoundError(how_to_get(request))


def venv_version(prefix: Path) -> str | None:
    """The Python version of a virtual environment, from its ``pyvenv.cfg`` (no process)."""
    try:
        text = (prefix / "pyvenv.cfg").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    for key in ("version_info", "version"):
        match = re.search(rf"^\s*{key}\s*=\s*(\d+\.\d+\.\d+)", text, re.MULTILINE)
        if match:
            return match.group(1)
    return None
