"""A small GitHub REST client over :mod:`urllib` (no extra dependency).

The few issue-comment and pull-request calls the sticky comment needs, against
``$GITHUB_API_URL`` so that GitHub Enterprise Server and a local stand-in work as
well as github.com.

The token goes to ``$GITHUB_API_URL``'s origin only: a redirect to another scheme, host or
port is not followed (:class:`GitHubApiError`, so the caller degrades as for any API failure).
Answers are read up to :data:`MAX_RESPONSE_BYTES` and must be the JSON each call expects; an
HTML page, a list where an object was due or a body cut short is a :class:`GitHubApiError`
too, never a traceback.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from research_ci import __version__
from research_ci.errors import ResearchCIError, UsageError

PAGE_SIZE = 100
MAX_PAGES = 50
#: A comment is at most 65,536 characters; a page of 100 of them stays well under this.
MAX_RESPONSE_BYTES = 32 * 1024 * 1024
#: Who comments with the workflow's own ``GITHUB_TOKEN`` (``GET /user`` is refused to it).
ACTIONS_BOT_LOGIN = "github-actions[bot]"


class GitHubApiError(ResearchCIError):
    """The API answered with an error status (``status``), or could not be reached (0)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}" if status else message)
        self.status = status

    @property
    def is_permission_problem(self) -> bool:
        """401/403/404: a read-only or missing token (fork pull requests), not a bug."""
        return self.status in (401, 403, 404)


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urllib.parse.urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme.lower())
    return parts.scheme.lower(), (parts.hostname or "").lower(), port


class _SameOriginRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only within the API's origin: the token never goes elsewhere."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: Any,
        code: int,
        msg: str,
        headers: Any,
        newurl: str,
    ) -> urllib.request.Request | None:
        if _origin(newurl) != _origin(req.full_url):
            target = _origin(newurl)
            raise urllib.error.HTTPError(
                req.full_url,
                code,
                f"redirected to another host ({target[0]}://{target[1]}); not followed with "
                "the token",
                headers,
                fp,
            )
        return super().redirect_request(req, fp, code, msg, headers, newurl)


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
        self._opener = urllib.request.build_opener(_SameOriginRedirects())

    def __repr__(self) -> str:
        return f"GitHubClient({self.api_url!r}, repository={self.repository!r})"

    def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """Send one request to ``/repos/OWNER/NAME/<path>``; return the decoded JSON."""
        return self._send(method, f"repos/{self.repository}/{path.lstrip('/')}", body)

    def _send(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """Send one request to ``<api>/<path>``; return the decoded JSON (``None`` if empty)."""
        url = f"{self.api_url}/{path}"
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
            with self._opener.open(request, timeout=self.timeout) as response:
                status = int(response.status)
                payload = response.read(MAX_RESPONSE_BYTES + 1)
        except urllib.error.HTTPError as exc:
            raise GitHubApiError(exc.code, _error_message(exc)) from exc
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise GitHubApiError(0, f"cannot reach {self.api_url}: {exc}") from exc
        if len(payload) > MAX_RESPONSE_BYTES:
            raise GitHubApiError(status, f"unexpected answer to {method} /{path}: too large")
        if not payload:
            return None
        try:
            return json.loads(payload)
        except (ValueError, RecursionError) as exc:
            raise GitHubApiError(
                status, f"unexpected answer to {method} /{path}: not JSON ({_preview(payload)})"
            ) from exc

    def _object(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        answer = self.request(method, path, body)
        if not isinstance(answer, dict):
            raise GitHubApiError(
                0, f"unexpected answer to {method} {path}: {type(answer).__name__}, not an object"
            )
        return answer

    def authenticated_login(self) -> str:
        """The login this token writes comments as.

        ``GET /user`` for a personal token; the workflow's ``GITHUB_TOKEN`` (an installation
        token, which that endpoint refuses) comments as :data:`ACTIONS_BOT_LOGIN`.
        """
        try:
            user = self._send("GET", "user")
        except GitHubApiError as exc:
            if exc.status in (403, 404):
                return ACTIONS_BOT_LOGIN
            raise
        login = user.get("login") if isinstance(user, dict) else None
        if not isinstance(login, str) or not login:
            raise GitHubApiError(0, "unexpected answer to GET /user: no login")
        return login

    def list_issue_comments(self, number: int) -> list[dict[str, Any]]:
        """Every comment of issue or pull request ``number``, oldest first."""
        comments: list[dict[str, Any]] = []
        for page in range(1, MAX_PAGES + 1):
            batch = self.request(
                "GET", f"issues/{number}/comments?per_page={PAGE_SIZE}&page={page}"
            )
            if not isinstance(batch, list):
                raise GitHubApiError(
                    0, f"unexpected answer to GET issues/{number}/comments: not a list"
                )
            comments.extend(item for item in batch if isinstance(item, dict))
            if len(batch) < PAGE_SIZE:
                break
        return comments

    def create_issue_comment(self, number: int, body: str) -> dict[str, Any]:
        """Add a comment to issue or pull request ``number``."""
        return self._object("POST", f"issues/{number}/comments", {"body": body})

    def update_issue_comment(self, comment_id: int, body: str) -> dict[str, Any]:
        """Replace the body of comment ``comment_id``."""
        return self._object("PATCH", f"issues/comments/{comment_id}", {"body": body})

    def get_pull_request(self, number: int) -> dict[str, Any]:
        """One pull request (used to check its head commit)."""
        return self._object("GET", f"pulls/{number}")


def _preview(payload: bytes) -> str:
    """The start of an unexpected answer, on one line, for the warning."""
    return " ".join(payload[:60].decode("utf-8", "replace").split()) or "empty"


def _error_message(exc: urllib.error.HTTPError) -> str:
    try:
        data = json.loads(exc.read(64 * 1024) or b"{}")
    except (OSError, ValueError, RecursionError):
        data = {}
    message = data.get("message") if isinstance(data, dict) else None
    return " ".join(str(message or exc.reason or "error").split())[:300]
