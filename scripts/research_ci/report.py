"""The quality report: the one data structure every other part reads or writes.

Checks produce :class:`CheckResult` objects; :func:`build_report` turns them into a
:class:`Report` with a score and a grade (see :mod:`research_ci.grade`); the report is saved
as JSON (``schema_version`` 1, validated against ``schemas/report.schema.json``) and read back
by ``badge``, ``summary`` and ``report merge``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import os
import re
from collections.abc import Callable, Iterator
from decimal import Decimal
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal, cast

from research_ci import __version__
from research_ci.errors import UsageError
from research_ci.fsutil import MAX_REPORT_BYTES, atomic_write_text, read_errors, read_text

SCHEMA_VERSION = 1
#: research-ci's own output directory in a project (reports, HTML data reports).
OUTPUT_DIR = Path(".research-ci")
#: The report's default path: in the project for ``check`` and ``badge``, else where you are.
REPORT_PATH = OUTPUT_DIR / "report.json"
#: Where the data check writes its reports (JSON, one HTML page per dataset) in a project.
DATA_OUTPUT_DIR = OUTPUT_DIR / "data"
Status = Literal["passed", "failed", "skipped", "error"]
Severity = Literal["error", "warning", "notice"]
STATUSES: tuple[Status, ...] = ("passed", "failed", "skipped", "error")


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class Finding:
    """One problem at one place: a lint violation, a type error, a failing test, an anomaly."""

    check: str
    file: str | None
    line: int | None
    col: int | None = None
    end_line: int | None = None
    code: str | None = None
    message: str
    severity: Severity = "error"
    #: The notebook cell (1-based) when ``file`` is a notebook; ``line`` is then in the cell.
    cell: int | None = None
    #: Identity across versions (see :mod:`research_ci.fingerprint`); absent in old reports.
    fingerprint: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON form, ``None`` fields kept so the schema stays simple (but no cell, fingerprint)."""
        data = dataclasses.asdict(self)
        for optional in ("cell", "fingerprint"):
            if data[optional] is None:
                del data[optional]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        """Inverse of :meth:`to_dict`."""
        return cls(
            check=str(data["check"]),
            file=data.get("file"),
            line=data.get("line"),
            col=data.get("col"),
            end_line=data.get("end_line"),
            code=data.get("code"),
            message=str(data["message"]),
            severity=cast("Severity", data.get("severity", "error")),
            cell=data.get("cell"),
            fingerprint=data.get("fingerprint"),
        )


@dataclasses.dataclass(kw_only=True)
class CheckResult:
    """What one check found. ``metrics`` holds its figures (``lint.violations``...)."""

    name: str
    status: Status
    summary: str
    duration_s: float = 0.0
    metrics: dict[str, Any] = dataclasses.field(default_factory=dict)
    findings: list[Finding] = dataclasses.field(default_factory=list)
    #: The tool that ran: ``{"name": "ruff", "version": "0.3.0", "from": "pre-commit"}``.
    tool: dict[str, str] | None = None
    #: Why the check only advises (no points off, no cap, never fails the gate); ``None``: it gates.
    advisory: str | None = None
    #: Findings a reader counted but did not keep (:func:`load_report` with ``keep_findings``).
    omitted_findings: int = 0

    @property
    def finding_count(self) -> int:
        """How many findings the check has, kept or not."""
        return len(self.findings) + self.omitted_findings

    def to_dict(self) -> dict[str, Any]:
        """JSON form: status, summary, duration, the metrics flattened in, tool, findings."""
        if self.omitted_findings:
            raise ValueError(f"{self.name}: a report read without all its findings is not saved")
        return {
            "status": self.status,
            "summary": self.summary,
            "duration_s": round(self.duration_s, 3),
            **self.metrics,
            **({"tool": dict(self.tool)} if self.tool is not None else {}),
            **({"advisory": self.advisory} if self.advisory is not None else {}),
            "findings": [finding.to_dict() for finding in self.findings],
        }

    @classmethod
    def from_dict(
        cls, name: str, data: dict[str, Any], *, keep_findings: int | None = None
    ) -> CheckResult:
        """Inverse of :meth:`to_dict`; see :func:`kept_findings` for ``keep_findings``."""
        findings, omitted = kept_findings(data.get("findings", []), keep_findings)
        reserved = {"status", "summary", "duration_s", "findings", "tool", "advisory"}
        tool = data.get("tool")
        advisory = data.get("advisory")
        return cls(
            name=name,
            status=cast("Status", data["status"]),
            summary=str(data.get("summary", "")),
            duration_s=float(data.get("duration_s", 0.0)),
            metrics={key: value for key, value in data.items() if key not in reserved},
            findings=findings,
            omitted_findings=omitted,
            tool={str(k): str(v) for k, v in tool.items()} if isinstance(tool, dict) else None,
            advisory=str(advisory) if advisory else None,
        )


def kept_findings(items: list[dict[str, Any]], keep: int | None) -> tuple[list[Finding], int]:
    """The findings to hold, and how many are only counted.

    ``keep=None`` holds them all. Otherwise only the first ``keep`` of each severity are held:
    every reader shows findings by severity, then check, then in the tool's order
    (:func:`research_ci.findings.prioritized`), so its first ``keep`` are always among them.
    """
    if keep is None:
        return [Finding.from_dict(item) for item in items], 0
    seen: dict[Any, int] = {}
    kept = [Finding.from_dict(item) for item in items if is_kept(item, keep, seen)]
    return kept, len(items) - len(kept)


def is_kept(item: dict[str, Any], keep: int, seen: dict[Any, int]) -> bool:
    """Whether ``item`` is among the first ``keep`` findings of its severity (``seen`` counts)."""
    severity = item.get("severity", "error")
    count = seen.get(severity, 0)
    seen[severity] = count + 1
    return count < keep


@dataclasses.dataclass(frozen=True, kw_only=True)
class Deduction:
    """Points taken off the score, and why (one line of the rubric applied)."""

    check: str
    points: float
    reason: str


@dataclasses.dataclass(kw_only=True)
class Report:
    """The whole report: project, checks, score, grade and the gate's verdict."""

    project_name: str
    checks: dict[str, CheckResult]
    score: int
    grade: str
    deductions: list[Deduction]
    caps: list[str]
    minimum_grade: str
    coverage_threshold: float
    gate_passed: bool
    gate_reasons: list[str]
    generated_at: str = dataclasses.field(
        default_factory=lambda: dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    )
    tool_version: str = __version__
    report_url: str | None = None
    #: The project's environment: where, which Python, what was installed from what.
    environment: dict[str, Any] | None = None
    #: ``all`` or ``new`` (the ratchet: gate only on what the change makes worse).
    gate: str = "all"
    #: What the change did against its base (:class:`research_ci.delta.Delta` as JSON).
    delta: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON document described by ``schemas/report.schema.json``."""
        return {
            "schema_version": SCHEMA_VERSION,
            "tool": {"name": "research-ci", "version": self.tool_version},
            "generated_at": self.generated_at,
            "project": {"name": self.project_name},
            **({"environment": self.environment} if self.environment is not None else {}),
            "report_url": self.report_url,
            "settings": {
                "minimum_grade": self.minimum_grade,
                "coverage_threshold": self.coverage_threshold,
                "gate": self.gate,
            },
            "checks": {name: result.to_dict() for name, result in self.checks.items()},
            "score": self.score,
            "grade": self.grade,
            "rubric": {
                "deductions": [dataclasses.asdict(item) for item in self.deductions],
                "caps": list(self.caps),
            },
            "gate": {"passed": self.gate_passed, "reasons": list(self.gate_reasons)},
            **({"delta": self.delta} if self.delta is not None else {}),
        }

    def to_json(self) -> str:
        """Pretty, stable JSON with a trailing newline (``NaN`` and infinities are refused)."""
        try:
            return json.dumps(self.to_dict(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
        except ValueError as exc:
            raise UsageError(f"the report has a figure JSON cannot hold: {exc}") from exc

    def verdict(self) -> str:
        """``gate passed``, or ``gate failed: <why>`` with the first reason (and how many more).

        The reason comes first, so nobody reads "grade A" and misses why the gate failed.
        """
        if self.gate_passed:
            return "gate passed"
        if not self.gate_reasons:
            return "gate failed"
        more = len(self.gate_reasons) - 1
        return f"gate failed: {self.gate_reasons[0]}" + (
            f" (and {more} more reason{'s' if more > 1 else ''})" if more else ""
        )

    def headline(self) -> str:
        """``gate failed: lint failed (1 violation); grade A (99/100)``: the report in one line."""
        return f"{self.verdict()}; grade {self.grade} ({self.score}/100)"

    def findings(self) -> list[Finding]:
        """Every finding held of every check, in check order (see :attr:`finding_count`)."""
        return [finding for result in self.checks.values() for finding in result.findings]

    def finding_counts(self) -> dict[str, int]:
        """How many findings each check has, held or only counted, in check order."""
        return {name: result.finding_count for name, result in self.checks.items()}


@cache
def report_schema() -> dict[str, Any]:
    """The JSON Schema of the report, shipped inside the package."""
    text = resources.files("research_ci").joinpath("schemas/report.schema.json").read_text("utf-8")
    return cast("dict[str, Any]", json.loads(text))


def _schema_errors(data: dict[str, Any]) -> Any:
    """The most relevant schema error in ``data`` (jsonschema's ``best_match``), or ``None``."""
    import jsonschema  # noqa: PLC0415  (slow import, only needed for an invalid report)

    validator = jsonschema.Draft202012Validator(report_schema())
    return jsonschema.exceptions.best_match(validator.iter_errors(data))


#: fastjsonschema's options: validate only (no defaults filled in, no string formats).
_COMPILE_OPTIONS: dict[str, Any] = {"use_default": False, "use_formats": False}


def _schema_of(part: str) -> dict[str, Any]:
    """The report schema (``report``) or one of its definitions alone (``finding``)."""
    schema = report_schema()
    if part == "report":
        return schema
    return {"$schema": schema["$schema"], **schema["$defs"][part]}


@cache
def _compiled_validator(part: str = "report") -> Callable[[Any], Any]:
    """The report schema (or ``part`` of it) compiled to Python by fastjsonschema.

    About 1 s per 200,000 findings. The schema uses only keywords that draft 2020-12 and
    draft 7 read alike (type, enum, const, required, properties, additionalProperties,
    propertyNames, items, allOf, anyOf, minimum, maximum and ``$ref`` alone in its object);
    ``tests/test_report_loading.py`` checks that this validator and jsonschema's agree. The
    generated module is kept in research-ci's cache, where Python caches its bytecode:
    compiling it each time would cost 0.1-0.3 s and 20 MB. Without a writable cache it is
    compiled in memory.
    """
    import fastjsonschema  # noqa: PLC0415  (only needed when reading reports)

    try:
        return _cached_validator(fastjsonschema.VERSION, part=part)
    except (OSError, SyntaxError, ImportError, AttributeError):  # no cache, or a broken one
        compiled = fastjsonschema.compile(_schema_of(part), **_COMPILE_OPTIONS)
        return cast("Callable[[Any], Any]", compiled)


def _cached_validator(version: str, *, part: str = "report") -> Callable[[Any], Any]:
    """The validator module from research-ci's cache, generated there when it is missing."""
    import hashlib  # noqa: PLC0415
    import importlib.util  # noqa: PLC0415

    import fastjsonschema  # noqa: PLC0415

    from research_ci.cache import cached_entry  # noqa: PLC0415

    schema = _schema_of(part)
    text = json.dumps(schema, sort_keys=True)
    key = hashlib.sha256(f"{text}{version}{_COMPILE_OPTIONS}".encode()).hexdigest()[:16]

    def build(directory: Path) -> None:
        code = fastjsonschema.compile_to_code(schema, **_COMPILE_OPTIONS)
        main = re.search(r"^def (\w+)\(", code, flags=re.MULTILINE)
        if main is None:
            raise OSError("fastjsonschema generated no validation function")
        directory.mkdir(parents=True)
        (directory / "validator.py").write_text(
            f"{code}\n\nvalidate = {main.group(1)}\n", encoding="utf-8"
        )

    entry = cached_entry(
        "report-validator", key, build, stamp={"fastjsonschema": version, "schema": key}
    )
    spec = importlib.util.spec_from_file_location(
        f"research_ci_report_validator_{key}", entry / "validator.py"
    )
    if spec is None or spec.loader is None:
        raise OSError(f"cannot load {entry / 'validator.py'}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return cast("Callable[[Any], Any]", module.validate)


def report_is_valid(data: Any) -> bool:
    """Whether ``data`` passes the report schema, by the compiled validator (the fast path)."""
    import fastjsonschema  # noqa: PLC0415

    try:
        _compiled_validator()(data)
    except fastjsonschema.JsonSchemaValueException:
        return False
    return True


def validate_report_dict(data: dict[str, Any], *, source: str) -> None:
    """Raise :class:`UsageError` unless ``data`` is a report this version understands.

    The compiled validator decides quickly for a valid report; jsonschema (the reference
    implementation) looks again at a report it refuses and names the most relevant error.
    """
    version = data.get("schema_version") if isinstance(data, dict) else None
    if isinstance(version, int) and version > SCHEMA_VERSION:
        raise UsageError(
            f"{source}: report schema_version {version} is newer than this research-ci "
            f"understands ({SCHEMA_VERSION}); upgrade research-ci"
        )
    if report_is_valid(data):
        return
    error = _schema_errors(data)
    if error is not None:
        where = "/".join(str(part) for part in error.absolute_path) or "(top level)"
        raise UsageError(f"{source}: not a research-ci report: {where}: {error.message}")


def report_from_dict(data: dict[str, Any], *, keep_findings: int | None = None) -> Report:
    """Build a :class:`Report` from its (already validated) JSON form, as it was stored.

    :func:`load_report` grades it again from its checks' figures. With ``keep_findings``, each
    check holds only its first ``keep_findings`` findings of each severity and counts the rest.
    """
    settings = data["settings"]
    return Report(
        project_name=data["project"]["name"],
        checks={
            name: CheckResult.from_dict(name, result, keep_findings=keep_findings)
            for name, result in data["checks"].items()
        },
        score=int(data["score"]),
        grade=str(data["grade"]),
        deductions=[
            Deduction(
                check=str(item["check"]), points=float(item["points"]), reason=str(item["reason"])
            )
            for item in data["rubric"]["deductions"]
        ],
        caps=list(data["rubric"]["caps"]),
        minimum_grade=str(settings["minimum_grade"]),
        coverage_threshold=float(settings["coverage_threshold"]),
        gate_passed=bool(data["gate"]["passed"]),
        gate_reasons=list(data["gate"]["reasons"]),
        generated_at=str(data["generated_at"]),
        tool_version=str(data["tool"]["version"]),
        report_url=data.get("report_url"),
        environment=data.get("environment"),
        gate=str(settings.get("gate", "all")),
        delta=data.get("delta"),
    )


#: Deeper JSON is refused: a report is about eight levels deep.
MAX_JSON_DEPTH = 64
#: Integers beyond what every JSON reader holds exactly (I-JSON, RFC 7493) are refused.
MAX_JSON_INTEGER = 2**53


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is out of range")
    return value


def _exact_int(text: str) -> int:
    value = int(text)
    if abs(value) > MAX_JSON_INTEGER:
        raise ValueError(f"{text[:20]} is out of range")
    return value


#: A JSON escape of a UTF-16 surrogate: the only way a report's text can hold a lone one.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abcdefABCDEF]")


def _check_tree(data: Any, source: str, *, strings: bool) -> None:
    """Refuse JSON nested too deeply and, when ``strings``, strings that are not Unicode text.

    Level by level, holding only containers; strings are looked at only when the text has a
    surrogate escape (``strings``), since JSON text read as UTF-8 cannot hold one otherwise.
    """
    level: list[Any] = [data]
    depth = 1
    while level:
        if strings:
            _check_strings(level, source)
        # Below the root every item is a container; a non-empty one at this depth holds more.
        if depth >= MAX_JSON_DEPTH and any(level):
            raise UsageError(
                f"{source}: not a research-ci report: nested over {MAX_JSON_DEPTH} deep"
            )
        below: list[Any] = []
        for value in level:
            if isinstance(value, dict):
                below.extend(item for item in value.values() if isinstance(item, (dict, list)))
            elif isinstance(value, list):
                below.extend(item for item in value if isinstance(item, (dict, list)))
        level = below
        depth += 1


def _check_strings(containers: list[Any], source: str) -> None:
    """Refuse a lone surrogate in the keys or string values of ``containers`` (or in them)."""
    for container in containers:
        values: Any
        if isinstance(container, dict):
            values = [*container, *container.values()]
        elif isinstance(container, list):
            values = container
        else:
            values = [container]
        for value in values:
            if isinstance(value, str) and not value.isascii():
                try:
                    value.encode("utf-8")
                except UnicodeEncodeError as exc:
                    raise UsageError(
                        f"{source}: report has a string that is not text ({exc.reason})"
                    ) from exc


def parse_report_json(text: str, *, source: str) -> Any:
    """JSON as a report may hold it: finite numbers, exact integers, bounded depth.

    ``NaN``, ``Infinity``, ``1e400``, integers over 2**53 and nesting deeper than
    :data:`MAX_JSON_DEPTH` are one-line :class:`UsageError` s.
    """
    try:
        data = json.loads(
            text, parse_constant=_refuse_constant, parse_float=_finite_float, parse_int=_exact_int
        )
    except json.JSONDecodeError as exc:
        raise UsageError(f"{source}:{exc.lineno}: report is not valid JSON: {exc.msg}") from exc
    except ValueError as exc:
        raise UsageError(f"{source}: report is not valid JSON: {exc}") from exc
    except RecursionError as exc:
        raise UsageError(f"{source}: not a research-ci report: nested too deeply") from exc
    _check_tree(data, source, strings=_SURROGATE_ESCAPE.search(text) is not None)
    return data


def _report_data(path: Path, *, within: Path | None) -> dict[str, Any]:
    """The parsed and validated JSON of the report at ``path`` (its text is let go on return)."""
    with read_errors(path, "report", hint="run `research-ci check` first or pass --report"):
        text = read_text(path, limit=MAX_REPORT_BYTES, within=within)
    data = parse_report_json(text, source=str(path))
    if not isinstance(data, dict):
        raise UsageError(f"{path}: not a research-ci report: expected a JSON object")
    validate_report_dict(data, source=str(path))
    return data


class _Findings(list[Any]):
    """A check's findings while streamed: the kept ones, and how many others there were."""

    omitted: int = 0


def _streamed_value(value: Any) -> Any:
    """A number from ijson as :func:`parse_report_json` reads it; raise when it would refuse it."""
    if isinstance(value, Decimal):  # ijson's non-integer numbers
        number = float(value)  # rounded as float(text) rounds
        if not math.isfinite(number):
            raise ValueError("a number out of range")
        return number
    if abs(value) > MAX_JSON_INTEGER:
        raise ValueError("an integer out of range")
    return value


def _streamed_finding(events: Iterator[tuple[str, Any]]) -> dict[str, Any]:
    """One finding (its ``start_map`` read) from ijson's events; raise at a nested value.

    A finding's values are all scalars: a nested one makes the report invalid, and a raise
    makes :func:`load_report` read it whole and name the error.
    """
    item: dict[str, Any] = {}
    for event, key in events:
        if event == "end_map":
            return item
        value_event, value = next(events)
        if event != "map_key" or key in item or value_event not in _SCALAR_EVENTS:
            raise ValueError("not a finding")
        item[key] = _streamed_value(value) if value_event == "number" else value
    raise ValueError("the report ends inside a finding")


_SCALAR_EVENTS = frozenset({"string", "number", "boolean", "null"})


def _streamed_findings(events: Iterator[tuple[str, Any]], keep: int) -> _Findings:
    """A check's findings (their ``start_array`` read): each validated, the first kept."""
    validate = _compiled_validator("finding")
    findings = _Findings()
    seen: dict[Any, int] = {}  # findings read, by severity
    for event, _ in events:
        if event == "end_array":
            return findings
        if event != "start_map":
            raise ValueError("not a finding")
        item = _streamed_finding(events)
        validate(item)
        if is_kept(item, keep, seen):
            findings.append(item)
        else:
            findings.omitted += 1
    raise ValueError("the report ends inside findings")


def _streamed_document(events: Any, keep: int) -> dict[str, Any]:
    """The report's JSON from ijson's events, each check holding only the findings it keeps.

    A check's ``findings`` is read by :func:`_streamed_findings` (a :class:`_Findings`).
    Raises at anything :func:`parse_report_json` might read differently (a repeated key,
    deep nesting) and at any finding that is not valid: the caller then reads it whole.
    """
    events = iter(events)
    root: list[Any] = []
    stack: list[Any] = [root]  # the open containers, innermost last
    keys: list[Any] = [None]  # the key of the value being read in each open object
    for event, scalar in events:
        if event == "map_key":
            if scalar in stack[-1]:
                raise ValueError(f"a repeated key {scalar!r}")
            keys[-1] = scalar
            continue
        if event in {"start_map", "start_array"}:
            if len(stack) >= MAX_JSON_DEPTH:
                raise ValueError("deep nesting")
            in_check = len(stack) == 4 and keys[1] == "checks" and isinstance(stack[2], dict)
            if in_check and event == "start_array" and keys[-1] == "findings":
                value: Any = _streamed_findings(events, keep)
            else:
                stack.append({} if event == "start_map" else [])
                keys.append(None)
                continue
        elif event in {"end_map", "end_array"}:
            value = stack.pop()
            keys.pop()
        else:
            value = _streamed_value(scalar) if event == "number" else scalar
        parent = stack[-1]
        if type(parent) is dict:
            parent[keys[-1]] = value
        else:
            parent.append(value)
    if len(root) != 1 or not isinstance(root[0], dict):
        raise ValueError("not a JSON object")
    return cast("dict[str, Any]", root[0])


def _streamed_report(path: Path, *, within: Path | None, keep: int) -> Report | None:
    """The report at ``path`` read as a stream, holding only ``keep`` findings per severity.

    Memory is bounded by what is kept, not by the number of findings. ``None`` when anything
    is in doubt (an invalid report above all): :func:`load_report` then reads it whole and
    refuses it with the same message as ever.
    """
    import ijson  # noqa: PLC0415  (only needed when reading reports)

    from research_ci.jsonfile import CheckedReader, open_regular  # noqa: PLC0415

    try:
        fd = open_regular(path, limit=MAX_REPORT_BYTES, within=within)
    except (OSError, ValueError, UsageError):
        return None
    try:
        events = ijson.basic_parse(CheckedReader(fd, limit=MAX_REPORT_BYTES), buf_size=1 << 16)
        data = _streamed_document(events, keep)
        if not report_is_valid(data):  # a newer schema_version too: the full path names it
            return None
        report = report_from_dict(data, keep_findings=keep)
        for name, result in report.checks.items():
            findings = data["checks"][name]["findings"]
            result.omitted_findings = findings.omitted
    except Exception:  # noqa: BLE001  (any doubt: the whole file is read, and its error named)
        return None
    finally:
        os.close(fd)
    return report


def load_report(
    path: Path,
    *,
    within: Path | None = None,
    regrade: bool = True,
    keep_findings: int | None = None,
) -> Report:
    """Read, check and grade again a JSON report; every problem is a one-line UsageError.

    Only a regular file (inside ``within`` when given) of at most
    :data:`~research_ci.fsutil.MAX_REPORT_BYTES` is read. The score, grade, rubric lines and
    gate are computed again from the checks' figures (:func:`research_ci.grade.regrade`): a
    report may come from another run (a fork's pull request), and what it claims about its
    own grade is not trusted.

    A reader that shows at most ``keep_findings`` findings (``summary``, ``badge``) passes it:
    the others are counted, not held (:func:`kept_findings`); such a report cannot be saved.
    """
    streamed = None
    if keep_findings is not None:
        streamed = _streamed_report(path, within=within, keep=keep_findings)
    if streamed is not None:
        report = streamed
    else:
        data = _report_data(path, within=within)
        try:
            report = report_from_dict(data, keep_findings=keep_findings)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise UsageError(f"{path}: not a research-ci report: {exc}") from exc
        del data  # the raw findings are no longer needed
    if not regrade:
        return report
    from research_ci.grade import regrade as grade_again  # noqa: PLC0415  (grade imports report)

    try:
        return grade_again(report)
    except (KeyError, TypeError, ValueError, AttributeError, ArithmeticError) as exc:
        raise UsageError(f"{path}: the report's figures cannot be graded: {exc}") from exc


def report_path_in(project: Path) -> Path:
    """The default report of the project at ``project``."""
    return project / REPORT_PATH


#: What research-ci writes into its output directory, so that git never lists it as untracked.
OUTPUT_GITIGNORE = "# research-ci's reports and HTML data reports: not for version control.\n*\n"


def ignore_output_dir(directory: Path, *, within: Path | None = None) -> None:
    """Give research-ci's output directory its own ``.gitignore`` (``*``), once."""
    gitignore = directory / ".gitignore"
    if not gitignore.exists() and not gitignore.is_symlink():
        atomic_write_text(gitignore, OUTPUT_GITIGNORE, within=within)


def save_report(report: Report, path: Path, *, within: Path | None = None) -> None:
    """Write the report atomically; in a ``.research-ci`` directory, with its ``.gitignore``.

    Only a regular file inside ``within`` is written (see :mod:`research_ci.fsutil`).
    """
    atomic_write_text(path, report.to_json(), within=within)
    if path.parent.name == OUTPUT_DIR.name:
        ignore_output_dir(path.parent, within=within)
