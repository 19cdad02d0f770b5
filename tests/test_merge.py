"""``report merge``: partial reports of CI jobs combined into one graded report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from report_builders import (
    data_check,
    errored,
    format_check,
    lint_check,
    make_report,
    pytest_check,
    pytest_run,
    skipped,
    types_check,
)
from research_ci.badge import report_badges
from research_ci.cli import main
from research_ci.errors import UsageError
from research_ci.grade import build_report
from research_ci.merge import (
    STATUS_ORDER,
    expand_paths,
    merge_check,
    merge_reports,
    worst_status,
)
from research_ci.report import STATUSES, Report, load_report, save_report, validate_report_dict


def test_every_status_is_ranked() -> None:
    assert set(STATUS_ORDER) == set(STATUSES)


@pytest.mark.parametrize(
    ("statuses", "worst"),
    [
        (["skipped", "passed"], "passed"),
        (["passed", "skipped", "passed"], "passed"),
        (["skipped", "skipped"], "skipped"),
        (["passed", "failed"], "failed"),
        (["failed", "error", "passed"], "error"),
    ],
)
def test_worst_status(statuses: list[str], worst: str) -> None:
    assert worst_status(statuses) == worst  # type: ignore[arg-type]


SUITE = [f"tests/test_m.py::test_{i}" for i in range(20)]


def suite(**changed: str) -> dict[str, str]:
    """The 20 tests, passing, but for the ones named (``test_3="failed"``)."""
    outcomes = dict.fromkeys(SUITE, "passed")
    outcomes.update({f"tests/test_m.py::{name}": outcome for name, outcome in changed.items()})
    return outcomes


def test_a_matrix_counts_each_test_once() -> None:
    """20 tests on two Pythons read 20 passed, as one run does (not 40)."""
    one = pytest_run(suite(), python="3.10")
    merged = merge_reports([make_report(one), make_report(pytest_run(suite(), python="3.12"))])
    tests = merged.checks["tests"]
    assert (tests.metrics["passed"], tests.metrics["failed"]) == (20, 0)
    assert merged.grade == make_report(one).grade == "A"
    # CI's badges (from the merged report) are a local run's: `badge --check` agrees.
    assert report_badges(merged) == report_badges(make_report(one))
    assert {item.key: item.message for item in report_badges(merged)}["tests"] == "20 passed"
    validate_report_dict(merged.to_dict(), source="merged")


def test_a_test_failing_on_one_python_counts_once_with_its_pythons() -> None:
    py310 = make_report(pytest_run(suite(test_3="failed"), python="3.10"))
    py311 = make_report(pytest_run(suite(), python="3.11"))
    py312 = make_report(pytest_run(suite(test_3="failed", test_4="error"), python="3.12"))
    merged = merge_reports([py310, py311, py312])
    tests = merged.checks["tests"]
    assert tests.status == "failed"
    figures = {key: tests.metrics[key] for key in ("passed", "failed", "errors", "skipped")}
    assert figures == {"passed": 18, "failed": 1, "errors": 1, "skipped": 0}
    assert tests.metrics["failed_on"] == {
        "tests/test_m.py::test_3": ["3.10", "3.12"],
        "tests/test_m.py::test_4": ["3.12"],
    }
    assert [finding.message for finding in tests.findings] == [
        "tests/test_m.py::test_3: assert 3.10 == 'all' (failed on Python 3.10, 3.12)",
        "tests/test_m.py::test_4: assert 3.12 == 'all' (failed on Python 3.12)",
    ]
    # One failing test costs what it costs in one run (5 points and the cap), not double.
    assert [(item.check, item.points) for item in merged.deductions] == [("tests", 10)]
    assert merged.score == make_report(pytest_run(suite(test_3="failed", test_4="error"))).score
    validate_report_dict(merged.to_dict(), source="merged")


@pytest.mark.parametrize(
    ("first", "second", "merged"),
    [
        ("skipped", "passed", "passed"),  # skipif on one Python: it ran on the other
        ("xfailed", "passed", "passed"),
        ("xpassed", "passed", "xpassed"),
        ("passed", "failed", "failed"),
        ("error", "failed", "failed"),
        ("uncollected", "passed", "uncollected"),
        ("skipped", "skipped", "skipped"),
    ],
)
def test_a_tests_outcome_is_its_worst(first: str, second: str, merged: str) -> None:
    result = merge_check(
        [
            pytest_run(suite(test_0=first), python="3.10"),
            pytest_run(suite(test_0=second), python="3.12"),
        ]
    )
    assert result.metrics["test_outcomes"]["tests/test_m.py::test_0"] == merged
    assert result.metrics["collection_errors"] == (merged == "uncollected")


def test_tests_only_on_one_python_are_counted() -> None:
    new_test = {**suite(), "tests/test_m.py::test_match": "passed"}
    result = merge_check([pytest_run(suite(), python="3.9"), pytest_run(new_test)])
    assert result.metrics["passed"] == 21


def test_reports_without_test_ids_keep_the_largest_counts() -> None:
    """Reports of an older research-ci have counts only: a test still counts once."""
    py310 = make_report(pytest_check(passed=40, skipped=1, coverage=91.0))
    py312 = make_report(pytest_check(passed=38, failed=2, errors=1, coverage=85.5, threshold=85))
    merged = merge_reports([py310, py312])
    tests = merged.checks["tests"]
    assert tests.status == "failed"
    assert tests.metrics["passed"] == 40
    assert tests.metrics["failed"] == 2
    assert tests.metrics["errors"] == 1
    assert tests.metrics["skipped"] == 1
    assert tests.metrics["coverage"] == 85.5
    assert tests.metrics["coverage_threshold"] == 85
    assert len(tests.findings) == 2
    assert tests.duration_s == 3.25
    assert tests.summary.startswith("2 reports: ")
    # The grade is the rubric's verdict on the merged figures, not either job's.
    expected = build_report(
        project_name="demo", checks={"tests": tests}, minimum_grade="C", coverage_threshold=80
    )
    assert (merged.score, merged.grade) == (expected.score, expected.grade)
    assert merged.grade != py310.grade
    assert not merged.gate_passed
    validate_report_dict(merged.to_dict(), source="merged")


def test_identical_failures_in_two_legs_are_listed_once_and_counted_once() -> None:
    leg = pytest_check(passed=10, failed=1)
    merged = merge_reports([make_report(leg), make_report(pytest_check(passed=10, failed=1))])
    assert merged.checks["tests"].metrics["failed"] == 1
    assert len(merged.checks["tests"].findings) == 1


def test_union_of_different_checks() -> None:
    lint_job = make_report(format_check(), lint_check(2))
    types_job = make_report(types_check(1))
    data_job = make_report(skipped("data"))
    merged = merge_reports([lint_job, types_job, data_job])
    assert list(merged.checks) == ["format", "lint", "types", "data"]
    assert merged.checks["lint"] is lint_job.checks["lint"]
    assert merged.checks["data"].status == "skipped"
    assert merged.score == 100 - 2 - 2
    validate_report_dict(merged.to_dict(), source="merged")


def test_same_check_counts_are_distinct_findings_not_sums() -> None:
    first = types_check(2)
    second = types_check(3)  # shares its first two findings with ``first``
    merged = merge_check([first, second])
    assert merged.metrics["errors"] == 3
    assert len(merged.findings) == 3
    lint_a = lint_check(1)
    lint_b = lint_check(0)
    lint_b.metrics["violations"] = 4  # findings cut by the job: trust the larger count
    assert merge_check([lint_a, lint_b]).metrics["violations"] == 4


def test_skipped_and_passed_is_passed_and_error_wins() -> None:
    merged = merge_check([skipped("lint"), lint_check(0)])
    assert merged.status == "passed"
    assert merge_check([errored("lint"), lint_check(0)]).status == "error"


def test_skipped_partials_add_nothing_to_the_merged_check() -> None:
    ran = lint_check(2)
    merged = merge_check([skipped("lint"), ran, skipped("lint")])
    assert merged == ran
    assert "not selected" not in merged.summary
    only_skipped = merge_check([skipped("lint"), skipped("lint")])
    assert only_skipped.status == "skipped"


def test_data_lists_are_concatenated_without_repeats() -> None:
    anomaly = {"feature": "a", "kind": "K", "severity": "ERROR", "description": "d"}
    other = {**anomaly, "feature": "b"}
    drift = [{"feature": "a", "measure": "js", "value": 0.2, "threshold": 0.1}]
    merged = merge_check([data_check([anomaly], drift=drift), data_check([anomaly, other])])
    assert merged.metrics["anomalies"] == [anomaly, other]
    assert merged.metrics["drift"] == drift


def test_coverage_missing_in_every_leg_stays_missing() -> None:
    merged = merge_check([pytest_check(coverage=None), pytest_check(coverage=None)])
    assert merged.metrics["coverage"] is None


def test_unknown_figures_keep_the_largest_number_or_the_first_value() -> None:
    first = lint_check(0)
    second = lint_check(0)
    first.metrics.update({"rules": 10, "tool": "ruff 0.6"})
    second.metrics.update({"rules": 12, "tool": "ruff 0.7"})
    merged = merge_check([first, second])
    assert merged.metrics["rules"] == 12
    assert merged.metrics["tool"] == "ruff 0.6"


def test_strictest_settings_and_first_report_url() -> None:
    lenient = make_report(lint_check(0), minimum_grade="D", coverage_threshold=70)
    strict = make_report(
        types_check(0), minimum_grade="B", coverage_threshold=90, report_url="https://x/1"
    )
    merged = merge_reports([lenient, strict])
    assert merged.minimum_grade == "B"
    assert merged.coverage_threshold == 90
    assert merged.report_url == "https://x/1"


def test_refuses_different_projects_and_nothing() -> None:
    with pytest.raises(UsageError, match="different projects: 'a', 'b'"):
        merge_reports([make_report(lint_check(), project="a"), make_report(project="b")])
    with pytest.raises(UsageError, match="no reports"):
        merge_reports([])


# --- the command -------------------------------------------------------------------------------


def write(report: Report, path: Path) -> Path:
    save_report(report, path)
    return path


def test_merge_command_with_a_glob(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    py310 = pytest_run(suite(), python="3.10")
    write(make_report(py310), tmp_path / "reports" / "py310" / "report.json")
    py312 = pytest_run({**suite(), "tests/test_m.py::test_new": "passed"})
    write(make_report(py312), tmp_path / "reports" / "py312" / "report.json")
    lint = write(make_report(lint_check(1), format_check(0)), tmp_path / "lint.json")
    assert main(["report", "merge", "reports/**/report.json", str(lint), str(lint)]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    assert out.startswith("merged 3 reports into .research-ci/report.json: grade A (99), gate")
    merged = load_report(tmp_path / ".research-ci" / "report.json")
    assert merged.checks["tests"].metrics["passed"] == 21
    assert set(merged.checks) == {"tests", "lint", "format"}
    data = json.loads((tmp_path / ".research-ci" / "report.json").read_text())
    validate_report_dict(data, source="merged")


def test_merge_command_output_option(tmp_path: Path) -> None:
    a = write(make_report(lint_check(0)), tmp_path / "a.json")
    b = write(make_report(types_check(2)), tmp_path / "b.json")
    output = tmp_path / "out" / "merged.json"
    assert main(["report", "merge", str(a), str(b), "--output", str(output)]) == 0
    assert load_report(output).score == 96


def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "Traceback" not in err
    return err


def test_merge_command_bad_inputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = write(make_report(lint_check(0)), tmp_path / "good.json")
    output = tmp_path / "merged.json"
    assert main(["report", "merge", str(tmp_path / "none*.json"), "--output", str(output)]) == 2
    assert "no report matches" in one_line_error(capsys)
    assert main(["report", "merge", str(tmp_path / "absent.json"), "--output", str(output)]) == 2
    assert "report not found" in one_line_error(capsys)
    newer = tmp_path / "newer.json"
    data = json.loads(good.read_text())
    data["schema_version"] = 3
    newer.write_text(json.dumps(data))
    assert main(["report", "merge", str(good), str(newer), "--output", str(output)]) == 2
    assert "newer" in one_line_error(capsys)
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    assert main(["report", "merge", str(broken), "--output", str(output)]) == 2
    assert "not valid JSON" in one_line_error(capsys)
    other = write(make_report(lint_check(0), project="other"), tmp_path / "other.json")
    assert main(["report", "merge", str(good), str(other), "--output", str(output)]) == 2
    assert "different projects" in one_line_error(capsys)
    assert not output.exists()


def test_expand_paths_keeps_order_and_drops_repeats(tmp_path: Path) -> None:
    for name in ("b.json", "a.json"):
        (tmp_path / name).write_text("{}")
    paths = expand_paths([str(tmp_path / "b.json"), str(tmp_path / "*.json")])
    assert [path.name for path in paths] == ["b.json", "a.json"]


def test_expand_paths_takes_an_existing_file_literally(tmp_path: Path) -> None:
    odd = tmp_path / "report[1].json"
    odd.write_text("{}")
    assert expand_paths([str(odd)]) == [odd]
