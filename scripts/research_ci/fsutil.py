"""Files research-ci reads and writes: regular files only, inside their project, bounded.

A checked project is untrusted: its README, ``pyproject.toml``, report or schema may be a
symlink to a file elsewhere, a FIFO that never ends, a device that never stops (``/dev/zero``)
or a file of many gigabytes. Every read and write goes through this module, which refuses
(a one-line :class:`UsageError`, exit 2, nothing changed):

* a path whose target, symlinks resolved, leaves its boundary: the project when the path is
  in one, else the directory the path names;
* anything but a regular file (directory, FIFO, socket, device);
* a file larger than the read's limit;
* writing over a read-only file.

Writes are atomic (a temporary file in the same directory, then a rename): a crash, a full
disk, Ctrl-C or SIGTERM never leaves a half-written README or report, nor the temporary file.
A new file gets the permissions the umask allows (``0o666 & ~umask``); an existing one keeps
its own.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from research_ci.errors import UsageError

MIB = 1024 * 1024
#: READMEs, pyproject.toml, schemas, SVG badges, generated pages.
MAX_TEXT_BYTES = 16 * MIB
#: Reports: 200,000 findings take about 60 MB.
MAX_REPORT_BYTES = 512 * MIB

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def _kind(mode: int) -> str:
    for test, name in _KINDS:
        if test(mode):
            return name
    return "not a regular file"


def _size(count: int) -> str:
    return f"{count / MIB:.0f} MB" if count >= MIB else f"{count} bytes"


def boundary(path: Path, project: Path | None = None) -> Path:
    """Where ``path`` must stay: ``project`` when ``path`` is in it, else the folder it names.

    Both are taken as written (``..`` folded, symlinks not followed), so a symlink anywhere in
    the project, or a file that is a symlink, cannot lead out of them.
    """
    lexical = Path(os.path.abspath(path))  # noqa: PTH100  (lexical: symlinks not followed)
    if project is not None:
        root = Path(os.path.abspath(project))  # noqa: PTH100
        if lexical == root or root in lexical.parents:
            return root
    return lexical.parent


def confined(path: Path, within: Path) -> Path:
    """``path`` with its symlinks resolved; a :class:`UsageError` when that leaves ``within``."""
    try:
        resolved = path.resolve()
        root = within.resolve()
    except (OSError, RuntimeError) as exc:  # a symlink loop
        raise UsageError(f"cannot resolve {path}: {exc}") from exc
    if resolved != root and root not in resolved.parents:
        raise UsageError(
            f"{path} leads outside {within} (to {resolved}); research-ci does not follow "
            "symlinks out of the project"
        )
    return resolved


def read_bytes(path: Path, *, limit: int = MAX_TEXT_BYTES, within: Path | None = None) -> bytes:
    """The bytes of the regular file ``path``, at most ``limit`` of them.

    With ``within``, a path that leads outside it is refused. ``FileNotFoundError`` and other
    :class:`OSError` are left to the caller (each says what is missing in its own words);
    the refusals of this module are :class:`UsageError`.
    """
    if within is not None:
        confined(path, within)
    # O_NONBLOCK: opening a FIFO without a writer returns at once (and is refused below).
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UsageError(f"cannot read {path}: it is {_kind(info.st_mode)}, not a file")
        if info.st_size > limit:
            raise UsageError(
                f"cannot read {path}: it is {_size(info.st_size)}, over the limit of {_size(limit)}"
            )
        chunks: list[bytes] = []
        remaining = limit + 1
        while remaining > 0:
            chunk = os.read(fd, min(remaining, MIB))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > limit:  # it grew while being read
        raise UsageError(f"cannot read {path}: it is over the limit of {_size(limit)}")
    return data


def read_text(path: Path, *, limit: int = MAX_TEXT_BYTES, within: Path | None = None) -> str:
    """:func:`read_bytes` decoded as UTF-8 (a :class:`UnicodeDecodeError` when it is not)."""
    return read_bytes(path, limit=limit, within=within).decode("utf-8")


@contextlib.contextmanager
def read_errors(path: Path, what: str, *, hint: str | None = None) -> Iterator[None]:
    """Turn the errors of reading the ``what`` at ``path`` into one-line :class:`UsageError` s.

    ``{what} not found: {path} ({hint})``, or ``cannot read {what} {path}: {reason}`` for any
    other :class:`OSError` and for a file that is not UTF-8 text.
    """
    try:
        yield
    except FileNotFoundError as exc:
        advice = f" ({hint})" if hint else ""
        raise UsageError(f"{what} not found: {path}{advice}") from exc
    except OSError as exc:
        raise UsageError(f"cannot read {what} {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise UsageError(f"cannot read {what} {path}: not UTF-8 text (byte {exc.start})") from exc


def current_umask() -> int:
    """The process's umask (Linux tells it without changing it, which threads would race)."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def writable_target(path: Path, *, within: Path | None = None) -> Path:
    """The file a write of ``path`` replaces (symlinks resolved), refused when it must not be.

    Refused: a target outside ``within`` (default: the folder ``path`` names), a target that
    exists and is not a regular file, a read-only file, a folder that cannot be written.
    """
    target = confined(path, within if within is not None else boundary(path))
    try:
        info: os.stat_result | None = target.stat()
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from exc
    if info is not None:
        if not stat.S_ISREG(info.st_mode):
            raise UsageError(f"cannot write {path}: it is {_kind(info.st_mode)}, not a file")
        if not info.st_mode & 0o222 or not os.access(target, os.W_OK):
            raise UsageError(f"cannot write {path}: the file is read-only")
    existing = target.parent
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise UsageError(f"cannot write {path}: {existing} is not a directory")
    if not os.access(existing, os.W_OK):
        raise UsageError(f"cannot write {path}: permission denied")
    return target


def _temporary_copy(target: Path, data: bytes) -> Path:
    """``data`` in a complete temporary file beside ``target``, with the mode it will have."""
    target.parent.mkdir(parents=True, exist_ok=True)
    mode = target.stat().st_mode & 0o7777 if target.exists() else 0o666 & ~current_umask()
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.chmod(mode)
    except BaseException:
        _remove(tmp)
        raise
    return tmp


def atomic_write_all(files: dict[Path, bytes], *, within: Path | None = None) -> None:
    """Write every file or none, each through a temporary file in its folder and a rename.

    Every target is checked (:func:`writable_target`) and every temporary file completed
    before the first rename: a refusal, a full disk, Ctrl-C or SIGTERM before then leaves
    every target as it was, and no temporary file behind. A path may be a symlink that stays
    ``within`` its boundary: its target is replaced and the link kept. An existing file keeps
    its permission bits; a new one gets ``0o666 & ~umask``.
    """
    targets = {path: writable_target(path, within=within) for path in files}
    written: list[tuple[Path, Path, Path]] = []
    current = next(iter(files), Path())
    try:
        for path, data in files.items():
            current = path
            written.append((_temporary_copy(targets[path], data), targets[path], path))
        for tmp, target, path in written:
            current = path
            tmp.replace(target)
    except OSError as exc:
        for tmp, _, _ in written:
            _remove(tmp)
        raise UsageError(f"cannot write {current}: {exc.strerror or exc}") from exc
    except BaseException:
        for tmp, _, _ in written:
            _remove(tmp)
        raise


def atomic_write_bytes(path: Path, data: bytes, *, within: Path | None = None) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_write_all`)."""
    atomic_write_all({path: data}, within=within)


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


def atomic_write_text(path: Path, text: str, *, within: Path | None = None) -> None:
    """Write UTF-8 ``text`` atomically (no newline translation)."""
    atomic_write_bytes(path, text.encode("utf-8"), within=within)


def ensure_writable(path: Path, *, within: Path | None = None) -> None:
    """Fail early, before any work is done, when ``path`` could not be written later."""
    writable_target(path, within=within)
