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
from research_ci.environment import uv_binary, venv_python

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


def test_flake8_settings_in_pyproject_get_the_notice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """cachetools and tqdm keep flake8's settings in ``[tool.flake8]`` (Flake8-pyproject).

    flake8 with that plugin applies them (a 59-character line is too long), ruff does not:
    the lint check says so once, as it does for ``.flake8``, with no points off.
    """
    project = write_files(
        tmp_path / "lib",
        {
            "pyproject.toml": """\
                [project]
                name = "lib"
                version = "0.1.0"

                [tool.flake8]
                max-line-length = 50
                extend-ignore = ["E203"]
                """,
            "lib.py": 'GREETING = "a line of sixty characters, too long for fifty"\n',
        },
    )
    flake8: list[str | Path] = [uv_binary(), "tool", "run", "--from", "flake8==7.3.0"]
    direct = run([*flake8, "--with", "Flake8-pyproject==1.2.4", "flake8", "lib.py"], project)
    assert "lib.py:1:51: E501 line too long (59 > 50 characters)" in direct.stdout
    code = main(["check", str(project), "--only", "lint", "--format", "json"])
    capsys.readouterr()
    lint = read_valid_report(project / ".research-ci" / "report.json")["checks"]["lint"]
    assert (code, lint["status"], lint["violations"]) == (0, "passed", 0)
    assert [(f["code"], f["file"], f["severity"]) for f in lint["findings"]] == [
        ("flake8-config", "pyproject.toml", "notice")
    ]
    assert lint["findings"][0]["message"].startswith(
        "ruff does not read pyproject.toml [tool.flake8] "
        "(its flake8 settings max-line-length, extend-ignore are not applied)"
    )
