"""Reading a JSON file that research-ci wrote earlier (a data or model report), or streaming one.

A missing, unreadable or invalid file is one :class:`~research_ci.errors.UsageError` line that
names what the file should have been. Only a regular file of at most
:data:`~research_ci.fsutil.MAX_REPORT_BYTES` is read (:mod:`research_ci.fsutil`). A streaming
parser reads through :class:`CheckedReader`, which stops at whatever :mod:`json` may read
differently, so that the caller can read the file whole instead.
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
_CONTROL_BYTES = bytes(byte for byte in range(32) if byte not in b"\t\n\r")
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89abcdefABCDEF]")


class DoubtfulJSONError(ValueError):
    """The file may not read as :func:`json.loads` would read it: read it whole instead."""


class CheckedReader:
    """The bytes of a regular file for a streaming JSON parser, refusing what it may misread.

    Raises :class:`DoubtfulJSONError` past ``limit`` bytes, at a byte of
    :data:`_CONTROL_BYTES` and at a :data:`_SURROGATE_ESCAPE`; :class:`UnicodeDecodeError` at
    bytes that are not UTF-8 (as :func:`~research_ci.fsutil.read_text` would). Opening is
    :func:`open_regular`'s job.
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
        if not (chunk.isascii() and self._decoder.getstate()[0] == b""):
            self._decoder.decode(chunk)
        if len(chunk.translate(None, _CONTROL_BYTES)) != len(chunk):
            raise DoubtfulJSONError("a control character")
        window = self._tail + chunk
        if b"\\u" in window and _SURROGATE_ESCAPE.search(window):
            raise DoubtfulJSONError("a surrogate escape")
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
