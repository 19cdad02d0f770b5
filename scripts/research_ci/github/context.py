"""The GitHub Actions run as seen from a step.

Environment variables, the event payload and the ``$GITHUB_OUTPUT`` /
``$GITHUB_STEP_SUMMARY`` files (workflow commands are :mod:`research_ci.workflow_commands`).

Everything is read from an explicit mapping (``os.environ`` by default) so the same code runs
under a real runner, under act and in tests.
"""

from __future__ import annotations

import dataclasses
import json
import os
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from research_ci.errors import UsageError

PULL_REQUEST_EVENTS = frozenset({"pull_request", "pull_request_target"})


@dataclasses.dataclass(frozen=True, kw_only=True)
class ActionsContext:
    """What a step knows about its run. The token is kept out of ``repr``."""

    event_name: str
    ref: str
    repository: str
    api_url: str
    server_url: str
    event: dict[str, Any]
    workflow_ref: str = ""
    token: str = dataclasses.field(default="", repr=False)
    output_path: Path | None = None
    summary_path: Path | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ActionsContext:
        """Read the context from ``env`` (default: the process environment)."""
        env = os.environ if env is None else env
        return cls(
            event_name=env.get("GITHUB_EVENT_NAME", ""),
            ref=env.get("GITHUB_REF", ""),
            repository=env.get("GITHUB_REPOSITORY", ""),
            api_url=env.get("GITHUB_API_URL", "https://api.github.com").rstrip("/"),
            server_url=env.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/"),
            event=read_event(env.get("GITHUB_EVENT_PATH", "")),
            workflow_ref=env.get("GITHUB_WORKFLOW_REF", ""),
            token=env.get("GITHUB_TOKEN", "") or env.get("INPUT_GITHUB_TOKEN", ""),
            output_path=_optional_path(env.get("GITHUB_OUTPUT", "")),
            summary_path=_optional_path(env.get("GITHUB_STEP_SUMMARY", "")),
        )

    @property
    def pull_request_number(self) -> int | None:
        """The pull request's number on pull_request events, else ``None``."""
        if self.event_name not in PULL_REQUEST_EVENTS:
            return None
        pull_request = self.event.get("pull_request")
        number = pull_request.get("number") if isinstance(pull_request, dict) else None
        if number is None:
            number = self.event.get("number")
        return number if isinstance(number, int) and number > 0 else None

    @property
    def workflow_url(self) -> str | None:
        """The page of the workflow this run belongs to (what the badges link to), if known."""
        workflow = self.workflow_ref.split("@")[0].rsplit("/", 1)[-1]
        if not workflow or not self.repository:
            return None
        return f"{self.server_url}/{self.repository}/actions/workflows/{workflow}"

    @property
    def default_branch(self) -> str | None:
        """The repository's default branch, from the event payload."""
        repository = self.event.get("repository")
        branch = repository.get("default_branch") if isinstance(repository, dict) else None
        return branch if isinstance(branch, str) and branch else None

    @property
    def branch(self) -> str | None:
        """The branch this run is for (``refs/heads/<branch>``), else ``None``."""
        prefix = "refs/heads/"
        return self.ref[len(prefix) :] if self.ref.startswith(prefix) else None

    def push_to_default_branch(self) -> tuple[bool, str]:
        """Whether this run is a push to the default branch, and a sentence saying why not."""
        if self.event_name != "push":
            return False, f"the event is {self.event_name or 'unknown'}, not push"
        if self.default_branch is None:
            return False, "the event payload does not name the default branch"
        if self.branch != self.default_branch:
            return False, f"{self.ref or 'the ref'} is not the default branch {self.default_branch}"
        return True, f"push to the default branch {self.default_branch}"


def _optional_path(value: str) -> Path | None:
    return Path(value) if value else None


def read_event(path: str) -> dict[str, Any]:
    """The event payload (``$GITHUB_EVENT_PATH``); empty when absent."""
    if not path:
        return {}
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"cannot read the event payload {path}: {exc}") from exc
    return data if isinstance(data, dict) else {}


def _append(path: Path, text: str) -> None:
    try:
        with path.open("a", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from exc


def write_outputs(context: ActionsContext, values: Mapping[str, str]) -> bool:
    """Append step outputs to ``$GITHUB_OUTPUT`` (heredoc form, safe for any value).

    ``False`` when there is no ``$GITHUB_OUTPUT`` (a local run): nothing is written.
    """
    if context.output_path is None:
        return False
    lines = []
    for name, value in values.items():
        delimiter = f"ghadelimiter_{uuid.uuid4()}"
        lines.append(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
    _append(context.output_path, "".join(lines))
    return True


def append_summary(context: ActionsContext, markdown: str) -> bool:
    """Append Markdown to the job summary; ``False`` when there is no summary file."""
    if context.summary_path is None:
        return False
    _append(context.summary_path, markdown if markdown.endswith("\n") else markdown + "\n")
    return True
