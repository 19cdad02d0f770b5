"""The rubric's edges, pinned: grade floors, per-rule ceilings, caps, skipped checks, the gate."""

from __future__ import annotations

import pytest

from report_builders import (
    clean_report,
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
from research_ci.grade import (
    CAPS,
    GRADE_FLOORS,
    PENALTIES,
    grade_for_score,
    grade_rank,
    rubric_markdown,
)

ANOMALY = {"feature": "f", "kind": "K", "severity": "ERROR", "description": "d"}


@pytest.mark.parametrize(
    ("score", "grade"),
    [
        (100, "A"),
        (90, "A"),
        (89, "B"),
        (80, "B"),
        (79, "C"),
        (70, "C"),
        (69, "D"),
        (60, "D"),
        (59, "F"),
        (0, "F"),
    ],
)
def test_grade_floors(score: int, grade: str) -> None:
    assert grade_for_score(score) == grade


def test_clean_project_grades_a_and_passes() -> None:
    report = clean_report()
    assert (report.score, report.grade, report.gate_passed) == (100, "A", True)
    assert report.deductions == []
    assert report.caps == []


def test_skipped_checks_take_nothing_off_but_stay_in_the_report() -> None:
    report = make_report(skipped("format"), skipped("lint"), skipped("tests"), skipped("data"))
    assert (report.score, report.grade, report.gate_passed) == (100, "A", True)
    assert list(report.checks) == ["format", "lint", "tests", "data"]


@pytest.mark.parametrize(
    ("result", "points"),
    [
        (format_check(1), 2),
        (format_check(5), 10),
        (format_check(50), 10),
        (lint_check(1), 1),
        (lint_check(20), 20),
        (lint_check(21), 20),
        (types_check(1), 2),
        (types_check(10), 20),
        (types_check(11), 20),
    ],
    ids=lambda value: getattr(value, "name", str(value)),
)
def test_penalties_and_their_ceilings(result: object, points: int) -> None:
    report = make_report(result)  # type: ignore[arg-type]
    assert report.score == 100 - points


def test_failing_tests_cap_the_grade_at_d() -> None:
    one = make_report(pytest_check(failed=1))
    assert one.score == 69  # 5 points off, then the cap
    assert one.grade == "D"
    assert one.caps == [
        (
            "tests: a test fails or errors, the tests cannot be collected, "
            "or no test runs -> at most D"
        )
    ]
    many = make_report(pytest_check(failed=4, errors=4))
    assert [item.points for item in many.deductions] == [30]  # the ceiling
    assert many.score == 69  # 70 after the ceiling, then the cap
    worse = make_report(pytest_check(failed=8), lint_check(5))
    assert worse.score == 65  # under the cap already: the points decide
    assert many.grade == "D"


def test_coverage_under_the_threshold() -> None:
    at = make_report(pytest_check(coverage=80.0, threshold=80.0))
    assert at.grade == "A"
    assert at.caps == []
    just_under = make_report(pytest_check(coverage=79.5, threshold=80.0))
    assert just_under.score == 89  # 0.5 points rounded up, then capped at B
    assert just_under.grade == "B"
    far_under = make_report(pytest_check(coverage=10.0, threshold=80.0))
    assert far_under.score == 80  # at most 20 points for coverage
    no_coverage = make_report(pytest_check(coverage=None))
    assert no_coverage.grade == "A"


def test_data_anomalies_cost_points_and_cap_at_b() -> None:
    one = make_report(data_check([ANOMALY]))
    assert (one.score, one.grade) == (89, "B")
    many = make_report(data_check([ANOMALY] * 10))
    assert many.score == 80


def test_a_check_that_could_not_run() -> None:
    report = make_report(errored("types"))
    assert report.score == 79  # 20 points off, capped at C
    assert report.grade == "C"
    assert "types: a check could not run (status error) -> at most C" in report.caps
    assert not report.gate_passed


def test_checks_that_could_not_run_take_20_points_at_most_as_the_rubric_says() -> None:
    """docs/rubric.md: 20 points per check that could not run, at most 20."""
    two = make_report(errored("types"), errored("tests"), lint_check(3))
    assert [(item.check, item.points, item.reason) for item in two.deductions] == [
        ("lint", 3, "3 x ruff violation"),
        ("types, tests", 20, "2 x check that could not run (status error)"),
    ]
    assert two.score == 77
    assert "| any | check that could not run (status `error`) | 20 | 20 |" in rubric_markdown()


def test_a_suite_that_cannot_be_collected_never_grades_better_than_one_that_fails() -> None:
    uncollected = make_report(pytest_run({"tests/test_a.py": "uncollected"}, coverage=None))
    assert uncollected.score == 50
    assert uncollected.grade == "F"
    worst_failing = make_report(
        pytest_run(dict.fromkeys(["a", "b", "c", "d", "e", "f", "g"], "failed"), coverage=0.0)
    )
    assert worst_failing.score >= uncollected.score
    one_failing = make_report(pytest_run({"a": "failed", "b": "passed"}))
    assert grade_rank(one_failing.grade) < grade_rank(uncollected.grade)


def test_advisory_checks_are_reported_but_never_graded_nor_gating() -> None:
    types = types_check(7)
    types.advisory = "the project has no mypy configuration"
    crashed = errored("lint")
    crashed.advisory = "listed in [tool.research-ci] advisory"
    report = make_report(types, crashed, pytest_check())
    assert (report.score, report.grade, report.gate_passed) == (100, "A", True)
    assert report.deductions == []
    assert report.caps == []
    assert report.gate_reasons == []
    assert (
        report.to_dict()["checks"]["types"]["advisory"] == "the project has no mypy configuration"
    )
    assert report.to_dict()["checks"]["types"]["errors"] == 7


def test_score_never_goes_below_zero() -> None:
    report = make_report(
        format_check(10),
        lint_check(30),
        types_check(30),
        pytest_check(failed=10, coverage=0.0),
        data_check([ANOMALY] * 10),
        errored("data"),
    )
    assert report.score >= 0
    assert report.grade == "F"


def test_gate_reasons() -> None:
    lint = make_report(lint_check(1), minimum_grade="A")
    assert lint.grade == "A"
    assert not lint.gate_passed
    assert lint.gate_reasons == ["lint failed (1 violations)"]
    assert lint.headline() == "gate failed: lint failed (1 violations); grade A (99/100)"
    both = make_report(lint_check(1), errored("types", "mypy crashed"))
    assert both.verdict() == "gate failed: lint failed (1 violations) (and 1 more reason)"
    assert both.gate_reasons[1] == "types could not run (mypy crashed)"
    strict = make_report(pytest_check(coverage=79.0), minimum_grade="A")
    assert "grade B is below the minimum grade A" in strict.gate_reasons
    lenient = make_report(pytest_check(failed=10, status="passed"), minimum_grade="F")
    assert lenient.gate_passed


def test_rubric_markdown_lists_every_rule() -> None:
    text = rubric_markdown()
    for rule in PENALTIES:
        assert rule.unit in text
    for cap in CAPS:
        assert cap.condition in text
    for letter, floor in GRADE_FLOORS:
        assert f"| {letter} | {floor} and above |" in text
