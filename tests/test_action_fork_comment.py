"""comment-fork-pr.yml (phase 2 of the fork-PR comment), run for real under act.

A `workflow_run` event for a fork's pull request: the workflow installs research-ci from the
default branch, downloads phase 1's artifact (report + PR number, via the download-artifact
stand-in) and comments through the GitHub API stand-in, but only when the pull request's head is
the commit the run was for, and only with a PR number that is a number.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from report_builders import clean_report
from research_ci.report import save_report
from stubs.act import ACT, REPO, ActRun, copy_action_source, run_act
from stubs.github_api import GitHubApiStandIn

pytestmark = [
    pytest.mark.act,
    pytest.mark.slow,
    pytest.mark.skipif(not ACT.exists(), reason="act is not installed in .venv"),
]

WORKFLOW = ".github/workflows/comment-fork-pr.yml"
HEAD = "c0ffee"


@pytest.fixture(scope="module")
def base_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """research-ci's default branch: the sources and the workflow, committed."""
    root = copy_action_source(tmp_path_factory.mktemp("base") / "research-ci")
    (root / ".github" / "workflows").mkdir(parents=True)
    shutil.copy2(REPO / WORKFLOW, root / WORKFLOW)
    for args in (["init", "-q", "-b", "main"], ["add", "--all"], ["commit", "-q", "-m", "base"]):
        subprocess.run(
            ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@e.org", *args],
            check=True,
        )
    return root


def workflow_run_event(head_sha: str = HEAD) -> dict[str, Any]:
    return {
        "action": "completed",
        "workflow_run": {
            "id": 4242,
            "event": "pull_request",
            "head_sha": head_sha,
            "head_repository": {"full_name": "someone/research-ci-fork"},
        },
        "repository": {"default_branch": "main", "full_name": "acme/research-ci"},
    }


def run_phase_two(base_repo: Path, home: Path, api: GitHubApiStandIn, pr_number: str) -> ActRun:
    artifact = home / "artifacts" / "research-ci-pr"
    artifact.mkdir(parents=True)
    save_report(clean_report(), artifact / "report.json")
    (artifact / "pr-number.txt").write_text(pr_number + "\n", encoding="utf-8")
    return run_act(
        base_repo,
        event="workflow_run",
        payload=workflow_run_event(),
        workflow=WORKFLOW,
        home=home,
        api_url=api.url,
        repository="acme/research-ci",
    )


def test_phase_two_comments_on_the_forks_pull_request(base_repo: Path, tmp_path: Path) -> None:
    with GitHubApiStandIn(head_sha=HEAD) as api:
        run = run_phase_two(base_repo, tmp_path / "home", api, "31")
    assert run.returncode == 0, run.raw_output()[-3000:]
    assert [request.path for request in api.writes()] == [
        "/repos/acme/research-ci/issues/31/comments"
    ]
    assert api.comments[31][0]["body"].startswith("<!-- research-ci:summary -->")


def test_phase_two_refuses_a_pull_request_that_moved_on(base_repo: Path, tmp_path: Path) -> None:
    with GitHubApiStandIn(head_sha="a-newer-commit") as api:
        run = run_phase_two(base_repo, tmp_path / "home", api, "31")
    assert run.returncode == 0, run.raw_output()[-3000:]
    assert api.writes() == []
    assert any("has moved on" in item["message"] for item in run.annotations("warning"))


def test_phase_two_refuses_a_pr_number_that_is_not_a_number(
    base_repo: Path, tmp_path: Path
) -> None:
    with GitHubApiStandIn(head_sha=HEAD) as api:
        run = run_phase_two(base_repo, tmp_path / "home", api, "31; echo injected")
    assert run.returncode != 0
    assert api.requests == []
    assert any("not a number" in item["message"] for item in run.annotations("error"))
