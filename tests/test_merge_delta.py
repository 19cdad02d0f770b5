"""``report merge`` keeps what the pull request changed: the partial reports' deltas, merged.

A real git repository (a base commit, then a PR commit that adds a lint finding, fixes a types
finding and adds untested lines), real ``research-ci check --only ... --base main`` partial
runs as CI's jobs make them, ``research-ci report merge``, and the merged delta compared with
the one a single ``research-ci check --base main`` over the same checks writes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conftest import read_valid_report
from projects import run_cli
from research_ci.delta import Delta
from research_ci.merge import merge_reports
from research_ci.report import load_report
from test_check_base import PYPROJECT as CHECK_BASE_PYPROJECT
from test_delta import CORE, MANY_ARGUMENTS, TESTS, commit, git, write

pytestmark = pytest.mark.slow

#: test_check_base's project (lint, tests, maintainability by default: every run here says
#: which checks with --only), under the ratchet, with mypy configured so types gate.
PYPROJECT = CHECK_BASE_PYPROJECT.format(extra="""gate = "new"
coverage-threshold = 50
diff-coverage-threshold = 60

[tool.mypy]
mypy_path = "src"
""")

#: Every check of the single run; the partial runs split them as CI's jobs do.
ALL = "format,lint,types,tests,maintainability"

TYPED = '''

def label(count: int) -> str:
    """Name a count."""
    return {body}
'''

UNTESTED = '''

def double(values):
    """Twice every value (no test calls it)."""
    doubled = scale(values, 2)
    return doubled
'''

#: The CI jobs of the reusable workflow: one partial report per group of checks.
PARTIALS = (("lint", "format"), ("types",), ("tests",), ("maintainability",))


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("merge-delta") / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    write(
        root,
        {
            "pyproject.toml": PYPROJECT,
            ".gitignore": ".research-ci/\n",
            "src/pkg/__init__.py": "",
            "src/pkg/core.py": "import os\n" + CORE + TYPED.format(body="count"),
            "tests/__init__.py": "",
            "tests/test_core.py": TESTS,
        },
    )
    commit(root, "base: one legacy lint finding, one types finding")
    git(root, "checkout", "-q", "-b", "pr")
    write(
        root,
        {
            "src/pkg/core.py": "import os\nimport sys\n"
            + CORE
            + TYPED.format(body="str(count)")
            + UNTESTED
            + MANY_ARGUMENTS
        },
    )
    commit(root, "PR: new lint and maintainability findings, a types finding fixed, untested lines")
    return root


def check(root: Path, report: Path, *args: str) -> None:
    done = run_cli("check", ".", "--no-install", "--report", str(report), *args, cwd=root)
    assert done.returncode in (0, 1), done.stdout + done.stderr
    assert "delta" in json.loads(report.read_text(encoding="utf-8")), done.stdout + done.stderr


@pytest.fixture(scope="module")
def runs(repo: Path) -> dict[str, Path]:
    """The single run over every check, and the partial runs merged."""
    out = repo.parent
    check(repo, out / "single.json", "--only", ALL, "--base", "main")
    partials: list[str] = []
    for checks in PARTIALS:
        path = out / f"partial-{'-'.join(checks)}.json"
        check(repo, path, "--only", ",".join(checks), "--base", "main")
        partials.insert(0, str(path))  # reversed: the merge orders them as one run does
    merged = run_cli("report", "merge", *partials, "--output", str(out / "merged.json"), cwd=repo)
    assert merged.returncode == 0, merged.stderr
    assert merged.stderr == ""
    return {"single": out / "single.json", "merged": out / "merged.json"}


def delta_of(path: Path) -> dict[str, Any]:
    """The report's delta (the report checked against the shipped schema)."""
    return dict(read_valid_report(path)["delta"])


def test_merged_delta_equals_the_single_runs(runs: dict[str, Path]) -> None:
    single, merged = delta_of(runs["single"]), delta_of(runs["merged"])
    assert [(f["check"], f["code"]) for f in merged["new"]] == [
        ("lint", "F401"),
        ("maintainability", "argument-count"),
    ]
    assert "sys" in merged["new"][0]["message"]
    assert [f["check"] for f in merged["fixed"]] == ["types"]
    # Each partial graded its base for its own checks only; the merge grades it for all.
    partial_bases = {
        delta_of(path)["base"]["score"] for path in runs["merged"].parent.glob("partial-*.json")
    }
    assert merged["base"]["score"] == single["base"]["score"] not in partial_bases
    assert merged["base"]["score"] != merged["head"]["score"]
    for key in ("new", "fixed", "compared_checks", "moved", "files", "diff_coverage", "headline"):
        assert merged[key] == single[key], key
    assert merged["head"] == single["head"]
    # The base's own figures of the checks it ran (durations differ from run to run).
    assert list(merged["base"].pop("checks")) == list(single["base"].pop("checks"))
    assert merged["base"] == single["base"]
    assert [change["path"] for change in merged["files"]] == ["src/pkg/core.py"]
    assert merged["head"]["maintainability"] is not None
    assert merged["diff_coverage"]["missing"] > 0
    assert merged["diff_coverage"]["percent"] < 100


def test_merged_gate_is_the_ratchet_on_the_merged_delta(runs: dict[str, Path]) -> None:
    single = json.loads(runs["single"].read_text(encoding="utf-8"))
    merged = json.loads(runs["merged"].read_text(encoding="utf-8"))
    assert merged["settings"]["gate"] == single["settings"]["gate"] == "new"
    assert merged["gate"] == single["gate"]
    assert "2 new findings" in merged["gate"]["reasons"]
    # The diff coverage threshold each partial kept, not the total coverage threshold (50).
    assert any("under the threshold 60%" in reason for reason in merged["gate"]["reasons"])
    # Read back (and graded again), the stored ratchet verdict stands.
    assert load_report(runs["merged"]).gate_reasons == single["gate"]["reasons"]


def test_summary_of_the_merged_report_leads_with_the_delta(runs: dict[str, Path]) -> None:
    text = run_cli("summary", "--report", str(runs["merged"])).stdout
    headline = Delta.from_dict(delta_of(runs["single"])).headline()
    assert "2 new findings · 1 fixed" in headline
    assert "% of changed lines covered" in headline
    assert headline in text.splitlines()[1]
    assert text.index("F401") < text.index("<details>")


def test_merging_a_merged_report_again_keeps_the_delta(runs: dict[str, Path]) -> None:
    once = load_report(runs["merged"])
    twice = merge_reports([once, load_report(runs["merged"])])
    assert twice.delta == once.delta


def test_different_bases_give_no_delta_and_say_why(repo: Path, runs: dict[str, Path]) -> None:
    out = repo.parent
    # The PR commit's parent is main itself; compare the types job with the PR commit instead.
    check(repo, out / "other-base.json", "--only", "types", "--base", "HEAD")
    done = run_cli(
        "report",
        "merge",
        str(out / "partial-lint-format.json"),
        str(out / "other-base.json"),
        "--output",
        str(out / "mixed.json"),
        cwd=repo,
    )
    assert done.returncode == 0, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "compared with different bases" in done.stderr
    mixed = json.loads((out / "mixed.json").read_text(encoding="utf-8"))
    assert "delta" not in mixed
    assert mixed["settings"]["gate"] == "all"


def test_a_partial_without_the_base_figures_gives_no_delta(runs: dict[str, Path]) -> None:
    """A partial of an older research-ci: no base grade for the merged checks, no delta."""
    partials = sorted(runs["merged"].parent.glob("partial-*.json"))
    reports = [load_report(path) for path in partials]
    assert reports[0].delta is not None
    del reports[0].delta["base"]["checks"]
    said: list[str] = []
    merged = merge_reports(reports, announce=said.append)
    assert merged.delta is None
    assert len(said) == 1
    assert "base's figures" in said[0]
    reports[0].delta = None
    merge_reports(reports, announce=said.append)
    assert "was not compared with a base" in said[1]


def test_a_matrix_takes_the_weakest_diff_coverage_and_counts_repeats_once(
    runs: dict[str, Path],
) -> None:
    """Two legs of the tests job (another Python missed more changed lines) and lint twice."""
    out = runs["merged"].parent
    tests = load_report(out / "partial-tests.json")
    other_leg = load_report(out / "partial-tests.json")
    assert other_leg.delta is not None
    coverage = other_leg.delta["diff_coverage"]
    coverage["covered"] -= 1
    coverage["missing"] += 1
    total = coverage["covered"] + coverage["missing"]
    coverage["percent"] = round(100 * coverage["covered"] / total, 2)
    lint = load_report(out / "partial-lint-format.json")
    merged = merge_reports([lint, tests, other_leg, load_report(out / "partial-lint-format.json")])
    assert merged.delta is not None
    assert merged.delta["diff_coverage"] == coverage
    assert [f["code"] for f in merged.delta["new"]] == ["F401"]
    assert merged.delta["compared_checks"] == ["format", "lint", "tests"]
    assert f"{coverage['percent']:.0f} % of changed lines covered" in merged.delta["headline"]
