"""The Markdown summary: content, table escaping, the comment size limit, the command."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fragments import assert_fragments
from report_builders import (
    clean_report,
    data_check,
    errored,
    finding,
    format_check,
    lint_check,
    make_report,
    pytest_check,
    skipped,
    types_check,
)
from research_ci.cli import main
from research_ci.report import CheckResult, Report, save_report
from research_ci.summary import (
    CUT_NOTE,
    GITHUB_COMMENT_LIMIT,
    MAX_MESSAGE_CHARS,
    SUMMARY_MARKER,
    render_summary,
    text_length,
)

UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def table_rows(markdown: str) -> list[list[list[str]]]:
    """Every Markdown table as its rows of cells (split on unescaped pipes)."""
    tables: list[list[list[str]]] = []
    current: list[list[str]] = []
    for line in [*markdown.splitlines(), ""]:
        if line.startswith("|"):
            current.append(UNESCAPED_PIPE.split(line)[1:-1])
        elif current:
            tables.append(current)
            current = []
    return tables


def assert_tables_well_formed(markdown: str) -> None:
    tables = table_rows(markdown)
    assert tables
    for rows in tables:
        header = len(rows[0])
        assert all(len(row) == header for row in rows), rows


def lint_with(count: int, message: str = "line too long") -> CheckResult:
    result = lint_check(0)
    result.status = "failed"
    result.metrics["violations"] = count
    result.findings = [
        finding("lint", f"{message} #{i}", file=f"src/m{i}.py", line=i + 1, code="E501")
        for i in range(count)
    ]
    return result


ANOMALY = {"feature": "age", "kind": "OUT_OF_RANGE", "severity": "ERROR", "description": "200"}


def test_headline_table_and_marker() -> None:
    report = clean_report(report_url="https://ci.example/run/1")
    text = render_summary(report)
    assert text.splitlines()[0] == SUMMARY_MARKER
    assert_fragments(
        text,
        "## ✅ research-ci: gate passed · grade A (100/100)",
        "gate **passed**",
        "| tests | ✅ passed | 42 passed; coverage 95% (threshold 80%) | 3.2 s |",
        "| format | ✅ passed | all files formatted | 0.4 s |",
        "| data | ✅ passed | 0 anomalies | 7.0 s |",
        "[full report](https://ci.example/run/1)",
        absent=["### Findings", "### Rubric", "### Data"],
    )
    assert_tables_well_formed(text)


def test_failing_report_has_reasons_rubric_findings_and_data() -> None:
    drift = [
        {"feature": "age", "measure": "jensen_shannon", "value": 0.25, "threshold": 0.1},
        {"feature": "city", "measure": "l_infinity", "value": 0.01, "threshold": 0.1},
    ]
    report = make_report(
        format_check(1),
        lint_check(2),
        types_check(1),
        pytest_check(failed=1, coverage=70.0),
        data_check([ANOMALY], drift=drift),
    )
    text = render_summary(report)
    assert_fragments(
        text,
        # The first reason in the heading, every reason listed under it.
        "## ❌ research-ci: gate failed: format failed (1 files would be reformatted) "
        f"(and 5 more reasons) · grade {report.grade} ({report.score}/100)",
        "gate **failed**",
        "- tests failed (42 passed, 1 failed)",
        "| tests | 5 | 1 x failing or erroring test |",
        "- Cap: tests: a test fails or errors, the tests cannot be collected, "
        "or no test runs -&gt; at most D",
    )
    # Most important first: failing tests, then types, then lint, then formatting.
    order = [text.index(f"**{name}** (") for name in ("tests", "types", "lint", "format")]
    assert order == sorted(order)
    assert_fragments(
        text,
        "| `tests/test_x.py:1` |  | test_1 failed: assert 1 == 2 |",
        "| `src/pkg/mod.py:1:1` | F401 | unused import 0 |",
        "| age | OUT_OF_RANGE | ERROR | 200 |",
        "| drift | age | jensen_shannon | 0.25 | 0.1 | ⚠️ over |",
        "| drift | city | l_infinity | 0.01 | 0.1 | under |",
        absent=["not shown"],
    )
    assert_tables_well_formed(text)


def test_skipped_and_error_checks_show_their_reason() -> None:
    report = make_report(skipped("data", "no data configured"), errored("types", "mypy crashed"))
    text = render_summary(report)
    assert_fragments(
        text,
        "| types | 💥 error | mypy crashed |",
        "| data | ⏭️ skipped | no data configured |",
        absent=["### Data"],
    )


def test_pipes_and_newlines_in_cells_are_escaped() -> None:
    evil = finding(
        "lint", "a | b\nc ` d", file="src/we|rd.py", line=1, code="X|1", severity="warning"
    )
    lint = lint_with(0)
    lint.findings = [evil, finding("lint", "fyi", severity="notice")]
    anomaly = {"feature": "f|g", "kind": "K|", "severity": "|", "description": "x | y"}
    drift = [{"feature": "a|b", "measure": "m|n", "value": 1, "threshold": 0.5}]
    report = make_report(lint, data_check([anomaly], drift=drift), project="p|q")
    text = render_summary(report)
    assert_fragments(text, "src/we\\|rd.py:1", "⚠️ a \\| b c \\` d", "ℹ️ fyi")  # noqa: RUF001
    assert_tables_well_formed(text)


def test_long_messages_are_shortened() -> None:
    lint = lint_with(1, message="x" * 5000)
    text = render_summary(make_report(lint))
    assert "x" * (MAX_MESSAGE_CHARS - 1) + "…" in text
    assert "x" * MAX_MESSAGE_CHARS not in text


def test_findings_are_capped_with_a_note() -> None:
    text = render_summary(make_report(lint_with(80)), max_findings=30)
    assert "**lint** (30 of 80)" in text
    assert "> 50 findings not shown; see the report artifact." in text


def test_5000_findings_stay_under_the_comment_limit() -> None:
    report = make_report(lint_with(5000, message="m" * 250), types_check(3))
    default = render_summary(report)
    assert text_length(default) <= 65_000 < GITHUB_COMMENT_LIMIT
    assert "findings not shown; see the report artifact." in default
    everything = render_summary(report, max_findings=10_000)
    assert text_length(everything) <= 65_000
    shown = everything.count("| `src/")
    assert 50 < shown < 5003
    assert f"> {5003 - shown} findings not shown; see the report artifact." in everything
    assert_tables_well_formed(everything)
    # The budget is used: one more finding would not have fitted.
    assert text_length(everything) > 65_000 - 400


def test_data_rows_are_dropped_after_findings() -> None:
    anomalies = [
        {**ANOMALY, "feature": f"feature_{i}", "description": "d" * 200} for i in range(400)
    ]
    report = make_report(lint_with(10), data_check(anomalies))
    text = render_summary(report, max_chars=20_000)
    assert text_length(text) <= 20_000
    assert_fragments(
        text,
        "10 findings not shown",
        "data rows not shown; see the report artifact.",
        "| feature_0 |",
    )


def test_last_resort_cut() -> None:
    report = make_report(errored("types", "x" * 20_000 + "😀" * 3000))
    text = render_summary(report, max_chars=5_000)
    assert text_length(text) <= 5_000
    assert text.endswith(CUT_NOTE)
    assert text.startswith(SUMMARY_MARKER)


def test_text_length_counts_utf16_units() -> None:
    assert text_length("abc") == 3
    assert text_length("😀") == 2
    assert text_length("é") == 1


# --- the command -------------------------------------------------------------------------------


def saved(report: Report, tmp_path: Path) -> Path:
    path = tmp_path / "report.json"
    save_report(report, path)
    return path


def test_summary_command_prints(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = saved(make_report(lint_check(2)), tmp_path)
    assert main(["summary", "--report", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(SUMMARY_MARKER)
    assert "**lint** (2 of 2)" in out


def test_summary_command_default_report_and_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    save_report(make_report(lint_with(300)), tmp_path / ".research-ci" / "report.json")
    output = tmp_path / "summary.md"
    args = ["summary", "--output", str(output), "--max-chars", "5000", "--max-findings", "100"]
    assert main(args) == 0
    assert "summary written" in capsys.readouterr().out
    text = output.read_text(encoding="utf-8")
    assert text.startswith(SUMMARY_MARKER)
    assert text_length(text) <= 5000


def test_summary_command_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", "--report", str(tmp_path / "missing.json")]) == 2
    err = capsys.readouterr().err
    assert "report not found" in err
    assert err.count("\n") == 1
    path = saved(clean_report(), tmp_path)
    assert main(["summary", "--report", str(path), "--max-chars", "10"]) == 2


def test_advisory_checks_are_marked_and_explained() -> None:
    types = types_check(3)
    types.advisory = (
        "the project has no mypy configuration (opt in: [tool.research-ci] advisory = [])"
    )
    report = make_report(types, lint_check(0))
    text = render_summary(report)
    assert_fragments(
        text,
        "## ✅ research-ci: gate passed · grade A (100/100)",
        "| types | ❌ failed (advisory) | 3 errors | 1.5 s |",
        "- types is advisory (reported, not graded): the project has no mypy configuration "
        "(opt in: \\[tool.research-ci\\] advisory = \\[\\])",  # brackets escaped: text
    )
    assert_tables_well_formed(text)


def test_a_single_reason_is_the_headline_alone() -> None:
    text = render_summary(make_report(lint_check(1), minimum_grade="A"))
    assert "## ❌ research-ci: gate failed: lint failed (1 violations) · grade A (99/100)" in text
    assert "\n- lint failed" not in text  # said once, in the headline
