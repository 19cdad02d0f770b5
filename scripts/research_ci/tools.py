"""Which black, ruff and mypy run on a project: the versions the project itself uses.

For each tool, the first of:

1. **the project's environment**, when the tool is installed there (``.venv``, an activated
   environment): the project's own pin, whatever file it is written in;
2. **an explicit pin**, installed once with uv into research-ci's cache
   (``tools/ruff-0.3.0``) and reused, the first of:

   * the ``rev:`` of the tool's hook in ``.pre-commit-config.yaml``
     (``astral-sh/ruff-pre-commit``, ``psf/black`` or its mirror, ``pre-commit/mirrors-mypy``
     with its ``additional_dependencies``);
   * a ``tool==X.Y`` in the ``deps`` of a tox environment (or in a requirements file they
     include), with the stub packages of that environment for mypy (h11's
     ``[testenv:mypy] deps = mypy==1.8.0``);
   * a ``tool==X.Y`` in a requirements file whose name suggests tooling (``*requirements*.txt``
     at the root, ``requirements/*.txt``: h11's ``format-requirements.txt``);
3. **research-ci's own** version, run from its own environment (or, for black and mypy when
   the project needs another Python, the same version installed into the cache for it).

Where a tool looks, unless the project says it (mypy's ``files``, black's ``include``,
``[tool.research-ci] paths``): the positional paths of the first tox command that runs it
(h11's ``mypy h11/``), when they are directories or Python files inside the project.

The formatter is ``ruff format`` when the project uses it (``[tool.research-ci] formatter``,
else a ``ruff-format`` hook and no black hook, else ruff's ``[format]`` settings and no
``[tool.black]``), black otherwise.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from research_ci.cache import cached_entry
from research_ci.environment import (
    EnvironmentSetupError,
    ProjectEnv,
    ProjectEnvironment,
    environment_python,
    installed_version,
    run_uv,
    venv_python,
)
from research_ci.errors import ResearchCIError
from research_ci.layout import project_file, requirement_name
from research_ci.process import Announce
from research_ci.toxconfig import ToxEnv, command_paths, exact_pin, plain_deps, stub_packages
from research_ci.yamltext import safe_load

if TYPE_CHECKING:
    from research_ci.config import Settings

PRE_COMMIT_FILES = (".pre-commit-config.yaml", ".pre-commit-config.yml")
#: Where each tool comes from when research-ci does not pin it itself.
FROM_ENVIRONMENT = "environment"
FROM_PRE_COMMIT = "pre-commit"
FROM_TOX = "tox"
FROM_REQUIREMENTS = "requirements"
FROM_RESEARCH_CI = "research-ci"
#: pre-commit repositories (the end of their URL) -> the tool they pin.
HOOK_REPOSITORIES: Mapping[str, str] = {
    "ruff-pre-commit": "ruff",
    "black": "black",
    "black-pre-commit-mirror": "black",
    "mirrors-mypy": "mypy",
}
#: Tools whose behaviour depends on the Python they run on (parser, type checker).
PYTHON_BOUND = frozenset({"black", "mypy"})
_FROZEN = re.compile(r"rev:\s*['\"]?([0-9a-f]{40})['\"]?\s*#\s*frozen:\s*(\S+)")


class ToolSetupError(ResearchCIError):
    """A pinned tool could not be installed; the message says which, from where, and why."""


@dataclasses.dataclass(frozen=True)
class Tool:
    """A tool ready to run: its command, its version and where that version comes from."""

    name: str
    version: str
    #: ``environment``, ``pre-commit``, ``tox``, ``requirements`` or ``research-ci``.
    source: str
    #: The command that runs it (``python -m black``, a ruff binary).
    command: tuple[str, ...]
    #: Where, in words: ``.venv``, ``.pre-commit-config.yaml``, ``tox.ini [testenv:mypy]
    #: deps``, ``research-ci 0.1.0``.
    where: str = ""
    #: The paths to give it when the project's tox commands name them (else the check's own).
    paths: tuple[str, ...] = ()
    #: Where those paths are written (``tox.ini [testenv:mypy] commands``).
    paths_from: str = ""

    def to_dict(self) -> dict[str, str]:
        """The report's ``tool`` record of a check."""
        record = {"name": self.name, "version": self.version, "from": self.source}
        if self.source in (FROM_TOX, FROM_REQUIREMENTS):
            record["pinned_in"] = self.where
        if self.paths:
            record["paths"] = " ".join(self.paths)
            record["paths_from"] = self.paths_from
        return record

    def describe(self) -> str:
        """``ruff 0.3.0 (pre-commit)``."""
        return f"{self.name} {self.version} ({self.source})"


# --- pre-commit --------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class PreCommit:
    """What a ``.pre-commit-config.yaml`` pins: tool versions, hook ids, mypy's stubs."""

    versions: Mapping[str, str] = dataclasses.field(default_factory=dict)
    hooks: frozenset[str] = frozenset()
    mypy_dependencies: tuple[str, ...] = ()
    file: str = ""


def _clean_version(rev: str) -> str | None:
    """``v0.3.0`` -> ``0.3.0``; ``None`` for anything that is not a PEP 440 version."""
    from packaging.version import InvalidVersion, Version  # noqa: PLC0415

    try:
        return str(Version(rev.strip().removeprefix("v")))
    except InvalidVersion:
        return None


def _repository_tool(url: object) -> str | None:
    if not isinstance(url, str):
        return None
    tail = url.strip().rstrip("/").removesuffix(".git").rsplit("/", 1)[-1]
    return HOOK_REPOSITORIES.get(tail)


def read_pre_commit(root: Path) -> PreCommit:
    """The pins of the project's pre-commit configuration (empty when it has none)."""
    for name in PRE_COMMIT_FILES:
        found = project_file(root, name)
        if found is not None:
            path = found
            break
    else:
        return PreCommit()
    import yaml  # noqa: PLC0415 - only projects with a pre-commit configuration need it

    try:
        text = path.read_text(encoding="utf-8", errors="replace")
        document = safe_load(text)
    except (OSError, yaml.YAMLError):
        return PreCommit(file=name)
    frozen = dict(_FROZEN.findall(text))
    repos = document.get("repos") if isinstance(document, dict) else None
    versions: dict[str, str] = {}
    hooks: set[str] = set()
    mypy_dependencies: list[str] = []
    for repo in repos if isinstance(repos, list) else []:
        if not isinstance(repo, dict):
            continue
        entries = repo.get("hooks")
        ids = [
            str(hook.get("id"))
            for hook in (entries if isinstance(entries, list) else [])
            if isinstance(hook, dict)
        ]
        hooks.update(ids)
        tool = _repository_tool(repo.get("repo"))
        rev = str(repo.get("rev", ""))
        version = _clean_version(frozen.get(rev, rev))
        if tool is None or version is None or not ids:
            continue
        versions.setdefault(tool, version)
        if tool == "mypy" and isinstance(entries, list):
            for hook in entries:
                extra = hook.get("additional_dependencies") if isinstance(hook, dict) else None
                mypy_dependencies += [
                    item
                    for item in (extra if isinstance(extra, list) else [])
                    if isinstance(item, str) and requirement_name(item) is not None
                ]
    return PreCommit(versions, frozenset(hooks), tuple(mypy_dependencies), name)


def choose_formatter(settings: Settings, pre_commit: PreCommit) -> tuple[str, str]:
    """``("ruff", why)`` or ``("black", why)`` (see the module docstring)."""
    if settings.formatter is not None:
        return settings.formatter, "[tool.research-ci] formatter"
    ruff_hook = "ruff-format" in pre_commit.hooks
    black_hook = bool({"black", "black-jupyter"} & pre_commit.hooks)
    if ruff_hook and not black_hook:
        return "ruff", f"the ruff-format hook of {pre_commit.file}"
    if black_hook and not ruff_hook:
        return "black", f"the black hook of {pre_commit.file}"
    if settings.tools.ruff_format_config and not settings.tools.black_config:
        return "ruff", "ruff's [format] settings"
    return "black", "the default"


# --- commands -----------------------------------------------------------------------------


def _command(name: str, python: Path, prefix: Path) -> tuple[str, ...]:
    """How to run ``name`` installed in the environment at ``prefix``."""
    if name == "ruff":
        binary = prefix / ("Scripts/ruff.exe" if sys.platform == "win32" else "bin/ruff")
        if binary.exists():
            return (str(binary),)
    return (str(python), "-m", name)


def own_version(name: str) -> str:
    """The version of ``name`` research-ci itself depends on."""
    found = installed_version(Path(sys.prefix), name)  # a directory listing, no import
    if found is not None:
        return found
    from importlib.metadata import version  # noqa: PLC0415 - 40 ms, only when needed

    return version(name)


def own_command(name: str) -> tuple[str, ...]:
    """How to run research-ci's own ``name`` (its ruff binary directly: no Python start-up)."""
    return _command(name, Path(sys.executable), Path(sys.prefix))


_BUILD_LOCKS: dict[str, threading.Lock] = {}
_BUILD_LOCKS_GUARD = threading.Lock()


def _build_lock(key: str) -> threading.Lock:
    with _BUILD_LOCKS_GUARD:
        return _BUILD_LOCKS.setdefault(key, threading.Lock())


def cached_tool(
    name: str,
    version: str,
    *,
    python: Path,
    minor: str | None,
    dependencies: tuple[str, ...] = (),
    why: str,
    announce: Announce,
) -> tuple[str, ...]:
    """``name==version`` (and ``dependencies``) in research-ci's cache; the command to run it.

    The cache is shared by every project: uv runs from it, without reading any project's
    configuration (``--no-config``).
    """
    key = f"{name}-{version}" + (f"-py{minor}" if minor else "")
    if dependencies:
        key += "-" + hashlib.sha256("\n".join(sorted(dependencies)).encode()).hexdigest()[:12]
    requirements = [f"{name}=={version}", *dependencies]

    def build(target: Path) -> None:
        announce(f"research-ci: installing {name} {version} ({why}) into research-ci's cache")
        run_uv(
            ["venv", "--quiet", "--no-config", "--relocatable", "--python", python, target],
            target.parent,
            f"cannot make an environment for {name} {version}",
        )
        install: list[str | Path] = ["pip", "install", "--quiet", "--no-config", "--python"]
        run_uv(
            [*install, venv_python(target), *requirements],
            target.parent,
            f"cannot install {name} {version} ({why})",
        )

    with _build_lock(key):
        try:
            entry = cached_entry("tools", key, build, stamp={"requirements": requirements})
        except (EnvironmentSetupError, OSError) as exc:
            raise ToolSetupError(str(exc)) from exc
    return _command(name, venv_python(entry), entry)


# --- tox and requirements files --------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Pin:
    """A version of a tool the project pins explicitly, and where."""

    version: str
    #: ``pre-commit``, ``tox`` or ``requirements``.
    source: str
    #: ``.pre-commit-config.yaml``, ``tox.ini [testenv:mypy] deps``, ``format-requirements.txt``.
    where: str
    #: What to install beside it (mypy's stubs).
    dependencies: tuple[str, ...] = ()


def tooling_requirements(root: Path) -> list[str]:
    """Requirements files that may pin tools: ``*requirements*.txt``, ``requirements/*.txt``."""
    found = sorted(path.name for path in root.glob("*requirements*.txt"))
    found += sorted(f"requirements/{path.name}" for path in root.glob("requirements/*.txt"))
    return [relative for relative in found if project_file(root, relative)]


def _file_pins(root: Path, relative: str, names: frozenset[str]) -> dict[str, str]:
    try:
        text = (root / relative).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return {}
    pins: dict[str, str] = {}
    for line in text.splitlines():
        pin = exact_pin(line.split(" #", 1)[0].strip().removesuffix("\\").strip())
        if pin is not None and pin[0] in names:
            pins.setdefault(*pin)
    return pins


def explicit_pins(settings: Settings, pre_commit: PreCommit) -> dict[str, Pin]:
    """The version each tool is pinned at: pre-commit, else tox's deps, else requirements files."""
    root = settings.root
    names = frozenset(HOOK_REPOSITORIES.values())
    pins = {
        name: Pin(
            version,
            FROM_PRE_COMMIT,
            pre_commit.file,
            pre_commit.mypy_dependencies if name == "mypy" else (),
        )
        for name, version in pre_commit.versions.items()
    }
    tox = settings.project.tox
    envs, where = (tox.envs, tox.where) if tox is not None else ((), "")
    for env in envs:
        place = f"{where} [{env.section}] deps"
        stubs = stub_packages(env)
        for name, version in _env_pins(env, root, names).items():
            pins.setdefault(name, Pin(version, FROM_TOX, place, stubs if name == "mypy" else ()))
    for relative in tooling_requirements(root):
        for name, version in _file_pins(root, relative, names).items():
            pins.setdefault(name, Pin(version, FROM_REQUIREMENTS, relative))
    return pins


def _env_pins(env: ToxEnv, root: Path, names: frozenset[str]) -> dict[str, str]:
    """The tools a tox environment's ``deps`` pin, in its lines or the files they include."""
    pins: dict[str, str] = {}
    deps = plain_deps(env, root)
    for line in deps.requirements:
        pin = exact_pin(line)
        if pin is not None and pin[0] in names:
            pins.setdefault(*pin)
    for relative in deps.files:
        for name, version in _file_pins(root, relative, names).items():
            pins.setdefault(name, version)
    return pins


def tox_paths(name: str, settings: Settings) -> tuple[tuple[str, ...], str]:
    """The paths the project's tox commands give ``name``, unless its settings choose them."""
    tox = settings.project.tox
    if tox is None or settings.paths_configured or name not in ("black", "mypy"):
        return (), ""
    if name == "mypy" and settings.tools.mypy_files:
        return (), ""
    if name == "black" and settings.tools.black_config and _black_chooses_files(settings.root):
        return (), ""
    found = command_paths(tox, name, settings.root)
    return found if found is not None else ((), "")


def _black_chooses_files(root: Path) -> bool:
    """``[tool.black]`` sets ``include`` (black then chooses the files under ``.``)."""
    from research_ci.errors import UsageError  # noqa: PLC0415 - projects with [tool.black]
    from research_ci.pyproject import read_toml, tool_table  # noqa: PLC0415

    try:
        black = tool_table(read_toml(root / "pyproject.toml", missing=""), "black")
    except UsageError:
        return False
    return "include" in black


# --- resolution ---------------------------------------------------------------------------


def _from_environment(name: str, settings: Settings, project: ProjectEnvironment) -> Tool | None:
    """``name`` from the project's environment, when it is installed there.

    An environment that is ready is looked into at once (nothing needs installing for that);
    one being made is waited for only when the project declares ``name`` (its own pin will be
    there), so that otherwise format and lint start at once.
    """
    env: ProjectEnv | None = project.prepared
    if env is None and not project.ready and settings.project.declares(name):
        try:
            env = project.get()
        except EnvironmentSetupError:
            return None
    if env is not None:
        kind, prefix, python, location = env.kind, env.prefix, env.python, env.location
    elif project.ready:
        plan = project.plan
        kind, prefix, location = plan.kind, plan.prefix, plan.location
        python = environment_python(prefix)
    else:
        return None
    version = installed_version(prefix, name) if kind != "research-ci" else None
    if version is None:
        return None
    return Tool(name, version, FROM_ENVIRONMENT, _command(name, python, prefix), location)


def resolve(
    name: str,
    settings: Settings,
    project: ProjectEnvironment,
    *,
    announce: Announce,
    pre_commit: PreCommit | None = None,
) -> Tool:
    """The ``name`` tool (black, ruff or mypy) to run on the project (module docstring)."""
    tool = _version(name, settings, project, announce=announce, pre_commit=pre_commit)
    paths, paths_from = tox_paths(name, settings)
    return dataclasses.replace(tool, paths=paths, paths_from=paths_from) if paths else tool


def _version(
    name: str,
    settings: Settings,
    project: ProjectEnvironment,
    *,
    announce: Announce,
    pre_commit: PreCommit | None,
) -> Tool:
    found = _from_environment(name, settings, project)
    if found is not None:
        return found
    pins = explicit_pins(
        settings, pre_commit if pre_commit is not None else read_pre_commit(settings.root)
    )
    bound = name in PYTHON_BOUND
    if name in pins:
        pin = pins[name]
        interpreter, minor = _interpreter(project) if bound else (Path(sys.executable), None)
        command = cached_tool(
            name,
            pin.version,
            python=interpreter,
            minor=minor,
            dependencies=pin.dependencies,
            why=f"pinned in {pin.where}",
            announce=announce,
        )
        return Tool(name, pin.version, pin.source, command, pin.where)
    version = own_version(name)
    if bound:
        interpreter, minor = _interpreter(project)
        if minor != _minor(sys.version_info[:2]):
            command = cached_tool(
                name,
                version,
                python=interpreter,
                minor=minor,
                why=f"research-ci's version, for Python {minor}",
                announce=announce,
            )
            return Tool(name, version, FROM_RESEARCH_CI, command, f"research-ci, Python {minor}")
    return Tool(name, version, FROM_RESEARCH_CI, own_command(name), "research-ci")


def _minor(version: Any) -> str:
    parts = version.split(".") if isinstance(version, str) else [str(part) for part in version]
    return ".".join(parts[:2])


def _interpreter(project: ProjectEnvironment) -> tuple[Path, str]:
    """An interpreter of the project's Python version, and that version (``3.12``)."""
    try:
        interpreter = project.interpreter()
    except EnvironmentSetupError:
        return Path(sys.executable), _minor(sys.version_info[:2])
    return interpreter.path, interpreter.minor
