"""Maintainability: Code Climate's checks, measured locally, and an A-F rating per file.

Three well-kept, fast tools do the measuring (chosen on
``benchmarks/compare_maintainability_tools.py``; nothing is computed here that they compute):

- complexipy: cognitive complexity and the span of every function and method (in a process
  of its own, :mod:`research_ci.cognitive`);
- ruff (``--isolated``, every threshold at 0 so each function reports its value): cyclomatic
  complexity (C901), arguments (PLR0913), return statements (PLR0911), nested blocks (PLR1702)
  and boolean expressions in one condition (PLR0916);
- jscpd: identical and similar (renamed) token blocks across files.

research-ci adds the thresholds, lines of code, functions per class or module, the remediation
minutes of each issue and the rating: a file's technical-debt ratio is its remediation minutes
against the time to write its lines (the table is in :mod:`research_ci.grade`). Notebooks are
measured cell by cell (:mod:`research_ci.codeunits`).
"""

from __future__ import annotations

import dataclasses
import json
import re
import sys
import sysconfig
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol

from research_ci.codeunits import CodeUnit, code_lines, read_units
from research_ci.errors import UsageError
from research_ci.fingerprint import code_fingerprint, message_fingerprint
from research_ci.grade import GRADES, debt_ratio, rating_for_ratio, remediation_for
from research_ci.process import ToolError, run_tool
from research_ci.toml_values import reject_unknown

#: Threshold of each rule (the largest value that is fine); Code Climate's default in comments.
DEFAULT_THRESHOLDS: Mapping[str, int] = {
    "method-complexity": 15,  # Code Climate 5; SonarSource and complexipy use 15
    "cyclomatic-complexity": 10,  # McCabe's own limit; ruff's and mccabe's default
    "method-lines": 50,  # Code Climate 25 lines of code
    "argument-count": 5,  # Code Climate 4 (it counts self); ruff and pylint 5
    "return-statements": 4,  # Code Climate 4; ruff 6
    "nested-control-flow": 4,  # Code Climate 4; ruff 5
    "complex-logic": 4,  # Code Climate 4; ruff 5 (counts the operands of and/or)
    "method-count": 20,  # Code Climate 20
    "file-lines": 400,  # Code Climate 250 lines of code
    "identical-code": 6,  # lines; jscpd 5
    "similar-code": 6,  # lines
}
RULES: tuple[str, ...] = tuple(DEFAULT_THRESHOLDS)
DEFAULT_EXCLUDE: tuple[str, ...] = (
    "tests",
    "test",
    "**/tests",
    "**/test",
    "docs",
    "**/conftest.py",
)
DEFAULT_DUPLICATE_TOKENS = 50
#: F: any rating passes the check (the grade still counts the debt); set C to fail under C.
DEFAULT_MINIMUM_RATING = "F"
SETTING_KEYS = frozenset({*RULES, "duplicate-tokens", "exclude", "minimum-rating"})

RUFF_RULES: Mapping[str, str] = {
    "C901": "cyclomatic-complexity",
    "PLR0913": "argument-count",
    "PLR0911": "return-statements",
    "PLR1702": "nested-control-flow",
    "PLR0916": "complex-logic",
}
#: ruff's thresholds of :data:`RUFF_RULES` at 0: every function reports its value.
RUFF_ZERO = (
    "lint.mccabe.max-complexity=0",
    "lint.pylint.max-args=0",
    "lint.pylint.max-returns=0",
    "lint.pylint.max-nested-blocks=0",
    "lint.pylint.max-bool-expr=0",
)
#: The value in a ruff message of those rules (``... (12 > 0)``).
RUFF_VALUE = re.compile(r"\((\d+) > \d+\)")
_NAME = re.compile(r"`([^`]+)`")


@dataclasses.dataclass(frozen=True, kw_only=True)
class MaintainabilitySettings:
    """``[tool.research-ci.maintainability]``: thresholds (``None`` turns a rule off) and more."""

    thresholds: Mapping[str, int | None] = dataclasses.field(
        default_factory=lambda: dict(DEFAULT_THRESHOLDS)
    )
    duplicate_tokens: int = DEFAULT_DUPLICATE_TOKENS
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    minimum_rating: str = DEFAULT_MINIMUM_RATING


def _positive_int(value: object, *, source: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise UsageError(f"{source}: expected a whole number of at least 1, or false")
    return value


def parse_settings(table: object, *, source: str) -> MaintainabilitySettings:
    """Validate ``[tool.research-ci.maintainability]``; a bad value is a one-line UsageError."""
    if table is None:
        return MaintainabilitySettings()
    if not isinstance(table, dict):
        raise UsageError(f"{source}: expected a table")
    reject_unknown(table, SETTING_KEYS, source=source)
    thresholds: dict[str, int | None] = dict(DEFAULT_THRESHOLDS)
    for rule in RULES:
        if rule in table:
            value = table[rule]
            thresholds[rule] = (
                None if value is False else _positive_int(value, source=f"{source} {rule}")
            )
    tokens = _positive_int(
        table.get("duplicate-tokens", DEFAULT_DUPLICATE_TOKENS), source=f"{source} duplicate-tokens"
    )
    exclude = table.get("exclude", list(DEFAULT_EXCLUDE))
    if not isinstance(exclude, list) or not all(isinstance(item, str) for item in exclude):
        raise UsageError(f"{source} exclude: expected a list of path patterns")
    minimum = table.get("minimum-rating", DEFAULT_MINIMUM_RATING)
    if not isinstance(minimum, str) or minimum.upper() not in GRADES:
        raise UsageError(f"{source} minimum-rating: expected one of {', '.join(GRADES)}")
    return MaintainabilitySettings(
        thresholds=thresholds,
        duplicate_tokens=tokens,
        exclude=tuple(exclude),
        minimum_rating=minimum.upper(),
    )


@dataclasses.dataclass(frozen=True, kw_only=True)
class Issue:
    """One maintainability problem: a rule's value over its threshold at one place."""

    rule: str
    path: str
    cell: int | None
    line: int
    end_line: int | None
    subject: str
    value: int
    threshold: int
    message: str
    minutes: float
    fingerprint: str

    @property
    def where(self) -> str:
        """``path:line`` or ``path, cell N, line M``."""
        if self.cell is None:
            return f"{self.path}:{self.line}"
        return f"{self.path}, cell {self.cell}, line {self.line}"


@dataclasses.dataclass(kw_only=True)
class FunctionMetrics:
    """What was measured for one function or method (cyclomatic etc. from ruff, by name)."""

    path: str
    cell: int | None
    name: str
    line: int
    end_line: int
    lines: int
    cognitive: int
    cyclomatic: int = 1
    arguments: int = 0
    returns: int = 0
    nesting: int = 0


class _Sized(Protocol):
    @property
    def lines(self) -> int: ...

    @property
    def minutes(self) -> float: ...


class _Rated:
    """The debt ratio and rating of a file or a project: its remediation minutes per line."""

    @property
    def ratio(self: _Sized) -> float:
        """Technical-debt ratio in percent."""
        return debt_ratio(self.minutes, self.lines)

    @property
    def rating(self: _Sized) -> str:
        """A-F from the technical-debt ratio."""
        return rating_for_ratio(debt_ratio(self.minutes, self.lines))


@dataclasses.dataclass(kw_only=True)
class FileMetrics(_Rated):
    """One file's size, functions, issues and rating."""

    path: str
    lines: int
    functions: list[FunctionMetrics]
    issues: list[Issue]
    duplicated_lines: int = 0

    @property
    def minutes(self) -> float:
        """Remediation minutes of all the file's issues."""
        return sum(issue.minutes for issue in self.issues)

    def reasons(self, limit: int = 3) -> list[str]:
        """The costliest issues, as short sentences, costliest first."""
        ordered = sorted(self.issues, key=lambda issue: -issue.minutes)
        return [f"{issue.message} (line {issue.line})" for issue in ordered[:limit]]

    def to_dict(self) -> dict[str, Any]:
        """JSON form for the report (functions are summarised, issues become findings)."""
        return {
            "path": self.path,
            "rating": self.rating,
            "debt_ratio": round(self.ratio, 2),
            "debt_minutes": round(self.minutes, 1),
            "lines_of_code": self.lines,
            "functions": len(self.functions),
            "max_cognitive_complexity": max((f.cognitive for f in self.functions), default=0),
            "max_cyclomatic_complexity": max((f.cyclomatic for f in self.functions), default=0),
            "duplicated_lines": self.duplicated_lines,
            "issues": len(self.issues),
            "reasons": self.reasons(),
        }


@dataclasses.dataclass(kw_only=True)
class Analysis(_Rated):
    """The whole project's maintainability."""

    files: list[FileMetrics]
    settings: MaintainabilitySettings
    duration_s: float = 0.0
    skipped: list[str] = dataclasses.field(default_factory=list)

    @property
    def issues(self) -> list[Issue]:
        """Every issue, file by file."""
        return [issue for item in self.files for issue in item.issues]

    @property
    def lines(self) -> int:
        """Lines of code measured."""
        return sum(item.lines for item in self.files)

    @property
    def minutes(self) -> float:
        """Remediation minutes of every issue."""
        return sum(item.minutes for item in self.files)

    def worst(self, limit: int | None = None) -> list[FileMetrics]:
        """Files with issues, worst ratio first (then most minutes, then path)."""
        ordered = sorted(
            (item for item in self.files if item.issues),
            key=lambda item: (-item.ratio, -item.minutes, item.path),
        )
        return ordered if limit is None else ordered[:limit]

    def ratings(self) -> dict[str, int]:
        """How many files have each rating."""
        counts = dict.fromkeys((*GRADES[:-1], "F"), 0)
        for item in self.files:
            counts[item.rating] += 1
        return counts

    def to_metrics(self) -> dict[str, Any]:
        """The maintainability check's figures for the report."""
        return {
            "rating": self.rating,
            "debt_ratio": round(self.ratio, 2),
            "debt_minutes": round(self.minutes, 1),
            "lines_of_code": self.lines,
            "files_measured": len(self.files),
            "issues": len(self.issues),
            "file_ratings": self.ratings(),
            "files": [item.to_dict() for item in sorted(self.files, key=lambda f: f.path)],
        }


# Measuring ----------------------------------------------------------------------------------


@dataclasses.dataclass
class _Unit:
    unit: CodeUnit
    lines: list[str]
    functions: list[FunctionMetrics]


def _function_metrics(
    unit: CodeUnit, lines: list[str], found: Sequence[Sequence[Any]]
) -> list[FunctionMetrics]:
    return [
        FunctionMetrics(
            path=unit.path,
            cell=unit.cell,
            name=str(name).replace("::", "."),
            line=int(first),
            end_line=int(last),
            lines=code_lines(lines[int(first) - 1 : int(last)]),
            cognitive=int(complexity),
        )
        for name, complexity, first, last in found
    ]


def _complexipy(units: Sequence[CodeUnit], timeout_s: float) -> list[Any]:
    """The functions complexipy finds in every unit (``python -m research_ci.cognitive``)."""
    with tempfile.TemporaryDirectory(prefix="research-ci-cognitive-") as tmp:
        texts = Path(tmp) / "units.json"
        texts.write_text(json.dumps([unit.text for unit in units]), encoding="utf-8")
        # Run from the temporary directory: a project's own enum.py must not shadow Python's.
        completed = run_tool(
            [sys.executable, "-m", "research_ci.cognitive", texts],
            cwd=Path(tmp),
            timeout_s=timeout_s,
            own_code=True,
        )
    if completed.returncode != 0:
        raise ToolError(f"complexipy failed: {completed.tail(3)}")
    results: list[Any] = json.loads(completed.stdout)
    return results


def _scripts_dir() -> Path:
    return Path(sysconfig.get_path("scripts"))


def _ruff_records(root: Path, files: Sequence[str], timeout_s: float) -> list[dict[str, Any]]:
    """The JSON records of ruff for the five rules, every threshold at 0 (one record per value)."""
    config = [arg for item in RUFF_ZERO for arg in ("--config", item)]
    completed = run_tool(
        [
            sys.executable,
            "-I",  # a project's own types.py or enum.py must not shadow the standard library
            "-m",
            "ruff",
            "check",
            "--isolated",
            "--preview",
            "--no-cache",
            "--no-fix",
            "--exit-zero",
            "--output-format",
            "json",
            "--select",
            ",".join(RUFF_RULES),
            *config,
            "--",
            *files,
        ],
        cwd=root,
        timeout_s=timeout_s,
    )
    if completed.returncode != 0:
        raise ToolError(f"ruff failed: {completed.tail(3)}")
    records: list[dict[str, Any]] = json.loads(completed.stdout or "[]")
    return records


@dataclasses.dataclass(frozen=True)
class _Clone:
    rule: str
    path: str
    cell: int | None
    line: int
    end_line: int
    other: str


class _NotebookMap:
    """Where each line of a notebook's cells, written one after the other, came from."""

    def __init__(self) -> None:
        self.spans: dict[str, list[tuple[int, int, str, int]]] = {}

    def write(self, directory: Path, units: Sequence[CodeUnit], index: int) -> Path:
        path = directory / f"notebook_{index}.py"
        offset = 0
        spans = []
        chunks = []
        for unit in units:
            lines = unit.lines
            spans.append((offset + 1, offset + len(lines), unit.path, unit.cell or 0))
            chunks.append("\n".join(lines))
            offset += len(lines) + 1
        path.write_text("\n\n".join(chunks) + "\n", encoding="utf-8")
        self.spans[str(path.resolve())] = spans
        return path

    def locate(self, name: str, line: int) -> tuple[str, int | None, int] | None:
        for first, last, notebook, cell in self.spans.get(name, []):
            if first <= line <= last:
                return notebook, cell, line - first + 1
        return None


def _jscpd_clones(
    root: Path,
    units: Sequence[CodeUnit],
    settings: MaintainabilitySettings,
    timeout_s: float,
) -> list[_Clone]:
    """Identical and renamed blocks across every unit, from jscpd's JSON report."""
    lines_floor = min(
        (
            value
            for rule in ("identical-code", "similar-code")
            if (value := settings.thresholds.get(rule)) is not None
        ),
        default=None,
    )
    if lines_floor is None or not units:
        return []
    with tempfile.TemporaryDirectory(prefix="research-ci-jscpd-") as tmp:
        work = Path(tmp)
        notebooks = _NotebookMap()
        targets: list[str] = []
        by_notebook: dict[str, list[CodeUnit]] = defaultdict(list)
        for unit in units:
            if unit.cell is None:
                targets.append(str((root / unit.path).resolve()))
            else:
                by_notebook[unit.path].append(unit)
        for index, notebook_units in enumerate(by_notebook.values()):
            targets.append(str(notebooks.write(work, notebook_units, index)))
        completed = run_tool(
            [
                _scripts_dir() / "jscpd",
                "--format",
                "python",
                "--min-lines",
                str(lines_floor),
                "--min-tokens",
                str(settings.duplicate_tokens),
                "--mode",
                "weak",
                "--ignore-identifiers",
                "--no-gitignore",
                "--absolute",
                "--max-size",
                "50mb",
                "--reporters",
                "json",
                "--output",
                str(work / "out"),
                "--silent",
                *targets,
            ],
            cwd=work,
            timeout_s=timeout_s,
        )
        report_path = work / "out" / "jscpd-report.json"
        if completed.returncode != 0 or not report_path.exists():
            raise ToolError(f"jscpd failed: {completed.tail(3)}")
        report = json.loads(report_path.read_text(encoding="utf-8"))
        return _clones(report, root.resolve(), notebooks)


def _clones(report: Mapping[str, Any], root: Path, notebooks: _NotebookMap) -> list[_Clone]:
    clones: list[_Clone] = []
    for duplicate in report.get("duplicates", []):
        rule = "identical-code" if duplicate.get("kind", "exact") == "exact" else "similar-code"
        sides = []
        for key in ("firstFile", "secondFile"):
            item = duplicate[key]
            start, end = item["startLoc"]["line"], item["endLoc"]["line"]
            located = notebooks.locate(item["name"], start)
            if located is not None:
                path, cell, line = located
                sides.append((path, cell, line, line + end - start))
            else:
                path = Path(item["name"]).resolve().relative_to(root).as_posix()
                sides.append((path, None, start, end))
        for here, there in ((sides[0], sides[1]), (sides[1], sides[0])):
            other = f"{there[0]}:{there[2]}" if there[1] is None else f"{there[0]}, cell {there[1]}"
            clones.append(_Clone(rule, here[0], here[1], here[2], here[3], other))
    return clones


# Turning measurements into issues ----------------------------------------------------------


class _Builder:
    """Collects issues with their remediation minutes and fingerprints."""

    def __init__(
        self, settings: MaintainabilitySettings, units: Mapping[tuple[str, int | None], _Unit]
    ):
        self.settings = settings
        self.units = units
        self.issues: dict[str, list[Issue]] = defaultdict(list)

    def add(
        self,
        rule: str,
        unit_key: tuple[str, int | None],
        line: int,
        value: int,
        *,
        subject: str,
        what: str,
        end_line: int | None = None,
    ) -> None:
        threshold = self.settings.thresholds.get(rule)
        if threshold is None or value <= threshold:
            return
        path, cell = unit_key
        unit = self.units.get(unit_key)
        message = (
            f"{what} {value} > {threshold}: {subject}"
            if subject
            else f"{what} {value} > {threshold}"
        )
        fingerprint = (
            code_fingerprint("maintainability", rule, unit.lines, line) if unit else None
        ) or message_fingerprint("maintainability", rule, f"{path} {subject}")
        self.issues[path].append(
            Issue(
                rule=rule,
                path=path,
                cell=cell,
                line=line,
                end_line=end_line,
                subject=subject,
                value=value,
                threshold=threshold,
                message=message,
                minutes=remediation_for(rule).minutes(value, threshold),
                fingerprint=fingerprint,
            )
        )


def _enclosing(
    functions: Sequence[FunctionMetrics], line: int, name: str | None
) -> FunctionMetrics | None:
    """The innermost function whose span holds ``line`` (named ``name`` when given)."""
    candidates = [
        function
        for function in functions
        if function.line <= line <= function.end_line
        and (name is None or function.name.rsplit(".", 1)[-1] == name)
    ]
    return min(candidates, key=lambda f: f.end_line - f.line, default=None)


def _by_name(
    units: Mapping[tuple[str, int | None], _Unit],
) -> dict[tuple[Any, str], list[FunctionMetrics]]:
    """Each unit's functions by their own name (the last part of ``Class.method``)."""
    index: dict[tuple[Any, str], list[FunctionMetrics]] = defaultdict(list)
    for key, unit in units.items():
        for function in unit.functions:
            index[(key, function.name.rsplit(".", 1)[-1])].append(function)
    return index


_RUFF_WHAT: Mapping[str, str] = {
    "cyclomatic-complexity": "cyclomatic complexity",
    "argument-count": "arguments",
    "return-statements": "return statements",
    "nested-control-flow": "nested blocks",
    "complex-logic": "boolean expressions in one condition",
}


_ATTRIBUTE: Mapping[str, str] = {
    "cyclomatic-complexity": "cyclomatic",
    "argument-count": "arguments",
    "return-statements": "returns",
}


def _apply_ruff(
    records: Iterable[Mapping[str, Any]],
    root: Path,
    units: Mapping[tuple[str, int | None], _Unit],
    builder: _Builder,
) -> None:
    """Per-function values and issues from ruff's records.

    C901 names the function at each ``def`` line; the other per-function rules report on the
    same line. Nested blocks and boolean conditions report on the statement, inside a function.
    """
    values: dict[tuple[str, tuple[str, int | None], int], int] = {}
    names: dict[tuple[tuple[str, int | None], int], str] = {}
    relative: dict[str, str] = {}
    for record in records:
        rule = RUFF_RULES.get(str(record.get("code")))
        message = str(record.get("message", ""))
        found = RUFF_VALUE.search(message)
        if rule is None or found is None:
            continue
        filename = str(record["filename"])
        if filename not in relative:
            relative[filename] = Path(filename).resolve().relative_to(root).as_posix()
        key = (relative[filename], record.get("cell"))
        line = int(record["location"]["row"])
        place = (rule, key, line)
        values[place] = max(values.get(place, 0), int(found.group(1)))
        named = _NAME.search(message)
        if rule == "cyclomatic-complexity" and named:
            names[(key, line)] = named.group(1)
    index = _by_name(units)
    for (rule, key, line), value in sorted(values.items(), key=repr):
        name = names.get((key, line))
        if name is not None:
            function = _enclosing(index.get((key, name), []), line, name)
        else:
            unit = units.get(key)
            function = _enclosing(unit.functions if unit else [], line, None)
        if function is not None and name is not None and rule in _ATTRIBUTE:
            setattr(function, _ATTRIBUTE[rule], value)
        elif function is not None and rule == "nested-control-flow":
            function.nesting = max(function.nesting, value)
        subject = function.name if function else (name or "module")
        builder.add(rule, key, line, value, subject=subject, what=_RUFF_WHAT[rule])


def _apply_counts(units: Mapping[tuple[str, int | None], _Unit], builder: _Builder) -> None:
    """Cognitive complexity, function lines, functions per class or module."""
    per_owner: dict[tuple[str, str], list[FunctionMetrics]] = defaultdict(list)
    for key, unit in units.items():
        for function in unit.functions:
            for rule, value, what in (
                ("method-complexity", function.cognitive, "cognitive complexity"),
                ("method-lines", function.lines, "lines of code in function"),
            ):
                builder.add(
                    rule,
                    key,
                    function.line,
                    value,
                    subject=function.name,
                    what=what,
                    end_line=function.end_line,
                )
            owner = function.name.rsplit(".", 1)[0] if "." in function.name else ""
            per_owner[(unit.unit.path, owner)].append(function)
    for (path, owner), functions in per_owner.items():
        first = min(functions, key=lambda f: (f.cell or 0, f.line))
        builder.add(
            "method-count",
            (path, first.cell),
            first.line,
            len(functions),
            subject=f"class {owner}" if owner else "module",
            what="methods" if owner else "functions",
        )


def analyze(
    root: Path,
    files: Sequence[str],
    settings: MaintainabilitySettings,
    *,
    timeout_s: float = 1800.0,
) -> Analysis:
    """Measure ``files`` (relative to ``root``); raise :class:`ToolError` when a tool fails."""
    started = time.perf_counter()
    root = root.resolve()
    read = [(relative, unit) for relative in files for unit in read_units(root, relative)]
    readable = sorted({unit.path for _relative, unit in read})
    # complexipy, ruff and jscpd run side by side, each in a process of its own.
    with ThreadPoolExecutor(max_workers=3) as pool:
        ruff_future = pool.submit(_ruff_records, root, readable, timeout_s) if readable else None
        jscpd_future = pool.submit(
            _jscpd_clones, root, [unit for _relative, unit in read], settings, timeout_s
        )
        measured = _complexipy([unit for _relative, unit in read], timeout_s) if read else []
        records = ruff_future.result() if ruff_future is not None else []
        clones = jscpd_future.result()
    units: dict[tuple[str, int | None], _Unit] = {}
    file_units: dict[str, list[_Unit]] = defaultdict(list)
    skipped: list[str] = []
    for (relative, unit), found in zip(read, measured, strict=True):
        if found is None:
            skipped.append(unit.where)
            continue
        lines = unit.lines
        item = _Unit(unit, lines, _function_metrics(unit, lines, found))
        units[(unit.path, unit.cell)] = item
        file_units[relative].append(item)
    builder = _Builder(settings, units)
    _apply_ruff(records, root, units, builder)
    _apply_counts(units, builder)
    duplicated: dict[str, set[tuple[int | None, int]]] = defaultdict(set)
    for clone in clones:
        duplicated[clone.path].update(
            (clone.cell, n) for n in range(clone.line, clone.end_line + 1)
        )
        size = clone.end_line - clone.line + 1
        builder.add(
            clone.rule,
            (clone.path, clone.cell),
            clone.line,
            size,
            subject=f"also in {clone.other}",
            what="duplicated lines" if clone.rule == "identical-code" else "similar lines",
            end_line=clone.end_line,
        )
    results = []
    for path, measured in file_units.items():
        size = sum(code_lines(item.lines) for item in measured)
        first = measured[0].unit
        builder.add(
            "file-lines", (path, first.cell), 1, size, subject=path, what="lines of code in file"
        )
        results.append(
            FileMetrics(
                path=path,
                lines=size,
                functions=[f for item in measured for f in item.functions],
                issues=sorted(
                    builder.issues.get(path, []), key=lambda i: (i.cell or 0, i.line, i.rule)
                ),
                duplicated_lines=len(duplicated.get(path, ())),
            )
        )
    return Analysis(
        files=sorted(results, key=lambda item: item.path),
        settings=settings,
        duration_s=time.perf_counter() - started,
        skipped=skipped,
    )
