"""What a pull request changed: real git repositories with a base commit and a PR commit.

Each test builds a small project, commits it (the base), changes it and commits again (the
PR), runs the real lint and maintainability checks at head and in a temporary worktree of the
merge base, and asserts the new and fixed findings, the diff coverage (against diff-cover's on
the same input) and the gate under ``gate = "new"``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from research_ci.checks import lint as lint_check
from research_ci.checks import maintainability as maintainability_check
from research_ci.checks.spec import CheckInputs
from research_ci.config import load_settings
from research_ci.delta import (
    Delta,
    base_checkout,
    borrow_unrun_checks,
    changed_lines,
    compute_delta,
    diff_coverage,
    parse_diff,
    resolve_base,
)
from research_ci.environment import ProjectEnvironment
from research_ci.errors import UsageError
from research_ci.fingerprint import SourceLines, with_fingerprints
from research_ci.grade import score_checks
from research_ci.process import run_tool
from research_ci.ratchet import (
    baseline_gate_reasons,
    load_baseline,
    new_gate_reasons,
    not_in_baseline,
    write_baseline,
)
from research_ci.report import CheckResult, Report

#: The project and its ruff rules: the start of every pyproject.toml of these demo repositories.
PROJECT_HEAD = """\
[project]
name = "pr-demo"
version = "0.1.0"

[tool.ruff.lint]
select = ["E", "F"]
"""

PYPROJECT = PROJECT_HEAD + """
[tool.research-ci]
paths = ["src", "tests"]
"""

CORE = '''\
"""Core helpers."""


def scale(values, factor):
    """Multiply every value."""
    return [value * factor for value in values]


def clip(values, low, high):
    """Keep values inside [low, high]."""
    return [min(max(value, low), high) for value in values]
'''

TESTS = """\
from pkg.core import clip, scale


def test_scale():
    assert scale([1, 2], 2) == [2, 4]


def test_clip():
    assert clip([0, 5, 9], 1, 8) == [1, 5, 8]
"""

MANY_ARGUMENTS = '''

def summarise(values, low, high, factor, digits, label, unit):
    """Too many arguments: a maintainability issue."""
    scaled = clip(scale(values, factor), low, high)
    return f"{label}: {round(sum(scaled), digits)} {unit}"
'''


def git(root: Path, *args: str) -> str:
    completed = subprocess.run(
        ["git", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
        env={
            "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@example.org",
            "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@example.org",
            "GIT_CONFIG_GLOBAL": "/dev/null",
            "GIT_CONFIG_NOSYSTEM": "1",
            "PATH": "/usr/bin:/bin",
        },
    )
    return completed.stdout.strip()


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def commit(root: Path, message: str) -> str:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)
    return git(root, "rev-parse", "HEAD")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    write(
        root,
        {
            "pyproject.toml": PYPROJECT,
            "src/pkg/__init__.py": "",
            "src/pkg/core.py": CORE,
            "tests/test_core.py": TESTS,
        },
    )
    commit(root, "base")
    git(root, "checkout", "-q", "-b", "pr")
    return root


def static_report(root: Path) -> Report:
    """Lint and maintainability at ``root``, fingerprinted, graded (tests are not run)."""
    settings = load_settings(root)
    sources = SourceLines(root)
    checks: dict[str, CheckResult] = {}
    inputs = CheckInputs(settings, ProjectEnvironment(settings, install=False))
    for result in (lint_check.run(inputs), maintainability_check.run(settings)):
        assert result.status != "error", result.summary
        result.findings = with_fingerprints(result.findings, sources)
        checks[result.name] = result
    scored = score_checks(checks)
    return Report(
        project_name="pr-demo",
        checks=checks,
        score=scored.score,
        grade=scored.grade,
        deductions=scored.deductions,
        caps=scored.caps,
        minimum_grade="C",
        coverage_threshold=80.0,
        gate_passed=True,
        gate_reasons=[],
    )


def pr_delta(root: Path) -> Delta:
    """The delta of the PR branch against main, the base measured in a temporary worktree."""
    base = resolve_base(root, "main")
    with base_checkout(root, base.commit) as checkout:
        assert (checkout / "src" / "pkg" / "core.py").exists()
        base_report = static_report(checkout)
    assert not checkout.exists()
    assert len(git(root, "worktree", "list").splitlines()) == 1
    return compute_delta(base_report, static_report(root), base_ref="main", base_commit=base.commit)


def codes(findings: list) -> list[tuple[str | None, str | None]]:  # type: ignore[type-arg]
    return sorted((finding.code, finding.file) for finding in findings)


def test_pr_that_adds_findings(repo: Path) -> None:
    write(repo, {"src/pkg/core.py": "import os\n" + CORE + MANY_ARGUMENTS})
    commit(repo, "add summarise")
    delta = pr_delta(repo)
    assert codes(delta.new) == [("F401", "src/pkg/core.py"), ("argument-count", "src/pkg/core.py")]
    assert delta.fixed == []
    assert delta.compared == ["lint", "maintainability"]
    reasons = new_gate_reasons(static_report(repo), delta, diff_coverage_threshold=80)
    # core.py has 12 lines of code and one issue of 15 + 2 x 2 minutes: 19 / 120 = 15.8 %.
    assert reasons == ["2 new findings", "maintainability rating fell from A to C"]
    assert delta.headline().endswith("· 2 new findings · 0 fixed")


def test_pr_that_fixes_a_finding(repo: Path) -> None:
    write(repo, {"src/pkg/core.py": "import os\n" + CORE})
    commit(repo, "a finding on main")
    git(repo, "branch", "-f", "main", "HEAD")
    write(repo, {"src/pkg/core.py": CORE})
    commit(repo, "remove the unused import")
    delta = pr_delta(repo)
    assert delta.new == []
    assert codes(delta.fixed) == [("F401", "src/pkg/core.py")]
    assert new_gate_reasons(static_report(repo), delta, diff_coverage_threshold=80) == []


def test_pr_that_only_moves_a_function_introduces_nothing(repo: Path) -> None:
    write(repo, {"src/pkg/core.py": "import os\n" + CORE + MANY_ARGUMENTS})
    commit(repo, "legacy findings on main")
    git(repo, "branch", "-f", "main", "HEAD")
    # Move `summarise` (which has an issue) into its own module, with lines added above it.
    write(
        repo,
        {
            "src/pkg/core.py": "import os\n" + CORE,
            "src/pkg/report.py": '"""Reports."""\n\nfrom pkg.core import clip, scale\n'
            + MANY_ARGUMENTS,
        },
    )
    commit(repo, "move summarise")
    delta = pr_delta(repo)
    assert delta.new == []
    assert delta.fixed == []
    assert delta.moved == 1
    assert new_gate_reasons(static_report(repo), delta, diff_coverage_threshold=80) == []
    touched = {change.path for change in delta.files}
    assert touched == {"src/pkg/core.py", "src/pkg/report.py"}


def run_coverage(root: Path) -> dict[str, object]:
    completed = run_tool(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "pytest_cov",
            "-p",
            "no:cacheprovider",
            "--cov=src",
            "--cov-report=json:cov.json",
            "--cov-report=xml:cov.xml",
            "tests",
        ],
        cwd=root,
        timeout_s=300,
        env={"PYTHONPATH": "src", "COVERAGE_FILE": str(root / ".coverage")},
    )
    assert completed.returncode == 0, completed.tail(10)
    data: dict[str, object] = json.loads((root / "cov.json").read_text(encoding="utf-8"))
    return data


def test_pr_that_adds_untested_lines(repo: Path) -> None:
    untested = '''

def describe(values):
    """Not tested."""
    if not values:
        return "empty"
    return f"{len(values)} values"
'''
    write(repo, {"src/pkg/core.py": CORE + untested, "README.md": "notes\n"})
    commit(repo, "add describe")
    coverage = run_coverage(repo)
    base = resolve_base(repo, "main")
    changed = changed_lines(repo, base.commit)
    assert set(changed) == {"src/pkg/core.py", "README.md"}
    files = coverage["files"]
    assert isinstance(files, dict)
    result = diff_coverage(changed, files)
    # `def describe` runs at import; its three body statements do not.
    assert (result.covered, result.missing) == (1, 3)
    assert result.missing_lines == {"src/pkg/core.py": [16, 17, 18]}

    # diff-cover, on the same diff and coverage data, agrees.
    report = repo / "diff-cover.json"
    subprocess.run(
        [
            Path(sys.executable).parent / "diff-cover",
            "cov.xml",
            f"--compare-branch={base.commit}",
            f"--format=json:{report}",
        ],
        cwd=repo,
        check=True,
        capture_output=True,
    )
    reference = json.loads(report.read_text(encoding="utf-8"))
    assert reference["total_num_lines"] == result.total
    assert reference["total_num_violations"] == result.missing
    assert reference["total_percent_covered"] == round(result.percent or 0)

    head = static_report(repo)
    delta = compute_delta(head, head, base_ref="main", coverage=result)
    assert delta.new == []
    assert new_gate_reasons(head, delta, diff_coverage_threshold=80) == [
        "diff coverage 25.0% is under the threshold 80%"
    ]
    assert delta.headline() == "A → A · 0 new findings · 0 fixed · 25 % of changed lines covered"
    assert Delta.from_dict(json.loads(json.dumps(delta.to_dict()))).to_dict() == delta.to_dict()


def test_worse_maintainability_rating_fails_the_new_gate(repo: Path) -> None:
    nested = textwrap.dedent("""
        def tangled(rows):
            total = 0
            for row in rows:
                if row:
                    for cell in row:
                        if cell > 0:
                            if cell % 2:
                                while cell > 10:
                                    cell -= 3
                                    if cell == 7:
                                        total += 1
                                    elif cell == 5:
                                        total -= 1
                                    else:
                                        total += 2
            return total
        """)
    write(repo, {"src/pkg/core.py": CORE + nested})
    commit(repo, "tangled")
    delta = pr_delta(repo)
    assert delta.base_rating == "A"
    assert delta.head_rating is not None
    assert delta.head_rating != "A"
    reasons = new_gate_reasons(static_report(repo), delta, diff_coverage_threshold=0)
    assert f"maintainability rating fell from A to {delta.head_rating}" in reasons
    (change,) = delta.files
    assert change.worse
    assert change.base is not None
    assert change.head is not None


def test_baseline_accepts_existing_findings_and_gates_new_ones(repo: Path) -> None:
    write(repo, {"src/pkg/core.py": "import os\n" + CORE + MANY_ARGUMENTS})
    report = static_report(repo)
    baseline = repo / "research-ci-baseline.json"
    assert write_baseline(report, baseline) == 2
    accepted = load_baseline(baseline)
    assert not_in_baseline(report, accepted) == []
    assert baseline_gate_reasons(report, accepted) == []
    # Lines added above the accepted findings do not matter; a new finding does.
    write(repo, {"src/pkg/core.py": "import os\nimport sys\n\n" + CORE + MANY_ARGUMENTS})
    later = static_report(repo)
    assert codes(not_in_baseline(later, accepted)) == [("F401", "src/pkg/core.py")]
    assert baseline_gate_reasons(later, accepted) == ["1 finding not in the baseline"]


def test_bad_base_and_bad_baseline_are_usage_errors(repo: Path, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="--base nope: not a commit"):
        resolve_base(repo, "nope")
    with pytest.raises(UsageError, match="needs a git repository"):
        resolve_base(tmp_path, "main")
    missing = tmp_path / "missing.json"
    with pytest.raises(UsageError, match="baseline not found"):
        load_baseline(missing)
    for text, message in (
        ("{", "not valid JSON"),
        ("[]", "not a research-ci baseline"),
        ('{"format": "research-ci-baseline", "version": 9, "findings": []}', "version 9"),
        ('{"format": "research-ci-baseline", "version": 1, "findings": [{}]}', "no fingerprint"),
    ):
        missing.write_text(text, encoding="utf-8")
        with pytest.raises(UsageError, match=message):
            load_baseline(missing)


def test_parse_diff_handles_new_deleted_and_quoted_files() -> None:
    diff = textwrap.dedent("""\
        diff --git a/a.py b/a.py
        --- a/a.py
        +++ b/a.py
        @@ -3,0 +4,2 @@ def f():
        +x = 1
        +y = 2
        @@ -10 +12 @@
        -old
        +new
        @@ -20,3 +22,0 @@
        diff --git a/gone.py b/gone.py
        --- a/gone.py
        +++ /dev/null
        @@ -1,2 +0,0 @@
        --- /dev/null
        +++ "b/caf\\303\\251.py"
        @@ -0,0 +1 @@
        +z = 3
        """)
    assert parse_diff(diff) == {"a.py": {4, 5, 12}, "café.py": {1}}


def test_unrun_checks_are_borrowed_from_the_head() -> None:
    head = {
        "lint": CheckResult(name="lint", status="passed", summary=""),
        "tests": CheckResult(name="tests", status="failed", summary="", metrics={"failed": 1}),
    }
    base = {
        "lint": CheckResult(name="lint", status="failed", summary="x"),
        "tests": CheckResult(name="tests", status="skipped", summary=""),
    }
    merged = borrow_unrun_checks(base, head)
    assert merged["lint"] is base["lint"]
    assert merged["tests"] is head["tests"]
