"""GitHub's Markdown in tests: cmark-gfm (the library github.com uses) with its extensions."""

from __future__ import annotations

import html
import re

import cmarkgfm  # type: ignore[import-untyped]
from cmarkgfm.cmark import Options  # type: ignore[import-untyped]

from research_ci.mdescape import ZERO_WIDTH_SPACE


def gfm(markdown: str) -> str:
    """HTML as GitHub renders ``markdown`` (raw HTML kept, so that any injection would show)."""
    return str(
        cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)
    )


def tags(rendered: str) -> list[str]:
    """The HTML elements of ``rendered``, opening and closing, in order."""
    return re.findall(r"</?[a-zA-Z][a-zA-Z0-9]*", rendered)


def readable(rendered: str) -> str:
    """What a reader sees: tags dropped, entities decoded, zero-width spaces gone."""
    return html.unescape(re.sub(r"<[^>]*>", "", rendered)).replace(ZERO_WIDTH_SPACE, "")
