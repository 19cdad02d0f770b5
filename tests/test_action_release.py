"""release.yml, run for real under act: publishing vX.Y.Z moves the major tag (v1) on origin."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from stubs.act import ACT, REPO, run_act

pytestmark = [
    pytest.mark.act,
    pytest.mark.skipif(not ACT.exists(), reason="act is not installed in .venv"),
]


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A clone with two releases' worth of commits and a bare origin that has v1 on the first."""
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(origin)], check=True)
    work = tmp_path / "work"
    (work / ".github" / "workflows").mkdir(parents=True)
    shutil.copy2(REPO / ".github" / "workflows" / "release.yml", work / ".github" / "workflows")
    git(work, "init", "-q", "-b", "main")
    git(work, "add", "--all")
    git(work, "commit", "-q", "-m", "v1.0.0")
    git(work, "tag", "v1.0.0")
    git(work, "tag", "v1")
    (work / "CHANGELOG.md").write_text("1.1.0\n", "utf-8")
    git(work, "add", "--all")
    git(work, "commit", "-q", "-m", "v1.1.0")
    git(work, "tag", "v1.1.0")
    git(work, "tag", "not-a-release")
    git(work, "remote", "add", "origin", str(origin))
    git(work, "push", "-q", "origin", "main", "v1.0.0", "v1")
    return work


def release(repo: Path, tag: str, home: Path) -> int:
    run = run_act(
        repo,
        event="release",
        payload={"action": "published", "release": {"tag_name": tag}},
        workflow=".github/workflows/release.yml",
        home=home,
    )
    return run.returncode


def test_publishing_a_release_moves_the_major_tag(repo: Path, tmp_path: Path) -> None:
    origin = tmp_path / "origin.git"
    assert git(origin, "rev-parse", "v1") == git(repo, "rev-parse", "v1.0.0")
    assert release(repo, "v1.1.0", tmp_path / "home") == 0
    assert git(origin, "rev-parse", "v1^{commit}") == git(repo, "rev-parse", "v1.1.0^{commit}")


def test_a_tag_that_is_not_a_release_moves_nothing(repo: Path, tmp_path: Path) -> None:
    origin = tmp_path / "origin.git"
    assert release(repo, "not-a-release", tmp_path / "home") != 0
    assert git(origin, "rev-parse", "v1") == git(repo, "rev-parse", "v1.0.0")
