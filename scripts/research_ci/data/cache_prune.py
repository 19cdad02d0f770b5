"""What research-ci's per-user cache holds, and removing what no research-ci needs any more.

The cache (:func:`research_ci.cache.cache_dir`) holds one directory per kind: ``data/`` (the
2.5 GB TFDV environments of :mod:`research_ci.data.provision`, ``py<version>-<key>``),
``code/`` (copies of an installed research_ci for them), ``tools/`` and ``overlays/`` (tool
environments of :mod:`research_ci.cache`), and the leftovers (``.tmp-*``) of builds that did not
finish. Each entry is an :class:`Item`; a data environment's *last use* is the time of its
stamp file, which every run that reuses it touches (:func:`provision.mark_used`).

Removing is safe against the other research-ci processes of the machine, whatever their
version:

- a data environment is removed only while holding its lock exclusively
  (:func:`provision.locked_if_free`): a research-ci that builds it holds it exclusively, one
  that runs with it holds it shared (:func:`provision.hold`), so neither loses it;
- an item that a running process names, on its command line or in its environment
  (``PYTHONPATH``), is never removed (Linux's ``/proc``): this protects the research-ci versions
  that take no lock while they run;
- an environment is first renamed to a leftover name, then deleted: an interrupted removal
  never leaves something that looks complete;
- symlinks are never followed: a link in the cache is removed as a link, and a link inside an
  entry is deleted, not its target; sizes count the cache's own files only.

``research-ci cache prune`` removes the data environments this research-ci would not use
(:func:`provision.current_environment`) and the leftovers of data builds; with ``--all``,
everything. After a new environment is built, :func:`remove_unused` removes the environments of
the same lock file that no run used for :data:`MAX_AGE_DAYS` days: an older research-ci in use
beside a newer one keeps its environment, because each of its runs makes it young again.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import os
import shutil
import stat
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from research_ci import cache as tool_cache
from research_ci.data import provision
from research_ci.process import Announce
from research_ci.words import plural

#: After a new data environment is built, the same lock's environments unused this long go.
MAX_AGE_DAYS = 30
MAX_AGE_S = MAX_AGE_DAYS * 86400.0
DATA = "data"
LEFTOVER = ".tmp-"
SYMLINK = "symlink (not followed)"

#: (device, inode) -> [bytes on disk, hard links, links seen in the walked trees]
Inodes = dict[tuple[int, int], list[int]]


def _walk(path: Path) -> Iterator[os.stat_result]:
    """``lstat`` of ``path`` and of everything under it, never through a symlink."""
    try:
        info = path.lstat()
    except OSError:
        return
    yield info
    if not stat.S_ISDIR(info.st_mode):
        return
    with contextlib.suppress(OSError), os.scandir(path) as entries:
        for entry in entries:
            yield from _walk(Path(entry.path))


def inodes(path: Path) -> Inodes:
    """What ``path`` occupies on disk, file by file (hard links counted once)."""
    found: Inodes = {}
    for info in _walk(path):
        key = (info.st_dev, info.st_ino)
        links = info.st_nlink if stat.S_ISREG(info.st_mode) else 1
        seen = found.setdefault(key, [info.st_blocks * 512, links, 0])
        seen[2] += 1
    return found


def freed_by(trees: Iterable[Inodes]) -> int:
    """Bytes that removing all ``trees`` gives back.

    Files hard-linked from elsewhere (uv links every package file of its cache into the
    environments) stay on disk and are not counted.
    """
    merged: Inodes = {}
    for tree in trees:
        for key, (size, links, seen) in tree.items():
            merged.setdefault(key, [size, links, 0])[2] += seen
    return sum(size for size, links, seen in merged.values() if seen >= links)


def human_size(count: int) -> str:
    """``2.5 GB``, ``340 MB``, ``12 kB``, ``0 bytes`` (decimal units, like ``du --si``)."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if count >= scale:
            return f"{count / scale:.1f} {unit}"
    return f"{count} bytes"


@dataclasses.dataclass
class Item:
    """One entry of the cache (``data/py3.11.7-25d85857279964e8``)."""

    path: Path
    #: Relative to the cache, with ``/``.
    name: str
    what: str
    #: When a run last used it (its stamp's time; else the entry's own).
    last_used: float
    #: True or False for a finished data environment when the one this research-ci would use is
    #: known; None for everything else.
    current: bool | None = None
    #: The lock file a data environment was made from (``requirements.txt``).
    family: str = ""

    @functools.cached_property
    def inodes(self) -> Inodes:
        """What the item occupies on disk (walked once, on demand)."""
        return inodes(self.path)

    @property
    def size(self) -> int:
        """Bytes on disk, each hard-linked file once."""
        return sum(size for size, _, _ in self.inodes.values())

    @property
    def is_data(self) -> bool:
        """A data environment or one of its leftovers."""
        return self.name.startswith(f"{DATA}/")

    @property
    def by_default(self) -> bool:
        """``cache prune`` without ``--all`` removes it."""
        made_by_us = self.path.name.startswith(("py", LEFTOVER))
        if not (self.is_data and made_by_us) or self.current is True:
            return False
        # Unless it is known to be another environment, only what is unfinished goes.
        return self.current is False or self.what not in ("data environment", SYMLINK)

    def lock(self) -> Path | None:
        """The provisioning lock of a data item (a leftover's is its environment's)."""
        if not self.is_data or self.path.is_symlink():
            return None
        name = self.path.name
        if name.startswith(LEFTOVER):
            name = name[len(LEFTOVER) :].rpartition("-")[0]
        return self.path.parent / f"{name}.lock" if name else None


def _stamp_of(entry: Path, kind: str) -> Path:
    return entry / (provision.STAMP if kind == DATA else tool_cache.STAMP)


def _family(entry: Path) -> str:
    with contextlib.suppress(OSError, ValueError):
        stamp = json.loads((entry / provision.STAMP).read_text(encoding="utf-8"))
        if isinstance(stamp, dict) and isinstance(stamp.get("lock"), str):
            return str(stamp["lock"])
    return ""


def _describe(entry: Path, kind: str) -> str:
    if entry.is_symlink():
        return SYMLINK
    if entry.name.startswith(LEFTOVER):
        return "leftover of an unfinished build"
    if not entry.is_dir():
        return "file"
    if kind == DATA:
        return "data environment" if provision.is_complete(entry) else "unfinished data environment"
    if kind == "code":
        return "research-ci code for the data environment"
    if not tool_cache.is_complete(entry):
        return f"unfinished {kind} entry"
    return {"tools": "tool environment", "overlays": "tool overlay"}.get(kind, f"{kind} entry")


def _item(entry: Path, cache: Path, kind: str, current: Path | None) -> Item:
    stamp = _stamp_of(entry, kind)
    last_used = 0.0
    with contextlib.suppress(OSError):
        last_used = entry.lstat().st_mtime
        if not entry.is_symlink() and stamp.is_file():
            last_used = stamp.stat().st_mtime
    what = _describe(entry, kind)
    item = Item(entry, entry.relative_to(cache).as_posix(), what, last_used)
    if what == "data environment":
        item.family = _family(entry)
    if kind == DATA and what in ("data environment", SYMLINK) and current is not None:
        item.current = entry.name == current.name
    return item


def _entries(directory: Path) -> list[Path]:
    with contextlib.suppress(OSError):
        return sorted(directory.iterdir())
    return []


def cache_items(cache: Path, current: Path | None) -> list[Item]:
    """Everything in ``cache``; ``current`` is the data environment this research-ci uses.

    The data environments' lock files are not items: they stay (see :func:`provision.lock_path`).
    """
    items: list[Item] = []
    for kind in _entries(cache):
        if kind.is_symlink() or not kind.is_dir():
            items.append(_item(kind, cache, "", current))
            continue
        for entry in _entries(kind):
            is_lock = entry.suffix == ".lock" and not entry.is_symlink() and entry.is_file()
            if not (kind.name == DATA and is_lock):
                items.append(_item(entry, cache, kind.name, current))
    return items


# --- who uses what -----------------------------------------------------------------------


def _process_words() -> dict[int, set[bytes]]:
    """Each other process's command-line words and environment values (split at ``:``)."""
    words: dict[int, set[bytes]] = {}
    with contextlib.suppress(OSError), os.scandir("/proc") as entries:
        for entry in entries:
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            found: set[bytes] = set()
            with contextlib.suppress(OSError):
                found.update((Path(entry.path) / "cmdline").read_bytes().split(b"\0"))
            with contextlib.suppress(OSError):
                for variable in (Path(entry.path) / "environ").read_bytes().split(b"\0"):
                    found.update(variable.partition(b"=")[2].split(b":"))
            words[int(entry.name)] = found
    return words


def _user(path: Path, words: dict[int, set[bytes]]) -> int | None:
    """A process that names ``path`` or a file under it, if any."""
    spellings = {os.fsencode(path), os.fsencode(path.parent.resolve() / path.name)}
    for pid, found in words.items():
        for word in found:
            if any(word == s or word.startswith(s + b"/") for s in spellings):
                return pid
    return None


def _delete(path: Path) -> None:
    """Remove ``path`` without following a symlink: renamed out of the way first."""
    if path.is_symlink() or not path.is_dir():
        path.unlink()
        return
    name = path.name.removeprefix(LEFTOVER)
    doomed = path.with_name(f"{LEFTOVER}{name}-removing{os.getpid()}")
    path.rename(doomed)
    shutil.rmtree(doomed)


def _take(item: Item, words: dict[int, set[bytes]], *, dry_run: bool) -> str:
    """Remove ``item`` unless something uses it: '' when removed, else why it stays."""
    pid = _user(item.path, words)
    if pid is not None:
        return f"in use by process {pid}"
    lock = item.lock()
    if lock is None or (dry_run and not lock.exists()):  # no lock file: nobody holds it
        if not dry_run:
            _delete(item.path)
        return ""
    with provision.locked_if_free(lock) as free:
        if not free:
            return "in use by another research-ci (it runs with it or is building it)"
        if not dry_run:
            _delete(item.path)
    return ""


@dataclasses.dataclass(frozen=True)
class Pruned:
    """What a prune removed (or would remove) and what it kept because it is in use."""

    removed: list[Item]
    kept: list[tuple[Item, str]]

    @property
    def freed(self) -> int:
        """Bytes given back to the disk."""
        return freed_by(item.inodes for item in self.removed)


def _fresh_leftover(item: Item, now: float) -> bool:
    """A tool build of :mod:`research_ci.cache` may still be filling it (it takes no lock)."""
    young = now - item.last_used < tool_cache.STALE_AFTER_S
    return item.lock() is None and item.path.name.startswith(LEFTOVER) and young


def prune(items: Iterable[Item], *, everything: bool = False, dry_run: bool = False) -> Pruned:
    """Remove the items ``cache prune`` removes by default (all of them with ``everything``).

    Sizes are measured before anything is removed; ``dry_run`` removes nothing.
    """
    words = _process_words()
    removed: list[Item] = []
    kept: list[tuple[Item, str]] = []
    now = time.time()
    for item in items:
        if not (everything or item.by_default):
            continue
        if _fresh_leftover(item, now):
            kept.append((item, "a build may still be filling it"))
            continue
        _ = item.inodes  # measured while it is still there
        try:
            reason = _take(item, words, dry_run=dry_run)
        except OSError as exc:
            reason = f"cannot remove it: {exc.strerror or exc}"
        if reason:
            kept.append((item, reason))
        else:
            removed.append(item)
    return Pruned(removed, kept)


def remove_unused(
    env: Path, *, announce: Announce, max_age_s: float = MAX_AGE_S, now: float | None = None
) -> Pruned:
    """After ``env`` was built, remove the old environments of its lock (the age rule).

    Those that no run used for ``max_age_s`` and that nothing uses now go; one line says what
    that freed. It never fails the run that calls it: an environment it cannot remove stays.
    """
    family = _family(env)
    moment = time.time() if now is None else now
    cache = env.parents[1]
    stale = [
        item
        for item in cache_items(cache, env)
        if item.current is False and item.family == family and moment - item.last_used > max_age_s
    ]
    outcome = prune(stale) if stale else Pruned([], [])
    if outcome.removed:
        names = ", ".join(item.path.name for item in outcome.removed)
        removed = plural(len(outcome.removed), "data environment")
        announce(
            f"research-ci: removed {removed} of {family or 'an unknown lock'} that no "
            f"run used for {max_age_s / 86400:.0f} days ({names}): "
            f"{human_size(outcome.freed)} freed"
        )
    return outcome
