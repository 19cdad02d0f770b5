"""Read a project's settings from its pyproject.toml.

research-ci's own table is ``[tool.research-ci]``; the tools it runs read their own tables
(``[tool.black]``, ``[tool.ruff]``, ``[tool.mypy]``, ``[tool.pytest.ini_options]``,
``[tool.coverage.*]``) themselves. Only coverage's ``fail_under`` is read here, because it is
the coverage threshold when present. Unknown keys are refused so a typo never silently
disables a gate.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Any

from research_ci.checks.registry import CHECK_NAMES, CHECKS
from research_ci.errors import UsageError
from research_ci.grade import GRADES

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

DEFAULT_COVERAGE_THRESHOLD = 80.0
DEFAULT_MINIMUM_GRADE = "C"
KNOWN_KEYS = frozenset(
    {
        "minimum-grade",
        "coverage-threshold",
        "checks",
        "paths",
        "report-url",
        "timeout",
        "data",
    }
)


@dataclasses.dataclass(frozen=True, kw_only=True)
class Settings:
    """Everything ``research-ci check`` needs to know about one project."""

    root: Path
    project_name: str
    pyproject: dict[str, Any]
    checks: tuple[str, ...]
    minimum_grade: str
    coverage_threshold: float
    coverage_threshold_source: str
    paths: tuple[str, ...]
    report_url: str | None
    timeout_s: float
    data: dict[str, Any]

    @property
    def file_tool_paths(self) -> tuple[str, ...]:
        """What black and ruff are given: the configured paths, else ``.``.

        With ``.`` their own include/exclude settings decide, as when a developer runs them.
        """
        configured = "paths" in self.pyproject.get("tool", {}).get("research-ci", {})
        return self.paths if configured else (".",)

    @property
    def has_project_table(self) -> bool:
        """True when the project is installable (PEP 621 ``[project]`` and a build system)."""
        return "project" in self.pyproject

    def optional_dependency_groups(self) -> list[str]:
        """Extras worth installing for checks: ``test``, ``tests``, ``dev`` when defined."""
        extras = self.pyproject.get("project", {}).get("optional-dependencies", {})
        return [name for name in ("test", "tests", "dev") if name in extras]

    def dependency_groups(self) -> list[str]:
        """PEP 735 groups worth installing for checks: ``test``, ``tests``, ``dev``."""
        groups = self.pyproject.get("dependency-groups", {})
        return [name for name in ("test", "tests", "dev") if name in groups]


def read_pyproject(root: Path) -> dict[str, Any]:
    """Parse ``root/pyproject.toml`` or raise a one-line :class:`UsageError`."""
    if not root.exists():
        raise UsageError(f"path does not exist: {root}")
    if not root.is_dir():
        raise UsageError(f"not a directory: {root}")
    path = root / "pyproject.toml"
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise UsageError(
            f"no pyproject.toml in {root}: research-ci reads the project's settings from it"
        ) from exc
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}: not UTF-8 ({exc.reason} at byte {exc.start})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: invalid TOML: {exc}") from exc


def parse_checks(value: object, *, source: str) -> tuple[str, ...]:
    """Turn ``"format,lint"`` or ``["format", "lint"]`` into a validated tuple."""
    if isinstance(value, str):
        items = [item.strip() for item in value.split(",") if item.strip()]
    elif isinstance(value, list) and all(isinstance(item, str) for item in value):
        items = [item.strip() for item in value]
    else:
        raise UsageError(f"{source}: expected a list of check names")
    unknown = [item for item in items if item not in CHECK_NAMES]
    if unknown:
        raise UsageError(
            f"{source}: unknown check {', '.join(repr(u) for u in unknown)}; "
            f"choose from {', '.join(CHECK_NAMES)}"
        )
    if not items:
        raise UsageError(f"{source}: no checks selected")
    return tuple(dict.fromkeys(items))


def _default_paths(root: Path) -> tuple[str, ...]:
    candidates = [name for name in ("src", "tests", "scripts") if (root / name).is_dir()]
    return tuple(candidates) or (".",)


def _threshold(value: object, *, source: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
        raise UsageError(f"{source}: coverage threshold must be a number from 0 to 100")
    return float(value)


def load_settings(root: Path) -> Settings:
    """Read and validate the settings of the project at ``root``."""
    root = root.resolve()
    pyproject = read_pyproject(root)
    where = f"{root / 'pyproject.toml'} [tool.research-ci]"
    table = pyproject.get("tool", {}).get("research-ci", {})
    if not isinstance(table, dict):
        raise UsageError(f"{where}: expected a table")
    unknown = sorted(set(table) - KNOWN_KEYS)
    if unknown:
        raise UsageError(
            f"{where}: unknown key {', '.join(unknown)}; "
            f"known keys: {', '.join(sorted(KNOWN_KEYS))}"
        )

    data = table.get("data", {})
    if not isinstance(data, dict):
        raise UsageError(f"{where}: 'data' must be a table ([tool.research-ci.data])")
    default_checks = [
        spec.name
        for spec in CHECKS
        if spec.default or (spec.table is not None and table.get(spec.table))
    ]
    checks = parse_checks(table.get("checks", default_checks), source=f"{where} checks")

    minimum = table.get("minimum-grade", DEFAULT_MINIMUM_GRADE)
    if not isinstance(minimum, str) or minimum.upper() not in GRADES:
        raise UsageError(f"{where}: minimum-grade must be one of {', '.join(GRADES)}")

    coverage_report = pyproject.get("tool", {}).get("coverage", {}).get("report", {})
    own_threshold = _threshold(
        table.get("coverage-threshold", DEFAULT_COVERAGE_THRESHOLD),
        source=f"{where} coverage-threshold",
    )
    if "fail_under" in coverage_report:
        threshold = _threshold(
            coverage_report["fail_under"], source="[tool.coverage.report] fail_under"
        )
        threshold_source = "[tool.coverage.report] fail_under"
    else:
        threshold = own_threshold
        threshold_source = (
            "[tool.research-ci] coverage-threshold" if "coverage-threshold" in table else "default"
        )

    paths = table.get("paths")
    if paths is None:
        resolved_paths = _default_paths(root)
    elif isinstance(paths, list) and paths and all(isinstance(item, str) for item in paths):
        resolved_paths = tuple(paths)
    else:
        raise UsageError(f"{where}: paths must be a non-empty list of strings")

    report_url = table.get("report-url")
    if report_url is not None and not isinstance(report_url, str):
        raise UsageError(f"{where}: report-url must be a string")
    timeout = table.get("timeout", 1800)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        raise UsageError(f"{where}: timeout must be a positive number of seconds")

    name = pyproject.get("project", {}).get("name") or root.name
    return Settings(
        root=root,
        project_name=str(name),
        pyproject=pyproject,
        checks=checks,
        minimum_grade=minimum.upper(),
        coverage_threshold=threshold,
        coverage_threshold_source=threshold_source,
        paths=resolved_paths,
        report_url=report_url or None,
        timeout_s=float(timeout),
        data=data,
    )
