"""Reading big reports fast without weaker checks (issue 11, item 13).

* The compiled validator (fastjsonschema) and jsonschema, the reference implementation of
  draft 2020-12, agree on every valid report with one part replaced by any JSON value.
* The tree checks refuse exactly what they refused before: nesting over 64, lone surrogates.
* A reader that shows few findings holds few, with exact counts, and shows the same.
* It streams the report: the same Report as a full read, or the same refusal, in bounded memory.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import tracemalloc
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
from research_ci.jsonfile import CheckedReader, DoubtfulJSONError
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


# The streaming read (``keep_findings`` given): the same Report as the full read, or the same
# refusal; memory bounded by the kept findings.


def loaded(path: Path, keep: int | None, *, stream: bool) -> Report | str:
    """The report at ``path`` read with or without streaming, or the refusal's message."""
    with pytest.MonkeyPatch.context() as patch:
        if not stream:
            patch.setattr(report, "_streamed_report", lambda *_args, **_kwargs: None)
        try:
            return load_report(path, keep_findings=keep)
        except UsageError as exc:
            return str(exc)


def same_either_way(path: Path, keep: int) -> Report | str:
    """Read ``path`` both ways, check they agree, and return what they read."""
    streamed = loaded(path, keep, stream=True)
    assert streamed == loaded(path, keep, stream=False)
    if isinstance(streamed, Report):
        # the same counts as a read of every finding, and only the kept ones held
        assert streamed.finding_counts() == load_report(path).finding_counts()
    return streamed


def many_findings_document() -> dict[str, Any]:
    document = many_findings_report().to_dict()
    document["checks"].update(
        {name: check for name, check in RICH["checks"].items() if name not in document["checks"]}
    )
    return document


MANY = many_findings_document()
MANY_PLACES = paths(MANY)


@given(place=st.sampled_from(MANY_PLACES), value=ODD_VALUES, keep=st.sampled_from([0, 1, 5]))
@FUZZ
def test_streaming_reads_what_the_full_read_reads(
    place: tuple[Any, ...], value: Any, keep: int
) -> None:
    document = replaced(MANY, place, value)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "r.json"
        try:
            text = json.dumps(document, allow_nan=False, ensure_ascii=False)
            path.write_text(text, encoding="utf-8")
        except ValueError:  # NaN or an infinity: tested as text below
            return
        result = same_either_way(path, keep)
        if isinstance(result, Report):  # and it was read as a stream, not whole after a doubt
            assert report._streamed_report(path, within=None, keep=keep) is not None


@pytest.mark.parametrize("keep", [0, 2, 50])
def test_streaming_keeps_the_same_findings_of_a_rich_report(tmp_path: Path, keep: int) -> None:
    path = tmp_path / "r.json"
    path.write_text(json.dumps(MANY, indent=1), encoding="utf-8")
    streamed = same_either_way(path, keep)
    assert isinstance(streamed, Report)
    assert report._streamed_report(path, within=None, keep=keep) is not None
    assert len(streamed.checks["lint"].findings) == 2 * min(keep, 20)
    assert streamed.checks["lint"].omitted_findings == 40 - 2 * min(keep, 20)


def edited(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new, 1)


VALID_TEXT = json.dumps(MANY, indent=1, ensure_ascii=False)
LINT_FINDING = '"message": "lint 0"'


@pytest.mark.parametrize(
    ("text", "accepted"),
    [
        (VALID_TEXT, True),
        (VALID_TEXT.replace("\n", "\r\n\t"), True),
        (VALID_TEXT + "\f", False),  # white space to yajl, not to json
        ("\ufeff" + VALID_TEXT, False),
        (VALID_TEXT + "{}", False),
        (VALID_TEXT[:-5], False),
        (edited(VALID_TEXT, LINT_FINDING, '"message": "\\ud800"'), False),
        (edited(VALID_TEXT, LINT_FINDING, '"message": "\\ud83d\\ude00"'), True),
        (edited(VALID_TEXT, LINT_FINDING, '"message": "\\\\ud800"'), True),
        (edited(VALID_TEXT, LINT_FINDING, '"message": "a\tb"'), False),
        (edited(VALID_TEXT, LINT_FINDING, '"message": "a\\u0000b"'), True),
        (edited(VALID_TEXT, LINT_FINDING, '"message": "x", "message": "lint 0"'), True),
        (edited(VALID_TEXT, LINT_FINDING, '"message": NaN'), False),
        (edited(VALID_TEXT, '"line": 1,', '"line": 1e400,'), False),
        (edited(VALID_TEXT, '"line": 1,', '"line": 1.0,'), True),  # an integer to JSON Schema
        (edited(VALID_TEXT, '"line": 1,', f'"line": {2**60},'), False),
        (edited(VALID_TEXT, '"line": 1,', f'"line": {2**53},'), True),
        (edited(VALID_TEXT, '"line": 1,', '"line": -0,'), True),
        (edited(VALID_TEXT, '"line": 1,', '"line": ' + nested(70) + ","), False),
        (edited(VALID_TEXT, '"findings": [', '"findings": [], "findings": ['), True),
        (edited(VALID_TEXT, '"findings": [', '"findings": [{"x": 1}], "findings": ['), True),
        (edited(VALID_TEXT, '"checks": {', '"checks": {"lint": {}, '), True),
        (edited(VALID_TEXT, '"schema_version": 1', '"schema_version": 2'), False),
        (edited(VALID_TEXT, '"duration_s": 0.2', '"duration_s": 2e-1'), True),
        ('{"checks": {"lint": {"findings": [1]}}}', False),
        ("[]", False),
        ("", False),
    ],
)
def test_streaming_refuses_what_the_full_read_refuses(
    tmp_path: Path, text: str, accepted: bool
) -> None:
    path = tmp_path / "r.json"
    path.write_text(text, encoding="utf-8", newline="")
    assert isinstance(same_either_way(path, 3), Report) == accepted


def test_streaming_refuses_bytes_that_are_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    for bad in (b"\xff", b"\xed\xa0\x80", b"\xc0\x80"):
        path.write_bytes(edited(VALID_TEXT, "lint 0", "lint ").encode().replace(b"lint ", bad, 1))
        assert "not UTF-8 text" in str(same_either_way(path, 3))


def test_streaming_holds_memory_for_the_kept_findings_only(tmp_path: Path) -> None:
    lint = lint_check(0)
    lint.findings = [finding("lint", f"problem {index}", line=index + 1) for index in range(20_000)]
    path = tmp_path / "r.json"
    save_report(make_report(lint), path)

    def peak(keep: int | None, *, stream: bool) -> int:
        tracemalloc.start()
        try:
            loaded(path, keep, stream=stream)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    loaded(path, 5, stream=True)  # the validators compiled and imported first
    streamed, whole = peak(5, stream=True), peak(5, stream=False)
    assert streamed * 10 < whole, (streamed, whole)


def test_streaming_refuses_files_the_full_read_refuses(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    outside = tmp_path / "outside.json"
    outside.write_text(VALID_TEXT, encoding="utf-8")
    (project / "link.json").symlink_to(outside)
    (project / "folder.json").mkdir()
    for name, problem in [
        ("link.json", "leads outside"),
        ("folder.json", "not a file"),
        ("missing.json", "report not found"),
    ]:
        path = project / name
        with pytest.raises(UsageError, match=problem) as streamed:
            load_report(path, within=project, keep_findings=3)
        with pytest.raises(UsageError) as whole:
            load_report(path, within=project)
        assert str(streamed.value) == str(whole.value)
    assert load_report(outside, keep_findings=3).finding_counts()["lint"] == 40


FINDINGS_OPEN = [
    ("start_map", None),
    ("map_key", "checks"),
    ("start_map", None),
    ("map_key", "lint"),
    ("start_map", None),
    ("map_key", "findings"),
    ("start_array", None),
]


@pytest.mark.parametrize(
    "events",
    [
        [("start_map", None)],  # ends inside the report
        FINDINGS_OPEN,
        [*FINDINGS_OPEN, ("start_map", None), ("map_key", "check"), ("string", "lint")],
    ],
)
def test_events_that_end_early_are_refused(events: list[tuple[str, Any]]) -> None:
    with pytest.raises(ValueError, match=r"not a JSON object|ends inside"):
        report._streamed_document(iter(events), 3)


def test_a_file_growing_past_the_limit_while_streamed_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text(VALID_TEXT, encoding="utf-8")
    fd = os.open(path, os.O_RDONLY)
    reader = CheckedReader(fd, limit=100)  # as if the file had grown since it was opened
    try:
        assert reader.read(64)
        with pytest.raises(DoubtfulJSONError, match="limit"):
            reader.read(64)
    finally:
        os.close(fd)
