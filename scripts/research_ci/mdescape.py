"""Untrusted text in GitHub Markdown: shown as text, never read as markup.

Everything that comes from a checked project (test names, assertion messages, file names, data
values, a report written by someone else's run) reaches the job summary and the pull-request
comment through these functions. Each returns :class:`markupsafe.Markup`, the mark of text that
is safe to put into a Markdown template as it is; the Markdown templates' environment
(:func:`research_ci.templating.markdown_environment`) passes every other value through
:func:`text`, so a template that forgets a filter still shows text, not markup.

What :func:`text` neutralises, measured against GitHub's own Markdown (cmark-gfm) in the tests:

* line breaks (a value stays on one line: one table cell, one list item);
* raw HTML and entities (``<``, ``>``, ``&`` become entities);
* inline Markdown (emphasis, code, links, images, strikethrough, math, table pipes) and block
  markers at the start of a value (``#``, ``-``, ``+``, ``=``, ``1.``), by backslash escapes;
* GitHub's autolinks (``https://``, ``www.``, ``user@host``) and its references
  (``@mentions``, ``#123``): a zero-width space after ``@`` and ``#``, a backslash before the
  ``:`` of a scheme and the ``.`` of ``www.``.
"""

from __future__ import annotations

import re
import urllib.parse

from markupsafe import Markup

#: Zero-width space: breaks a mention or a reference without changing what people read.
ZERO_WIDTH_SPACE = "\u200b"
#: Escaped with a backslash wherever they appear (CommonMark: any ASCII punctuation may be).
_INLINE = frozenset("\\`*_[]|~$!")
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
#: Block markers: only where the value starts a line.
_BLOCK_START = re.compile(r"^ ?(?:[#+=-]|\d{1,9}[.)](?=\s|$))")
_SCHEME = re.compile(r"(?i)(?<=[a-z0-9])://")
_WWW = re.compile(r"(?i)www\.")
_REFERENCE = re.compile(r"([@#])(?=[^\s])")
_WHITESPACE = re.compile(r"\s+")
#: The only link targets research-ci writes: http(s) URLs.
LINK_SCHEMES = ("http", "https")


def one_line(value: object) -> str:
    """``value`` as text on one line: every run of whitespace (line breaks too) is one space."""
    return _WHITESPACE.sub(" ", str(value))


def text(value: object) -> Markup:
    """``value`` as plain text inside Markdown (a table cell, a heading, a list item)."""
    flat = one_line(value)
    start = _BLOCK_START.match(flat)
    if start:  # "# x", "- x", "1. x" would start a heading or a list: escape the marker
        marker = start.group()
        flat = f"{marker[:-1]}\\{marker[-1]}{flat[len(marker):]}"
        offset = len(marker) + 1
    else:
        offset = 0
    escaped = flat[:offset] + "".join(
        _escape_char(flat, index) for index in range(offset, len(flat))
    )
    escaped = _SCHEME.sub(r"\\://", escaped)
    escaped = _WWW.sub(lambda match: match.group()[:-1] + "\\.", escaped)
    escaped = _REFERENCE.sub(lambda match: match.group(1) + ZERO_WIDTH_SPACE, escaped)
    return Markup(escaped)  # noqa: S704  (escaped above: this is the escaping)


def cell(value: object) -> Markup:
    """:func:`text` without leading or trailing spaces: ``**{{ name | md_cell }}**`` stays bold."""
    return text(one_line(value).strip())


def _escape_char(flat: str, index: int) -> str:
    char = flat[index]
    if char in _HTML:
        return _HTML[char]
    if _inside_word(flat, index) and char == "_":
        return char  # snake_case: an underscore inside a word never starts emphasis
    return f"\\{char}" if char in _INLINE else char


def _inside_word(flat: str, index: int) -> bool:
    return 0 < index < len(flat) - 1 and flat[index - 1].isalnum() and flat[index + 1].isalnum()


def code(value: object) -> Markup:
    """``value`` as an inline code span, safe in a table cell too (pipes escaped).

    Code spans show their content as it is (no HTML, no mentions, no links); the fence is
    longer than any run of backticks in the value. Empty text gives no span at all.
    """
    flat = one_line(value).strip()
    if not flat:
        return Markup("")
    longest = max((len(run) for run in re.findall(r"`+", flat)), default=0)
    fence = "`" * (longest + 1)
    body = flat.replace("|", "\\|")
    if body.startswith("`") or body.endswith("`"):
        body = f" {body} "  # CommonMark strips one space on each side
    return Markup(f"{fence}{body}{fence}")  # noqa: S704  (a code span shows text as it is)


def http_url(value: object) -> str | None:
    """``value`` when it is an absolute http(s) URL with a host, else ``None``."""
    url = str(value).strip()
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in LINK_SCHEMES or not parts.hostname:
        return None
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in url):
        return None
    return url


def link_target(value: object) -> Markup | None:
    """An http(s) URL made safe inside Markdown ``(...)``, or ``None`` for any other URL.

    Spaces, brackets, quotes and angle brackets are percent-encoded, so the URL cannot close
    the link or start markup.
    """
    url = http_url(value)
    if url is None:
        return None
    return Markup(urllib.parse.quote(url, safe=":/?#@!$&*+,;=%~-._"))  # noqa: S704
