"""A pull request under act: the action compares with the PR's base and comments the delta.

The baked project is committed on ``main`` (the base); a feature branch adds an unused import
and an untested function. The ``pull_request`` event names the base commit, as GitHub's does;
the action passes it to ``research-ci check --base`` by itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fragments import assert_fragments
from stubs.act import ACT, copy_action_source, copy_with_bare_origin, git, run_act
from stubs.github_api import GitHubApiStandIn
from test_action import PACKAGE, PR_NUMBER, explain, source_project, workflow

pytestmark = [
    pytest.mark.act,
    pytest.mark.slow,
    pytest.mark.skipif(not ACT.exists(), reason="act is not installed in .venv"),
    pytest.mark.xdist_group("act"),
]

__all__ = ["source_project"]  # the baked project fixture, shared with test_action.py

WORKFLOW = ".github/workflows/quality.yml"
FEATURE = {
    f"src/{PACKAGE}/extra.py": '''"""Added by the pull request."""

import os


def describe(values: list[float]) -> str:
    """Not tested."""
    if not values:
        return "empty"
    return f"{len(values)} values"
''',
}


@pytest.fixture
def api() -> Iterator[GitHubApiStandIn]:
    with GitHubApiStandIn() as server:
        yield server


def pull_request(base_sha: str, head_sha: str) -> dict[str, Any]:
    return {
        "number": PR_NUMBER,
        "pull_request": {
            "number": PR_NUMBER,
            "head": {"ref": "feature", "sha": head_sha},
            "base": {"ref": "main", "sha": base_sha},
        },
        "repository": {"default_branch": "main", "full_name": "acme/my-research-project"},
    }


def test_pull_request_comment_leads_with_the_delta(
    source_project: Path, tmp_path: Path, api: GitHubApiStandIn
) -> None:
    project, _origin = copy_with_bare_origin(source_project, tmp_path)
    base_sha = git(project, "rev-parse", "HEAD").strip()
    git(project, "checkout", "--quiet", "-b", "feature")
    for relative, text in FEATURE.items():
        (project / relative).write_text(text, encoding="utf-8")
    (project / WORKFLOW).parent.mkdir(parents=True, exist_ok=True)
    (project / WORKFLOW).write_text(workflow({"comment": "true"}), encoding="utf-8")
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "-m", "feature")
    head_sha = git(project, "rev-parse", "HEAD").strip()

    run = run_act(
        project,
        event="pull_request",
        payload=pull_request(base_sha, head_sha),
        workflow=WORKFLOW,
        home=tmp_path / "home",
        action_source=copy_action_source(tmp_path / "action" / "research-ci"),
        api_url=api.url,
    )
    assert run.returncode != 0, explain(run)  # the new lint finding fails the gate
    (comment,) = api.comments[PR_NUMBER]
    body = comment["body"]
    assert body.startswith("<!-- research-ci:summary -->")
    headline = body.splitlines()[1]
    assert_fragments(headline, "new finding", "0 fixed", "% of changed lines covered")
    assert_fragments(body, f"`src/{PACKAGE}/extra.py:3:8` | lint | F401", "<details>")
    assert body.index("**New findings**") < body.index("<details>")
    # Annotations mark the new findings only: the project's own code has none.
    located = [item for item in run.annotations("error") if item.get("file")]
    assert located
    assert all(item["file"].endswith("extra.py") for item in located), located
