"""The A-F rubric: one public table, used both by the code and by the docs.

The score starts at 100. Each check's :class:`~research_ci.checks.spec.PenaltyRule` takes
points off per unit of one of its figures, up to a ceiling; each
:class:`~research_ci.checks.spec.CapRule` limits the grade however few points were taken off
(failing tests can never grade better than D). A skipped check takes nothing off but is shown
as skipped; an advisory check (:attr:`~research_ci.report.CheckResult.advisory`) is reported
with its figures but takes nothing off, caps nothing and never fails the gate. A check that
could not run takes :data:`ERROR_PENALTY` points off, once however many could not (the
rubric's "at most"), and caps the grade at C. The rules live with their checks
(:mod:`research_ci.checks.registry`); this module collects them into the tables below.
``docs/rubric.md`` is generated from them (``research-ci rubric``), so the docs and the code
cannot drift apart.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

from research_ci.checks.registry import CHECK_NAMES, CHECKS, spec_of
from research_ci.checks.spec import CapRule, PenaltyRule
from research_ci.report import CheckResult, Deduction, Report

GRADES: tuple[str, ...] = ("A", "B", "C", "D", "F")
#: Lowest score of each grade; below the last one the grade is F.
GRADE_FLOORS: tuple[tuple[str, int], ...] = (("A", 90), ("B", 80), ("C", 70), ("D", 60))


#: Points off when a check could not run at all (its tool crashed or is missing): per check
#: that could not run, and at most this in all.
ERROR_PENALTY = 20.0
#: The rubric line of checks that could not run; its figures are the results that did not run.
ERROR_RULE: PenaltyRule[list[CheckResult]] = PenaltyRule(
    "*", "check that could not run (status error)", ERROR_PENALTY, ERROR_PENALTY, len
)
#: However few points were taken off, a check that could not run limits the grade.
ERROR_CAP: CapRule[CheckResult] = CapRule(
    "*", "a check could not run (status error)", "C", lambda result: result.status == "error"
)

#: Every check's penalties, in check order.
PENALTIES: tuple[PenaltyRule[Any], ...] = tuple(rule for spec in CHECKS for rule in spec.penalties)
#: Every check's caps, in check order, then the cap of a check that could not run.
CAPS: tuple[CapRule[Any], ...] = (
    *(cap for spec in CHECKS for cap in spec.caps),
    ERROR_CAP,
)


def _figures(name: str, result: CheckResult) -> Any:
    spec = spec_of(name)
    return spec.metrics(result) if spec is not None else None


@dataclasses.dataclass(frozen=True)
class Remediation:
    """Minutes to fix one maintainability issue: ``base`` plus ``per_unit`` per unit over."""

    rule: str
    measures: str
    base_minutes: float
    minutes_per_unit: float
    unit: str

    def minutes(self, value: float, threshold: float) -> float:
        """Estimated minutes to bring ``value`` back to ``threshold``."""
        return self.base_minutes + self.minutes_per_unit * max(0.0, value - threshold)


#: Remediation time of each maintainability rule (Code Climate's checks, named as it names
#: them). The figures follow qlty, Code Climate's open-source successor, where it has the rule.
REMEDIATION: tuple[Remediation, ...] = (
    Remediation("method-complexity", "cognitive complexity of a function", 10, 5, "point"),
    Remediation("cyclomatic-complexity", "cyclomatic complexity of a function", 10, 5, "point"),
    Remediation("method-lines", "lines of code in a function", 15, 0.5, "line"),
    Remediation("argument-count", "arguments of a function (not self or cls)", 15, 2, "argument"),
    Remediation("return-statements", "return statements in a function", 15, 5, "return"),
    Remediation("nested-control-flow", "depth of nested blocks", 15, 10, "level"),
    Remediation("complex-logic", "boolean expressions in one condition", 10, 12, "expression"),
    Remediation("method-count", "functions in a module or methods in a class", 20, 5, "function"),
    Remediation("file-lines", "lines of code in a file", 30, 0.2, "line"),
    Remediation("identical-code", "lines of a block repeated elsewhere", 10, 1, "line"),
    Remediation("similar-code", "lines of a block repeated with other names", 10, 1, "line"),
)
#: Estimated minutes to write one line of code: a file's technical-debt ratio is its
#: remediation minutes against (lines of code x this).
IMPLEMENTATION_MINUTES_PER_LINE = 10.0
#: Highest technical-debt ratio (percent) of each maintainability rating; above the last, F.
RATING_CEILINGS: tuple[tuple[str, float], ...] = (("A", 5.0), ("B", 10.0), ("C", 20.0), ("D", 50.0))


def remediation_for(rule: str) -> Remediation:
    """The remediation line of ``rule`` (a KeyError names an unknown rule)."""
    for item in REMEDIATION:
        if item.rule == rule:
            return item
    raise KeyError(rule)


def debt_ratio(minutes: float, lines_of_code: int) -> float:
    """Technical-debt ratio in percent: remediation against the time to write the code."""
    if lines_of_code <= 0:
        return 0.0
    return 100.0 * minutes / (lines_of_code * IMPLEMENTATION_MINUTES_PER_LINE)


def rating_for_ratio(percent: float) -> str:
    """The maintainability rating A-F of a technical-debt ratio."""
    for letter, ceiling in RATING_CEILINGS:
        if percent <= ceiling:
            return letter
    return "F"


def grade_for_score(score: float) -> str:
    """Map a 0-100 score to its letter."""
    for letter, floor in GRADE_FLOORS:
        if score >= floor:
            return letter
    return "F"


def grade_rank(grade: str) -> int:
    """0 for A ... 4 for F: a larger rank is a worse grade."""
    return GRADES.index(grade)


def _cap_score(grade: str) -> int:
    """Highest score that still has ``grade`` (the grade above it starts one point higher)."""
    index = grade_rank(grade)
    if index == 0:
        return 100
    return dict(GRADE_FLOORS)[GRADES[index - 1]] - 1


@dataclasses.dataclass(frozen=True)
class Scored:
    """Score, grade and the rubric lines that produced them."""

    score: int
    grade: str
    deductions: list[Deduction]
    caps: list[str]


def _amount(count: float) -> str:
    return f"{int(count)}" if float(count).is_integer() else f"{count:g}"


def _graded(result: CheckResult) -> bool:
    """The check counts in the grade and the gate: it was not skipped and is not advisory."""
    return result.status != "skipped" and result.advisory is None


def _cap_applies(cap: CapRule[Any], name: str, result: CheckResult) -> bool:
    if not _graded(result):
        return False
    if cap is ERROR_CAP:
        return ERROR_CAP.applies(result)
    return cap.check == name and cap.applies(_figures(name, result))


def score_checks(checks: Mapping[str, CheckResult]) -> Scored:
    """Apply the rubric to the checks' results."""
    deductions: list[Deduction] = []
    for rule in PENALTIES:
        result = checks.get(rule.check)
        if result is None or result.status == "error" or not _graded(result):
            continue
        figures = _figures(rule.check, result)
        points = rule.points(figures)
        if points > 0:
            reason = f"{_amount(rule.measure(figures))} x {rule.unit}"
            deductions.append(Deduction(check=rule.check, points=points, reason=reason))
    errored = [result for result in checks.values() if result.status == "error" and _graded(result)]
    if errored:
        deductions.append(
            Deduction(
                check=", ".join(result.name for result in errored),
                points=ERROR_RULE.points(errored),
                reason=f"{len(errored)} x {ERROR_RULE.unit}",
            )
        )
    score = max(0, 100 - math.ceil(sum(item.points for item in deductions)))
    caps: list[str] = []
    for cap in CAPS:
        for name, result in checks.items():
            if _cap_applies(cap, name, result):
                caps.append(f"{name}: {cap.condition} -> at most {cap.max_grade}")
                score = min(score, _cap_score(cap.max_grade))
    return Scored(score=score, grade=grade_for_score(score), deductions=deductions, caps=caps)


def _fails_gate(result: CheckResult) -> bool:
    return result.status in ("failed", "error") and result.advisory is None


def gate_reason(result: CheckResult) -> str:
    """Why a check fails the gate, in words: ``lint failed (1 violation)``."""
    verb = "could not run" if result.status == "error" else "failed"
    return f"{result.name} {verb} ({result.summary})" if result.summary else f"{result.name} {verb}"


def rubric_markdown() -> str:
    """The rubric as Markdown, for docs/rubric.md (rendered from a Jinja template)."""
    from research_ci.maintainability import DEFAULT_THRESHOLDS  # noqa: PLC0415 (as above)
    from research_ci.templating import render  # noqa: PLC0415 (jinja2: `check` never needs it)

    return render(
        "rubric.md.j2",
        ratings=RATING_CEILINGS,
        remediation=REMEDIATION,
        thresholds=DEFAULT_THRESHOLDS,
        minutes_per_line=IMPLEMENTATION_MINUTES_PER_LINE,
        floors=GRADE_FLOORS,
        penalties=PENALTIES,
        caps=CAPS,
        error_rule=ERROR_RULE,
    )


def build_report(
    *,
    project_name: str,
    checks: Mapping[str, CheckResult],
    minimum_grade: str,
    coverage_threshold: float,
    report_url: str | None = None,
) -> Report:
    """Score the checks and decide the gate: every check passed or skipped, grade >= minimum."""
    ordered = {name: checks[name] for name in CHECK_NAMES if name in checks}
    scored = score_checks(ordered)
    reasons = _gate_reasons(ordered, scored.grade, minimum_grade)
    return Report(
        project_name=project_name,
        checks=ordered,
        score=scored.score,
        grade=scored.grade,
        deductions=scored.deductions,
        caps=scored.caps,
        minimum_grade=minimum_grade,
        coverage_threshold=coverage_threshold,
        gate_passed=not reasons,
        gate_reasons=reasons,
        report_url=report_url,
    )


def _gate_reasons(checks: Mapping[str, CheckResult], grade: str, minimum_grade: str) -> list[str]:
    """Why the gate fails under ``gate = "all"``: failed checks, a grade under the minimum."""
    reasons = [gate_reason(result) for result in checks.values() if _fails_gate(result)]
    if grade_rank(grade) > grade_rank(minimum_grade):
        reasons.append(f"grade {grade} is below the minimum grade {minimum_grade}")
    return reasons


def regrade(report: Report) -> Report:
    """``report`` with its score, grade, rubric lines and gate computed again from its figures.

    A loaded report may come from another run, a fork's pull request among them: its stored
    grade is a claim, its checks' figures are what the grade is made of. Under ``gate = "all"``
    the gate is decided again too; under ``gate = "new"`` (decided against a base this run does
    not have) the stored verdict stands, failing all the same when a check could not run or a
    test fails.
    """
    from research_ci.ratchet import unrun_reasons  # noqa: PLC0415  (ratchet imports grade)

    ordered = {name: report.checks[name] for name in CHECK_NAMES if name in report.checks}
    scored = score_checks(ordered)
    report.score, report.grade = scored.score, scored.grade
    report.deductions, report.caps = scored.deductions, scored.caps
    if report.gate == "new":
        added = [
            reason
            for reason in unrun_reasons(report, compared=list(ordered))
            if reason not in report.gate_reasons
        ]
        report.gate_reasons = [*report.gate_reasons, *added]
        report.gate_passed = report.gate_passed and not added
    else:
        report.gate_reasons = _gate_reasons(ordered, scored.grade, report.minimum_grade)
        report.gate_passed = not report.gate_reasons
    return report
