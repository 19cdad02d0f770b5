"""Regressions found by running research-ci on real public repositories (docs/real-world.md).

Each test rebuilds, on a throwaway project, the one trait of a real repository that made
research-ci's words disagree with the tools run directly, and checks the report against those
tools. None of them needs the repositories themselves.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from adoption import run, write_files
from conftest import Checker, read_valid_report
from research_ci.cli import main
from research_ci.environment import uv_binary, venv_python
from research_ci.pyproject import read_toml

pytestmark = pytest.mark.slow


def test_an_option_no_plugin_knows_is_named_in_the_finding(checker: Checker) -> None:
    """tqdm's ``addopts = --asyncio-mode=strict`` without pytest-asyncio installed.

    pytest prints its usage line, then the reason; the finding must carry the reason.
    """
    project = checker.write(
        "scripts",
        {
            "requirements.txt": "",
            "pytest.ini": "[pytest]\naddopts = --asyncio-mode=strict\n",
            "tests/test_ok.py": "def test_ok():\n    assert True\n",
        },
    )
    code, report, _ = checker.check(project, "--only", "tests")
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


def test_coverage_under_research_cis_default_costs_points_but_does_not_gate(
    checker: Checker,
) -> None:
    """pint and pypa/sampleproject set no threshold: 77 % and 75 % failed their gates on ours.

    Under research-ci's default (80 %), coverage costs points and caps the grade at B, as
    before, but the tests check passes; a threshold the project sets still gates.
    """
    project = checker.write(
        "scripts",
        {
            "requirements.txt": "",
            ".coveragerc": "[run]\nsource = calc\n",
            "calc.py": "LIMIT = 1\n\n\ndef unused():\n    return 2\n",
            "test_calc.py": "import calc\n\n\ndef test_limit():\n    assert calc.LIMIT == 1\n",
        },
    )
    code, report, _ = checker.check(project, "--only", "tests")
    tests = report["checks"]["tests"]
    assert (tests["coverage"], tests["coverage_threshold"]) == (66.67, 80)
    assert tests["coverage_threshold_from"] == "research-ci's default"
    assert tests["status"] == "passed"
    assert tests["summary"] == (
        "1 test passed, coverage 66.6% (under research-ci's default threshold)"
    )
    assert [(f["code"], f["severity"], f["message"]) for f in tests["findings"]] == [
        (
            "coverage",
            "warning",
            (
                "coverage 66.6% is under the threshold 80%, research-ci's default "
                "(the project sets none)"
            ),
        )
    ]
    assert (code, report["gate"]["passed"], report["grade"]) == (0, True, "B")
    assert report["score"] == 86  # 100 - 13.33 points of coverage under 80 %

    (project / ".coveragerc").write_text("[run]\nsource = calc\n\n[report]\nfail_under = 80\n")
    code, report, _ = checker.check(project, "--only", "tests")
    assert report["checks"]["tests"]["status"] == "failed"
    assert (code, report["gate"]["reasons"]) == (
        1,
        ["tests failed (coverage 66.6% is under the threshold 80%)"],
    )


def test_coverage_just_under_its_threshold_never_reads_as_the_threshold(checker: Checker) -> None:
    """Two lines of three covered, ``fail_under = 66.7``: coverage.py says it is not reached.

    The summary rounded 66.67 up ("coverage 66.7% is under the threshold 66.7%") while the
    table said 66.6%; on cachetools the table read 99.4% and the summary 99.5%.
    """
    project = checker.write(
        "scripts",
        {
            "requirements.txt": "",
            ".coveragerc": "[run]\nsource = calc\n\n[report]\nfail_under = 66.7\n",
            "calc.py": "LIMIT = 1\n\n\ndef unused():\n    return 2\n",
            "test_calc.py": "import calc\n\n\ndef test_limit():\n    assert calc.LIMIT == 1\n",
        },
    )
    code, report, _ = checker.check(project, "--only", "tests")
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
    code, report, _ = checker.check(project, "--only", "tests")
    assert (code, report["checks"]["tests"]["summary"]) == (0, "1 test passed, coverage 66.6%")


def test_flake8_settings_in_pyproject_are_the_lint_rules(checker: Checker) -> None:
    """cachetools and tqdm keep flake8's settings in ``[tool.flake8]`` (Flake8-pyproject).

    flake8 with that plugin applies them (a 66-character line is too long at 50); with no ruff
    configuration, ruff lints with them too, and finds what flake8 finds.
    """
    project = checker.write(
        "lib",
        {
            "pyproject.toml": """\
                [project]
                name = "lib"
                version = "0.1.0"

                [tool.flake8]
                max-line-length = 50
                extend-ignore = ["E203"]
                """,
            "lib.py": 'GREETING = "this line is longer than the fifty characters allowed"\n',
        },
    )
    flake8: list[str | Path] = [uv_binary(), "tool", "run", "--from", "flake8==7.3.0"]
    direct = run([*flake8, "--with", "Flake8-pyproject==1.2.4", "flake8", "lib.py"], project)
    assert direct.stdout.splitlines() == ["lib.py:1:51: E501 line too long (66 > 50 characters)"]
    code, report, _ = checker.check(project, "--only", "lint")
    lint = report["checks"]["lint"]
    assert (code, lint["status"], lint["violations"]) == (1, "failed", 1)
    assert [
        (f["code"], f["file"], f["line"], f["col"], f["severity"]) for f in lint["findings"]
    ] == [
        ("E501", "lib.py", 1, 51, "error"),
        ("flake8-settings", "pyproject.toml", None, None, "notice"),
    ]
    assert lint["findings"][1]["message"].startswith(
        "lint runs ruff with the project's flake8 settings from pyproject.toml [tool.flake8] ("
    )


def test_a_uv_lock_pins_the_tools_of_an_unpinned_dev_group(checker: Checker) -> None:
    """itsdangerous: ``dev = ["ruff"]`` and a ``uv.lock`` made when ruff 0.11.11 was newest.

    ``uv sync`` gives its maintainers the locked ruff; research-ci installed the newest (0.17),
    whose format check failed where the locked one passes. The lock now constrains the install.
    """
    project = checker.write(
        "locked",
        {
            "pyproject.toml": """\
                [project]
                name = "locked"
                version = "0.1.0"
                requires-python = ">=3.10"

                [dependency-groups]
                dev = ["ruff"]

                [build-system]
                requires = ["setuptools>=61"]
                build-backend = "setuptools.build_meta"

                [tool.setuptools]
                py-modules = ["locked"]
                """,
            "locked.py": "import os\n\n\ndef double(x):\n    return 2 * x\n",
        },
    )
    locking = run([uv_binary(), "lock", "--exclude-newer", "2025-06-01"], project)
    assert locking.returncode == 0, locking.stderr
    lock = read_toml(project / "uv.lock", missing="no uv.lock")
    locked = {package["name"]: package["version"] for package in lock["package"]}
    code, report, _ = checker.check(project, "--only", "format,lint")
    ruff = project / ".venv" / "bin" / "ruff"
    version = run([ruff, "--version"], project).stdout.split()[1]
    assert version == locked["ruff"] == "0.11.12"
    assert {"what": "the versions uv.lock pins", "from": "uv.lock"} in report["environment"][
        "installed"
    ]
    lint = report["checks"]["lint"]
    assert lint["tool"] == {"name": "ruff", "version": version, "from": "environment"}
    direct = run([ruff, "check", "--no-fix", "--output-format", "json", "."], project)
    assert (
        [(f["code"], f["location"]["row"]) for f in json.loads(direct.stdout)]
        == [(f["code"], f["line"]) for f in lint["findings"]]
        == [("F401", 1)]
    )
    assert code == 1

    # The project asks for a newer ruff than its lock holds (uv sync would lock again): the
    # install goes on without the lock's pins, and says so.
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"ruff"', '"ruff>=0.12"'))
    code, report, _ = checker.check(project, "--only", "lint")
    version = run([ruff, "--version"], project).stdout.split()[1]
    assert report["checks"]["lint"]["tool"]["version"] == version != locked["ruff"]
    assert [note.split(":")[0] for note in report["environment"]["notes"]] == [
        "uv.lock was not applied (out of date with the project?)"
    ]
    assert "uv.lock" not in {step["from"] for step in report["environment"]["installed"]}


def test_a_report_written_elsewhere_leaves_no_untracked_research_ci_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """pypa/sampleproject and structlog, checked with ``--report`` outside the project.

    The tests check keeps coverage's per-line JSON in ``.research-ci/``; only the report
    gave that folder its ``.gitignore``, so ``git status`` listed ``.research-ci/`` as new.
    """
    project = write_files(
        tmp_path / "sample",
        {
            ".gitignore": ".coverage\n",
            "requirements.txt": "",
            "sample.py": "def add_one(number):\n    return number + 1\n",
            "tests/test_sample.py": (
                "from sample import add_one\n\n\ndef test_add_one():\n"
                "    assert add_one(1) == 2\n"
            ),
        },
    )
    for git in (["git", "init", "-q"], ["git", "add", "."]):
        assert run(git, project).returncode == 0
    report_path = tmp_path / "sample.json"
    code = main(["check", str(project), "--only", "tests", "--report", str(report_path)])
    capsys.readouterr()
    tests = read_valid_report(report_path)["checks"]["tests"]
    kept = json.loads((project / tests["coverage_file"]).read_text())
    assert (code, tests["passed"], tests["coverage"]) == (0, 1, 100.0)
    assert kept["totals"]["percent_covered"] == 100.0
    untracked = run(["git", "status", "--porcelain"], project).stdout.splitlines()
    assert [line for line in untracked if line.startswith("??")] == []


def test_a_course_of_notebooks_two_folders_down_is_a_project(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """karpathy/nn-zero-to-hero: only ``lectures/<topic>/*.ipynb`` and a README.

    It was refused ("no Python project"), as the search for Python code stopped one folder
    down. Its notebooks are linted as ruff lints them run by hand.
    """
    cell: dict[str, Any] = {
        "cell_type": "code",
        "metadata": {},
        "outputs": [],
        "execution_count": None,
        "source": ["import os\n", "x = 1; y = 2\n"],
    }
    notebook = {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    project = write_files(
        tmp_path / "course",
        {"README.md": "# lectures\n", "lectures/bigrams/part1.ipynb": json.dumps(notebook)},
    )
    code = main(["check", str(project), "--only", "lint", "--format", "json"])
    # 0: with no linter configured, ruff's classic rules advise (not 2: refused).
    assert code == 0, capsys.readouterr().err
    report = read_valid_report(project / ".research-ci" / "report.json")
    ruff = Path(sys.executable).parent / "ruff"
    direct = run(
        [ruff, "check", "--no-fix", "--select", "E4,E7,E9,F", "--output-format", "json", "."],
        project,
    )
    lint = report["checks"]["lint"]
    assert (
        sorted((f["filename"], f["code"]) for f in json.loads(direct.stdout))
        == sorted((str(project / f["file"]), f["code"]) for f in lint["findings"] if f["file"])
        == [(str(project / "lectures/bigrams/part1.ipynb"), rule) for rule in ("E702", "F401")]
    )
    assert (lint["status"], lint["violations"]) == ("passed", 0)

    # mypy reads no notebook: with no .py file the types check is skipped, not an error.
    code = main(["check", str(project), "--only", "types", "--format", "json"])
    report = read_valid_report(project / ".research-ci" / "report.json")
    types = report["checks"]["types"]
    assert (code, types["status"]) == (0, "skipped"), types
    assert types["summary"] == "no .py or .pyi file to type-check (mypy does not read notebooks)"
    direct = run([Path(sys.executable).parent / "mypy", "."], project)
    assert direct.returncode == 2
    assert "There are no .py[i] files" in direct.stdout + direct.stderr
