"""Bad files, refused: write one, load it, and read the one-line :class:`UsageError`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from research_ci.errors import UsageError


def refusal(load: Callable[[Path], object], path: Path, content: str | bytes) -> str:
    """The message of the :class:`UsageError` that ``load`` raises on ``path`` holding ``content``.

    ``content`` is written as UTF-8 text, or as is when it is bytes. The test fails when ``load``
    accepts the file.
    """
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    with pytest.raises(UsageError) as caught:
        load(path)
    return str(caught.value)
