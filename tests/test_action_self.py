"""This repository's ci.yml `action` job under act: `uses: ./` runs the action on research-ci
itself (format, lint and types, at minimum grade A), as it does on GitHub."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from stubs.act import ACT, REPO, copy_action_source, run_act

pytestmark = [
    pytest.mark.act,
    pytest.mark.slow,
    pytest.mark.skipif(not ACT.exists(), reason="act is not installed in .venv"),
]


def test_ci_runs_the_action_on_this_repository(tmp_path: Path) -> None:
    checkout = copy_action_source(tmp_path / "research-ci")
    ignore = shutil.ignore_patterns("__pycache__", ".hypothesis", "*.pyc")
    for name in ("tests", "benchmarks", ".github"):
        shutil.copytree(REPO / name, checkout / name, ignore=ignore)
    for args in (["init", "-q", "-b", "main"], ["add", "--all"], ["commit", "-q", "-m", "x"]):
        subprocess.run(
            ["git", "-C", str(checkout), "-c", "user.name=t", "-c", "user.email=t@e.org", *args],
            check=True,
        )
    run = run_act(
        checkout,
        event="push",
        payload={"ref": "refs/heads/main", "repository": {"default_branch": "main"}},
        workflow=".github/workflows/ci.yml",
        home=tmp_path / "home",
        job="action",
    )
    failed = [record.get("msg") for record in run.records if record.get("stepResult") == "failure"]
    assert run.returncode == 0, (failed, run.annotations("error"), run.raw_output()[-3000:])
    assert run.outputs("rci")["grade"] == "A"
    assert "research-ci grades research-ci A" in run.raw_output()
