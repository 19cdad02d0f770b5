"""The project's own Python environment, which mypy and pytest need to see its dependencies.

Which environment, in this order:

1. an activated one (``$VIRTUAL_ENV``, else ``$CONDA_PREFIX`` unless it is conda's ``base``):
   used as it is, never changed;
2. ``PROJECT/.venv`` when research-ci did not make it (no stamp): used as it is, never changed;
3. ``PROJECT/.venv`` made by research-ci (its stamp ``.venv/research-ci.json``): made with the
   Python the project asks for (``--python``, ``.python-version``, ``requires-python``; see
   :mod:`research_ci.interpreters`), with what the project's layout says to install (see
   :mod:`research_ci.layout`) plus pytest and pytest-cov. It is installed again when the
   files that decide it change (the stamp holds their hash), and made again when its Python
   no longer fits the project or an earlier install did not finish;
4. with ``--no-install`` and no ``.venv``: the Python research-ci runs on.

An environment research-ci must not change but which lacks pytest or pytest-cov gets them from
an overlay in research-ci's cache, on ``PYTHONPATH``. A failed install removes the ``.venv``
it was making (or leaves it marked unfinished, so the next run makes it again) and reports
the first error line of uv's output.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import sys
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import research_ci
from research_ci.cache import cached_entry
from research_ci.errors import ResearchCIError
from research_ci.interpreters import (
    Interpreter,
    InterpreterNotFoundError,
    find_interpreter,
    own_version,
    python_version,
    venv_version,
)
from research_ci.layout import TEST_TOOLS, InstallStep, PythonRequest, normalize
from research_ci.process import Announce, ToolError, run_tool

if TYPE_CHECKING:
    from research_ci.config import Settings

ENV_TIMEOUT_S = 900.0
#: research-ci's stamp inside a ``.venv`` it made.
STAMP = "research-ci.json"


class EnvironmentSetupError(ResearchCIError):
    """The project's environment could not be made; the message says why, in one line."""


@dataclasses.dataclass(frozen=True)
class ProjectEnv:
    """The interpreter that runs the project's tests and whose packages mypy sees."""

    python: Path
    #: The environment's prefix (``sys.prefix`` of ``python``), where its packages are.
    prefix: Path
    version: str
    #: ``managed`` (a .venv research-ci made), ``activated``, ``existing`` (a .venv research-ci
    #: did not make) or ``research-ci`` (the Python research-ci runs on, ``--no-install``).
    kind: str
    #: How a person would name it: ``.venv``, ``$VIRTUAL_ENV (/path)``.
    location: str
    python_request: PythonRequest | None = None
    created: bool = False
    synced: bool = False
    installed: tuple[InstallStep, ...] = ()
    #: A directory on ``PYTHONPATH`` with the test tools the environment lacks, and which.
    overlay: Path | None = None
    overlay_tools: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def run_env(self) -> dict[str, str]:
        """Environment variables the project's tools need on top of the caller's."""
        return {"PYTHONPATH": str(self.overlay)} if self.overlay is not None else {}

    def has(self, distribution: str) -> str | None:
        """The version of ``distribution`` installed in this environment, or ``None``."""
        return installed_version(self.prefix, distribution)

    def to_dict(self) -> dict[str, Any]:
        """The report's ``environment`` record."""
        return {
            "kind": self.kind,
            "location": self.location,
            "python": self.version,
            "python_request": (
                {"request": self.python_request.request, "source": self.python_request.source}
                if self.python_request is not None and not self.python_request.is_path
                else None
            ),
            "created": self.created,
            "synced": self.synced,
            "installed": [{"what": step.what, "from": step.source} for step in self.installed],
            "overlay": list(self.overlay_tools),
            "notes": list(self.notes),
        }


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


def _site_packages(prefix: Path) -> list[Path]:
    return [*prefix.glob("lib/python3*/site-packages"), prefix / "Lib" / "site-packages"]


def dist_version(site: Path, distribution: str) -> str | None:
    """The version of ``distribution`` installed in the directory ``site``, from its dist-info."""
    wanted = normalize(distribution)
    for info in site.glob("*.dist-info"):
        name, _, version = info.name.removesuffix(".dist-info").partition("-")
        if normalize(name) == wanted and version:
            return version
    return None


def installed_version(prefix: Path, distribution: str) -> str | None:
    """The version of ``distribution`` in the environment at ``prefix``."""
    for site in _site_packages(prefix):
        version = dist_version(site, distribution) if site.is_dir() else None
        if version is not None:
            return version
    return None


# --- uv and its errors ---------------------------------------------------------------------

#: How uv marks an error when it draws its fancy report (a multiplication sign).
_CROSS = "\u00d7"
_EXCEPTION_LINE = re.compile(r"^\s*([A-Za-z_][\w.]*(?:Error|Exception|Exit)|error):\s+\S")


def first_error(output: str) -> str:
    """The first error in uv's output, in one line, with its cause.

    ``error: No solution found when resolving dependencies`` + its ``cause:`` line; for a
    build that failed, the exception the build printed (``ModuleNotFoundError: ...``) rather
    than the call that failed.
    """
    lines = [line.rstrip() for line in output.splitlines()]
    start = next(
        (i for i, line in enumerate(lines) if line.lstrip().startswith(("error:", _CROSS))), None
    )
    if start is None:
        meaningful = [line.strip() for line in lines if line.strip()]
        return meaningful[0] if meaningful else "no output"
    message = lines[start].lstrip().removeprefix("error:").removeprefix(_CROSS).strip()
    rest = lines[start + 1 :]
    cause = next(
        (
            re.sub(r"^(cause:|[╰├]─▶)\s*", "", line.strip())
            for line in rest
            if re.match(r"^\s*(cause:|[╰├]─▶)", line)
        ),
        None,
    )
    raised = [
        line.strip()
        for line in rest
        if _EXCEPTION_LINE.match(line) and not line.lstrip().startswith("error: ")
    ]
    detail = raised[-1] if raised else cause
    return f"{message}: {detail}" if detail else message


def run_uv(args: Sequence[str | Path], cwd: Path, what: str) -> None:
    """Run uv; a failure raises :class:`EnvironmentSetupError`: ``what``, then uv's first error."""
    try:
        result = run_tool(
            [uv_binary(), *args],
            cwd=cwd,
            timeout_s=ENV_TIMEOUT_S,
            env={"UV_PYTHON_DOWNLOADS": "never"},
        )
    except ToolError as exc:
        raise EnvironmentSetupError(f"{what}: {exc}") from exc
    if result.returncode != 0:
        raise EnvironmentSetupError(f"{what}: {first_error(result.stderr or result.stdout)}")


# --- the stamp ------------------------------------------------------------------------------


def read_stamp(venv: Path) -> dict[str, Any] | None:
    """research-ci's stamp in ``venv``, or ``None`` when research-ci did not make it."""
    try:
        data = json.loads((venv / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_stamp(
    venv: Path,
    *,
    state: str,
    fingerprint: dict[str, str],
    version: str,
    steps: Iterable[InstallStep],
    notes: Iterable[str] = (),
) -> None:
    """Record what research-ci made (``state`` is ``installing`` until the install ends).

    ``notes`` (what was left out, and why) are said again by each check that reuses it.
    """
    stamp = {
        "made_by": "research-ci",
        "research_ci_version": research_ci.__version__,
        "state": state,
        "fingerprint": fingerprint,
        "python": version,
        "installed": [{"what": step.what, "from": step.source} for step in steps],
        "notes": list(notes),
    }
    (venv / STAMP).write_text(json.dumps(stamp, indent=2) + "\n", encoding="utf-8")


def _stamped_steps(stamp: dict[str, Any]) -> tuple[InstallStep, ...]:
    items = stamp.get("installed")
    return tuple(
        InstallStep(str(item.get("what", "")), str(item.get("from", "")), ())
        for item in (items if isinstance(items, list) else [])
        if isinstance(item, dict)
    )


def _stamped_notes(stamp: dict[str, Any]) -> tuple[str, ...]:
    notes = stamp.get("notes")
    return tuple(note for note in notes if isinstance(note, str)) if isinstance(notes, list) else ()


# --- which environment --------------------------------------------------------------------


def activated_environment() -> tuple[Path, str] | None:
    """The activated virtual or conda environment, and how to name it.

    conda's ``base`` environment, which conda activates in every shell by default, is not
    taken for the project's.
    """
    for variable in ("VIRTUAL_ENV", "CONDA_PREFIX"):
        value = os.environ.get(variable)
        if variable == "CONDA_PREFIX" and os.environ.get("CONDA_DEFAULT_ENV") == "base":
            continue
        if value and Path(value).is_dir():
            return Path(value), f"${variable} ({value})"
    return None


def environment_python(prefix: Path) -> Path:
    """The interpreter of an environment (a venv or a conda prefix)."""
    if sys.platform == "win32":
        candidates = [prefix / "Scripts" / "python.exe", prefix / "python.exe"]
    else:
        candidates = [prefix / "bin" / "python", prefix / "bin" / "python3"]
    return next((path for path in candidates if path.exists()), candidates[0])


@dataclasses.dataclass(frozen=True)
class Plan:
    """What :meth:`ProjectEnvironment.get` will do, decided from files only (no process)."""

    kind: str
    prefix: Path
    location: str
    #: ``use`` it as it is, ``create`` it, ``sync`` (install again) or ``recreate`` it.
    action: str
    #: Why it is synced or made again, for the announcement.
    reason: str = ""


class ProjectEnvironment:
    """The project's environment, prepared on first request and shared by every check.

    Thread-safe: the first caller prepares it while the others wait; a failure is raised
    again (as :class:`EnvironmentSetupError`) to every caller. ``announce`` receives one line
    when a long phase starts (making the environment, installing).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        install: bool,
        python: str | None = None,
        announce: Announce | None = None,
    ) -> None:
        self.settings = settings
        self.install = install
        self.announce: Announce = announce or (lambda _line: None)
        self.request = PythonRequest(python, "--python") if python else settings.project.python
        self._lock = threading.Lock()
        self._env: ProjectEnv | None = None
        self._failure: str | None = None
        self._interpreter_lock = threading.Lock()
        self._interpreter: Interpreter | None = None
        self._path_version = (
            python_version(Path(self.request.request).expanduser())
            if self.request is not None and self.request.is_path
            else None
        )
        self.plan = self._plan()

    def accepts(self, version: str) -> bool:
        """True when an environment of Python ``version`` is what the project asks for."""
        if self.request is None:
            return True
        if self.request.is_path:
            return self._path_version is None or version == self._path_version
        return self.request.accepts(version)

    # -- deciding ------------------------------------------------------------------------

    def _plan(self) -> Plan:
        root = self.settings.root
        active = activated_environment()
        if active is not None:
            return Plan("activated", active[0], active[1], "use")
        venv = root / ".venv"
        if venv.is_symlink():
            # Never written through a link out of the project: used as it is.
            return Plan("existing", venv, ".venv", "use")
        exists = venv_python(venv).exists()
        if venv.is_dir() and not exists and read_stamp(venv) is not None:
            return Plan("managed", venv, ".venv", "recreate", "its Python is gone")
        if venv.is_dir() and not exists:
            # Someone else's, broken: said when it is used, never removed.
            return Plan("existing", venv, ".venv", "use")
        if not self.install:
            if exists:
                kind = "managed" if read_stamp(venv) is not None else "existing"
                return Plan(kind, venv, ".venv", "use")
            return Plan("research-ci", Path(sys.prefix), "research-ci's own Python", "use")
        if not exists:
            return Plan("managed", venv, ".venv", "create")
        stamp = read_stamp(venv)
        if stamp is None:
            return Plan("existing", venv, ".venv", "use")
        version = venv_version(venv) or str(stamp.get("python", ""))
        if stamp.get("state") != "complete":
            return Plan("managed", venv, ".venv", "recreate", "an earlier install did not finish")
        if version and not self.accepts(version):
            reason = f"it has Python {version} and the project needs {self.request}"
            return Plan("managed", venv, ".venv", "recreate", reason)
        old = stamp.get("fingerprint")
        old = old if isinstance(old, dict) else {}
        new = self.settings.project.fingerprint(root)
        changed = sorted(key for key in {*old, *new} if old.get(key) != new.get(key))
        if changed:
            return Plan("managed", venv, ".venv", "sync", f"{', '.join(changed)} changed")
        return Plan("managed", venv, ".venv", "use")

    @property
    def prepared(self) -> ProjectEnv | None:
        """The environment, once :meth:`get` has prepared it."""
        return self._env

    @property
    def ready(self) -> bool:
        """The environment is usable as it is (nothing to install into it)."""
        return self.plan.action == "use"

    def interpreter(self) -> Interpreter:
        """The environment's Python (or the one it will be made with), without installing.

        For an environment still to be made this runs the interpreter search once; the
        environment is then made with the same interpreter.
        """
        with self._interpreter_lock:
            if self._interpreter is None:
                self._interpreter = self._find_interpreter()
            return self._interpreter

    def _find_interpreter(self) -> Interpreter:
        plan = self.plan
        if self._env is not None:
            return Interpreter(self._env.python, self._env.version, self._env.location)
        if plan.kind == "research-ci":
            return Interpreter(Path(sys.executable), own_version(), "research-ci's own")
        if plan.action in ("use", "sync"):
            python = environment_python(plan.prefix)
            version = venv_version(plan.prefix) or _probe_version(python)
            return Interpreter(python, version, plan.location)
        try:
            return find_interpreter(self.request, uv_binary(), cwd=self.settings.root)
        except InterpreterNotFoundError as exc:
            raise EnvironmentSetupError(str(exc)) from exc

    # -- preparing -----------------------------------------------------------------------

    def get(self) -> ProjectEnv:
        """The environment; blocks while another thread prepares it."""
        with self._lock:
            if self._env is None and self._failure is None:
                try:
                    self._env = self._prepare()
                except EnvironmentSetupError as exc:
                    self._failure = str(exc)
        if self._failure is not None:
            raise EnvironmentSetupError(self._failure)
        assert self._env is not None  # noqa: S101  (set above when there is no failure)
        return self._env

    def python(self) -> Path:
        """The environment's interpreter (see :meth:`get`)."""
        return self.get().python

    def record(self) -> dict[str, Any] | None:
        """The report's ``environment`` record (``None`` when no check needed it)."""
        if self._env is not None:
            return self._env.to_dict()
        if self._failure is not None:
            return {"kind": self.plan.kind, "location": self.plan.location, "error": self._failure}
        return None

    def _prepare(self) -> ProjectEnv:
        plan = self.plan
        if plan.action == "use" and plan.kind == "managed":
            stamp = read_stamp(plan.prefix) or {}
            return ProjectEnv(
                python=venv_python(plan.prefix),
                prefix=plan.prefix,
                version=venv_version(plan.prefix) or str(stamp.get("python", "")),
                kind="managed",
                location=plan.location,
                python_request=self.request,
                installed=_stamped_steps(stamp),
                notes=_stamped_notes(stamp),
            )
        if plan.action == "use":
            return self._foreign(plan)
        return self._make(plan)

    def _foreign(self, plan: Plan) -> ProjectEnv:
        """An environment research-ci uses but never changes."""
        if plan.kind == "research-ci":
            python, version = Path(sys.executable), own_version()
        else:
            python = environment_python(plan.prefix)
            version = (venv_version(plan.prefix) if python.exists() else None) or _probe_version(
                python
            )
        notes: list[str] = []
        if not self.accepts(version):
            notes.append(
                f"{plan.location} has Python {version}, but the project needs {self.request}"
            )
            self.announce(f"research-ci: warning: {notes[-1]}")
        if plan.kind != "research-ci":
            notes.append(f"{plan.location} was not made by research-ci: nothing installed into it")
        missing = [tool for tool in TEST_TOOLS if installed_version(plan.prefix, tool) is None]
        overlay = self._overlay(python, version, plan.prefix, missing) if missing else None
        return ProjectEnv(
            python=python,
            prefix=plan.prefix,
            version=version,
            kind=plan.kind,
            location=plan.location,
            python_request=self.request,
            overlay=overlay,
            overlay_tools=tuple(missing) if overlay is not None else (),
            notes=tuple(notes),
        )

    def _overlay(self, python: Path, version: str, prefix: Path, missing: list[str]) -> Path:
        """Pytest and pytest-cov in research-ci's cache, for an environment it must not change."""
        pins = [f"pytest=={pytest}"] if (pytest := installed_version(prefix, "pytest")) else []
        requirements = [*pins, *TEST_TOOLS]
        minor = ".".join(version.split(".")[:2])
        name = f"py{minor}-" + "-".join(requirements).replace("=", "")

        def build(target: Path) -> None:
            self.announce(f"research-ci: installing {', '.join(missing)} beside {prefix} (cached)")
            install: list[str | Path] = ["pip", "install", "--quiet", "--no-config", "--target"]
            run_uv(
                [*install, target, "--python", python, *requirements],
                target.parent,
                f"cannot install {', '.join(requirements)} for {python}",
            )

        try:
            return cached_entry("overlays", name, build, stamp={"requirements": requirements})
        except OSError as exc:
            raise EnvironmentSetupError(f"cannot write research-ci's cache: {exc}") from exc

    def _make(self, plan: Plan) -> ProjectEnv:
        """Create (or make again, or install again) the .venv research-ci manages."""
        root = self.settings.root
        layout = self.settings.project
        venv = plan.prefix
        created = plan.action in ("create", "recreate")
        interpreter = self.interpreter() if created else None
        if interpreter is not None:
            if plan.action == "recreate":
                self.announce(f"research-ci: making .venv again: {plan.reason}")
                shutil.rmtree(venv, ignore_errors=True)
            self.announce(
                f"research-ci: creating .venv with {_described(interpreter, self.request)}"
            )
        else:
            self.announce(f"research-ci: installing into .venv again: {plan.reason}")
        fingerprint = layout.fingerprint(root)
        steps = layout.steps
        python = venv_python(venv)
        try:
            if interpreter is not None:
                run_uv(
                    ["venv", "--quiet", "--python", interpreter.path, venv],
                    root,
                    "cannot create .venv",
                )
            version = venv_version(venv) or (
                interpreter.version if interpreter is not None else _probe_version(python)
            )
            write_stamp(
                venv, state="installing", fingerprint=fingerprint, version=version, steps=steps
            )
            shown = "; ".join(f"{step.what} ({step.source})" for step in steps)
            self.announce(f"research-ci: installing {shown}")
            steps, notes = self._install(python, venv)
            write_stamp(
                venv,
                state="complete",
                fingerprint=fingerprint,
                version=version,
                steps=steps,
                notes=notes,
            )
        except (EnvironmentSetupError, OSError) as exc:
            if created:
                shutil.rmtree(venv, ignore_errors=True)
            raise EnvironmentSetupError(str(exc)) from exc
        return ProjectEnv(
            python=python,
            prefix=venv,
            version=version,
            kind="managed",
            location=".venv",
            python_request=self.request,
            created=created,
            synced=True,
            installed=steps,
            notes=notes,
        )

    def _install(self, python: Path, venv: Path) -> tuple[tuple[InstallStep, ...], tuple[str, ...]]:
        """Install the layout's steps; when that fails, again without its optional ones.

        An optional step (tox's deps, which the project never declared for pip) that cannot
        be installed is said in a note, and the rest is installed. Returns the steps
        installed and the notes.
        """
        steps = self.settings.project.steps
        try:
            return self._install_steps(python, steps, venv)
        except EnvironmentSetupError as exc:
            optional = [step for step in steps if step.optional]
            if not optional:
                raise
            kept = tuple(step for step in steps if not step.optional)
            self.announce("research-ci: installing again without " + optional[0].source)
            installed, notes = self._install_steps(python, kept, venv)
            left = ", ".join(step.source for step in optional)
            return installed, (*notes, f"{left} not installed: {exc}")

    def _install_steps(
        self, python: Path, steps: tuple[InstallStep, ...], venv: Path
    ) -> tuple[tuple[InstallStep, ...], tuple[str, ...]]:
        """Install ``steps``, at the versions ``uv.lock`` pins when the project has one.

        A lock that no longer fits ``pyproject.toml`` (``uv sync`` would lock again) is said in
        a note rather than failing the install. Returns the steps installed and the notes.
        """
        layout = self.settings.project
        root = self.settings.root
        args: list[str | Path] = [arg for step in steps for arg in step.args]
        install: list[str | Path] = ["pip", "install", "--quiet", "--python", python, *args]
        if layout.lock is None:
            run_uv(install, root, "install failed")
            return steps, layout.notes
        try:
            constraints = _locked_versions(root, str(layout.lock), venv)
            run_uv([*install, "--constraint", constraints], root, "install failed")
        except EnvironmentSetupError as exc:
            run_uv(install, root, "install failed")
            note = f"{layout.lock} was not applied (out of date with the project?): {exc}"
            return tuple(step for step in steps if step.source != layout.lock), (
                *layout.notes,
                note,
            )
        return steps, layout.notes


def _locked_versions(root: Path, lock: str, venv: Path) -> Path:
    """The versions ``uv.lock`` pins, as a constraints file in ``venv`` (read, not resolved)."""
    constraints = venv / "research-ci-locked.txt"
    export = ["export", "--frozen", "--all-groups", "--all-extras", "--no-hashes", "--no-header"]
    export += ["--no-emit-project", "--no-emit-workspace", "--format", "requirements-txt"]
    run_uv([*export, "--output-file", constraints], root, f"cannot read {lock}")
    return constraints


def _described(interpreter: Interpreter, request: PythonRequest | None) -> str:
    wanted = f", for {request.request} ({request.source})" if request is not None else ""
    return f"Python {interpreter.version} ({interpreter.found_by}{wanted})"


def _probe_version(python: Path) -> str:
    version = python_version(python) if python.exists() else None
    if version is None:
        raise EnvironmentSetupError(
            f"{python} does not run: the environment is broken; remove it (research-ci makes "
            "a new .venv) or repair it"
        )
    return version
