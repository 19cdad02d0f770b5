"""The environment of a GitHub Actions pull_request run, for the ``github comment`` tests."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from research_ci.cli import main
from stubs.github_api import GitHubApiStandIn

REPOSITORY = "acme/project"
PR = 12


def pull_request_env(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    api_url: str,
    *,
    token: str = "t0ken",  # noqa: S107
) -> Path:
    """Set up the environment of a pull_request run; return the job summary file."""
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"number": PR, "pull_request": {"number": PR}}), "utf-8")
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_EVENT_NAME", "pull_request")
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
    monkeypatch.setenv("GITHUB_REPOSITORY", REPOSITORY)
    monkeypatch.setenv("GITHUB_API_URL", api_url)
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("GITHUB_TOKEN", token)
    return summary


@dataclass(frozen=True)
class PullRequestRun:
    """A pull_request run against the API stand-in, with a clean report to post."""

    api: GitHubApiStandIn
    report: Path
    summary: Path
    monkeypatch: pytest.MonkeyPatch
    capsys: pytest.CaptureFixture[str]

    def comment(self, *extra: str, report: Path | None = None) -> int:
        """Run ``research-ci github comment`` on ``report`` (default: the clean one)."""
        return main(["github", "comment", "--report", str(report or self.report), *extra])

    def out(self) -> str:
        """What was printed since the last call."""
        return self.capsys.readouterr().out

    def setenv(self, name: str, value: str) -> None:
        """Change one variable of the run's environment."""
        self.monkeypatch.setenv(name, value)
