"""A ratchet for legacy code: gate only on what a change makes worse.

With ``[tool.research-ci] gate = "new"`` the gate ignores findings that were already there and
fails on findings the change introduces, on diff coverage under its threshold, on a
maintainability rating that got worse, on failing tests and on checks that could not run.
Without git history, a committed baseline file (``research-ci baseline``) lists the
fingerprints of the findings that were accepted; ``check`` then gates on the others.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from research_ci.errors import UsageError
from research_ci.fingerprint import match_findings
from research_ci.fsutil import (
    MAX_REPORT_BYTES,
    atomic_write_text,
    boundary,
    read_errors,
    read_text,
)
from research_ci.grade import gate_reason
from research_ci.report import Finding, Report
from research_ci.words import plural

if TYPE_CHECKING:
    from research_ci.delta import Delta

GATES: tuple[str, ...] = ("all", "new")
DEFAULT_GATE = "all"
BASELINE_FORMAT = "research-ci-baseline"
BASELINE_VERSION = 1
#: Findings of these severities never gate (they are hints).
NON_GATING = ("notice",)
#: The total coverage shortfall never gates the ratchet: the diff coverage does instead.
NON_GATING_CODES = (("tests", "coverage"),)


def _gating(findings: Sequence[Finding], report: Report) -> list[Finding]:
    """The findings that may gate: not hints, not of an advisory check."""
    advisory = {name for name, result in report.checks.items() if result.advisory is not None}
    return [
        finding
        for finding in findings
        if finding.severity not in NON_GATING
        and (finding.check, finding.code) not in NON_GATING_CODES
        and finding.check not in advisory
    ]


def unrun_reasons(report: Report, compared: Sequence[str]) -> list[str]:
    """Reasons from checks that were not compared with a base: errors, failing tests, data."""
    reasons = []
    for name, result in report.checks.items():
        if result.advisory is not None:
            continue
        if result.status == "error":
            reasons.append(gate_reason(result))
        elif name == "tests" and result.status == "failed":
            failing = int(result.metrics.get("failed", 0) or 0) + int(
                result.metrics.get("errors", 0) or 0
            )
            if failing:
                reasons.append(f"tests: {failing} failing or erroring")
        elif name not in compared and name != "tests" and result.status == "failed":
            reasons.append(f"{name}: {result.summary}")
    return reasons


def new_gate_reasons(report: Report, delta: Delta, *, diff_coverage_threshold: float) -> list[str]:
    """Why the gate fails under ``gate = "new"`` (an empty list: it passes)."""
    reasons = unrun_reasons(report, delta.compared)
    new = _gating(delta.new, report)
    if new:
        reasons.append(plural(len(new), "new finding"))
    percent = delta.coverage.percent if delta.coverage else None
    if percent is not None and percent < diff_coverage_threshold:
        reasons.append(
            f"diff coverage {percent:.1f}% is under the threshold {diff_coverage_threshold:g}%"
        )
    if delta.rating_worse:
        reasons.append(
            f"maintainability rating fell from {delta.base_rating} to {delta.head_rating}"
        )
    return reasons


def baseline_document(report: Report) -> dict[str, Any]:
    """The baseline file's content: every fingerprinted finding of the report, sorted."""
    entries = sorted(
        (
            {
                "check": finding.check,
                "code": finding.code,
                "file": finding.file,
                "fingerprint": finding.fingerprint,
                "message": finding.message,
            }
            for finding in report.findings()
            if finding.fingerprint
        ),
        key=lambda item: (
            str(item["file"]),
            str(item["check"]),
            str(item["code"]),
            str(item["fingerprint"]),
        ),
    )
    return {
        "format": BASELINE_FORMAT,
        "version": BASELINE_VERSION,
        "generated_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "findings": entries,
    }


def write_baseline(report: Report, path: Path) -> int:
    """Write the baseline file atomically; return how many findings it accepts."""
    document = baseline_document(report)
    atomic_write_text(path, json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    return len(document["findings"])


def load_baseline(path: Path) -> list[Finding]:
    """The accepted findings of a baseline file; a bad file is a one-line UsageError."""
    with read_errors(path, "baseline", hint="write it with `research-ci baseline`"):
        text = read_text(path, limit=MAX_REPORT_BYTES, within=boundary(path))
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path}:{exc.lineno}: baseline is not valid JSON: {exc.msg}") from exc
    if (
        not isinstance(data, dict)
        or data.get("format") != BASELINE_FORMAT
        or not isinstance(data.get("findings"), list)
    ):
        raise UsageError(f"{path}: not a research-ci baseline file")
    if data.get("version") != BASELINE_VERSION:
        raise UsageError(f"{path}: baseline version {data.get('version')} is not supported")
    accepted = []
    for index, item in enumerate(data["findings"]):
        if not isinstance(item, dict) or not isinstance(item.get("fingerprint"), str):
            raise UsageError(f"{path}: finding {index + 1} has no fingerprint")
        accepted.append(
            Finding(
                check=str(item.get("check", "")),
                code=item.get("code"),
                file=item.get("file"),
                line=None,
                message=str(item.get("message", "")),
                fingerprint=item["fingerprint"],
            )
        )
    return accepted


def not_in_baseline(report: Report, accepted: Sequence[Finding]) -> list[Finding]:
    """The report's findings that the baseline does not accept (the gating ones)."""
    return _gating(match_findings(accepted, report.findings()).new, report)


def baseline_gate_reasons(report: Report, accepted: Sequence[Finding]) -> list[str]:
    """Why the gate fails against a baseline: findings it does not list, errors, tests."""
    reasons = unrun_reasons(report, compared=list(report.checks))
    new = not_in_baseline(report, accepted)
    if new:
        reasons.append(f"{plural(len(new), 'finding')} not in the baseline")
    return reasons
