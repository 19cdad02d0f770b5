"""Regressions found by running research-ci on real public repositories (docs/real-world.md).

Each test rebuilds, on a throwaway project, the one trait of a real repository that made
research-ci's words disagree with the tools run directly, and checks the report against those
tools. None of them needs the repositories themselves.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from adoption import run, write_files
from conftest import read_valid_report
from research_ci.cli import main
from research_ci.environment import venv_python

pytestmark = pytest.mark.slow


def check(project: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    """Exit code and report of ``research-ci check --only tests``."""
    code = main(["check", str(project), "--only", "tests", "--format", "json"])
    capsys.readouterr()
    return code, read_valid_report(project / ".research-ci" / "report.json")


def test_an_option_no_plugin_knows_is_named_in_the_finding(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """tqdm's ``addopts = --asyncio-mode=strict`` without pytest-asyncio installed.

    pytest prints its usage line, then the reason; the finding must carry the reason.
    """
    project = write_files(
        tmp_path / "scripts",
        {
            "requirements.txt": "",
            "pytest.ini": "[pytest]\naddopts = --asyncio-mode=strict\n",
            "tests/test_ok.py": "def test_ok():\n    assert True\n",
        },
    )
    code, report = check(project, capsys)
    direct = run(
        [venv_python(project / ".venv"), "-m", "pytest", "-p", "no:cacheprovider"], project
    )
    reason = "python -m pytest: error: unrecognized arguments: --asyncio-mode=strict"
    assert direct.returncode == 4
    assert reason in direct.stderr.splitlines()
    tests = report["checks"]["tests"]
    assert [finding["message"] for finding in tests["findings"]] == [
        f"pytest stopped before it collected: {reason}"
    ]
    assert (code, tests["collection_errors"], tests["coverage"]) == (1, 1, None)
