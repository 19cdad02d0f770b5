"""Old data environments do not pile up in the cache, and nothing in use is ever removed.

The caches here are real directory trees shaped like research-ci's: data environments named by
:func:`provision.environment_name` and finished the way :func:`provision.provision` finishes
them (``bin/python`` and the stamp written last, so that :func:`provision.is_complete` holds),
with small files instead of TensorFlow. The processes that hold an environment are real
processes holding the real lock (:func:`provision.hold`), and the symlinks point at real
directories outside the cache.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from research_ci.cache import STAMP as TOOL_STAMP
from research_ci.cli import main
from research_ci.data import provision
from research_ci.data.cache_prune import (
    MAX_AGE_DAYS,
    Item,
    cache_items,
    freed_by,
    human_size,
    inodes,
    prune,
    remove_unused,
)
from research_ci.environment import uv_binary

DAY = 86400.0
LOCK = b"tensorflow-data-validation==1.16.1\n"


def identity(version: str) -> dict[str, str]:
    return {"implementation": "cpython", "version": version, "base": "/usr", "machine": "x86_64"}


def make_env(
    cache: Path,
    version: str = "3.11.7",
    *,
    lock: bytes = LOCK,
    lock_name: str = "requirements.txt",
    age_days: float = 0.0,
    name: str | None = None,
) -> Path:
    """A finished data environment of ``lock`` for Python ``version``, last used days ago."""
    env = cache / "data" / (name or provision.environment_name(lock, identity(version)))
    (env / "bin").mkdir(parents=True)
    (env / "bin" / "python").write_bytes(b"#!/bin/sh\n")
    site = env / "lib" / "python3.11" / "site-packages" / "tensorflow_data_validation"
    site.mkdir(parents=True)
    (site / "__init__.py").write_bytes(b"x" * 20_000)
    stamp = {"lock": lock_name, "lock_sha256": "0" * 64, "interpreter": identity(version)}
    (env / provision.STAMP).write_text(json.dumps(stamp), encoding="utf-8")
    used = time.time() - age_days * DAY
    os.utime(env / provision.STAMP, (used, used))
    assert provision.is_complete(env)
    return env


def make_tool(cache: Path, name: str = "ruff-0.15.22") -> Path:
    entry = cache / "tools" / name
    (entry / "bin").mkdir(parents=True)
    (entry / "bin" / "ruff").write_bytes(b"r" * 5_000)
    (entry / TOOL_STAMP).write_text("{}", encoding="utf-8")
    return entry


def names(items: list[Item]) -> set[str]:
    return {item.name for item in items}


HOLDER = textwrap.dedent("""
    import fcntl, sys
    from pathlib import Path
    from research_ci.data import provision

    env = Path(sys.stdin.readline().strip())  # not on the command line: /proc would show it
    mode = sys.stdin.readline().strip()
    if mode == "use":
        assert provision.hold(env)
    else:  # building, as provision() does
        handle = provision.lock_path(env).open("a")
        fcntl.flock(handle, fcntl.LOCK_EX)
    print("held", flush=True)
    sys.stdin.readline()
    """)


@pytest.fixture
def holder() -> Iterator[list[subprocess.Popen[str]]]:
    """Start processes that hold an environment's lock; they stop at the end of the test."""
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        assert process.stdin is not None
        assert process.stdout is not None
        process.stdin.close()
        process.wait(timeout=30)
        process.stdout.close()


def hold_in_another_process(
    started: list[subprocess.Popen[str]], env: Path, mode: str = "use"
) -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    started.append(process)
    assert process.stdin is not None
    assert process.stdout is not None
    process.stdin.write(f"{env}\n{mode}\n")
    process.stdin.flush()
    assert process.stdout.readline().strip() == "held"


# --------------------------------------------------------------------------- listing


def test_the_list_names_sizes_and_marks_the_environment_in_use(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    current = make_env(cache)
    old = make_env(cache, "3.11.2", age_days=3)
    make_tool(cache)
    leftover = cache / "data" / f".tmp-{current.name}-abc123"
    leftover.mkdir()
    items = {item.name: item for item in cache_items(cache, current)}
    assert set(items) == {
        f"data/{current.name}",
        f"data/{old.name}",
        f"data/{leftover.name}",
        "tools/ruff-0.15.22",
    }
    assert items[f"data/{current.name}"].current is True
    assert items[f"data/{old.name}"].current is False
    assert items[f"data/{old.name}"].family == "requirements.txt"
    assert items["tools/ruff-0.15.22"].current is None
    assert items[f"data/{leftover.name}"].what == "leftover of an unfinished build"
    assert items[f"data/{old.name}"].size >= 20_000
    assert time.time() - items[f"data/{old.name}"].last_used == pytest.approx(3 * DAY, abs=60)


def test_the_size_counts_hard_linked_files_once_and_frees_only_the_cache_s_own(
    tmp_path: Path,
) -> None:
    env = make_env(tmp_path / "cache")
    uv_cache = tmp_path / "uv-cache" / "numpy.py"  # uv links its cache's files into the env
    uv_cache.parent.mkdir()
    uv_cache.write_bytes(b"n" * 100_000)
    (env / "lib" / "numpy.py").hardlink_to(uv_cache)
    (env / "lib" / "numpy-again.py").hardlink_to(uv_cache)
    tree = inodes(env)
    own = freed_by([tree])
    assert sum(size for size, _, _ in tree.values()) - own >= 100_000  # counted once, not freed
    assert own >= 20_000
    uv_cache.unlink()
    assert freed_by([inodes(env)]) >= own + 100_000  # now only the environment links it


# --------------------------------------------------------------------------- pruning


def test_prune_removes_the_environments_this_research_ci_would_not_use(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    current = make_env(cache)
    old = make_env(cache, "3.11.2")
    newer_lock = make_env(cache, lock=b"tensorflow-data-validation==1.21.0\n")
    unfinished = make_env(cache, "3.11.4")
    (unfinished / provision.STAMP).unlink()
    tool = make_tool(cache)
    outcome = prune(cache_items(cache, current))
    assert names(outcome.removed) == {
        f"data/{old.name}",
        f"data/{newer_lock.name}",
        f"data/{unfinished.name}",
    }
    assert not outcome.kept
    assert outcome.freed >= 3 * 20_000
    assert sorted(path.name for path in (cache / "data").iterdir() if path.is_dir()) == [
        current.name
    ]
    assert provision.is_complete(current)
    assert tool.is_dir()
    assert provision.lock_path(old).is_file()  # lock files are never deleted


def test_a_dry_run_removes_nothing_and_says_what_it_would_free(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    current = make_env(cache)
    old = make_env(cache, "3.11.2")
    before = sorted(cache.rglob("*"))
    outcome = prune(cache_items(cache, current), dry_run=True)
    assert names(outcome.removed) == {f"data/{old.name}"}
    assert outcome.freed >= 20_000
    assert sorted(cache.rglob("*")) == before  # not even a lock file


def test_what_research_ci_did_not_make_goes_only_with_all(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    notes = cache / "data" / "notes.txt"
    notes.parent.mkdir(parents=True)
    notes.write_text("mine", encoding="utf-8")
    assert not prune(cache_items(cache, cache / "data" / "py3.11.7-other")).removed
    assert notes.is_file()
    assert names(prune(cache_items(cache, None), everything=True).removed) == {"data/notes.txt"}
    assert not notes.exists()


def test_without_knowing_the_environment_in_use_only_unfinished_builds_go(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    finished = make_env(cache)
    leftover = cache / "data" / f".tmp-{finished.name}-zz9"
    (leftover / "venv").mkdir(parents=True)
    outcome = prune(cache_items(cache, None))
    assert names(outcome.removed) == {f"data/{leftover.name}"}
    assert provision.is_complete(finished)
    assert not leftover.exists()


def test_all_removes_everything_but_what_another_process_holds(
    tmp_path: Path, holder: list[subprocess.Popen[str]]
) -> None:
    cache = tmp_path / "cache"
    used = make_env(cache)
    building = make_env(cache, "3.11.5")
    (building / provision.STAMP).unlink()  # still being built: no stamp yet
    staging = cache / "data" / f".tmp-{building.name}-k2j4"
    staging.mkdir()
    free = make_env(cache, "3.11.2")
    tool = make_tool(cache)
    hold_in_another_process(holder, used, "use")
    hold_in_another_process(holder, building, "build")
    outcome = prune(cache_items(cache, None), everything=True)
    assert names(outcome.removed) == {f"data/{free.name}", "tools/ruff-0.15.22"}
    kept = {item.name: reason for item, reason in outcome.kept}
    assert set(kept) == {f"data/{used.name}", f"data/{building.name}", f"data/{staging.name}"}
    assert "another research-ci" in kept[f"data/{used.name}"]
    assert provision.is_complete(used)
    assert building.is_dir()
    assert staging.is_dir()
    assert not free.exists()
    assert not tool.exists()


def test_an_environment_a_process_names_is_kept_even_without_its_lock(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    env = make_env(cache, "3.11.2")
    python = env / "bin" / "python"
    # An older research-ci takes no lock: its command line names the environment's Python.
    process = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()", str(python)],
        stdin=subprocess.PIPE,
    )
    try:
        outcome = prune(cache_items(cache, cache / "data" / "py3.11.7-other"))
    finally:
        assert process.stdin is not None
        process.stdin.close()
        process.wait(timeout=30)
    assert [(item.name, reason) for item, reason in outcome.kept] == [
        (f"data/{env.name}", f"in use by process {process.pid}")
    ]
    assert provision.is_complete(env)


def test_symlinks_in_the_cache_are_removed_as_links_never_followed(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    outside = tmp_path / "outside"
    (outside / "precious").mkdir(parents=True)
    (outside / "precious" / "data.csv").write_bytes(b"p" * 1_000_000)
    env = make_env(cache, "3.11.2")
    (env / "lib" / "escape").symlink_to(outside / "precious")
    link = cache / "data" / "py3.11.0-0123456789abcdef"
    link.symlink_to(outside / "precious")
    outcome = prune(cache_items(cache, cache / "data" / "py3.11.7-other"), everything=True)
    assert names(outcome.removed) == {f"data/{env.name}", f"data/{link.name}"}
    assert outcome.freed < 1_000_000  # the target's megabyte is not the cache's
    assert not env.exists()
    assert not link.is_symlink()
    assert (outside / "precious" / "data.csv").stat().st_size == 1_000_000


def test_a_fresh_leftover_of_a_tool_build_is_kept_an_old_one_removed(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    fresh = cache / "tools" / ".tmp-ruff-0.3.0-abc"
    stale = cache / "tools" / ".tmp-ruff-0.3.4-def"
    fresh.mkdir(parents=True)
    stale.mkdir()
    two_hours_ago = time.time() - 7200
    os.utime(stale, (two_hours_ago, two_hours_ago))
    outcome = prune(cache_items(cache, None), everything=True)
    assert names(outcome.removed) == {"tools/.tmp-ruff-0.3.4-def"}
    assert fresh.is_dir()
    assert not stale.exists()


# --------------------------------------------------------------------------- the age rule


def test_after_a_build_the_lock_s_environments_unused_for_long_are_removed(
    tmp_path: Path, holder: list[subprocess.Popen[str]]
) -> None:
    cache = tmp_path / "cache"
    new = make_env(cache, lock=b"tensorflow-data-validation==1.16.2\n")
    stale = make_env(cache, "3.11.2", age_days=MAX_AGE_DAYS + 5)
    stale_but_held = make_env(cache, "3.11.3", age_days=MAX_AGE_DAYS + 5)
    recent = make_env(cache, "3.11.4", age_days=MAX_AGE_DAYS - 5)  # another research-ci's
    other_lock = make_env(
        cache, "3.12.3", lock_name="requirements-py312.txt", age_days=MAX_AGE_DAYS + 5
    )
    hold_in_another_process(holder, stale_but_held, "use")
    lines: list[str] = []
    outcome = remove_unused(new, announce=lines.append)
    assert names(outcome.removed) == {f"data/{stale.name}"}
    assert not stale.exists()
    for kept in (new, stale_but_held, recent, other_lock):
        assert provision.is_complete(kept), kept
    assert len(lines) == 1
    expected = f"removed 1 data environment of requirements.txt that no run used for {MAX_AGE_DAYS}"
    assert expected in lines[0]
    assert stale.name in lines[0]
    assert "freed" in lines[0]


def test_building_a_new_environment_removes_the_lock_s_old_ones(tmp_path: Path) -> None:
    """The real provisioning (uv, a lock that pins nothing: no network, under a second)."""
    cache = tmp_path / "cache"
    old = make_env(cache, "3.11.2", age_days=MAX_AGE_DAYS + 1)
    recent = make_env(cache, "3.11.3", age_days=MAX_AGE_DAYS - 1)
    lock = tmp_path / "requirements.txt"
    lock.write_text("# nothing pinned\n", encoding="utf-8")
    lines: list[str] = []
    env = provision.provision(
        lock, Path(sys.executable), cache=cache, uv=uv_binary(), announce=lines.append
    )
    assert provision.is_complete(env)
    assert not old.exists()
    assert provision.is_complete(recent)
    assert len(lines) == 2  # installing..., removed...
    assert lines[1].startswith("research-ci: removed 1 data environment of requirements.txt")
    assert old.name in lines[1]
    assert (
        provision.provision(
            lock, Path(sys.executable), cache=cache, uv=uv_binary(), announce=lines.append
        )
        == env
    )
    assert len(lines) == 2  # reused: nothing built, nothing said


def test_nothing_old_means_nothing_said(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    new = make_env(cache)
    make_env(cache, "3.11.2", age_days=1)
    lines: list[str] = []
    assert not remove_unused(new, announce=lines.append).removed
    assert lines == []


def test_a_reused_environment_is_marked_used_and_held(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    lock = tmp_path / "requirements.txt"
    lock.write_bytes(LOCK)
    name = provision.environment_name(LOCK, provision.interpreter_identity(Path(sys.executable)))
    env = make_env(cache, name=name, age_days=MAX_AGE_DAYS + 5)
    found = provision.provision(
        lock, Path(sys.executable), cache=cache, uv=Path("uv-is-not-needed"), announce=print
    )
    assert found == env
    assert time.time() - (env / provision.STAMP).stat().st_mtime < 60  # young again
    assert provision.hold(env)
    assert provision.hold(env)
    outcome = prune(cache_items(cache, None), everything=True)  # this process holds it
    assert not outcome.removed
    assert provision.is_complete(env)


def test_an_environment_removed_before_it_is_held_is_not_used(tmp_path: Path) -> None:
    env = make_env(tmp_path / "cache")
    (env / provision.STAMP).unlink()
    assert not provision.hold(env)


# --------------------------------------------------------------------------- the command


@pytest.fixture
def user_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "user-cache"
    monkeypatch.setenv("RESEARCH_CI_CACHE_DIR", str(cache))
    return cache


def test_cache_list_and_prune_on_the_command_line(
    user_cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    current = provision.current_environment(user_cache)
    make_env(user_cache, name=current.name)
    old = make_env(user_cache, "3.11.2", age_days=2)
    make_tool(user_cache)
    assert main(["cache", "list"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert listed[0].split() == ["NAME", "SIZE", "LAST", "USED", "USED", "WHAT"]
    used = {line.split()[0]: re.findall(r"\)\s+(yes|no|-)\s", line)[0] for line in listed[1:-1]}
    assert used == {
        f"data/{current.name}": "yes",
        f"data/{old.name}": "no",
        "tools/ruff-0.15.22": "-",
    }
    assert "(2 days ago)" in next(line for line in listed if old.name in line)
    assert listed[-1].startswith("3 items, ")
    assert listed[-1].endswith(str(user_cache))

    assert main(["cache", "prune", "--dry-run"]) == 0
    said = capsys.readouterr().out
    assert f"would remove data/{old.name}" in said
    assert "would free" in said
    assert provision.is_complete(old)

    assert main(["cache", "prune"]) == 0
    said = capsys.readouterr().out
    assert f"removed data/{old.name}" in said
    assert "freed" in said
    assert not old.exists()
    assert provision.is_complete(current)

    assert main(["cache", "prune", "--all"]) == 0
    assert capsys.readouterr().out.count("removed ") == 2
    left = sorted(path.relative_to(user_cache).as_posix() for path in user_cache.rglob("*"))
    assert left == sorted(["data", f"data/{current.name}.lock", f"data/{old.name}.lock", "tools"])


def test_the_command_says_what_it_kept_and_why(
    user_cache: Path, holder: list[subprocess.Popen[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    held = make_env(user_cache, "3.11.2")
    hold_in_another_process(holder, held, "use")
    assert main(["cache", "prune", "--all"]) == 0
    said = capsys.readouterr().out.splitlines()
    assert said == [
        f"kept data/{held.name}: in use by another research-ci (it runs with it or is building it)",
        f"nothing to remove in {user_cache}",
    ]
    assert provision.is_complete(held)


def test_an_empty_cache_is_said_so(user_cache: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cache", "list"]) == 0
    assert capsys.readouterr().out.strip() == f"the cache {user_cache} is empty"
    assert main(["cache", "prune"]) == 0
    assert capsys.readouterr().out.strip() == f"nothing to remove in {user_cache}"


@pytest.mark.parametrize(
    "args",
    [["cache", "prune", "--everything"], ["cache", "list", "extra"], ["cache", "clean"]],
)
def test_bad_input_is_one_line_and_exit_2(
    args: list[str], user_cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = make_env(user_cache, "3.11.2")
    assert main(args) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.strip().splitlines()) == 1
    assert captured.err.startswith("research-ci: error: ")
    assert provision.is_complete(env)


def test_a_cache_that_is_a_file_is_refused(
    user_cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    user_cache.write_text("not a directory", encoding="utf-8")
    assert main(["cache", "prune", "--all"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "is not a directory" in err[0]
    assert user_cache.read_text(encoding="utf-8") == "not a directory"


def test_sizes_read_like_du_si() -> None:
    assert [human_size(n) for n in (0, 999, 12_000, 340_000_000, 2_500_000_000)] == [
        "0 bytes",
        "999 bytes",
        "12.0 kB",
        "340.0 MB",
        "2.5 GB",
    ]
