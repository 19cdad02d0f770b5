"""The sticky PR comment, the REST client and the run context, against a real HTTP server
on 127.0.0.1 (tests/stubs/github_api.py) that stands in for the GitHub API."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from github_env import PR, REPOSITORY, PullRequestRun, pull_request_env
from report_builders import clean_report, lint_check, make_report
from research_ci.cli import main
from research_ci.errors import UsageError
from research_ci.github.api import GitHubApiError, GitHubClient
from research_ci.github.comment import comment_body, find_sticky, upsert_sticky
from research_ci.github.context import ActionsContext, append_summary, read_event
from research_ci.report import save_report
from research_ci.summary import SUMMARY_MARKER as MARKER
from research_ci.workflow_commands import escape_property
from research_ci.workflow_commands import workflow_command as command
from stubs.github_api import GitHubApiStandIn

# --- context -------------------------------------------------------------------------------


def context(event_name: str, ref: str, event: dict[str, Any]) -> ActionsContext:
    return ActionsContext(
        event_name=event_name,
        ref=ref,
        repository=REPOSITORY,
        api_url="https://api.github.com",
        server_url="https://github.com",
        event=event,
    )


def test_pull_request_number_comes_from_the_event() -> None:
    assert context("pull_request", "", {"pull_request": {"number": 5}}).pull_request_number == 5
    assert context("pull_request_target", "", {"number": 6}).pull_request_number == 6
    assert context("push", "", {"pull_request": {"number": 5}}).pull_request_number is None
    assert context("pull_request", "", {"number": "7"}).pull_request_number is None


@pytest.mark.parametrize(
    ("event_name", "ref", "event", "allowed", "why"),
    [
        ("push", "refs/heads/main", {"repository": {"default_branch": "main"}}, True, "push"),
        ("push", "refs/heads/dev", {"repository": {"default_branch": "main"}}, False, "not the"),
        ("push", "refs/tags/v1", {"repository": {"default_branch": "main"}}, False, "not the"),
        ("pull_request", "refs/pull/1/merge", {}, False, "pull_request, not push"),
        ("push", "refs/heads/main", {}, False, "does not name the default branch"),
        ("", "", {}, False, "unknown"),
    ],
)
def test_push_to_default_branch(
    event_name: str, ref: str, event: dict[str, Any], allowed: bool, why: str
) -> None:
    result, reason = context(event_name, ref, event).push_to_default_branch()
    assert result is allowed
    assert why in reason


def test_read_event(tmp_path: Path) -> None:
    assert read_event("") == {}
    assert read_event(str(tmp_path / "missing.json")) == {}
    (tmp_path / "list.json").write_text("[1]", "utf-8")
    assert read_event(str(tmp_path / "list.json")) == {}
    (tmp_path / "bad.json").write_text("{", "utf-8")
    with pytest.raises(UsageError, match="cannot read the event payload"):
        read_event(str(tmp_path / "bad.json"))


def test_workflow_commands_are_escaped() -> None:
    assert escape_property("a:b,c%\nd") == "a%3Ab%2Cc%25%0Ad"
    assert command("error", "50% done\nnext", file="a,b.py", line=3, col=None) == (
        "::error file=a%2Cb.py,line=3::50%25 done%0Anext"
    )
    assert command("notice", "plain") == "::notice::plain"


def test_token_stays_out_of_repr() -> None:
    ctx = ActionsContext.from_env({"GITHUB_TOKEN": "s3cret", "GITHUB_REPOSITORY": REPOSITORY})
    assert ctx.token == "s3cret"  # noqa: S105  (a fake token)
    assert "s3cret" not in repr(ctx)
    assert "s3cret" not in repr(GitHubClient("https://api.github.com", "s3cret", REPOSITORY))


def test_append_summary_without_a_summary_file() -> None:
    assert append_summary(ActionsContext.from_env({}), "text") is False


# --- REST client ---------------------------------------------------------------------------


def test_client_pages_through_comments(api: GitHubApiStandIn) -> None:
    for index in range(130):
        api.add_comment(PR, f"comment {index}")
    comments = GitHubClient(api.url, "t", REPOSITORY).list_issue_comments(PR)
    assert len(comments) == 130
    pages = [request.query["page"] for request in api.requests]
    assert pages == [["1"], ["2"]]
    assert all(request.authorization == "Bearer t" for request in api.requests)


def test_client_reports_http_errors(api: GitHubApiStandIn) -> None:
    api.deny_status = 403
    with pytest.raises(GitHubApiError) as caught:
        GitHubClient(api.url, "t", REPOSITORY).create_issue_comment(PR, "x")
    assert caught.value.status == 403
    assert caught.value.is_permission_problem
    assert "Resource not accessible by integration" in str(caught.value)


def test_client_reports_an_unreachable_api() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = GitHubClient(f"http://127.0.0.1:{port}", "t", REPOSITORY, timeout=5)
    with pytest.raises(GitHubApiError) as caught:
        client.get_pull_request(1)
    assert caught.value.status == 0
    assert not caught.value.is_permission_problem


@pytest.mark.parametrize(
    ("url", "repository", "message"),
    [
        ("file:///etc/passwd", REPOSITORY, "http"),
        ("https://api.github.com", "no-slash", "OWNER/NAME"),
    ],
)
def test_client_refuses_bad_settings(url: str, repository: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        GitHubClient(url, "t", repository)


# --- sticky comment ------------------------------------------------------------------------


def test_comment_body_starts_with_the_marker() -> None:
    body = comment_body(clean_report())
    assert body.startswith(MARKER)
    assert len(body) <= 65_536


def test_find_sticky_ignores_quotes_of_the_marker() -> None:
    bot = {"login": "github-actions[bot]"}
    comments: list[dict[str, Any]] = [
        {"id": 1, "body": f"> {MARKER}\nquoted", "user": bot},
        {"id": 2, "body": None, "user": bot},
        {"id": 3, "body": f"\n{MARKER}\nreport", "user": bot},
    ]
    found = find_sticky(comments, "github-actions[bot]")
    assert found is not None
    assert found["id"] == 3
    assert find_sticky([], "github-actions[bot]") is None


def test_upsert_creates_updates_and_leaves_unchanged(api: GitHubApiStandIn) -> None:
    api.add_comment(PR, "LGTM")
    client = GitHubClient(api.url, "t", REPOSITORY)
    first = upsert_sticky(client, PR, f"{MARKER}\none")
    assert first.outcome == "created"
    second = upsert_sticky(client, PR, f"{MARKER}\ntwo")
    assert (second.outcome, second.comment_id) == ("updated", first.comment_id)
    third = upsert_sticky(client, PR, f"{MARKER}\ntwo")
    assert third.outcome == "unchanged"
    assert [request.method for request in api.writes()] == ["POST", "PATCH"]
    assert [comment["body"] for comment in api.comments[PR]] == ["LGTM", f"{MARKER}\ntwo"]


def test_comment_command_creates_then_updates(pull_request: PullRequestRun) -> None:
    run = pull_request
    assert run.comment() == 0
    assert "comment created on #12" in run.out()
    save_report(make_report(lint_check(violations=2)), run.report)
    assert run.comment() == 0
    assert "comment updated on #12" in run.out()
    assert len(run.api.comments[PR]) == 1
    assert [request.path for request in run.api.requests[:2]] == [
        "/user",
        f"/repos/{REPOSITORY}/issues/{PR}/comments",
    ]


def test_comment_outside_pull_requests_does_nothing(
    report_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GITHUB_EVENT_NAME", "push")
    monkeypatch.delenv("GITHUB_EVENT_PATH", raising=False)
    assert main(["github", "comment", "--report", str(report_path)]) == 0
    assert "not a pull request" in capsys.readouterr().out


@pytest.mark.parametrize("status", [403, 404])
def test_read_only_token_degrades_to_a_notice_and_the_summary(
    status: int,
    report_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with GitHubApiStandIn(deny_status=status) as api:
        summary = pull_request_env(monkeypatch, tmp_path, api.url)
        assert main(["github", "comment", "--report", str(report_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("::notice title=research-ci::cannot comment on this pull request")
    assert f"HTTP {status}" in out
    assert summary.read_text("utf-8").startswith(MARKER)


def test_no_summary_fallback_writes_no_summary(
    report_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with GitHubApiStandIn(deny_status=403) as api:
        summary = pull_request_env(monkeypatch, tmp_path, api.url)
        args = ["github", "comment", "--report", str(report_path), "--no-summary-fallback"]
        assert main(args) == 0
    assert not summary.exists()


def test_missing_token_or_repository_degrades(pull_request: PullRequestRun) -> None:
    run = pull_request
    run.setenv("GITHUB_TOKEN", "")
    assert run.comment() == 0
    assert "no GitHub token" in run.out()
    run.setenv("GITHUB_TOKEN", "t")
    run.setenv("GITHUB_REPOSITORY", "/tmp/origin.git")
    assert run.comment() == 0
    assert "OWNER/NAME" in run.out()
    assert run.api.requests == []


def test_server_errors_warn_but_do_not_fail(
    report_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with GitHubApiStandIn(deny_status=502) as api:
        pull_request_env(monkeypatch, tmp_path, api.url)
        assert main(["github", "comment", "--report", str(report_path)]) == 0
    assert capsys.readouterr().out.startswith("::warning title=research-ci::could not comment")


def test_workflow_run_mode_checks_the_head_commit(pull_request: PullRequestRun) -> None:
    run = pull_request
    run.setenv("GITHUB_EVENT_NAME", "workflow_run")
    assert run.comment("--pr", "3", "--expect-head-sha", "0ther") == 0
    assert "has moved on" in run.out()
    assert run.api.writes() == []
    assert run.comment("--pr", "3", "--expect-head-sha", "feedface") == 0
    assert "comment created on #3" in run.out()
    writes = [request.path for request in run.api.writes()]
    assert writes == [f"/repos/{REPOSITORY}/issues/3/comments"]
