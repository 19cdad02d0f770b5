"""GitHub Actions workflow commands (``::error file=...::message``) with GitHub's escaping.

One formatter for everything research-ci prints for the runner to read: the annotations of
``check --format github`` and the notices of the ``github`` commands.
"""

from __future__ import annotations


def escape_data(text: str) -> str:
    """Escape a workflow command's message (GitHub's ``escapeData``: ``%``, CR, LF)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a property value (GitHub's ``escapeProperty``: the data escapes, ``:`` and ``,``)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def workflow_command(command: str, message: str, **properties: str | int | None) -> str:
    """``::command key=value,...::message`` with GitHub's escaping; ``None`` values left out."""
    rendered = ",".join(
        f"{key}={escape_property(str(value))}"
        for key, value in properties.items()
        if value is not None
    )
    return f"::{command}{' ' + rendered if rendered else ''}::{escape_data(message)}"
