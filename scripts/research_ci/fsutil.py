"""Atomic file writes: a crash never leaves a half-written README or report behind."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from research_ci.errors import UsageError


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same directory and a rename.

    The file's permission bits are kept when it already exists. Raises :class:`UsageError`
    when the directory cannot be written.
    """
    directory = path.parent
    try:
        directory.mkdir(parents=True, exist_ok=True)
        mode = path.stat().st_mode & 0o7777 if path.exists() else None
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from exc
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            tmp.chmod(mode)
        tmp.replace(path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from exc


def atomic_write_text(path: Path, text: str) -> None:
    """Write UTF-8 ``text`` atomically (no newline translation)."""
    atomic_write_bytes(path, text.encode("utf-8"))


def ensure_writable(path: Path) -> None:
    """Fail early, before any work is done, when ``path`` could not be written later."""
    target = path if path.exists() else path.parent
    while not target.exists():
        target = target.parent
    if path.exists() and path.is_dir():
        raise UsageError(f"cannot write {path}: it is a directory")
    if not os.access(target, os.W_OK):
        raise UsageError(f"cannot write {path}: permission denied")
