"""`research-ci github commit-badge` with real git repositories: a clone and a bare "origin".

Only a push to the default branch commits; the commit says [skip ci]; a push that loses a race
(someone pushed in between) is rebased and retried, other files' unstaged changes kept, and a
README changed upstream keeps upstream's text with this run's badge block; the token reaches
git only through the environment.
"""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path

import pytest

from fragments import assert_fragments
from research_ci.cli import main
from research_ci.errors import UsageError
from research_ci.github.badge_commit import COMMIT_MESSAGE, PushError, auth_env, commit_badge
from research_ci.github.context import ActionsContext
from stubs.act import git

BADGE = "<!-- research-ci:badges:start -->\nquality: A\n<!-- research-ci:badges:end -->\n"


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    """A clone of a bare origin with one commit on main, and README.md changed."""
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(origin)], check=True)
    work = tmp_path / "work"
    work.mkdir()
    git(work, "init", "-q", "-b", "main")
    (work / "README.md").write_text("# project\n", "utf-8")
    (work / "notes.txt").write_text("draft\n", "utf-8")
    git(work, "add", "README.md")
    git(work, "commit", "-q", "-m", "initial")
    git(work, "remote", "add", "origin", str(origin))
    git(work, "push", "-q", "origin", "main")
    (work / "README.md").write_text("# project\n\n" + BADGE, "utf-8")
    return work


def push_context(branch: str = "main", event: str = "push", token: str = "") -> ActionsContext:
    return ActionsContext(
        event_name=event,
        ref=f"refs/heads/{branch}",
        repository="acme/project",
        api_url="https://api.github.com",
        server_url="https://github.com",
        event={"repository": {"default_branch": "main"}},
        token=token,
    )


def origin_log(clone: Path) -> list[str]:
    origin = clone.parent / "origin.git"
    return git(origin, "log", "--format=%s", "main").splitlines()


def test_push_to_the_default_branch_commits_the_readme_only(clone: Path) -> None:
    result = commit_badge([clone / "README.md"], push_context())
    assert result.committed
    assert result.attempts == 1
    assert origin_log(clone) == [COMMIT_MESSAGE, "initial"]
    assert "[skip ci]" in COMMIT_MESSAGE
    shown = git(clone.parent / "origin.git", "show", "--stat", "--format=%an", "main")
    assert_fragments(shown, "github-actions[bot]", "README.md", absent=["notes.txt"])


@pytest.mark.parametrize(
    ("context", "why"),
    [
        (push_context(event="pull_request"), "not push"),
        (push_context(branch="feature"), "not the default branch"),
    ],
)
def test_nothing_is_pushed_elsewhere(clone: Path, context: ActionsContext, why: str) -> None:
    result = commit_badge([clone / "README.md"], context)
    assert not result.committed
    assert why in result.reason
    assert origin_log(clone) == ["initial"]
    assert "README.md" in git(clone, "status", "--porcelain")


def test_an_unchanged_badge_commits_nothing(clone: Path) -> None:
    git(clone, "checkout", "--", "README.md")
    result = commit_badge([clone / "README.md"], push_context())
    assert not result.committed
    assert "unchanged" in result.reason
    assert origin_log(clone) == ["initial"]


def push_from_another_clone(tmp_path: Path, files: dict[str, str], message: str) -> None:
    other = tmp_path / "other"
    subprocess.run(["git", "clone", "-q", str(tmp_path / "origin.git"), str(other)], check=True)
    for name, text in files.items():
        (other / name).write_text(text, "utf-8")
    git(other, "add", *files)
    git(other, "commit", "-q", "-m", message)
    git(other, "push", "-q", "origin", "main")


def origin_readme(clone: Path) -> str:
    return git(clone.parent / "origin.git", "show", "main:README.md")


def test_a_lost_race_is_rebased_and_retried(clone: Path, tmp_path: Path) -> None:
    push_from_another_clone(tmp_path, {"paper.md": "results\n"}, "someone else's push")
    result = commit_badge([clone / "README.md"], push_context(), backoff_s=0)
    assert result.committed
    assert result.attempts == 2
    assert origin_log(clone) == [COMMIT_MESSAGE, "someone else's push", "initial"]


def test_a_race_with_an_edit_of_the_readme_keeps_both(clone: Path, tmp_path: Path) -> None:
    push_from_another_clone(
        tmp_path, {"README.md": "# project, renamed\n\nMore.\n"}, "edit the README"
    )
    result = commit_badge([clone / "README.md"], push_context(), backoff_s=0)
    assert result.committed
    assert origin_log(clone) == [COMMIT_MESSAGE, "edit the README", "initial"]
    assert origin_readme(clone) == f"# project, renamed\n\n{BADGE}\nMore.\n"


def test_two_runs_racing_with_different_badges_end_with_the_later_one(
    clone: Path, tmp_path: Path
) -> None:
    older = BADGE.replace("quality: A", "quality: C")
    push_from_another_clone(tmp_path, {"README.md": f"# project\n\n{older}"}, COMMIT_MESSAGE)
    result = commit_badge([clone / "README.md"], push_context(), backoff_s=0)
    assert result.committed
    assert origin_readme(clone) == f"# project\n\n{BADGE}"
    assert not (clone / ".git" / "rebase-merge").exists()


def test_a_race_with_unstaged_changes_in_other_files(clone: Path, tmp_path: Path) -> None:
    git(clone, "add", "notes.txt")
    git(clone, "commit", "-q", "-m", "notes")
    git(clone, "push", "-q", "origin", "main")
    (clone / "notes.txt").write_text("draft, edited by a step\n", "utf-8")  # not staged
    push_from_another_clone(tmp_path, {"paper.md": "results\n"}, "someone else's push")
    result = commit_badge([clone / "README.md"], push_context(), backoff_s=0)
    assert result.committed
    assert origin_log(clone)[:2] == [COMMIT_MESSAGE, "someone else's push"]
    assert (clone / "notes.txt").read_text("utf-8") == "draft, edited by a step\n"
    assert "notes.txt" in git(clone, "status", "--porcelain")


def test_a_race_that_breaks_the_markers_upstream_fails_cleanly(clone: Path, tmp_path: Path) -> None:
    broken = "# project\n\n<!-- research-ci:badges:start -->\nno end marker\n"
    push_from_another_clone(tmp_path, {"README.md": broken}, "break the README")
    with pytest.raises(PushError, match=r"cannot rebase the badge commit.*without"):
        commit_badge([clone / "README.md"], push_context(), backoff_s=0)
    assert not (clone / ".git" / "rebase-merge").exists()
    assert origin_readme(clone) == broken


def test_other_push_failures_are_not_retried(clone: Path) -> None:
    git(clone, "remote", "set-url", "origin", str(clone.parent / "gone.git"))
    with pytest.raises(PushError, match=r"attempt 1 of 3\): fatal:"):
        commit_badge([clone / "README.md"], push_context(), backoff_s=0)


def test_bad_paths_are_usage_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no file"):
        commit_badge([], push_context())
    (tmp_path / "README.md").write_text("x", "utf-8")
    with pytest.raises(UsageError, match="not inside a git repository"):
        commit_badge([tmp_path / "README.md"], push_context())
    with pytest.raises(UsageError, match="not in an existing directory"):
        commit_badge([tmp_path / "missing" / "README.md"], push_context())


def test_the_token_goes_through_the_environment_only(clone: Path) -> None:
    env = auth_env(clone, "https://github.com", "zq-9-secret")
    assert env["GIT_CONFIG_KEY_0"] == "http.https://github.com/.extraheader"
    header = base64.b64encode(b"x-access-token:zq-9-secret").decode()
    assert env["GIT_CONFIG_VALUE_0"] == f"AUTHORIZATION: basic {header}"
    assert "zq-9-secret" not in (clone / ".git" / "config").read_text("utf-8")
    assert "GIT_CONFIG_KEY_0" not in auth_env(clone, "https://github.com", "")
    assert "GIT_CONFIG_KEY_0" not in auth_env(clone, "http://ghes.local", "tok")
    # A checkout that persisted its own credentials keeps them (two headers would be refused).
    git(clone, "config", "http.https://github.com/.extraheader", "AUTHORIZATION: basic x")
    assert "GIT_CONFIG_KEY_0" not in auth_env(clone, "https://github.com", "tok")


def test_commit_badge_command(
    clone: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"repository": {"default_branch": "main"}}), "utf-8")
    monkeypatch.setenv("GITHUB_EVENT_NAME", "push")
    monkeypatch.setenv("GITHUB_REF", "refs/heads/main")
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
    monkeypatch.chdir(clone)
    assert main(["github", "commit-badge"]) == 0
    assert "badge committed and pushed to main" in capsys.readouterr().out
    (clone / "README.md").write_text("# project\n\nchanged again\n", "utf-8")
    git(clone, "remote", "set-url", "origin", str(tmp_path / "gone.git"))
    assert main(["github", "commit-badge", "README.md", "--attempts", "1"]) == 1
    assert capsys.readouterr().out.startswith("::error title=research-ci%3A badge commit::")
