"""Reading big reports fast without weaker checks (issue 11, item 13).

* The compiled validator (fastjsonschema) and jsonschema, the reference implementation of
  draft 2020-12, agree on every valid report with one part replaced by any JSON value.
* The tree checks refuse exactly what they refused before: nesting over 64, lone surrogates.
* A reader that shows few findings holds few, with exact counts, and shows the same.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

from report_builders import data_check, finding, lint_check, make_report, pytest_check, types_check
from research_ci import report
from research_ci.cache import CACHE_ENV_VAR
from research_ci.errors import UsageError
from research_ci.report import (
    MAX_JSON_DEPTH,
    CheckResult,
    Report,
    load_report,
    parse_report_json,
    report_is_valid,
    report_schema,
    save_report,
)
from research_ci.summary import render_summary
from test_security_fuzz import DELETE, FUZZ, JSON, paths, replaced
from test_summary_delta import report_with_delta

ODD_VALUES = JSON | st.sampled_from([True, False, 1, 1.0, -1, 0, 2.5, "", "lint", "A", DELETE])


def rich_report() -> Report:
    """A report with every kind of part the schema describes: checks, data, delta, environment."""
    report = report_with_delta()
    report.checks["types"] = types_check(1)
    report.checks["types"].findings = [finding("types", "bad", severity="warning")]
    report.checks["tests"] = pytest_check(passed=3, failed=1)
    anomaly = {"feature": "f", "kind": "K", "severity": "ERROR", "description": "d"}
    drift = {"feature": "f", "measure": "jensen_shannon", "value": 0.3, "threshold": 0.1}
    report.checks["data"] = data_check([anomaly], drift=[drift])
    report.environment = {"kind": "managed", "location": ".venv", "installed": []}
    report.report_url = "https://example.org/r"
    return report


RICH = rich_report().to_dict()
RICH_PLACES = paths(RICH)


@given(place=st.sampled_from(RICH_PLACES), value=ODD_VALUES)
@FUZZ
def test_the_compiled_validator_agrees_with_jsonschema(place: tuple[Any, ...], value: Any) -> None:
    document = replaced(RICH, place, value)
    reference = jsonschema.Draft202012Validator(report_schema()).is_valid(document)
    assert report_is_valid(document) == reference


def test_a_valid_report_is_valid_to_both() -> None:
    assert report_is_valid(RICH)
    assert jsonschema.Draft202012Validator(report_schema()).is_valid(RICH)


def test_a_refused_report_names_jsonschemas_most_relevant_error(tmp_path: Path) -> None:
    document = replaced(RICH, ("checks", "lint", "findings", 0, "line"), -3)
    path = tmp_path / "r.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(UsageError, match=r"checks/lint/findings/0/line: -3 is less than"):
        load_report(path)


def parses_or_is_refused(text: str, problem: str | None) -> None:
    """``text`` parses, or (``problem`` given) is refused with a message that says it."""
    if problem is None:
        parse_report_json(text, source="r.json")
        return
    with pytest.raises(UsageError, match=problem):
        parse_report_json(text, source="r.json")


def nested(depth: int, inner: str = "") -> str:
    return "[" * depth + inner + "]" * depth


@pytest.mark.parametrize(
    ("text", "refused"),
    [
        (nested(MAX_JSON_DEPTH), False),  # the innermost, empty array is at depth 64
        (nested(MAX_JSON_DEPTH, "1"), True),  # its item would be at 65
        (nested(MAX_JSON_DEPTH - 1, "1"), False),
        (nested(MAX_JSON_DEPTH + 1), True),
        ('{"a": ' * (MAX_JSON_DEPTH - 1) + "{}" + "}" * (MAX_JSON_DEPTH - 1), False),
        ('{"a": ' * MAX_JSON_DEPTH + "{}" + "}" * MAX_JSON_DEPTH, True),
    ],
)
def test_nesting_is_refused_over_the_limit(text: str, refused: bool) -> None:
    parses_or_is_refused(text, "nested over 64 deep" if refused else None)


@pytest.mark.parametrize(
    ("text", "refused"),
    [
        ('{"name": "\\ud800"}', True),
        ('{"\\udfff": 1}', True),
        ('[[{"deep": ["x", "\\uDC00"]}]]', True),
        ('"\\ud800"', True),
        ('{"name": "\\ud83d\\ude00"}', False),  # a surrogate pair is one character
        ('{"name": "\\\\ud800"}', False),  # a backslash, then the letters ud800
        ('{"name": "caf\\u00e9 \u00e9"}', False),
    ],
)
def test_lone_surrogates_are_refused(text: str, refused: bool) -> None:
    parses_or_is_refused(text, "a string that is not text" if refused else None)


def many_findings_report() -> Report:
    """Errors and warnings of two checks, interleaved: more than any reader keeps."""
    lint = lint_check(0)
    lint.findings = [
        finding("lint", f"lint {index}", line=index + 1, severity=("error", "warning")[index % 2])
        for index in range(40)
    ]
    lint.metrics["violations"] = len(lint.findings)
    types = types_check(0)
    types.findings = [finding("types", f"types {index}", line=index + 1) for index in range(7)]
    types.metrics["errors"] = len(types.findings)
    return make_report(lint, types, pytest_check())


@pytest.mark.parametrize("keep", [0, 1, 3, 10, 100])
def test_a_reader_holds_only_what_it_shows(tmp_path: Path, keep: int) -> None:
    path = tmp_path / "report.json"
    save_report(many_findings_report(), path)
    full = load_report(path)
    kept = load_report(path, keep_findings=keep)
    assert kept.finding_counts() == full.finding_counts() == {"lint": 40, "types": 7, "tests": 0}
    assert len(kept.checks["lint"].findings) == min(keep, 20) * 2
    assert len(kept.checks["types"].findings) == min(keep, 7)
    assert (kept.score, kept.grade, kept.gate_reasons) == (
        full.score,
        full.grade,
        full.gate_reasons,
    )
    assert render_summary(kept, max_findings=keep) == render_summary(full, max_findings=keep)


def test_a_report_read_without_all_its_findings_is_not_saved(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    save_report(many_findings_report(), path)
    with pytest.raises(ValueError, match="not saved"):
        load_report(path, keep_findings=2).to_dict()
    assert load_report(path).to_dict()["checks"]["lint"]["violations"] == 40


def test_the_summary_command_shows_what_a_full_load_shows(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    save_report(many_findings_report(), path)
    command = [sys.executable, "-m", "research_ci", "summary", "--report", str(path)]
    shown = subprocess.run(
        [*command, "--max-findings", "5"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert shown == render_summary(load_report(path), max_findings=5)
    assert "42 findings not shown" in shown


def test_counts_of_a_check_built_in_memory() -> None:
    result = CheckResult(name="lint", status="failed", summary="", findings=[finding("lint")])
    assert result.finding_count == 1
    assert result.omitted_findings == 0


def test_the_compiled_validator_is_cached_and_works_without_a_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CACHE_ENV_VAR, str(tmp_path / "cache"))
    validate = report._cached_validator("test")
    assert validate(RICH) == RICH
    assert list((tmp_path / "cache" / "report-validator").glob("*/validator.py"))
    assert report._cached_validator("test")(RICH) == RICH  # from the cache this time
    (tmp_path / "file").write_text("not a directory", encoding="utf-8")
    monkeypatch.setenv(CACHE_ENV_VAR, str(tmp_path / "file"))
    report._compiled_validator.cache_clear()
    try:
        assert report_is_valid(RICH)
        assert not report_is_valid(replaced(RICH, ("score",), "A"))
    finally:
        report._compiled_validator.cache_clear()
