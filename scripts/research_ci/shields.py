"""shields.io static badge URLs.

Pure string functions (no network): a badge's URL carries its label, message and color.
"""

from __future__ import annotations

import urllib.parse

SHIELDS_URL = "https://img.shields.io/badge/"


def shields_escape(text: str) -> str:
    """Escape one part of a static shields.io badge path.

    shields reads ``-`` as a separator and ``_`` as a space, so literal ones are doubled;
    spaces become ``%20``; every other character outside the unreserved set is
    percent-encoded (so ``(``, ``)`` and ``%`` cannot break the Markdown around the URL).
    """
    doubled = text.replace("-", "--").replace("_", "__")
    return urllib.parse.quote(doubled, safe="")


def static_badge_url(label: str, message: str, color: str) -> str:
    """``https://img.shields.io/badge/<label>-<message>-<color>``, each part escaped."""
    parts = (shields_escape(label), shields_escape(message), shields_escape(color))
    return SHIELDS_URL + "-".join(parts)
