"""A GitHub REST API stand-in on 127.0.0.1 for the PR-comment tests.

A real HTTP server (``http.server`` in a thread, loopback only) that serves the issue-comment
and pull-request endpoints the sticky comment uses, keeps the comments in memory, records every
request, and can be told to answer every request with an error status (403 for a read-only
token on a fork's pull request), with a redirect (``redirect_to``) or with a raw body
(``raw_answer``: an HTML page where JSON was due). ``GET /user`` answers like the workflow's
``GITHUB_TOKEN`` (403: an installation token has no user) unless ``user_login`` is set
(a personal token).
"""

from __future__ import annotations

import dataclasses
import json
import re
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

COMMENTS = re.compile(r"^/repos/(?P<repo>[^/]+/[^/]+)/issues/(?P<number>\d+)/comments$")
COMMENT = re.compile(r"^/repos/(?P<repo>[^/]+/[^/]+)/issues/comments/(?P<id>\d+)$")
PULL = re.compile(r"^/repos/(?P<repo>[^/]+/[^/]+)/pulls/(?P<number>\d+)$")


@dataclasses.dataclass(frozen=True)
class Recorded:
    """One request as the server saw it."""

    method: str
    path: str
    query: dict[str, list[str]]
    authorization: str
    body: Any


class GitHubApiStandIn:
    """Start with ``with GitHubApiStandIn() as api:``; ``api.url`` is the ``GITHUB_API_URL``."""

    def __init__(
        self,
        *,
        deny_status: int | None = None,
        head_sha: str = "abc123",
        user_login: str | None = None,
    ) -> None:
        self.deny_status = deny_status
        self.head_sha = head_sha
        self.user_login = user_login
        #: Answer the next request with this redirect (status, Location).
        self.redirect_to: tuple[int, str] | None = None
        #: Answer every request with this (status, Content-Type, body) instead of JSON.
        self.raw_answer: tuple[int, str, bytes] | None = None
        #: Answer ``GET /pulls/N`` with this instead of the pull request.
        self.pull_answer: Any = None
        self.requests: list[Recorded] = []
        self.comments: dict[int, list[dict[str, Any]]] = {}
        self._next_id = 1000
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The API root, e.g. ``http://127.0.0.1:PORT/api/v3``."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/api/v3"

    def __enter__(self) -> GitHubApiStandIn:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def add_comment(self, number: int, body: str, user: str = "someone") -> dict[str, Any]:
        """Seed a comment, as if someone had written it before the run."""
        with self._lock:
            self._next_id += 1
            comment = {
                "id": self._next_id,
                "body": body,
                "user": {"login": user},
                "html_url": f"https://github.example/pr/{number}#issuecomment-{self._next_id}",
            }
            self.comments.setdefault(number, []).append(comment)
            return comment

    def writes(self) -> list[Recorded]:
        """The POST and PATCH requests, in order."""
        return [request for request in self.requests if request.method in ("POST", "PATCH")]

    def _handle(self, method: str, raw_path: str, authorization: str, body: Any) -> tuple[int, Any]:
        parsed = urllib.parse.urlsplit(raw_path)
        path = parsed.path.removeprefix("/api/v3")
        query = urllib.parse.parse_qs(parsed.query)
        with self._lock:
            self.requests.append(Recorded(method, path, query, authorization, body))
        if self.deny_status is not None:
            return self.deny_status, {"message": "Resource not accessible by integration"}
        if not authorization.startswith("Bearer "):
            return 401, {"message": "Requires authentication"}
        if path == "/user" and method == "GET":
            if self.user_login is None:
                return 403, {"message": "Resource not accessible by integration"}
            return 200, {"login": self.user_login, "type": "User"}
        if match := COMMENTS.match(path):
            number = int(match["number"])
            if method == "GET":
                page = int(query.get("page", ["1"])[0])
                size = int(query.get("per_page", ["30"])[0])
                items = self.comments.get(number, [])
                return 200, items[(page - 1) * size : page * size]
            if method == "POST":
                login = self.user_login or "github-actions[bot]"
                return 201, self.add_comment(number, str(body["body"]), user=login)
        if (match := COMMENT.match(path)) and method == "PATCH":
            for comments in self.comments.values():
                for comment in comments:
                    if comment["id"] == int(match["id"]):
                        comment["body"] = str(body["body"])
                        return 200, comment
            return 404, {"message": "Not Found"}
        if (match := PULL.match(path)) and method == "GET":
            if self.pull_answer is not None:
                return 200, self.pull_answer
            return 200, {"number": int(match["number"]), "head": {"sha": self.head_sha}}
        return 404, {"message": "Not Found"}

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                status, payload = stand_in._handle(
                    self.command, self.path, self.headers.get("Authorization", ""), body
                )
                headers = {"Content-Type": "application/json"}
                data = json.dumps(payload).encode("utf-8")
                if stand_in.redirect_to is not None:  # once: a redirect may lead back here
                    status, headers["Location"] = stand_in.redirect_to
                    stand_in.redirect_to = None
                    data = b"<html>moved</html>"
                elif stand_in.raw_answer is not None:
                    status, headers["Content-Type"], data = stand_in.raw_answer
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = _serve  # noqa: N815

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                """Quiet: the requests are recorded instead."""

        return Handler
