"""Shared fixtures: repository paths and throwaway projects."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from adoption import write_files
from github_env import PullRequestRun, pull_request_env
from report_builders import clean_report
from research_ci.cli import main
from research_ci.report import save_report, validate_report_dict
from stubs.github_api import GitHubApiStandIn

REPO = Path(__file__).resolve().parents[1]
#: The full public datasets (optional): only tests marked ``shared_data`` may read them,
#: through the ``shared_data`` fixture; required tests read the samples in tests/data.
SHARED_DATA = Path(os.environ.get("RESEARCH_CI_SHARED_DATA") or REPO.parent / "shared" / "data")


def pytest_report_header() -> str:
    """Say whether the optional ``shared_data`` tests can run."""
    where = "present" if SHARED_DATA.is_dir() else "absent: shared_data tests deselected"
    return f"full datasets (RESEARCH_CI_SHARED_DATA): {SHARED_DATA} ({where})"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect the optional ``shared_data`` tests when the full datasets are absent.

    Deselected, not skipped: without the datasets they are not part of the suite, and the
    skip count of a fresh clone stays the count of required tests that could not run.
    """
    if SHARED_DATA.is_dir():
        return
    optional = [item for item in items if item.get_closest_marker("shared_data")]
    if optional:
        config.hook.pytest_deselected(items=optional)
        items[:] = [item for item in items if not item.get_closest_marker("shared_data")]


@pytest.fixture
def api() -> Iterator[GitHubApiStandIn]:
    """The GitHub API stand-in on 127.0.0.1 (tests/stubs/github_api.py), head ``feedface``."""
    with GitHubApiStandIn(head_sha="feedface") as server:
        yield server


@pytest.fixture
def report_path(tmp_path: Path) -> Path:
    """A clean report saved as ``report.json`` (what ``github comment`` posts)."""
    path = tmp_path / "report.json"
    save_report(clean_report(), path)
    return path


@pytest.fixture
def pull_request(
    api: GitHubApiStandIn,
    report_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> PullRequestRun:
    """A pull_request run's environment against ``api``, posting the report at ``report_path``."""
    summary = pull_request_env(monkeypatch, tmp_path, api.url)
    return PullRequestRun(api, report_path, summary, monkeypatch, capsys)


@pytest.fixture
def shared_data(request: pytest.FixtureRequest) -> Path:
    """The full datasets, for tests marked ``shared_data`` only."""
    if request.node.get_closest_marker("shared_data") is None:
        pytest.fail("only tests marked shared_data may read the full datasets; use tests/data")
    return SHARED_DATA


@pytest.fixture(scope="session", autouse=True)
def _own_research_ci_cache(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> None:
    """A research-ci cache of this test run, shared by its workers, never the user's.

    A research-ci run without RESEARCH_CI_DATA_PYTHON provisions its data environment there
    (seconds: uv links the packages from its own cache) instead of in ~/.cache/research-ci.
    """
    if os.environ.get("RESEARCH_CI_CACHE_DIR"):
        return
    base = tmp_path_factory.getbasetemp()
    shared = base if worker_id == "master" else base.parent
    os.environ["RESEARCH_CI_CACHE_DIR"] = str(shared / "research-ci-cache")


@pytest.fixture(autouse=True)
def _no_ci_colors(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep tool output plain and independent of the developer's terminal."""
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)


def read_valid_report(path: Path) -> dict[str, Any]:
    """Load a JSON report and validate it against the shipped schema."""
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    validate_report_dict(data, source=str(path))
    return data


class Checked(NamedTuple):
    """What ``research-ci check --format json`` gave."""

    code: int
    report: dict[str, Any]  # valid against the schema, and the same as printed on stdout
    phases: list[str]  # the phase lines printed on stderr (no terminal here)


class Checker:
    """``research-ci check`` on throwaway projects under a test's directory, output captured."""

    def __init__(self, root: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.root = root
        self.capsys = capsys

    def write(self, name: str, files: Mapping[str, str]) -> Path:
        """The project ``name`` (a path under the test's directory) with ``files``, dedented."""
        return write_files(self.root / name, files)

    def check(self, project: Path, *args: str) -> Checked:
        """``research-ci check PROJECT --format json ARGS``."""
        code = main(["check", str(project), "--format", "json", *args])
        printed = self.capsys.readouterr()
        report = read_valid_report(project / ".research-ci" / "report.json")
        assert json.loads(printed.out) == report
        phases = [line for line in printed.err.splitlines() if line.startswith("research-ci: ")]
        return Checked(code, report, phases)

    def write_and_check(
        self, name: str, files: Mapping[str, str], *args: str
    ) -> tuple[Path, int, dict[str, Any], list[str]]:
        """The project ``name`` written and checked: its path, then what the check gave."""
        project = self.write(name, files)
        return (project, *self.check(project, *args))


@pytest.fixture
def checker(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Checker:
    """Projects written under ``tmp_path`` and checked, the output captured by ``capsys``."""
    return Checker(tmp_path, capsys)


def data_python() -> str | None:
    """The TFDV environment's interpreter, when the test run has one."""
    return os.environ.get("RESEARCH_CI_DATA_PYTHON") or None


@pytest.fixture(autouse=True)
def _no_activated_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """research-ci uses an activated environment: the developer's must not leak into tests."""
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    monkeypatch.delenv("CONDA_PREFIX", raising=False)
    monkeypatch.delenv("CONDA_DEFAULT_ENV", raising=False)
