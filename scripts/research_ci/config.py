"""A project's settings: its pyproject.toml read once, cleaned into a typed :class:`Settings`.

research-ci's own table is ``[tool.research-ci]``; each of its keys has one small
``clean_<key>`` function that turns the raw TOML value into a typed one or refuses it with one
line (a :class:`~research_ci.errors.UsageError`), and :data:`CLEANERS` lists them, so adding a
key (or a sub-table such as ``[tool.research-ci.data]``) is a field on :class:`Settings`, a
``clean_<key>`` and a line in :data:`CLEANERS`. Unknown keys are refused, so a typo never
silently disables a gate.

The tools research-ci runs read their own tables (``[tool.black]``, ``[tool.ruff]``,
``[tool.mypy]``, ``[tool.pytest.ini_options]``, ``[tool.coverage.*]``) themselves; the few facts
research-ci needs from them (is ``[tool.mypy] files`` set, coverage's ``source`` and
``fail_under``, is a formatter configured) are read here too, into :class:`ToolFacts`, and
what the project's files say about installing it into a :class:`~research_ci.layout.Layout`,
so that checks only ever see typed settings. pyproject.toml is optional: a ``setup.py``,
``setup.cfg`` or requirements project, or plain scripts, are checked with the defaults.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from research_ci.checks.registry import CHECK_NAMES, CHECKS
from research_ci.checks.tests import DEFAULT_THRESHOLD_FROM
from research_ci.data.settings import DataSettings, parse_data_settings
from research_ci.errors import UsageError
from research_ci.grade import GRADES
from research_ci.layout import (
    ENVIRONMENT_FILES,
    REQUIREMENTS_FILES,
    Layout,
    detect_layout,
    project_file,
)
from research_ci.maintainability import MaintainabilitySettings, parse_settings
from research_ci.model.settings import ModelSettings, parse_model_settings
from research_ci.pyproject import read_toml, tool_table
from research_ci.toolconfig import (
    flake8_hook_dependencies,
    read_tool_configs,
    read_yapf_config,
    setup_python_requires,
    tox_dependencies,
)

DEFAULT_COVERAGE_THRESHOLD = 80.0
DEFAULT_MINIMUM_GRADE = "C"
DEFAULT_TIMEOUT_S = 1800.0
FORMATTERS: tuple[str, ...] = ("black", "ruff")
#: ``all``: gate on everything; ``new``: only on what a change makes worse (the ratchet).
GATES: tuple[str, ...] = ("all", "new")
DEFAULT_BASELINE = "research-ci-baseline.json"


@dataclasses.dataclass(frozen=True, kw_only=True)
class ToolFacts:
    """What research-ci needs to know from the tools' own configuration (see :mod:`toolconfig`)."""

    #: mypy's ``files`` is set: mypy chooses what to check.
    mypy_files: bool = False
    #: The file mypy reads its settings from (``None``: the project has not configured mypy).
    mypy_config: str | None = None
    #: mypy's ``ignore_missing_imports`` is explicitly false: missing stubs are errors.
    mypy_missing_imports_reported: bool = False
    #: coverage's ``source`` (or ``source_pkgs``) is set: coverage chooses what to measure.
    coverage_source: bool = False
    #: The project's coverage threshold (pytest-cov's ``--cov-fail-under``, coverage's
    #: ``fail_under``), and where it is set.
    coverage_fail_under: float | None = None
    coverage_threshold_from: str | None = None
    #: The pytest configuration file in force, and whether its ``addopts`` choose coverage.
    pytest_config: str | None = None
    pytest_addopts_cov: bool = False
    #: A flake8 configuration file ruff does not read, and the settings in it.
    flake8_config: str | None = None
    flake8_options: tuple[str, ...] = ()
    #: Those settings (option -> value as written) and where, in words.
    flake8_settings: Mapping[str, str] = dataclasses.field(default_factory=dict)
    flake8_where: str = ""
    #: flake8 plugins the project installs (a flake8 pre-commit hook's, tox's, its own).
    flake8_plugins: frozenset[str] = frozenset()
    #: The packages tox installs (its ``deps``), by normalized name.
    tox_dependencies: frozenset[str] = frozenset()
    #: ruff's configuration file (``None``: ruff is not configured), and whether it sets
    #: ``target-version``.
    ruff_config: str | None = None
    ruff_target_version: bool = False
    #: ``[project] requires-python``; ``python_requires`` and the setup file it is in.
    requires_python: str | None = None
    setup_python_requires: tuple[str, str] | None = None
    #: ``[tool.black]`` is set.
    black_config: bool = False
    #: ruff's formatter is configured (``[tool.ruff.format]``, ``[format]`` in ruff.toml).
    ruff_format_config: bool = False
    #: Where yapf is configured (a formatter research-ci does not run), if it is.
    yapf_config: str | None = None


@dataclasses.dataclass(frozen=True, kw_only=True)
class Settings:
    """Everything ``research-ci check`` needs to know about one project, typed."""

    root: Path
    #: What the project's files say about installing it (see :mod:`research_ci.layout`).
    project: Layout
    tools: ToolFacts = ToolFacts()
    checks: tuple[str, ...]
    minimum_grade: str = DEFAULT_MINIMUM_GRADE
    coverage_threshold: float = DEFAULT_COVERAGE_THRESHOLD
    paths: tuple[str, ...]
    #: ``[tool.research-ci] paths`` was set (else black and ruff get ``.``).
    paths_configured: bool = False
    report_url: str | None = None
    timeout_s: float = DEFAULT_TIMEOUT_S
    #: ``[tool.research-ci] formatter``: ``black`` or ``ruff`` (``None``: detected).
    formatter: str | None = None
    data: DataSettings
    model: ModelSettings
    #: Where the coverage threshold comes from, in words.
    coverage_threshold_from: str = DEFAULT_THRESHOLD_FROM
    #: Checks that count in the report but neither in the grade nor in the gate, and why:
    #: ``[tool.research-ci] advisory``, else each check's own default
    #: (:attr:`~research_ci.checks.spec.CheckSpec.advisory_by_default`).
    advisory: Mapping[str, str] = dataclasses.field(default_factory=dict)
    #: ``[tool.research-ci.maintainability]``: thresholds, exclusions, minimum rating.
    maintainability: MaintainabilitySettings = dataclasses.field(
        default_factory=MaintainabilitySettings
    )
    #: ``all`` or ``new`` (see :mod:`research_ci.ratchet`).
    gate: str = "all"
    #: The committed baseline of accepted findings: ``baseline`` when set, else
    #: ``research-ci-baseline.json`` when that file exists.
    baseline: Path | None = None
    #: Coverage required of the changed lines under ``gate = "new"`` (default: the threshold).
    diff_coverage_threshold: float | None = None

    @property
    def diff_coverage_floor(self) -> float:
        """The diff coverage threshold that applies."""
        if self.diff_coverage_threshold is None:
            return self.coverage_threshold
        return self.diff_coverage_threshold

    @property
    def project_name(self) -> str:
        """The project's name (``[project] name``, else its directory's)."""
        return self.project.name

    @property
    def file_tool_paths(self) -> tuple[str, ...]:
        """What black and ruff are given: the configured paths, else ``.``.

        With ``.`` their own include/exclude settings decide, as when a developer runs them.
        """
        return self.paths if self.paths_configured else (".",)


# --- one clean_<key> per key of [tool.research-ci] ------------------------------------------


@dataclasses.dataclass(frozen=True)
class Place:
    """Where a value was read, for its messages (and the root its paths are relative to)."""

    #: The value: ``<pyproject> [tool.research-ci] checks``, or ``--only``.
    source: str
    #: Its table: ``<pyproject> [tool.research-ci]``.
    table: str = ""
    root: Path = Path()


def clean_checks(value: object, place: Place) -> tuple[str, ...]:
    """``"format,lint"`` or ``["format", "lint"]`` (also ``--only``) into a validated tuple."""
    if isinstance(value, str):
        items = [item.strip() for item in value.split(",") if item.strip()]
    elif isinstance(value, list) and all(isinstance(item, str) for item in value):
        items = [item.strip() for item in value]
    else:
        raise UsageError(f"{place.source}: expected a list of check names")
    unknown = [item for item in items if item not in CHECK_NAMES]
    if unknown:
        raise UsageError(
            f"{place.source}: unknown check {', '.join(repr(u) for u in unknown)}; "
            f"choose from {', '.join(CHECK_NAMES)}"
        )
    if not items:
        raise UsageError(f"{place.source}: no checks selected")
    return tuple(dict.fromkeys(items))


def clean_minimum_grade(value: object, place: Place) -> str:
    """One of A-F, in either case."""
    if not isinstance(value, str) or value.upper() not in GRADES:
        raise UsageError(f"{place.table}: minimum-grade must be one of {', '.join(GRADES)}")
    return value.upper()


def clean_coverage_threshold(value: object, place: Place) -> float:
    """A number from 0 to 100 (also coverage's own ``fail_under``)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
        raise UsageError(f"{place.source}: coverage threshold must be a number from 0 to 100")
    return float(value)


def clean_paths(value: object, place: Place) -> tuple[str, ...]:
    """A non-empty list of paths relative to the project."""
    if isinstance(value, list) and value and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise UsageError(f"{place.table}: paths must be a non-empty list of strings")


def clean_report_url(value: object, place: Place) -> str | None:
    """A URL the badges and the summary link to (empty: none)."""
    if not isinstance(value, str):
        raise UsageError(f"{place.table}: report-url must be a string")
    return value or None


#: A tool may run at most a week (``inf``, ``nan`` and ``1e300`` are refused).
MAX_TIMEOUT_S = 7 * 24 * 3600.0


def clean_timeout(value: object, place: Place) -> float:
    """Seconds each tool may run: a positive number, at most :data:`MAX_TIMEOUT_S`."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not 0 < value <= MAX_TIMEOUT_S  # false for nan too
    ):
        raise UsageError(
            f"{place.table}: timeout must be a positive number of seconds, at most "
            f"{MAX_TIMEOUT_S:.0f}"
        )
    return float(value)


def clean_formatter(value: object, place: Place) -> str:
    """``black`` or ``ruff`` (``ruff format``)."""
    if not isinstance(value, str) or value not in FORMATTERS:
        raise UsageError(f"{place.table}: formatter must be one of {', '.join(FORMATTERS)}")
    return value


def clean_advisory(value: object, place: Place) -> tuple[str, ...]:
    """A list of check names, possibly empty (``[]``: every check gates)."""
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise UsageError(f"{place.source}: expected a list of check names (may be empty)")
    return clean_checks(value, place) if value else ()


def clean_data(value: object, place: Place) -> DataSettings:
    """``[tool.research-ci.data]`` (see :mod:`research_ci.data.settings`)."""
    if not isinstance(value, dict):
        raise UsageError(f"{place.table}: 'data' must be a table ([tool.research-ci.data])")
    source = f"{place.root / 'pyproject.toml'} [tool.research-ci.data]"
    return parse_data_settings(value, root=place.root, source=source)


def clean_model(value: object, place: Place) -> ModelSettings:
    """``[tool.research-ci.model]`` (see :mod:`research_ci.model.settings`)."""
    if not isinstance(value, dict):
        raise UsageError(f"{place.table}: 'model' must be a table ([tool.research-ci.model])")
    source = f"{place.root / 'pyproject.toml'} [tool.research-ci.model]"
    return parse_model_settings(value, root=place.root, source=source)


def clean_maintainability(value: object, place: Place) -> MaintainabilitySettings:
    """``[tool.research-ci.maintainability]`` (see :mod:`research_ci.maintainability`)."""
    source = f"{place.root / 'pyproject.toml'} [tool.research-ci.maintainability]"
    return parse_settings(value, source=source)


def clean_gate(value: object, place: Place) -> str:
    """``all`` or ``new``."""
    if value not in GATES:
        raise UsageError(f'{place.table}: gate must be "all" or "new"')
    return str(value)


def clean_baseline(value: object, place: Place) -> Path:
    """A file inside the project."""
    if not isinstance(value, str) or not value:
        raise UsageError(f"{place.table}: baseline must be a file name")
    path = place.root / value
    if not path.resolve().is_relative_to(place.root.resolve()):
        raise UsageError(f"{place.table}: baseline must be inside the project")
    return path


#: ``[tool.research-ci]`` key -> (the :class:`Settings` field it sets, its cleaner).
CLEANERS: Mapping[str, tuple[str, Callable[[object, Place], Any]]] = {
    "checks": ("checks", clean_checks),
    "minimum-grade": ("minimum_grade", clean_minimum_grade),
    "coverage-threshold": ("coverage_threshold", clean_coverage_threshold),
    "paths": ("paths", clean_paths),
    "report-url": ("report_url", clean_report_url),
    "timeout": ("timeout_s", clean_timeout),
    "formatter": ("formatter", clean_formatter),
    "advisory": ("advisory", clean_advisory),
    "data": ("data", clean_data),
    "model": ("model", clean_model),
    "maintainability": ("maintainability", clean_maintainability),
    "gate": ("gate", clean_gate),
    "baseline": ("baseline", clean_baseline),
    "diff-coverage-threshold": ("diff_coverage_threshold", clean_coverage_threshold),
}


# --- reading ----------------------------------------------------------------------------------


def read_pyproject(root: Path) -> dict[str, Any]:
    """Parse ``root/pyproject.toml`` (empty when absent) or raise a one-line :class:`UsageError`.

    A directory with no pyproject.toml is still a project when it has a ``setup.py``,
    ``setup.cfg``, requirements file, ``environment.yml`` or Python files; an empty or
    unrelated directory is refused.
    """
    if not root.exists():
        raise UsageError(f"path does not exist: {root}")
    if not root.is_dir():
        raise UsageError(f"not a directory: {root}")
    if (root / "pyproject.toml").exists() or (root / "pyproject.toml").is_symlink():
        return read_toml(root / "pyproject.toml", missing=f"cannot read {root / 'pyproject.toml'}")
    if not looks_like_python_project(root):
        raise UsageError(
            f"no Python project in {root}: no pyproject.toml, setup.py, setup.cfg, "
            "requirements file, environment.yml or Python file"
        )
    return {}


def looks_like_python_project(root: Path) -> bool:
    """A setup file, a requirements file, or Python code at most two folders down.

    Two: a course or paper repository keeps its notebooks in ``lectures/part1/*.ipynb``
    (karpathy/nn-zero-to-hero).
    """
    markers = ("setup.py", "setup.cfg", *ENVIRONMENT_FILES, *REQUIREMENTS_FILES)
    if any((root / marker).is_file() for marker in markers):
        return True
    for pattern in ("*.py", "*.ipynb", "*/*.py", "*/*.ipynb", "*/*/*.py", "*/*/*.ipynb"):
        for path in root.glob(pattern):
            if not any(part.startswith(".") for part in path.relative_to(root).parts):
                return True
    return False


def _ruff_toml_formats(root: Path) -> bool:
    """``ruff.toml`` or ``.ruff.toml`` (which ruff reads before pyproject) has ``[format]``."""
    for name in ("ruff.toml", ".ruff.toml"):
        if project_file(root, name):
            with contextlib.suppress(UsageError):
                return "format" in read_toml(root / name, missing="")
    return False


def tool_facts(pyproject: dict[str, Any], root: Path) -> ToolFacts:
    """The facts research-ci reads from the tools' own configuration, wherever it lives."""
    configs = read_tool_configs(root, pyproject)
    threshold, threshold_from = configs.coverage_threshold()
    tox = tox_dependencies(root, pyproject)
    project = pyproject.get("project")
    requires_python = project.get("requires-python") if isinstance(project, dict) else None
    return ToolFacts(
        mypy_files=bool(configs.mypy.files),
        mypy_config=configs.mypy.file,
        mypy_missing_imports_reported=configs.mypy.ignore_missing_imports is False,
        coverage_source=bool(configs.coverage.source or configs.coverage.source_pkgs),
        coverage_fail_under=threshold,
        coverage_threshold_from=threshold_from,
        pytest_config=configs.pytest.file,
        pytest_addopts_cov=configs.pytest.measures_coverage,
        flake8_config=configs.flake8,
        flake8_options=configs.flake8_config.options,
        flake8_settings=dict(configs.flake8_config.settings),
        flake8_where=configs.flake8_config.where if configs.flake8 else "",
        flake8_plugins=tox | flake8_hook_dependencies(root),
        tox_dependencies=tox,
        ruff_config=configs.ruff.file,
        ruff_target_version=configs.ruff.target_version,
        requires_python=requires_python if isinstance(requires_python, str) else None,
        setup_python_requires=setup_python_requires(root),
        yapf_config=read_yapf_config(root, pyproject),
        black_config="black" in pyproject.get("tool", {}),
        ruff_format_config=bool(tool_table(pyproject, "ruff").get("format"))
        or _ruff_toml_formats(root),
    )


def _default_paths(root: Path) -> tuple[str, ...]:
    """``src`` with ``tests`` and ``scripts`` in a src layout; else the whole project.

    A flat layout (a package or modules at the top) has its code outside those folders.
    """
    if not (root / "src").is_dir():
        return (".",)
    return tuple(name for name in ("src", "tests", "scripts") if (root / name).is_dir())


def load_settings(root: Path) -> Settings:
    """Read and validate the settings of the project at ``root``."""
    root = root.resolve()
    pyproject = read_pyproject(root)
    where = f"{root / 'pyproject.toml'} [tool.research-ci]"
    table = tool_table(pyproject, "research-ci", file=str(root / "pyproject.toml"))
    unknown = sorted(set(table) - set(CLEANERS))
    if unknown:
        raise UsageError(
            f"{where}: unknown key {', '.join(unknown)}; known keys: {', '.join(sorted(CLEANERS))}"
        )
    cleaned = {
        CLEANERS[key][0]: CLEANERS[key][1](value, Place(f"{where} {key}", where, root))
        for key, value in table.items()
    }
    tools = tool_facts(pyproject, root)
    if tools.coverage_fail_under is not None:
        cleaned["coverage_threshold"] = tools.coverage_fail_under
        cleaned["coverage_threshold_from"] = tools.coverage_threshold_from
    elif "coverage-threshold" in table:
        cleaned["coverage_threshold_from"] = "[tool.research-ci] coverage-threshold"
    advisory: tuple[str, ...] | None = cleaned.pop("advisory", None)
    cleaned.setdefault(
        "checks",
        tuple(
            spec.name
            for spec in CHECKS
            if spec.default or (spec.table is not None and table.get(spec.table))
        ),
    )
    if "baseline" not in cleaned and (root / DEFAULT_BASELINE).is_file():
        cleaned["baseline"] = root / DEFAULT_BASELINE
    settings = Settings(
        root=root,
        project=detect_layout(root, pyproject),
        tools=tools,
        paths=cleaned.pop("paths", None) or _default_paths(root),
        paths_configured="paths" in table,
        data=cleaned.pop("data", None) or clean_data({}, Place(where, where, root)),
        model=cleaned.pop("model", None) or clean_model({}, Place(where, where, root)),
        **cleaned,
    )
    return dataclasses.replace(settings, advisory=advisory_checks(settings, advisory))


def advisory_checks(settings: Settings, listed: tuple[str, ...] | None) -> dict[str, str]:
    """Each advisory check and why: as listed in ``advisory``, else by the checks' defaults."""
    if listed is not None:
        return dict.fromkeys(listed, "listed in [tool.research-ci] advisory")
    reasons: dict[str, str] = {}
    for spec in CHECKS:
        why = spec.advisory_by_default(settings) if spec.advisory_by_default else None
        if why:
            reasons[spec.name] = why
    return reasons
