"""research-ci's per-user cache: environments made once and shared by every run.

``$RESEARCH_CI_CACHE_DIR``, else ``$XDG_CACHE_HOME/research-ci``, else ``~/.cache/research-ci``
(``~/Library/Caches/research-ci`` on macOS). An entry (say ``tools/ruff-0.3.0``) is built in a
temporary directory beside it and renamed into place only when complete, with a stamp file
written last: a failed or interrupted build is never reused, and two runs that build the same
entry at once both succeed (the second rename loses, and its copy is removed).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

CACHE_ENV_VAR = "RESEARCH_CI_CACHE_DIR"
#: Written last into a complete entry, before it is renamed into place.
STAMP = "research-ci-cache.json"
#: Leftovers of builds older than this are removed by the next build of the same kind.
STALE_AFTER_S = 3600.0


def cache_dir() -> Path:
    """The per-user cache of research-ci."""
    configured = os.environ.get(CACHE_ENV_VAR)
    if configured:
        return Path(configured).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg:
        return Path(xdg) / "research-ci"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "research-ci"
    return Path.home() / ".cache" / "research-ci"


def is_complete(entry: Path) -> bool:
    """True for an entry whose build finished (its stamp exists)."""
    return (entry / STAMP).is_file()


def _remove_stale(parent: Path) -> None:
    now = time.time()
    for leftover in parent.glob(".tmp-*"):
        with contextlib.suppress(OSError):
            if now - leftover.stat().st_mtime > STALE_AFTER_S:
                shutil.rmtree(leftover, ignore_errors=True)


def cached_entry(
    kind: str, name: str, build: Callable[[Path], None], *, stamp: Mapping[str, Any]
) -> Path:
    """``cache/kind/name``: reused when complete, else made by ``build(directory)`` once.

    ``build`` fills the directory it is given (which does not exist yet); whatever it raises
    propagates, and its partial work is removed. ``stamp`` is recorded in the entry.
    """
    parent = cache_dir() / kind
    entry = parent / name
    if is_complete(entry):
        return entry
    parent.mkdir(parents=True, exist_ok=True)
    _remove_stale(parent)
    if entry.exists():  # not complete: an older, interrupted build
        shutil.rmtree(entry, ignore_errors=True)
    staging = Path(tempfile.mkdtemp(prefix=f".tmp-{name}-", dir=parent))
    try:
        target = staging / name
        build(target)
        (target / STAMP).write_text(json.dumps(dict(stamp), indent=2) + "\n", encoding="utf-8")
        with contextlib.suppress(OSError):  # another run finished the same entry first
            target.rename(entry)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if not is_complete(entry):
        raise OSError(f"cannot create {entry}")
    return entry
