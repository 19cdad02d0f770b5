"""Jinja rendering: Markdown and HTML come from templates in ``research_ci/templates``.

Never from string concatenation in Python.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import jinja2


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


def markdown_cell(value: object) -> str:
    """Make ``value`` safe inside a Markdown table cell (one line, pipes escaped)."""
    text = " ".join(str(value).split())
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("`", "'")


def render(name: str, **context: Any) -> str:
    """Render the named template with ``context``."""
    return environment().get_template(name).render(**context)
