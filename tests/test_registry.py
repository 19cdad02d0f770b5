"""The one registry of checks: what is derived from it, and what each check declares."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from report_builders import clean_report
from research_ci.checks.registry import CHECK_NAMES, CHECK_PRIORITY, CHECKS, DEFAULT_CHECKS
from research_ci.checks.spec import CheckSpec, Metrics
from research_ci.report import CheckResult, report_schema


def test_the_lists_derive_from_the_registry() -> None:
    assert tuple(spec.name for spec in CHECKS) == CHECK_NAMES
    assert tuple(spec.name for spec in CHECKS if spec.default) == DEFAULT_CHECKS
    assert (
        tuple(spec.name for spec in sorted(CHECKS, key=lambda spec: spec.priority))
        == CHECK_PRIORITY
    )
    assert len({spec.priority for spec in CHECKS}) == len(CHECKS)
    assert CHECK_NAMES[:4] == ("format", "lint", "types", "tests")
    assert CHECK_PRIORITY[:3] == ("tests", "types", "data")
    assert "data" not in DEFAULT_CHECKS  # on when [tool.research-ci.data] is there


def test_the_report_schema_knows_every_check_and_its_figures() -> None:
    """Adding a check: its name and its figures go into schemas/report.schema.json too."""
    checks = report_schema()["properties"]["checks"]
    assert checks["propertyNames"]["enum"] == list(CHECK_NAMES)
    for spec in CHECKS:
        figures = spec.metrics(CheckResult(name=spec.name, status="passed", summary=""))
        declared = checks["properties"][spec.name]["allOf"][1]["properties"]
        names = {field.name for field in dataclasses.fields(figures)}
        missing = names - set(declared) - {"datasets"}
        assert not missing, (spec.name, missing)


@pytest.mark.parametrize("spec", CHECKS, ids=lambda spec: spec.name)
def test_every_check_reads_empty_or_malformed_figures(spec: CheckSpec[Any]) -> None:
    malformed: dict[str, Any] = {"violations": "?", "coverage": "x", "anomalies": 3, "drift": [1]}
    for metrics in ({}, malformed):
        result = CheckResult(name=spec.name, status="passed", summary="", metrics=metrics)
        figures = spec.metrics(result)
        assert isinstance(spec.figures(figures), str)
        for rule in spec.penalties:
            assert rule.points(figures) == 0


def test_every_badge_of_a_clean_report_is_green() -> None:
    report = clean_report()
    for spec in CHECKS:
        if spec.name not in report.checks:
            continue
        result = report.checks[spec.name]
        for build in spec.badges.values():
            assert build(result, spec.metrics(result), report).color == "brightgreen"


def test_a_figure_must_be_a_count_or_a_measure() -> None:
    @dataclasses.dataclass(frozen=True)
    class Odd(Metrics):
        label: str = ""

    with pytest.raises(TypeError, match="override of"):
        Odd.of(CheckResult(name="odd", status="passed", summary=""))
