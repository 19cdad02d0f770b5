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
* reports of different projects are refused.
"""

from __future__ import annotations

import glob
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from research_ci.checks.registry import spec_of
from research_ci.checks.spec import MergeRule
from research_ci.errors import UsageError
from research_ci.findings import deduplicated
from research_ci.grade import build_report, grade_rank
from research_ci.report import CheckResult, Report, Status

#: Worst last: the merged status is the one with the highest rank.
STATUS_ORDER: tuple[Status, ...] = ("skipped", "passed", "failed", "error")


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


def merge_reports(reports: Sequence[Report]) -> Report:
    """Merge partial reports of one project into one report, graded again."""
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
    return merged


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
