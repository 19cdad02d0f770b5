"""Reading a JSON file that research-ci wrote earlier (a data or model report).

A missing, unreadable or invalid file is one :class:`~research_ci.errors.UsageError` line that
names what the file should have been. Only a regular file of at most
:data:`~research_ci.fsutil.MAX_REPORT_BYTES` is read (:mod:`research_ci.fsutil`).
"""

from __future__ import annotations

import codecs
import json
import os
import re
import stat
from pathlib import Path
from typing import Any

from research_ci.errors import UsageError
from research_ci.fsutil import MAX_REPORT_BYTES, MIB, confined, read_text


def read_json(path: Path, *, what: str) -> Any:
    """The parsed JSON of ``path``; ``what`` names the file in messages ("model report")."""
    try:
        return json.loads(read_text(path, limit=MAX_REPORT_BYTES))
    except FileNotFoundError as exc:
        raise UsageError(f"{what} not found: {path}") from exc
    except RecursionError as exc:
        raise UsageError(f"cannot read {what} {path}: nested too deeply") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"cannot read {what} {path}: {exc}") from exc


#: Bytes after which :mod:`json` and a streaming parser (yajl) may read JSON differently: the
#: control characters :mod:`json` refuses and yajl reads as white space (form feed, vertical
#: tab), and the escape of a UTF-16 surrogate, which yajl turns into ``?`` silently.
_DOUBTFUL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]|\\u[dD][89abcdefABCDEF]")


class DoubtfulJSONError(ValueError):
    """The file may not read as :func:`json.loads` would read it: read it whole instead."""


class CheckedReader:
    """The bytes of a regular file for a streaming JSON parser, refusing what it may misread.

    Raises :class:`DoubtfulJSONError` past ``limit`` bytes and at any byte of
    :data:`_DOUBTFUL_BYTES`, :class:`UnicodeDecodeError` at bytes that are not UTF-8 (as
    :func:`~research_ci.fsutil.read_text` would). Opening is :func:`open_regular`'s job.
    """

    def __init__(self, fd: int, *, limit: int) -> None:
        self._fd = fd
        self._remaining = limit + 1
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._tail = b""

    def read(self, size: int = MIB) -> bytes:
        """Up to ``size`` bytes, checked; ``b""`` at the end."""
        if size == 0:  # a parser asking whether the file gives bytes or text
            return b""
        chunk = os.read(self._fd, min(size, MIB) if size > 0 else MIB)
        if not chunk:
            self._decoder.decode(b"", final=True)
            return chunk
        self._remaining -= len(chunk)
        if self._remaining <= 0:
            raise DoubtfulJSONError("over the size limit")
        self._decoder.decode(chunk)
        if _DOUBTFUL_BYTES.search(self._tail + chunk):
            raise DoubtfulJSONError("a control character or a surrogate escape")
        self._tail = chunk[-5:]
        return chunk


def open_regular(path: Path, *, limit: int, within: Path | None = None) -> int:
    """A descriptor of ``path`` when it is a regular file of at most ``limit`` bytes.

    Any other file raises (:class:`OSError`, :class:`~research_ci.errors.UsageError` or
    :class:`DoubtfulJSONError`): the caller reads it with
    :func:`~research_ci.fsutil.read_text`, which names the problem.
    """
    if within is not None:
        confined(path, within)
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
        os.close(fd)
        raise DoubtfulJSONError(f"{path} is not a regular file within the size limit")
    return fd
