"""A small GitHub REST client over :mod:`urllib` (no extra dependency).

The few issue-comment and pull-request calls the sticky comment needs, against
``$GITHUB_API_URL`` so that GitHub Enterprise Server and a local stand-in work as
well as github.com.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, cast

from research_ci import __version__
from research_ci.errors import ResearchCIError, UsageError

PAGE_SIZE = 100
MAX_PAGES = 50


class GitHubApiError(ResearchCIError):
    """The API answered with an error status (``status``), or could not be reached (0)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}" if status else message)
        self.status = status

    @property
    def is_permission_problem(self) -> bool:
        """401/403/404: a read-only or missing token (fork pull requests), not a bug."""
        return self.status in (401, 403, 404)


class GitHubClient:
    """Issue comments and pull requests of one repository."""

    def __init__(self, api_url: str, token: str, repository: str, *, timeout: float = 30) -> None:
        scheme = urllib.parse.urlsplit(api_url).scheme
        if scheme not in ("http", "https"):
            raise UsageError(f"GITHUB_API_URL must be an http(s) URL, got {api_url!r}")
        if repository.count("/") != 1:
            raise UsageError(f"GITHUB_REPOSITORY must be OWNER/NAME, got {repository!r}")
        self.api_url = api_url.rstrip("/")
        self.repository = repository
        self._token = token
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"GitHubClient({self.api_url!r}, repository={self.repository!r})"

    def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """Send one request to ``/repos/OWNER/NAME/<path>``; return the decoded JSON."""
        url = f"{self.api_url}/repos/{self.repository}/{path.lstrip('/')}"
        data = json.dumps(body).encode("utf-8") if body is not None else None
        headers = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": f"research-ci/{__version__}",
        }
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        if data is not None:
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(  # noqa: S310  (scheme checked in __init__)
            url, data=data, headers=headers, method=method
        )
        try:
            # The scheme was checked in __init__ (http or https only).
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                payload = response.read()
        except urllib.error.HTTPError as exc:
            raise GitHubApiError(exc.code, _error_message(exc)) from exc
        except (urllib.error.URLError, OSError) as exc:
            raise GitHubApiError(0, f"cannot reach {self.api_url}: {exc}") from exc
        return json.loads(payload) if payload else None

    def list_issue_comments(self, number: int) -> list[dict[str, Any]]:
        """Every comment of issue or pull request ``number``, oldest first."""
        comments: list[dict[str, Any]] = []
        for page in range(1, MAX_PAGES + 1):
            batch = self.request(
                "GET", f"issues/{number}/comments?per_page={PAGE_SIZE}&page={page}"
            )
            if not isinstance(batch, list):
                break
            comments.extend(cast("list[dict[str, Any]]", batch))
            if len(batch) < PAGE_SIZE:
                break
        return comments

    def create_issue_comment(self, number: int, body: str) -> dict[str, Any]:
        """Add a comment to issue or pull request ``number``."""
        return cast(
            "dict[str, Any]", self.request("POST", f"issues/{number}/comments", {"body": body})
        )

    def update_issue_comment(self, comment_id: int, body: str) -> dict[str, Any]:
        """Replace the body of comment ``comment_id``."""
        return cast(
            "dict[str, Any]", self.request("PATCH", f"issues/comments/{comment_id}", {"body": body})
        )

    def get_pull_request(self, number: int) -> dict[str, Any]:
        """One pull request (used to check its head commit)."""
        return cast("dict[str, Any]", self.request("GET", f"pulls/{number}"))


def _error_message(exc: urllib.error.HTTPError) -> str:
    try:
        data = json.loads(exc.read() or b"{}")
    except (OSError, ValueError):
        data = {}
    message = data.get("message") if isinstance(data, dict) else None
    return str(message or exc.reason or "error")
