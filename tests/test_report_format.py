"""The JSON report: schema validation, round trip, and every way a report file can be bad."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from refusals import refusal
from report_builders import clean_report, data_check, lint_check, make_report, pytest_check
from research_ci.errors import UsageError
from research_ci.report import (
    Finding,
    load_report,
    report_path_in,
    save_report,
    validate_report_dict,
)


def test_round_trip(tmp_path: Path) -> None:
    drift = [{"feature": "a", "measure": "js", "value": 0.2, "threshold": 0.1}]
    report = make_report(
        lint_check(2), pytest_check(failed=1), data_check(drift=drift), report_url="https://x"
    )
    path = tmp_path / "r.json"
    save_report(report, path)
    loaded = load_report(path)
    assert loaded.to_dict() == report.to_dict()
    assert loaded.findings() == report.findings()


def test_finding_defaults() -> None:
    finding = Finding.from_dict({"check": "lint", "file": None, "line": None, "message": "m"})
    assert finding.severity == "error"
    assert finding.col is None


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        ('{"schema_version": 1}', "not a research-ci report"),
    ],
)
def test_bad_report_files(tmp_path: Path, content: str, fragment: str) -> None:
    assert fragment in refusal(load_report, tmp_path / "r.json", content)


def odd(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new, 1)


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (lambda text: odd(text, '"coverage": 95.0', '"coverage": NaN'), "NaN is not a JSON number"),
        (lambda text: odd(text, '"coverage": 95.0', '"coverage": 1e400'), "out of range"),
        (lambda text: odd(text, '"coverage": 95.0', '"coverage": -Infinity'), "not a JSON number"),
        (lambda text: odd(text, '"passed": 42', f'"passed": {2**64}'), "out of range"),
        (lambda _text: "[" * 100_000 + "]" * 100_000, "nested"),
        (lambda text: odd(text, '"name": "demo"', '"name": ' + "[" * 70 + "]" * 70), "nested"),
    ],
)
def test_odd_json_is_one_usage_line(tmp_path: Path, change: Any, fragment: str) -> None:
    path = tmp_path / "r.json"
    path.write_text(change(make_report(pytest_check()).to_json()), encoding="utf-8")
    with pytest.raises(UsageError, match=fragment) as raised:
        load_report(path)
    assert "\n" not in str(raised.value)
    result = subprocess.run(
        [sys.executable, "-m", "research_ci", "summary", "--report", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_newer_schema_version_is_refused(tmp_path: Path) -> None:
    data = clean_report().to_dict()
    data["schema_version"] = 2
    with pytest.raises(UsageError, match="schema_version 2 is newer"):
        validate_report_dict(data, source="r.json")
    path = tmp_path / "r.json"
    path.write_text(json.dumps(data))
    with pytest.raises(UsageError, match="upgrade research-ci"):
        load_report(path)


def test_unreadable_report_files(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="report not found"):
        load_report(tmp_path / "missing.json")
    latin1 = tmp_path / "latin1.json"
    latin1.write_bytes(b'{"caf\xe9": 1}')
    with pytest.raises(UsageError, match="cannot read report"):
        load_report(latin1)


def test_schema_rejects_a_bad_finding() -> None:
    data = make_report(lint_check(1)).to_dict()
    data["checks"]["lint"]["findings"][0]["severity"] = "fatal"
    with pytest.raises(UsageError, match="checks/lint/findings/0/severity"):
        validate_report_dict(data, source="r.json")


def test_the_output_directory_ignores_itself_in_git(tmp_path: Path) -> None:
    """`.research-ci/` never shows as untracked, with no line in the project's .gitignore."""
    subprocess.run(["git", "init", "--quiet", str(tmp_path)], check=True)
    save_report(clean_report(), report_path_in(tmp_path))
    (tmp_path / ".research-ci" / "data").mkdir()
    (tmp_path / ".research-ci" / "data" / "report.html").write_text("<html></html>")
    (tmp_path / "analysis.py").write_text("x = 1\n")
    status = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert status.stdout.splitlines() == ["?? analysis.py"]
    # A .gitignore the user wrote there is theirs: never overwritten.
    (tmp_path / ".research-ci" / ".gitignore").write_text("report.json\n")
    save_report(clean_report(), report_path_in(tmp_path))
    assert (tmp_path / ".research-ci" / ".gitignore").read_text() == "report.json\n"
    # A report written elsewhere gets no .gitignore beside it.
    save_report(clean_report(), tmp_path / "out" / "r.json")
    assert not (tmp_path / "out" / ".gitignore").exists()
