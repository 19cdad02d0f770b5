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


def test_coverage_just_under_its_threshold_never_reads_as_the_threshold(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two lines of three covered, ``fail_under = 66.7``: coverage.py says it is not reached.

    The summary rounded 66.67 up ("coverage 66.7% is under the threshold 66.7%") while the
    table said 66.6%; on cachetools the table read 99.4% and the summary 99.5%.
    """
    project = write_files(
        tmp_path / "scripts",
        {
            "requirements.txt": "",
            ".coveragerc": "[run]\nsource = calc\n\n[report]\nfail_under = 66.7\n",
            "calc.py": "LIMIT = 1\n\n\ndef unused():\n    return 2\n",
            "test_calc.py": "import calc\n\n\ndef test_limit():\n    assert calc.LIMIT == 1\n",
        },
    )
    code, report = check(project, capsys)
    python = venv_python(project / ".venv")
    direct = run([python, "-m", "pytest", "-p", "no:cacheprovider", "--cov"], project)
    assert "Required test coverage of 66.7% not reached. Total coverage: 66.67%" in direct.stdout
    tests = report["checks"]["tests"]
    assert (code, tests["coverage"], tests["coverage_threshold"]) == (1, 66.67, 66.7)
    assert tests["summary"] == "coverage 66.6% is under the threshold 66.7%"
    assert report["gate"]["reasons"] == [
        "tests failed (coverage 66.6% is under the threshold 66.7%)"
    ]

    (project / ".coveragerc").write_text("[run]\nsource = calc\n\n[report]\nfail_under = 60\n")
    code, report = check(project, capsys)
    assert (code, report["checks"]["tests"]["summary"]) == (0, "1 test passed, coverage 66.6%")
