"""The runner starts the slowest checks first and reports in report order."""

from __future__ import annotations

from research_ci.checks.registry import CHECK_NAMES
from research_ci.runner import SLOWEST_FIRST, start_order


def test_the_tests_start_first() -> None:
    assert start_order(("format", "lint", "types", "tests")) == ["tests", "types", "format", "lint"]
    assert start_order(("lint", "format")) == ["lint", "format"]
    assert start_order(CHECK_NAMES)[:4] == ["tests", "data", "model", "types"]


def test_every_check_starts_once() -> None:
    assert sorted(start_order(CHECK_NAMES)) == sorted(CHECK_NAMES)
    assert set(SLOWEST_FIRST) <= set(CHECK_NAMES)
