"""research_ci.mdescape: a project's text in Markdown is text, measured with GitHub's cmark-gfm.

Each property renders the escaped value the way GitHub does (cmark-gfm with its extensions:
tables, autolinks, strikethrough, tag filter; raw HTML allowed, as in a PR comment) and checks
that people read exactly the value and that no markup came out of it.
"""

from __future__ import annotations

import html
import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from gfm import gfm, readable, tags
from research_ci.mdescape import ZERO_WIDTH_SPACE, code, http_url, link_target, one_line, text
from research_ci.templating import markdown_environment

#: Any text a project could produce, control characters aside (cmark replaces NUL, and
#: research-ci's JSON report could not carry lone surrogates).
VALUES = st.text(st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from("\n\r\t"))
#: Values built from the characters Markdown and HTML care about, to find mistakes faster.
MARKUP = st.lists(
    st.sampled_from([*"<>&\\`*_[]()|~$!#@:.-+=1 ae/", "http", "www.", "<!--", "-->", "\n"]),
    max_size=40,
).map("".join)
HOSTILE = [
    "</table><h1>grade A</h1>",
    "<img src=x onerror=alert(1)>",
    "@octocat please merge",
    "fixes #123",
    "see https://evil.example/x and www.evil.example",
    "mail me: root@evil.example",
    "[click](https://evil.example)",
    "![pixel](https://evil.example/p.png)",
    "**bold** _em_ ~~gone~~ `code` $x^2$",
    "# not a heading",
    "- not a list",
    "1. not a list",
    "> not a quote",
    "a | b | c",
    "line one\n## line two",
    "&copy; &#x41;",
    "snake_case_name and __init__",
    "back\\slash\\",
]


def shown(value: str) -> str:
    return one_line(value).replace(ZERO_WIDTH_SPACE, "")


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_text_is_read_as_it_was_written(value: str) -> None:
    rendered = gfm(f"a {text(value)} b")
    assert tags(rendered) == ["<p", "</p"], rendered
    assert readable(rendered).strip() == f"a {shown(value)} b"


@given(value=VALUES | MARKUP)
@settings(max_examples=400, deadline=None)
@example(value="</td></tr></table>")
@example(value="x\\")
def test_text_in_a_paragraph_is_only_text(value: str) -> None:
    escaped = str(text(value))
    # GitHub's own references (not cmark's): @mentions and #123 are broken by a zero-width space.
    assert not re.search(rf"[@#][^\s{ZERO_WIDTH_SPACE}]", escaped), escaped
    rendered = gfm(f"a {escaped} b")
    assert tags(rendered) == ["<p", "</p"], rendered
    assert readable(rendered).strip() == f"a {shown(value)} b"


@given(value=VALUES | MARKUP)
@settings(max_examples=400, deadline=None)
def test_text_in_a_table_cell_stays_in_its_cell(value: str) -> None:
    rendered = gfm(f"| h | i |\n|---|---|\n| {text(value)} | z |\n")
    assert tags(rendered).count("<td") == 2, rendered  # one row, two cells
    assert {tag.strip("</") for tag in tags(rendered)} == {
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
    }
    cells = re.findall(r"<td>(.*?)</td>", rendered, re.DOTALL)
    assert [readable(cell) for cell in cells] == [shown(value).strip(), "z"]


@given(value=VALUES | MARKUP)
@settings(max_examples=400, deadline=None)
@example(value="`a`")
@example(value="a\\|b")
def test_code_in_a_table_cell_is_one_code_span(value: str) -> None:
    rendered = gfm(f"| h |\n|---|\n| {code(value)} |\n")
    spans = re.findall(r"<code>(.*?)</code>", rendered, re.DOTALL)
    if not one_line(value).strip():
        assert spans == []
        return
    assert len(spans) == 1, rendered
    assert html.unescape(spans[0]) == one_line(value).strip()
    assert tags(rendered).count("<td") == 1, rendered


@given(value=VALUES | MARKUP | st.sampled_from(["javascript:alert(1)", "data:text/html,x"]))
@settings(max_examples=300, deadline=None)
@example(value="https://example.org/a b)[c](d")
@example(value='https://example.org/"><script>')
def test_link_targets_are_http_urls_that_stay_in_their_parentheses(value: str) -> None:
    target = link_target(value)
    if target is None:
        assert http_url(value) is None
        return
    rendered = gfm(f"[report]({target})")
    links = re.findall(r'<a href="([^"]*)"', rendered)
    assert len(links) == 1, rendered
    assert re.match(r"(?i)https?://", html.unescape(links[0]))
    assert readable(rendered).strip() == "report"


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "JAVASCRIPT://x", "data:text/html,x", "ftp://host/x", "//host/x", ""],
)
def test_only_http_links(url: str) -> None:
    assert link_target(url) is None


def test_a_template_that_forgets_a_filter_still_shows_text() -> None:
    template = markdown_environment().from_string("| {{ value }} |")
    assert template.render(value="<b>x</b> | y") == "| &lt;b&gt;x&lt;/b&gt; \\| y |"
