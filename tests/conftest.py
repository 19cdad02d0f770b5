"""Shared fixtures: repository paths and throwaway projects."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from research_ci.report import validate_report_dict

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


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


def data_python() -> str | None:
    """The TFDV environment's interpreter, when the test run has one."""
    return os.environ.get("RESEARCH_CI_DATA_PYTHON") or None
