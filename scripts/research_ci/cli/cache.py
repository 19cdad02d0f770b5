"""``research-ci cache list|prune``: what the per-user cache holds, and freeing it.

The rules (what is in use, symlinks, the automatic age rule) are
:mod:`research_ci.data.cache_prune`'s; this module prints.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from research_ci.data.cache_prune import Item, Pruned, cache_items, human_size, prune
from research_ci.errors import EXIT_OK, UsageError
from research_ci.words import plural


@click.group()
def cache() -> None:
    """List and prune research-ci's per-user cache.

    It is $RESEARCH_CI_CACHE_DIR, else $XDG_CACHE_HOME/research-ci, else ~/.cache/research-ci,
    and holds the data environments (TensorFlow Data Validation, about 2.5 GB each, one per
    lock and Python) and the tool environments research-ci makes.
    """


def _inventory() -> tuple[Path, list[Item], str]:
    """The cache, its items, and why the data environment in use is unknown ('' if known)."""
    from research_ci.cache import cache_dir
    from research_ci.data.provision import ProvisionError, current_environment

    root = cache_dir()
    if root.exists() and not root.is_dir():
        raise UsageError(f"the cache {root} is not a directory: fix or unset RESEARCH_CI_CACHE_DIR")
    try:
        current: Path | None = current_environment(root)
        unknown = ""
    except ProvisionError as exc:
        current, unknown = None, str(exc)
    return root, cache_items(root, current), unknown


def _when(moment: float, now: float) -> str:
    days = int((now - moment) // 86400)
    ago = "today" if days <= 0 else f"{plural(days, 'day')} ago"
    return f"{time.strftime('%Y-%m-%d %H:%M', time.localtime(moment))} ({ago})"


def _used(item: Item) -> str:
    return {True: "yes", False: "no", None: "-"}[item.current]


def _what(item: Item) -> str:
    return f"{item.what} of {item.family}" if item.family else item.what


@cache.command(name="list")
def list_items() -> int:
    """List each cached item: name, size on disk, last use, whether this research-ci uses it.

    LAST USED is when a run last used a data environment (when it was made, for the other
    items). USED says whether this research-ci would run its data commands in that data
    environment (- for the other items). SIZE counts files hard-linked from uv's cache once.
    """
    root, items, unknown = _inventory()
    if unknown:
        click.echo(
            f"research-ci: cannot tell which data environment is in use: {unknown}", err=True
        )
    if not items:
        click.echo(f"the cache {root} is empty")
        return EXIT_OK
    from research_ci.data.provision import progress_status

    now = time.time()
    rows = [("NAME", "SIZE", "LAST USED", "USED", "WHAT")]
    with progress_status("research-ci: measuring the cache", enabled=sys.stderr.isatty()):
        rows += [
            (item.name, human_size(item.size), _when(item.last_used, now), _used(item), _what(item))
            for item in items
        ]
    widths = [max(len(row[column]) for row in rows) for column in range(4)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        click.echo("  ".join([*cells, row[4]]))
    total = sum(item.size for item in items)
    click.echo(f"{len(items)} items, {human_size(total)} in {root}")
    return EXIT_OK


def _report(outcome: Pruned, root: Path, *, dry_run: bool) -> None:
    verb = "would remove" if dry_run else "removed"
    for item in outcome.removed:
        click.echo(f"{verb} {item.name} ({human_size(item.size)}, {_what(item)})")
    for item, reason in outcome.kept:
        click.echo(f"kept {item.name}: {reason}")
    if not outcome.removed:
        click.echo(f"nothing to remove in {root}")
        return
    count = len(outcome.removed)
    click.echo(
        f"{'would free' if dry_run else 'freed'} {human_size(outcome.freed)} "
        f"({plural(count, 'item')}; files hard-linked from uv's cache stay "
        "there until `uv cache prune`)"
    )


@cache.command(name="prune")
@click.option(
    "--all", "everything", is_flag=True, help="Remove everything in the cache that is not in use."
)
@click.option("--dry-run", is_flag=True, help="Say what would be removed and what it frees.")
def prune_items(everything: bool, dry_run: bool) -> int:
    """Remove the data environments this research-ci would not use.

    Also removes what unfinished data builds left. With --all, removes everything (tool
    environments too: the next run makes again what it needs). Nothing another research-ci is
    building or running with is removed; symlinks are removed as links, never followed.
    """
    from research_ci.data.provision import progress_status

    root, items, unknown = _inventory()
    if unknown and not everything:
        click.echo(
            f"research-ci: cannot tell which data environment is in use ({unknown}): "
            "keeping every finished one (--all removes them too)",
            err=True,
        )
    with progress_status("research-ci: measuring the cache", enabled=sys.stderr.isatty()):
        outcome = prune(items, everything=everything, dry_run=dry_run)
    _report(outcome, root, dry_run=dry_run)
    return EXIT_OK
