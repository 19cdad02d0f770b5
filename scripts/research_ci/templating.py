"""Jinja rendering: Markdown and HTML come from templates in ``research_ci/templates``.

Never from string concatenation in Python. Two environments per template package:

* :func:`environment`: HTML (autoescaped) and the docs pages generated from research-ci's own
  code (``rubric``, ``cli-reference``), whose values are trusted Markdown;
* :func:`markdown_environment`: the Markdown that carries a project's text (the job summary,
  the PR comment, the README's badge block, the data section). Every ``{{ value }}`` is shown
  as text (:func:`research_ci.mdescape.text`) unless it is already
  :class:`markupsafe.Markup`: the structure comes from the template, never from the values.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import jinja2
from markupsafe import Markup

from research_ci import mdescape


@cache
def environment(package: str = "research_ci") -> jinja2.Environment:
    """The shared environment for ``package``'s ``templates`` folder (one per package)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader(package, "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "html.j2")),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["md_cell"] = markdown_cell
    return env


def _as_markdown_text(value: Any) -> Any:
    """Jinja's ``finalize``: what a template prints is text unless it is marked Markup."""
    return value if isinstance(value, Markup) else mdescape.text(value)


@cache
def markdown_environment(package: str = "research_ci") -> jinja2.Environment:
    """The environment of Markdown that shows a project's text: escaped by default.

    Filters: ``md_cell`` and ``md_text`` (text), ``md_code`` (an inline code span),
    ``md_link`` (an http(s) link target, or ``None``).
    """
    env = jinja2.Environment(
        loader=jinja2.PackageLoader(package, "templates"),
        autoescape=False,  # noqa: S701  (Markdown: finalize escapes every value instead)
        finalize=_as_markdown_text,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["md_cell"] = mdescape.cell
    env.filters["md_text"] = mdescape.text
    env.filters["md_code"] = mdescape.code
    env.filters["md_link"] = mdescape.link_target
    return env


def markdown_cell(value: object) -> str:
    """Keep research-ci's own text in one docs table cell: one line, pipes escaped."""
    text = " ".join(str(value).split())
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("`", "'")


def render(name: str, **context: Any) -> str:
    """Render the named template with ``context`` (HTML, or docs generated from the code)."""
    return environment().get_template(name).render(**context)


def render_markdown(name: str, **context: Any) -> str:
    """Render a Markdown template that shows a project's text (see :func:`markdown_environment`)."""
    return markdown_environment().get_template(name).render(**context)
