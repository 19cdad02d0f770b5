"""Issue 11, items 1 and 9: research-ci reads and writes regular files only, inside the project,
bounded; a refusal is exit 2, one line, and nothing changed (docs/security.md, threat model)."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from report_builders import clean_report
from research_ci import fsutil
from research_ci.errors import UsageError
from research_ci.report import save_report

README = "# Demo\n\nSome text.\n"
#: A command that hangs (a FIFO read) or reads without bound (/dev/zero) fails the test here.
TIMEOUT_S = 60


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "research_ci", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        timeout=TIMEOUT_S,
    )


def assert_refused(result: subprocess.CompletedProcess[str], fragment: str) -> None:
    assert result.returncode == 2, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert fragment in lines[0], lines[0]


def tree(root: Path) -> dict[str, tuple[str, bytes | str]]:
    """Every entry under ``root``: files with their bytes, links with their targets."""
    entries: dict[str, tuple[str, bytes | str]] = {}
    for path in sorted(root.rglob("*")):
        name = str(path.relative_to(root))
        if path.is_symlink():
            entries[name] = ("link", str(path.readlink()))
        elif path.is_file():
            entries[name] = ("file", path.read_bytes())
        elif stat.S_ISFIFO(path.lstat().st_mode):
            entries[name] = ("fifo", b"")
        else:
            entries[name] = ("dir", b"")
    return entries


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A folder with a README and a report, ready for `research-ci badge`."""
    root = tmp_path / "project"
    root.mkdir()
    (root / "README.md").write_text(README, encoding="utf-8")
    save_report(clean_report(), root / ".research-ci" / "report.json")
    return root


@pytest.fixture
def outside(tmp_path: Path) -> Iterator[Path]:
    """A file outside the project that a symlink may point at; it must never change."""
    path = tmp_path / "elsewhere" / "precious.md"
    path.parent.mkdir()
    path.write_text("# Not yours\n", encoding="utf-8")
    yield path
    assert path.read_text(encoding="utf-8") == "# Not yours\n"


# --- item 1: symlinks out of the project, special files, bounded reads ------------------------


def test_badge_refuses_a_readme_symlinked_outside_the_project(project: Path, outside: Path) -> None:
    (project / "README.md").unlink()
    (project / "README.md").symlink_to(outside)
    before = tree(project)
    assert_refused(run_cli("badge", str(project)), "leads outside")
    assert tree(project) == before


def test_badge_writes_through_a_symlink_that_stays_in_the_project(project: Path) -> None:
    docs = project / "docs" / "README.md"
    docs.parent.mkdir()
    (project / "README.md").rename(docs)
    (project / "README.md").symlink_to(Path("docs") / "README.md")
    result = run_cli("badge", str(project))
    assert result.returncode == 0, result.stderr
    assert (project / "README.md").is_symlink()
    assert "research-ci:badges:start" in docs.read_text(encoding="utf-8")


@pytest.mark.parametrize("device", ["/dev/null", "/dev/zero"])
def test_badge_refuses_a_readme_that_is_a_device(project: Path, device: str) -> None:
    (project / "README.md").unlink()
    (project / "README.md").symlink_to(device)
    assert_refused(run_cli("badge", str(project)), "README.md")
    assert stat.S_ISCHR(Path(device).stat().st_mode)  # still a device (root could replace it)


def test_badge_refuses_a_readme_that_is_a_fifo(project: Path) -> None:
    (project / "README.md").unlink()
    os.mkfifo(project / "README.md")
    assert_refused(run_cli("badge", str(project)), "a FIFO")


def test_badge_refuses_a_read_only_readme(project: Path) -> None:
    readme = project / "README.md"
    readme.chmod(0o444)
    assert_refused(run_cli("badge", str(project)), "read-only")
    assert readme.read_text(encoding="utf-8") == README
    assert stat.S_IMODE(readme.stat().st_mode) == 0o444


def test_check_refuses_a_pyproject_symlinked_outside(project: Path, outside: Path) -> None:
    (project / "pyproject.toml").symlink_to(outside)
    before = tree(project)
    assert_refused(run_cli("check", str(project)), "leads outside")
    assert tree(project) == before


@pytest.mark.parametrize("kind", ["fifo", "/dev/zero", "directory"])
def test_check_refuses_a_pyproject_that_is_not_a_file(project: Path, kind: str) -> None:
    target = project / "pyproject.toml"
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "directory":
        target.mkdir()
    else:
        # A symlink to a device leaves the project, and a device is not a file either way.
        target.symlink_to(kind)
    assert_refused(run_cli("check", str(project)), "pyproject.toml")


def test_reads_are_bounded(tmp_path: Path) -> None:
    huge = tmp_path / "pyproject.toml"
    with huge.open("wb") as handle:  # sparse: no disk used
        handle.truncate(fsutil.MAX_TEXT_BYTES + 1)
    assert_refused(run_cli("check", str(tmp_path)), "over the limit")
    report = tmp_path / "report.json"
    with report.open("wb") as handle:
        handle.truncate(fsutil.MAX_REPORT_BYTES + 1)
    assert_refused(run_cli("summary", "--report", str(report)), "over the limit")


@pytest.mark.parametrize("kind", ["fifo", "/dev/zero"])
def test_summary_refuses_a_report_that_is_not_a_file(tmp_path: Path, kind: str) -> None:
    report = tmp_path / "report.json"
    if kind == "fifo":
        os.mkfifo(report)
    else:
        report.symlink_to(kind)
    assert_refused(run_cli("summary", "--report", str(report)), "report.json")


def test_check_does_not_write_its_report_through_a_symlinked_folder(
    project: Path, tmp_path: Path
) -> None:
    """The project's `.research-ci` folder is a symlink to a folder outside the project."""
    elsewhere = tmp_path / "victim"
    elsewhere.mkdir()
    (project / "pyproject.toml").write_text('[project]\nname = "demo"\n', encoding="utf-8")
    shutil.rmtree(project / ".research-ci")
    (project / ".research-ci").symlink_to(elsewhere)
    assert_refused(run_cli("check", str(project), "--only", "format"), "leads outside")
    assert list(elsewhere.iterdir()) == []


def test_merge_does_not_write_over_a_symlink_out_of_its_folder(
    project: Path, outside: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "merged.json").symlink_to(outside)
    report = project / ".research-ci" / "report.json"
    result = run_cli("report", "merge", str(report), "--output", str(out / "merged.json"))
    assert_refused(result, "leads outside")
    assert (out / "merged.json").is_symlink()


def test_a_symlink_loop_is_refused(project: Path) -> None:
    (project / "README.md").unlink()
    (project / "README.md").symlink_to("README.md")
    assert_refused(run_cli("badge", str(project)), "README.md")


# --- item 9: all or none, interrupts, umask ---------------------------------------------------


def test_badge_svg_writes_all_or_none(project: Path) -> None:
    badges = project / "badges"
    (badges / "tests.svg").mkdir(parents=True)  # one target cannot be written
    before = tree(project)
    assert_refused(run_cli("badge", str(project), "--svg", str(badges)), "tests.svg")
    assert tree(project) == before  # no other SVG, README untouched


def test_badge_refuses_a_javascript_link(project: Path) -> None:
    before = tree(project)
    result = run_cli("badge", str(project), "--svg", "badges", "--link", "javascript:alert(1)")
    assert_refused(result, "http(s) URL")
    assert tree(project) == before


@pytest.mark.parametrize("interrupt", [KeyboardInterrupt, SystemExit])
def test_an_interrupted_write_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, interrupt: type[BaseException]
) -> None:
    target = tmp_path / "README.md"
    target.write_text(README, encoding="utf-8")

    def interrupted(fd: int) -> None:
        raise interrupt

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(interrupt):
        fsutil.atomic_write_text(target, "new")
    assert [path.name for path in tmp_path.iterdir()] == ["README.md"]
    assert target.read_text(encoding="utf-8") == README


def test_a_full_disk_during_a_write_leaves_every_file_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = tmp_path / "quality.svg", tmp_path / "tests.svg"
    first.write_text("old", encoding="utf-8")
    calls: list[int] = []
    real_fsync = os.fsync

    def full_on_the_second(fd: int) -> None:
        calls.append(fd)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", full_on_the_second)
    with pytest.raises(UsageError, match="No space left on device"):
        fsutil.atomic_write_all({first: b"new", second: b"new"})
    assert first.read_text(encoding="utf-8") == "old"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["quality.svg"]


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_new_files_honour_the_umask(tmp_path: Path, umask: int, mode: int) -> None:
    previous = os.umask(umask)
    try:
        fsutil.atomic_write_text(tmp_path / "new.json", "{}")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "new.json").stat().st_mode) == mode


def test_an_existing_file_keeps_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "script.md"
    target.write_text("x", encoding="utf-8")
    target.chmod(0o640)
    fsutil.atomic_write_text(target, "y")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
