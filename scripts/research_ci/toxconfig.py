"""What a project's tox configuration says: its test dependencies, tool pins and tool paths.

Many projects declare how their tests run only in tox: the test dependencies (tqdm has no
test extra, its ``[testenv] deps`` list pytest-asyncio, numpy, pandas...), the versions of
their tools (h11's ``[testenv:mypy] deps = mypy==1.8.0``) and the paths the tools check
(``mypy h11/``). research-ci reads them, and never runs tox.

tox reads the first of ``tox.ini``, ``setup.cfg`` (with a ``[tox:tox]`` section),
``pyproject.toml`` (``legacy_tox_ini``, else ``[tool.tox]``) and ``tox.toml``; so does this
module. The INI form is read with :mod:`configparser` and tox's own rules for a value: a
line starting with ``#`` is a comment, so is the rest of a line from a ``#`` that no
backslash escapes, a backslash at the end of a line continues it, and a line
``factors: text`` applies only to the environments with those factors. Substitutions that
can be resolved without running anything are (``{toxinidir}``, ``{tox_root}``,
``{[section]key}``); a line with any other is left out, and so is a line for factors other
than an environment without any (``py38: x``; ``!pypy: x`` applies). tox 4's TOML form
(``[tool.tox]``, ``tox.toml``) is read for ``deps``, ``dependency_groups`` and ``commands``
given as plain strings.
"""

from __future__ import annotations

import dataclasses
import re
import shlex
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from research_ci.errors import UsageError
from research_ci.layout import normalize, project_file, requirement_name, requirement_names
from research_ci.pyproject import read_toml

if TYPE_CHECKING:
    import configparser

#: The base section of every test environment, and the prefix of a named one.
BASE = "testenv"
_ENV_PREFIX = "testenv:"
#: tox's inline comment: a ``#`` no backslash escapes, and the blanks before it.
_COMMENT = re.compile(r"\s*(?<!\\)#.*")
#: tox's factor condition at the start of a line: ``py38,pypy: text``.
_FACTORS = re.compile(r"^(?P<factors>[\w{}.!,-]+):\s+(?P<content>.*)$")
_SECTION_REFERENCE = re.compile(r"\{\[(?P<section>[^\]]+)\](?P<key>[^}:]+)\}")
_INCLUDE = re.compile(r"^(?:-r|--requirement)\s*=?\s*(?P<path>\S+)$")
#: Options of black and mypy that take a value (so it is no path to check).
_VALUE_OPTIONS: Mapping[str, frozenset[str]] = {
    "black": frozenset(
        {
            "--config",
            "-l",
            "--line-length",
            "-t",
            "--target-version",
            "--include",
            "--exclude",
            "--extend-exclude",
            "--force-exclude",
            "--stdin-filename",
            "-W",
            "--workers",
            "--required-version",
            "--python-cell-magics",
        }
    ),
    "mypy": frozenset(
        {
            "--config-file",
            "--cache-dir",
            "--python-version",
            "--python-executable",
            "--platform",
            "--exclude",
            "--junit-xml",
            "--custom-typeshed-dir",
            "--always-true",
            "--always-false",
            "--enable-error-code",
            "--disable-error-code",
            "--follow-imports",
            "--package-root",
            "--html-report",
            "--txt-report",
            "--xml-report",
            "--linecount-report",
            "--any-exprs-report",
            "--cobertura-xml-report",
            "--lineprecision-report",
            "--xslt-html-report",
            "--xslt-txt-report",
        }
    ),
}
#: Options that mean the command checks no paths (mypy ``-p pkg``, ``black -c code``).
_NOT_PATHS: Mapping[str, frozenset[str]] = {
    "black": frozenset({"-c", "--code"}),
    "mypy": frozenset({"-p", "--package", "-m", "--module", "-c", "--command"}),
}
_CHECKED_SUFFIXES = (".py", ".pyi", ".ipynb")


@dataclasses.dataclass(frozen=True)
class ToxEnv:
    """One tox environment section: its dependency lines and commands, as tox reads them."""

    #: ``testenv`` or ``testenv:mypy``.
    section: str
    deps: tuple[str, ...] = ()
    dependency_groups: tuple[str, ...] = ()
    #: Each command as its arguments (tox's ``-`` prefix, which ignores its exit, removed).
    commands: tuple[tuple[str, ...], ...] = ()
    #: Lines left out, and why (``tf: tensorflow (only for the factors tf)``).
    skipped: tuple[str, ...] = ()
    #: The requirements of ``deps`` lines only some factors get (``tensorflow`` of
    #: ``tf: tensorflow``): not installed, but they say which tools the project uses.
    factor_deps: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class ToxConfig:
    """The tox configuration of a project."""

    #: The file tox reads (``tox.ini``, ``setup.cfg``, ``pyproject.toml``, ``tox.toml``).
    file: str
    #: The file and the part of it, in words: ``pyproject.toml legacy_tox_ini``.
    where: str
    #: Environments in the order they are written, the base one (``testenv``) first.
    envs: tuple[ToxEnv, ...] = ()

    @property
    def base(self) -> ToxEnv | None:
        """The ``[testenv]`` section every environment inherits from."""
        return next((env for env in self.envs if env.section == BASE), None)

    def place(self, env: ToxEnv, key: str) -> str:
        """``tox.ini [testenv:mypy] deps``: where a value was read, for messages."""
        return f"{self.where} [{env.section}] {key}"


# --- reading the INI form ------------------------------------------------------------------


def _raw_lines(value: str) -> list[str]:
    """A value's lines with tox's comments removed and its continuation lines joined."""
    kept = [
        _COMMENT.sub("", line).replace("\\#", "#")
        for line in value.replace("\r", "").split("\n")
        if not line.lstrip().startswith("#")
    ]
    return "\n".join(kept).replace("\\\n", "").split("\n")


def _factor_free(lines: Sequence[str]) -> tuple[list[str], list[str]]:
    """The lines an environment with no factors gets, and those it does not (with why)."""
    kept, skipped, _ = _split_factors(lines)
    return kept, skipped


def _split_factors(lines: Sequence[str]) -> tuple[list[str], list[str], list[str]]:
    """:func:`_factor_free`, plus the content of each line only some factors get."""
    kept: list[str] = []
    skipped: list[str] = []
    conditional: list[str] = []
    for line in lines:
        match = _FACTORS.match(line.strip())
        if match is None:
            kept.append(line)
            continue
        groups = [group.strip() for group in re.split(r",(?![^{]*\})", match["factors"])]
        if any(group and all(f.startswith("!") for f in group.split("-")) for group in groups):
            kept.append(match["content"])
        else:
            skipped.append(f"{match['content'].strip()} (only for the factors {match['factors']})")
            conditional.append(match["content"].strip())
    return kept, skipped, conditional


class _IniReader:
    """tox's INI sections, with the substitutions that need nothing run resolved."""

    def __init__(self, parser: configparser.ConfigParser, root: Path) -> None:
        self.parser = parser
        self.root = root

    def value(
        self, section: str, key: str, *, strict: bool = True, depth: int = 0
    ) -> tuple[list[str], list[str]]:
        """The lines of ``[section] key``, resolved, and the lines left out (with why).

        ``strict``: a line with a substitution left unresolved is left out (for ``deps``;
        a command keeps its ``{envpython}``, which names no path).
        """
        if depth > 8 or not self.parser.has_option(section, key):
            return [], []
        lines, skipped = _factor_free(_raw_lines(self.parser.get(section, key)))
        resolved: list[str] = []
        for line in lines:
            text = line.replace("{toxinidir}", str(self.root)).replace("{tox_root}", str(self.root))
            reference = _SECTION_REFERENCE.fullmatch(text.strip())
            if reference is not None:
                more, left = self.value(
                    reference["section"], reference["key"].strip(), strict=strict, depth=depth + 1
                )
                resolved += more
                skipped += left
            elif strict and "{" in text:
                skipped.append(f"{text.strip()} (a substitution research-ci does not resolve)")
            elif text.strip():
                resolved.append(text.strip())
        return resolved, skipped

    def env(self, section: str) -> ToxEnv:
        deps, skipped = self.value(section, "deps")
        raw = _raw_lines(self.parser.get(section, "deps", fallback=""))
        factor_deps = [line for line in _split_factors(raw)[2] if "{" not in line]
        groups, _ = self.value(section, "dependency_groups")
        commands, _ = self.value(section, "commands", strict=False)
        return ToxEnv(
            section=section,
            deps=tuple(deps),
            dependency_groups=tuple(
                name for line in groups for name in re.split(r"[\s,]+", line) if name
            ),
            commands=tuple(argv for line in commands if (argv := _command(line))),
            skipped=tuple(skipped),
            factor_deps=tuple(factor_deps),
        )


def _command(line: str) -> tuple[str, ...]:
    """A command's arguments; tox's ``-`` prefix (its exit code is ignored) removed."""
    try:
        argv = shlex.split(line)
    except ValueError:
        return ()
    if argv and argv[0] == "-":
        argv = argv[1:]
    elif argv and argv[0].startswith("-"):
        argv[0] = argv[0][1:]
    return tuple(argv)


def _read_ini(text: str, root: Path, file: str, where: str) -> ToxConfig:
    import configparser  # noqa: PLC0415 - only projects with an INI file pay for it

    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text, source=file)
    except configparser.Error:
        return ToxConfig(file, where)
    reader = _IniReader(parser, root)
    sections = [BASE] if parser.has_section(BASE) else []
    sections += [name for name in parser.sections() if name.startswith(_ENV_PREFIX)]
    return ToxConfig(file, where, tuple(reader.env(section) for section in sections))


# --- reading the TOML form -----------------------------------------------------------------


def _strings(value: object) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def _toml_env(section: str, table: Mapping[str, Any]) -> ToxEnv:
    deps = table.get("deps")
    commands = table.get("commands")
    plain: list[str] = []
    skipped: list[str] = []
    for item in deps if isinstance(deps, list) else []:
        if isinstance(item, str) and "{" not in item:
            plain.append(item.strip())
        else:
            skipped.append(f"{item!r} (a substitution research-ci does not resolve)")
    return ToxEnv(
        section=section,
        deps=tuple(plain),
        dependency_groups=tuple(_strings(table.get("dependency_groups"))),
        commands=tuple(
            tuple(_strings(command))
            for command in (commands if isinstance(commands, list) else [])
            if _strings(command)
        ),
        skipped=tuple(skipped),
    )


def _read_toml_table(table: Mapping[str, Any], file: str, where: str) -> ToxConfig:
    envs = [_toml_env(BASE, table.get("env_run_base") or {})]
    named = table.get("env")
    for name, env in (named if isinstance(named, dict) else {}).items():
        if isinstance(env, dict):
            envs.append(_toml_env(f"{_ENV_PREFIX}{name}", env))
    return ToxConfig(file, where, tuple(envs))


# --- which file -----------------------------------------------------------------------------


def _text(root: Path, name: str) -> str | None:
    path = project_file(root, name)
    try:
        return path.read_text(encoding="utf-8", errors="replace") if path else None
    except OSError:
        return None


def read_tox(root: Path, pyproject: Mapping[str, Any]) -> ToxConfig | None:
    """The tox configuration tox itself would read in ``root``, or ``None``."""
    text = _text(root, "tox.ini")
    if text is not None:
        return _read_ini(text, root, "tox.ini", "tox.ini")
    text = _text(root, "setup.cfg")
    if text is not None and re.search(r"^\[tox:tox\]", text, re.MULTILINE):
        return _read_ini(text, root, "setup.cfg", "setup.cfg")
    tool = pyproject.get("tool")
    tox = tool.get("tox") if isinstance(tool, dict) else None
    if isinstance(tox, dict) and isinstance(tox.get("legacy_tox_ini"), str):
        where = "pyproject.toml legacy_tox_ini"
        return _read_ini(tox["legacy_tox_ini"], root, "pyproject.toml", where)
    if isinstance(tox, dict) and tox:
        return _read_toml_table(tox, "pyproject.toml", "pyproject.toml [tool.tox]")
    if project_file(root, "tox.toml") is not None:
        try:
            document = read_toml(root / "tox.toml", missing="")
        except UsageError:
            return ToxConfig("tox.toml", "tox.toml")
        return _read_toml_table(document, "tox.toml", "tox.toml")
    return None


# --- what research-ci takes from it ----------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ToxDeps:
    """The plain requirements of an environment's ``deps``, and what was left out."""

    requirements: tuple[str, ...] = ()
    #: Requirements files (``-r FILE``) inside the project, relative to it.
    files: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()


def plain_deps(env: ToxEnv, root: Path) -> ToxDeps:
    """The lines of ``deps`` uv can install from PyPI: names and specifiers, ``-r`` files.

    URLs, paths, editable installs, constraints and options are left out (with why).
    """
    from packaging.requirements import InvalidRequirement, Requirement  # noqa: PLC0415

    requirements: list[str] = []
    files: list[str] = []
    skipped = list(env.skipped)
    for line in env.deps:
        include = _INCLUDE.match(line)
        if include is not None:
            relative = _inside(root, include["path"])
            if relative is not None:
                files.append(relative)
            else:
                skipped.append(f"{line} (not a file inside the project)")
            continue
        if line.startswith("-"):
            skipped.append(f"{line} (an option)")
            continue
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            requirement = None
        if requirement is None or requirement.url is not None:
            skipped.append(f"{line} (not a package on PyPI: a URL, a path?)")
        else:
            requirements.append(line)
    return ToxDeps(tuple(requirements), tuple(files), tuple(skipped))


def dependency_names(config: ToxConfig, root: Path) -> frozenset[str]:
    """Every package any environment installs, by normalized name, factor lines included.

    What a project runs through tox (cachetools' ``[testenv:flake8]``, h11's black in a
    ``-r format-requirements.txt``) is declared there only: this says which tools it adopted.
    """
    names: set[str] = set()
    for env in config.envs:
        deps = plain_deps(env, root)
        for line in (*deps.requirements, *env.factor_deps):
            name = requirement_name(line)
            if name is not None:
                names.add(name)
        for file in deps.files:
            names |= requirement_names(root / file, root)
    return frozenset(names)


def _inside(root: Path, path: str) -> str | None:
    candidate = Path(path)
    absolute = candidate if candidate.is_absolute() else root / candidate
    try:
        relative = absolute.resolve().relative_to(root.resolve()).as_posix()
    except (OSError, ValueError):
        return None
    return relative if project_file(root, relative) else None


def exact_pins(config: ToxConfig, names: Sequence[str]) -> dict[str, tuple[str, str, ToxEnv]]:
    """``name -> (version, where, env)`` for each of ``names`` pinned with ``==`` in ``deps``.

    The first environment that pins a tool wins (``[testenv]`` first, then the others in the
    order they are written).
    """
    wanted = {normalize(name) for name in names}
    pins: dict[str, tuple[str, str, ToxEnv]] = {}
    for env in config.envs:
        for line in env.deps:
            pin = exact_pin(line)
            if pin is not None and pin[0] in wanted and pin[0] not in pins:
                pins[pin[0]] = (pin[1], config.place(env, "deps"), env)
    return pins


def exact_pin(line: str) -> tuple[str, str] | None:
    """``("black", "23.3.0")`` for ``black==23.3.0`` (a single ``==`` of a plain version)."""
    from packaging.requirements import InvalidRequirement, Requirement  # noqa: PLC0415

    try:
        requirement = Requirement(line.split(" #", 1)[0].strip())
    except InvalidRequirement:
        return None
    specifiers = list(requirement.specifier)
    if len(specifiers) != 1 or specifiers[0].operator != "==" or "*" in specifiers[0].version:
        return None
    return normalize(requirement.name), specifiers[0].version


def stub_packages(env: ToxEnv) -> tuple[str, ...]:
    """The stub packages an environment installs beside its mypy (``types-requests``)."""
    return tuple(
        line
        for line in env.deps
        if (name := requirement_name(line)) is not None
        and (name.startswith("types-") or name.endswith("-stubs"))
    )


def _tool_of(argv: Sequence[str]) -> tuple[str, list[str]] | None:
    """The tool a command runs (``python -m mypy``, ``{envpython} -m black``), and its args."""
    args = list(argv)
    if len(args) >= 3 and args[1] == "-m" and Path(args[0]).name.startswith(("python", "{env")):
        return args[2], args[3:]
    if args:
        return Path(args[0]).name, args[1:]
    return None


def runs(config: ToxConfig, tool: str) -> str | None:
    """Where a tox command runs ``tool`` (``tox.ini [testenv:mypy] commands``), if one does."""
    for env in config.envs:
        for argv in env.commands:
            found = _tool_of(argv)
            if found is not None and found[0] == tool:
                return config.place(env, "commands")
    return None


def command_paths(config: ToxConfig, tool: str, root: Path) -> tuple[tuple[str, ...], str] | None:
    """The paths the first tox command running ``tool`` checks, and where it is written.

    Only positional arguments that are directories or Python files inside the project count;
    a command with none (``mypy`` alone, ``mypy -p pkg``) gives nothing.
    """
    for env in config.envs:
        for argv in env.commands:
            found = _tool_of(argv)
            if found is None or found[0] != tool:
                continue
            paths = _positional_paths(tool, found[1], root)
            if paths:
                return paths, config.place(env, "commands")
    return None


def _positional_paths(tool: str, args: Sequence[str], root: Path) -> tuple[str, ...]:
    takes_value = _VALUE_OPTIONS.get(tool, frozenset())
    paths: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg in _NOT_PATHS.get(tool, frozenset()):
            return ()
        elif arg.startswith("-"):
            skip = arg in takes_value
        elif (relative := _checked_path(root, arg)) is not None:
            paths.append(relative)
    return tuple(dict.fromkeys(paths))


def _checked_path(root: Path, arg: str) -> str | None:
    """``arg`` as the tool would take it: a directory or Python file inside the project."""
    candidate = root / arg
    try:
        resolved = candidate.resolve()
        resolved.relative_to(root.resolve())
    except (OSError, ValueError):
        return None
    if candidate.is_symlink() or not (
        resolved.is_dir() or (resolved.is_file() and resolved.suffix in _CHECKED_SUFFIXES)
    ):
        return None
    return arg
