"""The summary and PR comment lead with the delta; the full report is folded below."""

from __future__ import annotations

from pathlib import Path

from fragments import assert_fragments
from research_ci.delta import Delta, DiffCoverage, FileChange
from research_ci.output import annotated_findings, github_commands
from research_ci.report import CheckResult, Finding, Report, validate_report_dict
from research_ci.summary import SUMMARY_MARKER, line_ranges, render_summary


def finding(code: str, line: int, file: str = "src/pkg/core.py") -> Finding:
    return Finding(
        check="lint", file=file, line=line, code=code, message=f"{code} here", fingerprint=code
    )


def report_with_delta() -> Report:
    new = [finding("F401", 1), finding("E501", 9)]
    old = [finding("F841", 4, "src/pkg/old.py")]
    delta = Delta(
        base_ref="main",
        base_commit="0123456789abcdef",
        note="compared with main itself",
        base_grade="B",
        base_score=85,
        head_grade="A",
        head_score=93,
        compared=["lint"],
        new=new,
        fixed=old,
        moved=1,
        base_rating="A",
        head_rating="B",
        files=[
            FileChange(
                path="src/pkg/core.py",
                base={"rating": "A", "debt_ratio": 0.0},
                head={"rating": "C", "debt_ratio": 12.5},
            ),
            FileChange(path="src/pkg/new.py", base=None, head={"rating": "A", "debt_ratio": 0}),
        ],
        coverage=DiffCoverage(covered=23, missing=2, missing_lines={"src/pkg/core.py": [9, 10]}),
    )
    return Report(
        project_name="demo",
        checks={
            "lint": CheckResult(
                name="lint",
                status="failed",
                summary="2 violations",
                metrics={"violations": 2},
                findings=[*new, finding("W291", 30)],
            )
        },
        score=93,
        grade="A",
        deductions=[],
        caps=[],
        minimum_grade="C",
        coverage_threshold=80.0,
        gate_passed=False,
        gate_reasons=["2 new findings"],
        gate="new",
        delta=delta.to_dict(),
    )


def test_line_ranges() -> None:
    assert line_ranges([9, 1, 2, 3, 7, 10, 3]) == "1-3, 7, 9-10"
    assert line_ranges([]) == ""


def test_summary_leads_with_the_delta_and_folds_the_full_report() -> None:
    report = report_with_delta()
    validate_report_dict(report.to_dict(), source="test")
    text = render_summary(report)
    lines = text.splitlines()
    assert lines[0] == SUMMARY_MARKER
    assert lines[1] == (
        "## ❌ research-ci: B → A · 2 new findings · 1 fixed · 92 % of changed lines covered"
    )
    assert_fragments(
        text,
        "Compared with `main` (0123456789ab)",
        "> compared with main itself",
        "| `src/pkg/core.py:1` | lint | F401 | F401 here |",
        "**Fixed** (1): `src/pkg/old.py:4` F841",
        "| `src/pkg/core.py` | A → C ⚠️ | 0% → 12.5% |",
        "| `src/pkg/new.py` | — → A | — → 0% |",
        "- `src/pkg/core.py`: 9-10",
    )
    assert text.index("**New findings**") < text.index("<details>") < text.index("### Findings")
    assert "W291" in text.split("<details>")[1]  # the full report keeps every finding


def test_annotations_mark_only_the_new_findings() -> None:
    report = report_with_delta()
    assert [item.code for item in annotated_findings(report)] == ["F401", "E501"]
    commands = github_commands(report, root=Path(), workspace=None)
    assert "W291" not in commands
    assert "F401" in commands
    report.delta = None
    assert [item.code for item in annotated_findings(report)] == ["F401", "E501", "W291"]
