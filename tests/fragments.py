"""Rendered text (Markdown, terminal output, comments) checked for many fragments at once."""

from __future__ import annotations

from collections.abc import Iterable


def assert_fragments(text: str, *present: str, absent: Iterable[str] = ()) -> None:
    """Assert that every fragment of ``present`` is in ``text`` and none of ``absent`` is.

    One failure names every fragment that is missing or should not be there (not only the
    first), followed by the text itself.
    """
    missing = [f"missing: {fragment!r}" for fragment in present if fragment not in text]
    unwanted = [f"unexpected: {fragment!r}" for fragment in absent if fragment in text]
    wrong = missing + unwanted
    assert not wrong, "\n".join([*wrong, "--- in the text:", text])
