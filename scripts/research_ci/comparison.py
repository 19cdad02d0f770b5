"""``check --base`` and the ratchet, around the ordinary run of the checks.

:func:`start_base` checks the merge base out into a temporary worktree and runs only the static
checks there (format, lint, types, maintainability), in a background thread while the head's
checks run, borrowing the head's environment: the base costs its static checks, not a second
test run. :func:`finish` then builds the base's report (its grade takes the head's tests and
data results), computes the :class:`~research_ci.delta.Delta` with the diff coverage, and,
under ``gate = "new"``, replaces the gate by the ratchet's (:mod:`research_ci.ratchet`).
Every finding of both reports gets its fingerprint here.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from research_ci.config import Settings, load_settings
from research_ci.environment import ProjectEnvironment
from research_ci.errors import UsageError
from research_ci.fingerprint import SourceLines, with_fingerprints
from research_ci.fsutil import MAX_REPORT_BYTES, read_text
from research_ci.grade import build_report
from research_ci.ratchet import baseline_gate_reasons, load_baseline, new_gate_reasons
from research_ci.report import CheckResult, Report, load_report

if TYPE_CHECKING:
    from research_ci.delta import BaseCommit, DiffCoverage
    from research_ci.environment import ProjectEnvironment

# research_ci.delta is imported where a base is compared: a check without one never needs it.

#: Checks that read the code only: the ones run again on the base.
STATIC_CHECKS: tuple[str, ...] = ("format", "lint", "types", "maintainability")


def fingerprint_results(results: Mapping[str, CheckResult], root: Path) -> None:
    """Give every finding of ``results`` its fingerprint, reading the code under ``root``."""
    sources = SourceLines(root)
    for result in results.values():
        result.findings = with_fingerprints(result.findings, sources)


@dataclasses.dataclass
class BaseRun:
    """The base's static check results (``None`` with a note when it could not be checked)."""

    commit: BaseCommit
    results: dict[str, CheckResult] | None
    note: str | None = None


def _run_base(
    settings: Settings,
    commit: BaseCommit,
    selected: tuple[str, ...],
    environment: ProjectEnvironment,
) -> BaseRun:
    from research_ci.delta import base_checkout  # noqa: PLC0415
    from research_ci.runner import run_checks  # noqa: PLC0415  (the runner imports the checks)

    static = tuple(name for name in selected if name in STATIC_CHECKS)
    with base_checkout(settings.root, commit.commit) as checkout:
        try:
            base_settings = load_settings(checkout)
        except UsageError as exc:
            return BaseRun(commit, None, f"the base could not be checked: {exc}")
        base_settings = dataclasses.replace(base_settings, checks=static)
        try:
            # The head's environment (and so its tools): both sides are measured alike.
            results = run_checks(base_settings, static, install=False, environment=environment)
        except UsageError as exc:
            return BaseRun(commit, None, f"the base could not be checked: {exc}")
        fingerprint_results(results, checkout)
    return BaseRun(commit, results, commit.note)


def start_base(
    pool: ThreadPoolExecutor,
    settings: Settings,
    commit: BaseCommit,
    selected: tuple[str, ...],
    environment: ProjectEnvironment,
) -> Future[BaseRun]:
    """Run the base's static checks in ``pool`` (the head's run goes on meanwhile).

    They borrow the head's ``environment`` (made once, by whichever run asks first).
    """
    return pool.submit(_run_base, settings, commit, selected, environment)


def _coverage_files(head: Report, root: Path) -> Mapping[str, Mapping[str, Any]] | None:
    """coverage.py's per-file table from this run's tests, when they ran."""
    tests = head.checks.get("tests")
    relative = tests.metrics.get("coverage_file") if tests is not None else None
    if not isinstance(relative, str):
        return None
    try:
        data = json.loads(read_text(root / relative, limit=MAX_REPORT_BYTES, within=root))
    except (OSError, ValueError, UsageError):
        return None
    files = data.get("files") if isinstance(data, dict) else None
    return files if isinstance(files, dict) else None


def _diff_coverage(head: Report, settings: Settings, commit: str | None) -> DiffCoverage | None:
    from research_ci.delta import changed_lines, diff_coverage  # noqa: PLC0415

    files = _coverage_files(head, settings.root)
    if files is None or commit is None:
        return None
    return diff_coverage(changed_lines(settings.root, commit), files)


def finish(
    head: Report,
    settings: Settings,
    *,
    base_run: BaseRun | None,
    base_report: Path | None,
    base_commit: BaseCommit | None,
) -> Report:
    """Add the delta to ``head`` and, under ``gate = "new"``, decide the gate by it."""
    note: str | None = None
    if base_report is not None:
        base = load_report(base_report)
        if any(finding.fingerprint is None for finding in base.findings()):
            note = f"{base_report} has findings without fingerprints: they count as fixed"
        ref = base_commit.ref if base_commit else str(base_report)
    elif base_run is not None and base_run.results is not None:
        from research_ci.delta import borrow_unrun_checks  # noqa: PLC0415

        merged = borrow_unrun_checks(base_run.results, head.checks)
        base = build_report(
            project_name=head.project_name,
            checks=merged,
            minimum_grade=head.minimum_grade,
            coverage_threshold=head.coverage_threshold,
        )
        ref = base_run.commit.ref
        note = base_run.note
    else:
        return apply_baseline(head, settings)
    from research_ci.delta import compute_delta  # noqa: PLC0415

    delta = compute_delta(
        base,
        head,
        base_ref=ref,
        base_commit=base_commit.commit if base_commit else None,
        note=note,
        coverage=_diff_coverage(head, settings, base_commit.commit if base_commit else None),
        diff_coverage_threshold=settings.diff_coverage_floor,
    )
    head.delta = delta.to_dict()
    if settings.gate == "new":
        reasons = new_gate_reasons(
            head, delta, diff_coverage_threshold=settings.diff_coverage_floor
        )
        head.gate_passed = not reasons
        head.gate_reasons = reasons
    return head


def apply_baseline(report: Report, settings: Settings) -> Report:
    """Under ``gate = "new"`` without a base: gate on the findings the baseline does not list."""
    if settings.gate != "new" or settings.baseline is None:
        return report
    accepted = load_baseline(settings.baseline)
    reasons = baseline_gate_reasons(report, accepted)
    report.gate_passed = not reasons
    report.gate_reasons = reasons
    return report


def resolve(settings: Settings, base: str | None) -> BaseCommit | None:
    """The base commit of ``--base REF`` (a bad ref is a UsageError before anything runs)."""
    if not base:
        return None
    from research_ci.delta import resolve_base  # noqa: PLC0415

    return resolve_base(settings.root, base)
