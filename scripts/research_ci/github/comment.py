"""The sticky pull-request comment: one per pull request, updated in place.

It is found again by the hidden marker that :func:`research_ci.summary.render_summary` puts at
its top, among the comments written by the token's own identity only: anyone can write the
marker (on a fork's pull request the author can always comment first), and research-ci never
edits a comment it did not write.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any, Literal

from research_ci.github.api import GitHubClient
from research_ci.report import Report
from research_ci.summary import GITHUB_COMMENT_LIMIT, SUMMARY_MARKER, render_summary

#: The summary's budget in a comment: under GitHub's limit, with a margin.
MAX_SUMMARY_CHARS = GITHUB_COMMENT_LIMIT - 1_024

Outcome = Literal["created", "updated", "unchanged"]


@dataclasses.dataclass(frozen=True)
class CommentResult:
    """What happened to the sticky comment, and its id and URL."""

    outcome: Outcome
    comment_id: int
    url: str


def comment_body(report: Report, *, provenance: str | None = None) -> str:
    """The comment's Markdown: the report summary, whose first line is the marker.

    ``provenance`` is a sentence under the marker that says where the figures come from.
    """
    return render_summary(report, max_chars=MAX_SUMMARY_CHARS, provenance=provenance)


def _author(comment: dict[str, Any]) -> str | None:
    user = comment.get("user")
    login = user.get("login") if isinstance(user, dict) else None
    return login if isinstance(login, str) else None


def find_sticky(comments: Iterable[dict[str, Any]], author: str) -> dict[str, Any] | None:
    """The first comment by ``author`` that carries the marker at its top.

    A quote of the marker further down in someone's reply does not count, nor does a comment
    by anyone else, whatever it says.
    """
    for comment in comments:
        body = comment.get("body")
        if (
            _author(comment) == author
            and isinstance(comment.get("id"), int)
            and isinstance(body, str)
            and body.lstrip().startswith(SUMMARY_MARKER)
        ):
            return comment
    return None


def upsert_sticky(
    client: GitHubClient, number: int, body: str, *, author: str | None = None
) -> CommentResult:
    """Create the sticky comment on pull request ``number``, or update our existing one.

    ``author`` is the login the token comments as (default: asked from the API).
    """
    login = author or client.authenticated_login()
    existing = find_sticky(client.list_issue_comments(number), login)
    if existing is None:
        created = client.create_issue_comment(number, body)
        created_id = created.get("id")
        return CommentResult(
            "created",
            created_id if isinstance(created_id, int) else 0,
            str(created.get("html_url", "")),
        )
    comment_id = int(existing["id"])
    url = str(existing.get("html_url", ""))
    if existing.get("body") == body:
        return CommentResult("unchanged", comment_id, url)
    updated = client.update_issue_comment(comment_id, body)
    return CommentResult("updated", comment_id, str(updated.get("html_url", url)))
