"""The words shared by the summary, the terminal output and the badges; finding order."""

from __future__ import annotations

from report_builders import (
    data_check,
    errored,
    finding,
    format_check,
    lint_check,
    pytest_check,
    pytest_run,
    skipped,
    types_check,
)
from research_ci.checks.spec import metric_count
from research_ci.figures import check_figures
from research_ci.findings import deduplicated, location, prioritized
from research_ci.report import CheckResult
from research_ci.words import percent, plural


def test_plural_and_percent() -> None:
    assert plural(1, "error") == "1 error"
    assert plural(2, "anomaly", "anomalies") == "2 anomalies"
    assert percent(87.0) == "87%"
    assert percent(87.25) == "87.2%"
    assert percent(99.96) == "99.9%"
    assert percent(0.29) == "0.2%"
    assert percent(100) == "100%"
    assert percent(0) == "0%"


def test_metric_count() -> None:
    result = CheckResult(name="x", status="passed", summary="", metrics={"a": [1, 2], "b": "?"})
    assert metric_count(result, "a") == 2
    assert metric_count(result, "b") == 0
    assert metric_count(result, "missing") == 0


def test_check_figures() -> None:
    assert check_figures(format_check(2)) == "2 files to reformat"
    assert check_figures(lint_check(1)) == "1 violation"
    assert check_figures(types_check(0)) == "no errors"
    assert check_figures(types_check(3)) == "3 errors"
    tests = pytest_check(passed=3, failed=1, errors=1, skipped=2, coverage=None)
    assert check_figures(tests) == "3 passed, 1 failed, 1 error, 2 skipped; coverage not measured"
    outcomes = {"a": "passed", "b": "xfailed", "c": "xpassed", "d": "skipped"}
    assert check_figures(pytest_run(outcomes, coverage=81.5)) == (
        "1 passed, 1 skipped, 1 xfailed, 1 xpassed; coverage 81.5% (threshold 80%)"
    )
    uncollected = pytest_run({"tests/test_a.py": "uncollected"}, coverage=None)
    assert check_figures(uncollected) == (
        "cannot be collected (1 collection error); coverage not measured"
    )
    assert check_figures(pytest_check(coverage=50, threshold=0)) == "42 passed; coverage 50%"
    drift = [{"feature": "a", "measure": "m", "value": 1, "threshold": 2}]
    assert check_figures(data_check(drift=drift)) == "0 anomalies; drift 0/1 over threshold"
    assert check_figures(skipped("data", "no data")) == "no data"
    assert check_figures(errored("lint", "")) == "error"
    other = CheckResult(name="docs", status="passed", summary="built")
    assert check_figures(other) == "built"
    assert check_figures(CheckResult(name="docs", status="failed", summary="")) == "failed"


def test_location() -> None:
    assert location(finding("lint", file=None)) == ""
    assert location(finding("lint", line=None)) == "src/pkg/mod.py"
    assert location(finding("lint", line=4)) == "src/pkg/mod.py:4"
    assert location(finding("lint", line=4, col=2)) == "src/pkg/mod.py:4:2"


def test_prioritized_is_stable_by_severity_then_check() -> None:
    items = [
        finding("format", "f"),
        finding("lint", "l2", severity="warning"),
        finding("lint", "l1"),
        finding("unknown", "u"),
        finding("tests", "t"),
        finding("types", "y", severity="notice"),
    ]
    order = [item.message for item in prioritized(items)]
    assert order == ["t", "l1", "f", "u", "l2", "y"]


def test_deduplicated() -> None:
    one, two = finding("lint", "a"), finding("lint", "b")
    assert deduplicated([one, two, finding("lint", "a"), two]) == [one, two]
