"""The project's own configuration of pytest, coverage, mypy and flake8, where each tool reads it.

research-ci runs the project's tests and mypy with the project's settings, wherever they are
written, and needs a few facts from them: what coverage measures and its threshold, whether
pytest's ``addopts`` already choose those, what mypy checks and whether it reports missing
imports, and whether a flake8 configuration exists that ruff will not read. Each reader
follows the tool's own lookup, with the standard library's parsers (``configparser``,
``tomllib``), and never runs anything:

* **pytest** (its rootdir and inifile rules): from the project's directory up to the
  filesystem's root, in each directory the first of ``pytest.toml``, ``.pytest.toml``,
  ``pytest.ini``, ``.pytest.ini`` (these always count, even empty), ``pyproject.toml``
  (``[tool.pytest]`` or ``[tool.pytest.ini_options]``), ``tox.ini`` (``[pytest]``) and
  ``setup.cfg`` (``[tool:pytest]``). When none has settings, the first ``pyproject.toml``
  found is pytest's configuration file all the same, with no settings.
* **coverage**, as pytest-cov starts it: the file named by ``--cov-config`` in ``addopts``
  (default ``.coveragerc``), then ``.coveragerc.toml``, ``setup.cfg`` (``[coverage:*]``),
  ``tox.ini`` (``[coverage:*]``) and ``pyproject.toml`` (``[tool.coverage.*]``), in the
  project's directory. Coverage's own files (the first two) count as soon as they exist; the
  shared ones only when they hold coverage settings. The first that counts is the only one read.
* **mypy**: from the project's directory up to its repository's root (the first directory with
  ``.git`` or ``.hg``), in each directory the first of ``mypy.ini``, ``.mypy.ini`` (these
  always count), ``pyproject.toml`` (``[tool.mypy]``) and ``setup.cfg`` (``[mypy]``). A user's
  own ``~/.config/mypy/config`` is not the project's configuration and is not read.
* **flake8**: the first of ``setup.cfg``, ``tox.ini`` and ``.flake8`` with a ``[flake8]``
  section (flake8's own order), else ``pyproject.toml``'s ``[tool.flake8]`` (the
  Flake8-pyproject plugin's), in the project's directory; its plugins, from the
  ``additional_dependencies`` of a flake8 pre-commit hook and the ``deps`` of tox. ruff reads
  none of them: the lint check translates them (:mod:`research_ci.lintrules`).
* **ruff**: from the project's directory up to the filesystem's root, the first of
  ``.ruff.toml``, ``ruff.toml`` and ``pyproject.toml`` with ``[tool.ruff]`` (ruff's lookup),
  and whether it sets ``target-version``.
* **yapf**: ``[tool.yapf]``, ``.style.yapf`` or ``[yapf]`` in ``setup.cfg`` (a formatter
  research-ci does not run: its format check then only advises).

The threshold of coverage comes from where the project sets it: pytest-cov's
``--cov-fail-under`` in ``addopts`` (which wins over coverage's), else coverage's
``fail_under``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import shlex
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from research_ci.errors import UsageError
from research_ci.layout import (
    project_file,
    read_setup_cfg,
    read_setup_py,
    requirement_name,
)
from research_ci.pyproject import read_toml, tool_table
from research_ci.toxconfig import dependency_names, read_tox
from research_ci.yamltext import safe_load

if TYPE_CHECKING:
    from configparser import RawConfigParser

#: pytest's configuration files, in the order it looks for them in each directory.
PYTEST_FILES: tuple[str, ...] = (
    "pytest.toml",
    ".pytest.toml",
    "pytest.ini",
    ".pytest.ini",
    "pyproject.toml",
    "tox.ini",
    "setup.cfg",
)
#: mypy's configuration files, in the order it looks for them in each directory.
MYPY_FILES: tuple[str, ...] = ("mypy.ini", ".mypy.ini", "pyproject.toml", "setup.cfg")
#: flake8's configuration files (with a ``[flake8]`` section), in the order it looks for them.
FLAKE8_FILES: tuple[str, ...] = ("setup.cfg", "tox.ini", ".flake8")
#: ruff's configuration files, in the order it looks for them in each directory.
RUFF_FILES: tuple[str, ...] = (".ruff.toml", "ruff.toml", "pyproject.toml")
#: pytest-cov's default ``--cov-config``.
COVERAGE_RC = ".coveragerc"


@dataclasses.dataclass(frozen=True)
class PytestConfig:
    """The pytest configuration file in force and what its ``addopts`` say about coverage."""

    #: The file pytest reads (relative to the project when inside it), or ``None``.
    file: str | None = None
    #: Its ``addopts``, split as pytest splits them.
    addopts: tuple[str, ...] = ()

    def _option(self, name: str) -> Iterator[str | None]:
        """Each value ``addopts`` gives the option ``name`` (``None`` when it has none)."""
        tokens = list(self.addopts)
        for index, token in enumerate(tokens):
            if token == name:
                following = tokens[index + 1] if index + 1 < len(tokens) else None
                yield following if following is not None and not following.startswith("-") else None
            elif token.startswith(name + "="):
                yield token[len(name) + 1 :]

    @property
    def measures_coverage(self) -> bool:
        """``addopts`` has ``--cov`` (with or without a source): the project chooses what."""
        return any(True for _ in self._option("--cov"))

    @property
    def cov_config(self) -> str | None:
        """pytest-cov's ``--cov-config`` in ``addopts``, if set."""
        values = [value for value in self._option("--cov-config") if value]
        return values[-1] if values else None

    @property
    def cov_fail_under(self) -> str | None:
        """pytest-cov's ``--cov-fail-under`` in ``addopts`` (as written), if set."""
        values = [value for value in self._option("--cov-fail-under") if value]
        return values[-1] if values else None


@dataclasses.dataclass(frozen=True)
class CoverageConfig:
    """What coverage reads under pytest-cov: its file, ``source`` and ``fail_under``."""

    #: The file coverage reads (relative to the project), or ``None``.
    file: str | None = None
    #: Where its settings are in that file (``[report]``, ``[coverage:report]``...).
    report_section: str = ""
    source: tuple[str, ...] = ()
    source_pkgs: tuple[str, ...] = ()
    #: ``fail_under`` as written (a string in INI files, a number in TOML).
    fail_under: object = None


@dataclasses.dataclass(frozen=True)
class MypyConfig:
    """The mypy configuration file in force and the few settings research-ci needs."""

    #: The file mypy reads (relative to the project when inside it), or ``None``.
    file: str | None = None
    #: ``files``: mypy chooses what to check.
    files: tuple[str, ...] = ()
    #: The global ``ignore_missing_imports`` (``None``: not set).
    ignore_missing_imports: bool | None = None


@dataclasses.dataclass(frozen=True)
class Flake8Config:
    """The project's flake8 settings: the file they are in, and each option as written."""

    #: ``setup.cfg``, ``tox.ini``, ``.flake8`` or ``pyproject.toml`` (``None``: no flake8).
    file: str | None = None
    #: Option (``max-line-length``, underscores as dashes) -> its value as an INI string.
    settings: Mapping[str, str] = dataclasses.field(default_factory=dict)

    @property
    def options(self) -> tuple[str, ...]:
        """The options set, in the file's order."""
        return tuple(self.settings)

    @property
    def where(self) -> str:
        """``pyproject.toml [tool.flake8]``, ``setup.cfg [flake8]``, ``.flake8``."""
        if self.file == "pyproject.toml":
            return "pyproject.toml [tool.flake8]"
        return f"{self.file} [flake8]" if self.file in ("setup.cfg", "tox.ini") else str(self.file)


@dataclasses.dataclass(frozen=True)
class RuffConfig:
    """ruff's configuration file in force (``None``: none) and whether it sets the target."""

    file: str | None = None
    target_version: bool = False


@dataclasses.dataclass(frozen=True)
class ToolConfigs:
    """Every tool configuration research-ci reads (see the module docstring)."""

    pytest: PytestConfig = PytestConfig()
    coverage: CoverageConfig = CoverageConfig()
    mypy: MypyConfig = MypyConfig()
    flake8_config: Flake8Config = Flake8Config()
    ruff: RuffConfig = RuffConfig()

    @property
    def flake8(self) -> str | None:
        """The file holding the project's flake8 settings, if any."""
        return self.flake8_config.file

    def coverage_threshold(self) -> tuple[float | None, str | None]:
        """The project's coverage threshold and where it is set, or ``(None, None)``.

        pytest-cov's ``--cov-fail-under`` wins over coverage's ``fail_under``, as in pytest-cov.
        A value that is not a number from 0 to 100 is a :class:`UsageError`.
        """
        if self.pytest.cov_fail_under is not None:
            where = f"--cov-fail-under in the addopts of {self.pytest.file}"
            return _percent(self.pytest.cov_fail_under, where), where
        if self.coverage.fail_under is not None:
            where = f"fail_under in {self.coverage.file} {self.coverage.report_section}"
            return _percent(self.coverage.fail_under, where), where
        return None, None


def _percent(value: object, where: str) -> float:
    try:
        number = float(value) if isinstance(value, (str, int, float)) else None
    except ValueError:
        number = None
    if number is None or isinstance(value, bool) or not 0 <= number <= 100:
        raise UsageError(f"{where}: coverage threshold must be a number from 0 to 100")
    return number


# --- reading files --------------------------------------------------------------------------


def _ini(path: Path) -> RawConfigParser | None:
    """``path`` parsed as INI, or ``None`` when it cannot be (the tool will say why)."""
    import configparser  # noqa: PLC0415 - only projects with INI files pay for it

    parser = configparser.RawConfigParser(strict=False)
    try:
        parser.read_string(path.read_text(encoding="utf-8", errors="replace"), source=str(path))
    except (OSError, configparser.Error):
        return None
    return parser


def _toml(path: Path) -> dict[str, Any] | None:
    with contextlib.suppress(UsageError):
        return read_toml(path, missing="")
    return None


def _shown(path: Path, root: Path) -> str:
    """``path`` relative to the project when inside it, else absolute."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _inside(path: Path, root: Path) -> bool:
    """A regular file that, followed through symlinks, stays in the project (or is above it)."""
    if not path.is_file():
        return False
    if path.parent != root and root not in path.parents:
        return True  # a parent directory's file, as the tools read it
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return True


def _config_files(
    root: Path, names: Sequence[str], *, stop_at_repository: bool = False
) -> Iterator[tuple[Path, bool]]:
    """The files named ``names`` in ``root``, then in each parent, in a tool's lookup order.

    Each is yielded with whether it is in ``root`` itself; only files :func:`_inside` allows
    are. ``stop_at_repository``: no parent above a ``.git`` or ``.hg`` directory is searched.
    """
    for directory in (root, *root.parents):
        for name in names:
            path = directory / name
            if _inside(path, root):
                yield path, directory == root
        if stop_at_repository and any((directory / vcs).exists() for vcs in (".git", ".hg")):
            return


def _split_list(value: object) -> tuple[str, ...]:
    """A list setting: a TOML list, or a string split on commas and lines (INI)."""
    if isinstance(value, list):
        return tuple(str(item).strip() for item in value if str(item).strip())
    if isinstance(value, str):
        return tuple(
            part.strip() for line in value.splitlines() for part in line.split(",") if part.strip()
        )
    return ()


# --- pytest ---------------------------------------------------------------------------------


def _pytest_settings(path: Path, pyproject: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The pytest settings of one candidate file, or ``None`` when it has none for pytest."""
    name = path.name
    if name in ("pytest.toml", ".pytest.toml"):
        document = _toml(path) or {}
        table = document.get("pytest")
        return table if isinstance(table, dict) else {}
    if name in ("pytest.ini", ".pytest.ini"):
        parser = _ini(path)
        return dict(parser["pytest"]) if parser is not None and parser.has_section("pytest") else {}
    if name == "pyproject.toml":
        parsed = pyproject if pyproject is not None else (_toml(path) or {})
        table = tool_table(dict(parsed), "pytest")
        native = {key: value for key, value in table.items() if key != "ini_options"}
        if native:
            return native
        ini_options = table.get("ini_options")
        return ini_options if isinstance(ini_options, dict) else None
    section = "tool:pytest" if name == "setup.cfg" else "pytest"
    parser = _ini(path)
    return dict(parser[section]) if parser is not None and parser.has_section(section) else None


def _addopts(value: object) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(str(item) for item in value)
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            return tuple(shlex.split(value, comments=True))
    return ()


def read_pytest_config(root: Path, pyproject: Mapping[str, Any] | None = None) -> PytestConfig:
    """The pytest configuration of a run started in ``root`` with no arguments."""
    root = root.resolve()
    first_pyproject: Path | None = None
    for path, in_root in _config_files(root, PYTEST_FILES):
        if path.name == "pyproject.toml" and first_pyproject is None:
            first_pyproject = path
        settings = _pytest_settings(path, pyproject if in_root else None)
        if settings is not None:
            return PytestConfig(file=_shown(path, root), addopts=_addopts(settings.get("addopts")))
    # No settings anywhere: the first pyproject.toml still makes pytest's rootdir.
    return PytestConfig(file=_shown(first_pyproject, root) if first_pyproject else None)


# --- coverage -------------------------------------------------------------------------------


def _coverage_candidates(cov_config: str | None) -> list[tuple[str, bool]]:
    """``(file, is coverage's own file)`` in coverage's order under pytest-cov."""
    first = cov_config or COVERAGE_RC
    return [
        (first, True),
        (".coveragerc.toml", True),
        ("setup.cfg", False),
        ("tox.ini", False),
        ("pyproject.toml", False),
    ]


def _toml_section(document: Mapping[str, Any], dotted: str) -> dict[str, Any] | None:
    table: Any = document
    for part in dotted.split("."):
        table = table.get(part) if isinstance(table, dict) else None
    return table if isinstance(table, dict) else None


#: ``{"run": {option: value}, "report": {...}}`` and the section ``fail_under`` is read from.
_CoverageSettings = tuple[dict[str, dict[str, Any]], str]


def _coverage_from_toml(document: Mapping[str, Any], own: bool) -> _CoverageSettings | None:
    """A TOML file's coverage settings (coverage picks the first prefix that has the table)."""
    prefixes = ("tool.coverage.", "") if own else ("tool.coverage.",)
    found: dict[str, dict[str, Any]] = {}
    names: dict[str, str] = {}
    for kind in ("run", "report"):
        for prefix in prefixes:
            table = _toml_section(document, prefix + kind)
            if table is not None:
                found[kind], names[kind] = table, f"[{prefix}{kind}]"
                break
    coverage = tool_table(dict(document), "coverage")
    if not own and not any(isinstance(table, dict) and table for table in coverage.values()):
        return None
    return (
        {"run": found.get("run", {}), "report": found.get("report", {})},
        names.get("report", f"[{prefixes[0]}report]"),
    )


def _coverage_from_ini(parser: RawConfigParser, own: bool) -> _CoverageSettings | None:
    """An INI file's coverage settings (coverage reads each option from the first prefix)."""
    prefixes = ("coverage:", "") if own else ("coverage:",)
    found: dict[str, dict[str, Any]] = {"run": {}, "report": {}}
    fail_under_section = f"[{prefixes[0]}report]"
    for kind in ("run", "report"):
        for prefix in reversed(prefixes):  # the first prefix wins: read it last
            section = prefix + kind
            if parser.has_section(section):
                found[kind].update(dict(parser[section]))
                if parser.has_option(section, "fail_under"):
                    fail_under_section = f"[{section}]"
    settings = any(
        parser.options(section) for section in parser.sections() if section.startswith("coverage:")
    )
    if not own and not settings:
        return None
    return found, fail_under_section


def read_coverage_config(
    root: Path, pytest: PytestConfig, pyproject: Mapping[str, Any] | None = None
) -> CoverageConfig:
    """The configuration coverage reads when pytest-cov starts it in ``root``."""
    for name, own in _coverage_candidates(pytest.cov_config):
        path = root / name
        if not _inside(path, root):
            continue
        if path.suffix == ".toml":
            document = (
                pyproject if name == "pyproject.toml" and pyproject is not None else _toml(path)
            )
            read = _coverage_from_toml(document or {}, own) if document is not None else None
        else:
            parser = _ini(path)
            read = _coverage_from_ini(parser, own) if parser is not None else None
        if read is None:
            continue
        settings, report_section = read
        run, report = settings["run"], settings["report"]
        return CoverageConfig(
            file=_shown(path, root),
            report_section=report_section,
            source=_split_list(run.get("source")),
            source_pkgs=_split_list(run.get("source_pkgs")),
            fail_under=report.get("fail_under"),
        )
    return CoverageConfig()


# --- mypy -----------------------------------------------------------------------------------


def _boolean(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("1", "yes", "true", "on"):
            return True
        if lowered in ("0", "no", "false", "off"):
            return False
    return None


def _mypy_settings(path: Path, pyproject: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The global mypy settings of one candidate file, or ``None`` when it does not count."""
    if path.suffix == ".toml":
        document = pyproject if pyproject is not None else _toml(path)
        if document is None or "mypy" not in (document.get("tool") or {}):
            return None
        return tool_table(dict(document), "mypy")
    parser = _ini(path)
    if parser is None:
        return None
    if parser.has_section("mypy"):
        return dict(parser["mypy"])
    # mypy.ini and .mypy.ini are mypy's whatever they hold; setup.cfg needs [mypy].
    return {} if path.name in ("mypy.ini", ".mypy.ini") else None


def read_mypy_config(root: Path, pyproject: Mapping[str, Any] | None = None) -> MypyConfig:
    """The mypy configuration of a run started in ``root``."""
    root = root.resolve()
    for path, in_root in _config_files(root, MYPY_FILES, stop_at_repository=True):
        settings = _mypy_settings(path, pyproject if in_root else None)
        if settings is not None:
            return MypyConfig(
                file=_shown(path, root),
                files=_split_list(settings.get("files")),
                ignore_missing_imports=_boolean(settings.get("ignore_missing_imports")),
            )
    return MypyConfig()


# --- flake8, ruff, yapf, tox ---------------------------------------------------------------


def _ini_value(value: object) -> str:
    """A ``[tool.flake8]`` value as flake8 reads it from an INI file (lists joined by commas)."""
    if isinstance(value, list):
        return ",".join(str(item) for item in value)
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def read_flake8_config(root: Path, pyproject: Mapping[str, Any] | None = None) -> Flake8Config:
    """The project's flake8 settings, where flake8 (or Flake8-pyproject) reads them.

    flake8 takes the first of ``setup.cfg``, ``tox.ini`` and ``.flake8`` that has a
    ``[flake8]`` section, even an empty one; ``pyproject.toml [tool.flake8]`` counts when none
    has (the Flake8-pyproject plugin's table: cachetools, tqdm).
    """
    for name in FLAKE8_FILES:
        path = root / name
        if not _inside(path, root):
            continue
        parser = _ini(path)
        if parser is not None and parser.has_section("flake8"):
            options = {
                option.replace("_", "-"): parser.get("flake8", option)
                for option in parser.options("flake8")
            }
            return Flake8Config(name, options)
    section = (pyproject or {}).get("tool", {}).get("flake8")
    if isinstance(section, dict) and section:
        options = {str(key).replace("_", "-"): _ini_value(value) for key, value in section.items()}
        return Flake8Config("pyproject.toml", options)
    return Flake8Config()


def read_ruff_config(root: Path, pyproject: Mapping[str, Any] | None = None) -> RuffConfig:
    """The configuration ruff reads when run in ``root`` (its own lookup, up the directories)."""
    root = root.resolve()
    for path, in_root in _config_files(root, RUFF_FILES):
        is_pyproject = path.name == "pyproject.toml"
        parsed = pyproject if in_root and is_pyproject else None
        document = parsed if parsed is not None else (_toml(path) or {})
        if is_pyproject:
            table = (document.get("tool") or {}).get("ruff")
            if not isinstance(table, dict):
                continue
        else:
            table = dict(document)
        return RuffConfig(_shown(path, root), "target-version" in table)
    return RuffConfig()


def read_yapf_config(root: Path, pyproject: Mapping[str, Any] | None = None) -> str | None:
    """Where the project configures yapf (``pyproject.toml [tool.yapf]``...), if it does."""
    if isinstance((pyproject or {}).get("tool", {}).get("yapf"), dict):
        return "pyproject.toml [tool.yapf]"
    if _inside(root / ".style.yapf", root):
        return ".style.yapf"
    parser = _ini(root / "setup.cfg") if _inside(root / "setup.cfg", root) else None
    if parser is not None and parser.has_section("yapf"):
        return "setup.cfg [yapf]"
    return None


def tox_dependencies(root: Path, pyproject: Mapping[str, Any] | None = None) -> frozenset[str]:
    """The packages any tox environment installs (``deps``), by normalized name.

    tox's configuration is read by :mod:`research_ci.toxconfig`, wherever tox reads it: the
    linters and formatters a project runs through tox (cachetools' ``[testenv:flake8]``) are
    declared there only.
    """
    config = read_tox(root, pyproject or {})
    return frozenset() if config is None else dependency_names(config, root)


def flake8_hook_dependencies(root: Path) -> frozenset[str]:
    """The plugins a flake8 pre-commit hook installs (its ``additional_dependencies``)."""
    found = project_file(root, ".pre-commit-config.yaml") or project_file(
        root, ".pre-commit-config.yml"
    )
    if found is None:
        return frozenset()
    import yaml  # noqa: PLC0415 - only projects with a pre-commit configuration need it

    try:
        document = safe_load(found.read_text(encoding="utf-8", errors="replace"))
    except (OSError, yaml.YAMLError):
        return frozenset()
    repos = document.get("repos") if isinstance(document, dict) else None
    names: set[str] = set()
    for repo in repos if isinstance(repos, list) else []:
        hooks = repo.get("hooks") if isinstance(repo, dict) else None
        for hook in hooks if isinstance(hooks, list) else []:
            if not isinstance(hook, dict) or hook.get("id") != "flake8":
                continue
            extra = hook.get("additional_dependencies")
            for item in extra if isinstance(extra, list) else []:
                name = requirement_name(item) if isinstance(item, str) else None
                if name is not None:
                    names.add(name)
    return frozenset(names)


def read_tool_configs(root: Path, pyproject: Mapping[str, Any] | None = None) -> ToolConfigs:
    """Every tool configuration of the project at ``root`` (``pyproject``: its parsed file)."""
    pytest = read_pytest_config(root, pyproject)
    return ToolConfigs(
        pytest=pytest,
        coverage=read_coverage_config(root, pytest, pyproject),
        mypy=read_mypy_config(root, pyproject),
        flake8_config=read_flake8_config(root, pyproject),
        ruff=read_ruff_config(root, pyproject),
    )


def shown_options(options: Sequence[str], limit: int = 3) -> str:
    """``max-line-length, extend-ignore and 2 more``."""
    if len(options) <= limit:
        return ", ".join(options)
    return f"{', '.join(options[:limit])} and {len(options) - limit} more"


def setup_python_requires(root: Path) -> tuple[str, str] | None:
    """``python_requires`` of ``setup.cfg``, else ``setup.py`` (as written), and its file.

    ruff and black read the supported Pythons only from ``[project] requires-python``; a
    setuptools project without ``[project]`` states them here.
    """
    if project_file(root, "setup.cfg"):
        facts, _package = read_setup_cfg(root / "setup.cfg")
        if facts.python_requires:
            return facts.python_requires, "setup.cfg"
    if project_file(root, "setup.py"):
        facts = read_setup_py(root / "setup.py")
        if facts.python_requires:
            return facts.python_requires, "setup.py"
    return None
