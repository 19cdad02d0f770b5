"""Issue 11, items 3, 4 and 5: the sticky comment is research-ci's own, the token never leaves
the API's origin, odd answers degrade to a warning, and a fork's report is not believed about
its own grade. Against the GitHub API stand-in on 127.0.0.1 (tests/stubs/github_api.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fragments import assert_fragments
from github_env import PR, REPOSITORY, PullRequestRun, pull_request_env
from report_builders import make_report, pytest_check
from research_ci.cli import main
from research_ci.github.api import GitHubApiError, GitHubClient
from research_ci.report import load_report, save_report
from research_ci.summary import SUMMARY_MARKER as MARKER
from stubs.github_api import GitHubApiStandIn

BOT = "github-actions[bot]"


# --- item 3: only research-ci's own comment is edited ----------------------------------------


def test_a_comment_by_someone_else_with_the_marker_is_never_edited(
    pull_request: PullRequestRun,
) -> None:
    run, api = pull_request, pull_request.api
    planted = api.add_comment(PR, f"{MARKER}\n## ✅ research-ci: grade A", user="mallory")
    assert run.comment() == 0
    assert "comment created" in run.out()
    assert api.comments[PR][0] == planted  # untouched
    ours = api.comments[PR][1]
    assert ours["user"]["login"] == BOT
    assert [request.method for request in api.writes()] == ["POST"]
    # The next run finds its own comment, after the planted one, and edits that one only.
    save_report(make_report(pytest_check(failed=1)), run.report)
    assert run.comment() == 0
    assert "comment updated" in run.out()
    assert api.comments[PR][0] == planted
    assert api.writes()[-1].path.endswith(f"/issues/comments/{ours['id']}")


def test_a_personal_token_edits_the_comments_of_its_own_user(
    report_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with GitHubApiStandIn(user_login="alice") as api:
        api.add_comment(PR, f"{MARKER}\nby the bot", user=BOT)
        mine = api.add_comment(PR, f"{MARKER}\nby alice", user="alice")
        pull_request_env(monkeypatch, tmp_path, api.url)
        assert main(["github", "comment", "--report", str(report_path)]) == 0
        assert [request.path for request in api.writes()] == [
            f"/repos/{REPOSITORY}/issues/comments/{mine['id']}"
        ]
        assert api.comments[PR][0]["body"] == f"{MARKER}\nby the bot"


def test_the_author_option_names_the_identity(pull_request: PullRequestRun) -> None:
    api = pull_request.api
    app = api.add_comment(PR, f"{MARKER}\nold", user="my-app[bot]")
    assert pull_request.comment("--author", "my-app[bot]") == 0
    assert "/user" not in [request.path for request in api.requests]
    assert api.writes()[0].path.endswith(f"/issues/comments/{app['id']}")


# --- item 4: redirects and odd answers ---------------------------------------------------------


def test_the_token_is_not_sent_to_another_host_on_a_redirect(
    pull_request: PullRequestRun,
) -> None:
    run = pull_request
    with GitHubApiStandIn() as elsewhere:
        # 127.0.0.1 and localhost are two hosts to a browser and to research-ci.
        other = elsewhere.url.replace("127.0.0.1", "localhost")
        run.api.redirect_to = (302, f"{other}/repos/{REPOSITORY}/issues/{PR}/comments")
        run.setenv("GITHUB_TOKEN", "s3cret-token")
        assert run.comment("--author", BOT) == 0
        assert elsewhere.requests == []
    out = run.out()
    assert out.startswith("::warning title=research-ci::could not comment")
    assert "redirected to another host" in out
    assert "s3cret" not in out


def test_a_redirect_within_the_api_is_followed(api: GitHubApiStandIn) -> None:
    api.redirect_to = (301, f"{api.url}/repos/{REPOSITORY}/pulls/7")
    pull = GitHubClient(api.url, "t", REPOSITORY).get_pull_request(3)
    assert pull["number"] == 7
    assert [request.authorization for request in api.requests] == ["Bearer t", "Bearer t"]


@pytest.mark.parametrize(
    "answer",
    [
        (200, "text/html", b"<!DOCTYPE html><html><body>Sign in</body></html>"),
        (200, "application/json", b"[[[[" * 10),
        (200, "application/json", b'{"cut": "sho'),
    ],
)
def test_an_answer_that_is_not_json_degrades_to_a_warning(
    pull_request: PullRequestRun, answer: tuple[int, str, bytes]
) -> None:
    pull_request.api.raw_answer = answer
    assert pull_request.comment() == 0
    out = pull_request.out()
    assert out.startswith("::warning title=research-ci::could not comment")
    assert "not JSON" in out


@pytest.mark.parametrize("pull", [[1, 2], "pull", {"head": "feedface"}, {"head": None}])
def test_an_odd_pull_request_degrades_to_a_warning(
    pull_request: PullRequestRun, pull: object
) -> None:
    pull_request.api.pull_answer = pull
    assert pull_request.comment("--pr", "3", "--expect-head-sha", "feedface") == 0
    assert pull_request.out().startswith("::warning title=research-ci::")
    assert pull_request.api.writes() == []


def test_odd_comment_lists_degrade(api: GitHubApiStandIn) -> None:
    client = GitHubClient(api.url, "t", REPOSITORY)
    api.raw_answer = (200, "application/json", b'{"message": "not a list"}')
    with pytest.raises(GitHubApiError, match="not a list"):
        client.list_issue_comments(PR)
    api.raw_answer = (200, "application/json", b'[1, "two", null]')
    assert client.list_issue_comments(PR) == []


# --- item 5: the fork's report ------------------------------------------------------------------


def tampered(path: Path) -> Path:
    """A report whose figures say D (a failing test) but which claims A, 100, gate passed."""
    save_report(make_report(pytest_check(failed=3, coverage=40.0)), path)
    data = json.loads(path.read_text(encoding="utf-8"))
    data.update(score=100, grade="A")
    data["rubric"] = {"deductions": [], "caps": []}
    data["gate"] = {"passed": True, "reasons": []}
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_the_grade_is_computed_again_on_load(tmp_path: Path) -> None:
    report = load_report(tampered(tmp_path / "report.json"))
    assert report.grade != "A"
    assert report.score < 70
    assert not report.gate_passed
    assert any(reason.startswith("tests") for reason in report.gate_reasons), report.gate_reasons
    assert report.caps


def test_a_gate_new_report_cannot_hide_a_failing_test(tmp_path: Path) -> None:
    path = tampered(tmp_path / "report.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    data["settings"]["gate"] = "new"
    path.write_text(json.dumps(data), encoding="utf-8")
    report = load_report(path)
    assert not report.gate_passed
    assert "tests: 3 failing or erroring" in report.gate_reasons


def test_the_fork_comment_says_where_its_figures_come_from(
    pull_request: PullRequestRun, tmp_path: Path
) -> None:
    pull_request.setenv("GITHUB_EVENT_NAME", "workflow_run")
    report = tampered(tmp_path / "fork-report.json")
    assert pull_request.comment("--pr", "3", "--expect-head-sha", "feedface", report=report) == 0
    body = pull_request.api.comments[3][0]["body"]
    assert body.startswith(MARKER)
    assert_fragments(
        body,
        "come from the pull request's own CI run (commit feedface)",
        "gate **failed**",
        absent=["grade A"],
    )
