"""``research-ci report merge``: partial reports (one per CI job) into one graded report.

A CI run often splits the checks across jobs (lint in one, a test matrix over Python
versions in others). Each job writes a partial report; :func:`merge_reports` combines them and
grades the result again with :func:`research_ci.grade.build_report`:

* different checks: the union;
* the same check in several reports: status is the worst (error > failed > passed >
  skipped, so skipped + passed = passed); each figure combines by the check's
  :class:`~research_ci.checks.spec.MergeRule`: each test counts once, by its id, failed when
  it failed on any Python, with the Pythons it failed on
  (:func:`research_ci.checks.tests.merge_by_test`), so a matrix's badge reads what one run's
  reads; coverage is the minimum (the matrix is only as covered as its weakest leg;
  combining coverage data files properly is ``coverage combine``'s job, before ``check``);
  the format/lint/types counts are the number of distinct findings, at least the largest
  single count; findings and data anomalies are concatenated without exact repeats; the
  duration is the longest (the jobs ran side by side); a check advisory in any report stays
  advisory;
* settings: the strictest minimum grade and the highest coverage threshold;
* reports of different projects are refused;
* what the change did (each partial's ``delta``, from ``check --base``): merged by
  :func:`merge_deltas` when every report has one against the same base commit, else left out
  with one line on stderr saying why. The compared checks are the union, the new and fixed
  findings the union without exact repeats, and the base's grade is the grade the base gets
  for the merged set of checks: the merged checks with the base's own figures of the checks
  it ran put back (each partial keeps them in ``delta.base.checks``). Under ``gate = "new"``
  the merged report's gate is the ratchet's, decided on the merged delta.
"""

from __future__ import annotations

import dataclasses
import glob
import json
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from research_ci.checks.registry import CHECK_NAMES, spec_of
from research_ci.checks.spec import MergeRule
from research_ci.delta import Delta, DiffCoverage, borrow_unrun_checks
from research_ci.errors import UsageError
from research_ci.findings import deduplicated
from research_ci.grade import build_report, grade_rank
from research_ci.process import Announce
from research_ci.ratchet import new_gate_reasons
from research_ci.report import CheckResult, Finding, Report, Status

#: Worst last: the merged status is the one with the highest rank.
STATUS_ORDER: tuple[Status, ...] = ("skipped", "passed", "failed", "error")


def _stderr(line: str) -> None:
    sys.stderr.write(line + "\n")


def worst_status(statuses: Iterable[Status]) -> Status:
    """The worst of the statuses: error > failed > passed > skipped."""
    return max(statuses, key=STATUS_ORDER.index)


def _unique(items: Iterable[Any]) -> list[Any]:
    """Items without exact repeats, in order (dicts and lists too), in linear time.

    Each item is keyed by its canonical JSON (sorted keys): 2 x 10,000 anomalies once took
    quadratic time in a list search.
    """
    seen: set[str] = set()
    unique: list[Any] = []
    for item in items:
        key = json.dumps(item, sort_keys=True, default=repr)
        if key not in seen:
            seen.add(key)
            unique.append(item)
    return unique


def _merge_metric(rule: MergeRule, name: str, values: list[Any]) -> Any:
    """One figure across the reports that have it, by the check's merge rule."""
    if name in rule.weakest:
        numbers = [value for value in values if isinstance(value, (int, float))]
        return min(numbers) if numbers else None
    if all(isinstance(value, list) for value in values):
        return _unique(item for value in values for item in value)
    if all(isinstance(value, (int, float)) and not isinstance(value, bool) for value in values):
        return max(values)
    return values[0]


def merge_check(results: Sequence[CheckResult]) -> CheckResult:
    """One check's results from several reports combined into one (see the module doc)."""
    ran = [result for result in results if result.status != "skipped"]
    # A job that skipped a check says nothing about it: merge only the runs that happened.
    results = ran or list(results[:1])
    if len(results) == 1:
        return results[0]
    name = results[0].name
    spec = spec_of(name)
    rule = spec.merge if spec is not None else MergeRule()
    names: list[str] = []
    for result in results:
        names.extend(key for key in result.metrics if key not in names)
    metrics = {
        key: _merge_metric(rule, key, [r.metrics[key] for r in results if key in r.metrics])
        for key in names
    }
    findings = deduplicated(finding for result in results for finding in result.findings)
    count_name = rule.distinct_count
    if count_name in metrics and isinstance(metrics[count_name], int):
        problems = sum(1 for finding in findings if finding.severity != "notice")
        metrics[count_name] = max(metrics[count_name], problems)
    summaries = _unique(result.summary for result in results if result.summary)
    merged = CheckResult(
        name=name,
        status=worst_status(result.status for result in results),
        summary=(
            summaries[0]
            if len(summaries) == 1
            else f"{len(results)} reports: " + "; ".join(summaries)
        ),
        duration_s=max(result.duration_s for result in results),
        metrics=metrics,
        findings=findings,
        tool=next((result.tool for result in results if result.tool), None),
        advisory=next((result.advisory for result in results if result.advisory), None),
    )
    if rule.refine is not None:
        rule.refine(results, merged)
    return merged


def merge_reports(reports: Sequence[Report], *, announce: Announce = _stderr) -> Report:
    """Merge partial reports of one project into one report, graded again.

    ``announce`` gets the one line saying why the merged report has no delta, when so.
    """
    if not reports:
        raise UsageError("no reports to merge")
    projects = _unique(report.project_name for report in reports)
    if len(projects) > 1:
        raise UsageError(
            "cannot merge reports of different projects: " + ", ".join(map(repr, projects))
        )
    by_check: dict[str, list[CheckResult]] = {}
    for report in reports:
        for name, result in report.checks.items():
            by_check.setdefault(name, []).append(result)
    merged = build_report(
        project_name=projects[0],
        checks={name: merge_check(results) for name, results in by_check.items()},
        minimum_grade=min((report.minimum_grade for report in reports), key=grade_rank),
        coverage_threshold=max(report.coverage_threshold for report in reports),
        report_url=next((report.report_url for report in reports if report.report_url), None),
    )
    merged.environment = next((r.environment for r in reports if r.environment), None)
    combined = merge_deltas(reports, merged, announce=announce)
    if combined is not None:
        delta, merged.delta = combined
        if all(report.gate == "new" for report in reports):
            merged.gate = "new"
            merged.gate_reasons = new_gate_reasons(
                merged,
                delta,
                diff_coverage_threshold=(
                    delta.diff_coverage_threshold
                    if delta.diff_coverage_threshold is not None
                    else merged.coverage_threshold
                ),
            )
            merged.gate_passed = not merged.gate_reasons
    return merged


def _no_delta_reason(reports: Sequence[Report], deltas: Sequence[Delta | None]) -> str | None:
    """Why the reports' deltas cannot be merged into a right one (``None``: they can)."""
    missing = [index + 1 for index, delta in enumerate(deltas) if delta is None]
    if missing:
        which = ", ".join(
            f"{index} ({', '.join(reports[index - 1].checks) or 'no checks'})" for index in missing
        )
        return f"report {which} was not compared with a base"
    bases = _unique(delta.base_commit or delta.base_ref for delta in deltas if delta is not None)
    if len(bases) > 1:
        return "the reports were compared with different bases: " + ", ".join(
            str(base)[:12] for base in bases
        )
    if any(delta is not None and delta.base_checks is None for delta in deltas):
        return (
            "a report was written by a research-ci that did not keep the base's figures "
            "(delta.base.checks): the base cannot be graded for the merged checks"
        )
    return None


def _weakest_coverage(coverages: Iterable[DiffCoverage | None]) -> DiffCoverage | None:
    """The lowest diff coverage of a matrix (as merge takes the lowest total coverage)."""
    known = [coverage for coverage in coverages if coverage is not None]
    measured = [coverage for coverage in known if coverage.percent is not None]
    if measured:
        return min(measured, key=lambda coverage: coverage.percent or 0.0)
    return known[0] if known else None


def _moved(deltas: Sequence[Delta]) -> int:
    """Moved findings: summed over partials that compared different checks.

    Partials that compared the same checks (a matrix) found the same moves: counted once.
    """
    by_checks: dict[tuple[str, ...], int] = {}
    for delta in deltas:
        key = tuple(sorted(delta.compared))
        by_checks[key] = max(by_checks.get(key, 0), delta.moved)
    return sum(by_checks.values())


#: What makes a finding itself (the rest follows from these): repeats across jobs are equal here.
_FINDING_KEY = ("check", "code", "file", "line", "col", "message", "fingerprint")


def _unique_findings(deltas: Sequence[dict[str, Any]], side: str) -> list[dict[str, Any]]:
    """The ``side`` (new or fixed) findings of the deltas as JSON, without repeats.

    In check order, as one run lists them, whatever the order of the reports. Only a check
    compared by several jobs can bring a finding twice; the others' findings are taken as
    they are.
    """
    jobs = Counter(name for delta in deltas for name in set(delta.get("compared_checks", [])))
    seen: set[tuple[Any, ...]] = set()
    unique = []
    for delta in deltas:
        for item in delta[side]:
            if jobs[item.get("check")] > 1:
                key = tuple(item.get(field) for field in _FINDING_KEY)
                if key in seen:
                    continue
                seen.add(key)
            unique.append(item)
    order = {name: index for index, name in enumerate(CHECK_NAMES)}
    return sorted(unique, key=lambda item: order.get(item.get("check"), len(order)))


def _without_findings(data: dict[str, Any]) -> Delta:
    """A partial's delta, its new and fixed findings left as JSON (see :func:`merge_deltas`)."""
    return Delta.from_dict({**data, "new": [], "fixed": []})


def merge_deltas(
    reports: Sequence[Report], merged: Report, *, announce: Announce = _stderr
) -> tuple[Delta, dict[str, Any]] | None:
    """The partial reports' deltas as one delta of ``merged`` (see the module doc), and its JSON.

    ``None`` when no report has a delta, or, with one line to ``announce``, when they cannot
    be merged into a right one: a report without a delta among reports with one, different
    base commits, or a delta without the base's figures (an older research-ci).

    The new and fixed findings are merged as the reports hold them (JSON) and written back
    so: turning 20,000 findings into objects and back to JSON would cost seconds.
    """
    deltas = [_without_findings(r.delta) if r.delta is not None else None for r in reports]
    if all(delta is None for delta in deltas):
        return None
    reason = _no_delta_reason(reports, deltas)
    if reason is not None:
        announce(f"report merge: no delta in the merged report: {reason}")
        return None
    known = [delta for delta in deltas if delta is not None]
    figures: dict[str, list[CheckResult]] = {}
    for delta in known:
        for name, result in (delta.base_checks or {}).items():
            figures.setdefault(name, []).append(result)
    # In check order, as one run's base lists them (build_report keeps known checks only).
    base_checks = {name: merge_check(figures[name]) for name in CHECK_NAMES if name in figures}
    base = build_report(
        project_name=merged.project_name,
        checks=borrow_unrun_checks(base_checks, merged.checks),
        minimum_grade=merged.minimum_grade,
        coverage_threshold=merged.coverage_threshold,
    )
    rated = [delta for delta in known if "maintainability" in delta.compared]
    files = {change.path: change for delta in rated for change in delta.files}
    thresholds = [d.diff_coverage_threshold for d in known if d.diff_coverage_threshold is not None]
    compared = {name for delta in known for name in delta.compared}
    documents = [report.delta for report in reports if report.delta is not None]
    raw = {side: _unique_findings(documents, side) for side in ("new", "fixed")}
    delta = Delta(
        base_ref=known[0].base_ref,
        base_commit=known[0].base_commit,
        note="; ".join(_unique(delta.note for delta in known if delta.note)) or None,
        base_grade=base.grade,
        base_score=base.score,
        head_grade=merged.grade,
        head_score=merged.score,
        compared=[name for name in CHECK_NAMES if name in compared],
        new=[Finding.from_dict(item) for item in raw["new"]],
        fixed=[Finding.from_dict(item) for item in raw["fixed"]],
        moved=_moved(known),
        base_rating=next((d.base_rating for d in rated if d.base_rating), None),
        head_rating=next((d.head_rating for d in rated if d.head_rating), None),
        files=sorted(files.values(), key=lambda change: (not change.worse, change.path)),
        coverage=_weakest_coverage(delta.coverage for delta in known),
        base_checks=base_checks,
        diff_coverage_threshold=max(thresholds) if thresholds else None,
    )
    document = dataclasses.replace(delta, new=[], fixed=[]).to_dict()
    return delta, {**document, "headline": delta.headline(), **raw}


def expand_paths(patterns: Iterable[str]) -> list[Path]:
    """Each argument as a file, or the files a glob matches (sorted); no duplicates.

    An existing file is taken as it is, even when its name has glob characters (``[1]``).

    A glob that matches nothing is a :class:`UsageError` (a CI job whose report was not
    uploaded should not go unnoticed).
    """
    paths: list[Path] = []
    for pattern in patterns:
        if any(char in pattern for char in "*?[") and not Path(pattern).exists():
            matches = sorted(glob.glob(pattern, recursive=True))  # noqa: PTH207
            if not matches:
                raise UsageError(f"no report matches {pattern}")
            candidates = [Path(match) for match in matches]
        else:
            candidates = [Path(pattern)]
        for path in candidates:
            if path.resolve() not in {known.resolve() for known in paths}:
                paths.append(path)
    return paths
