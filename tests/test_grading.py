"""Grades maintainers agree with, on real-shaped projects, checked against the tools themselves.

Each test builds a project the way existing research code is found (a setup.cfg library with
``[tool:pytest]``, ``.coveragerc`` and ``mypy.ini``; a library that never configured mypy; a
suite that cannot be collected; xfail and xpass; a notebook; a README.rst; a CI matrix),
runs ``research-ci check`` on it, and compares the exit code, the grade and the report's
figures with the same tools run directly in the project's environment, and with what the
tools themselves say they read (pytest's ``configfile``, coverage's own configuration, mypy's
``Config File``).
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from adoption import mypy_errors, run, write_files
from conftest import Checker, read_valid_report
from projects import hatchling_pyproject
from research_ci.cli import main
from research_ci.config import load_settings
from research_ci.environment import uv_binary, venv_python
from research_ci.interpreters import InterpreterNotFoundError, find_interpreter
from research_ci.layout import PythonRequest
from research_ci.readme import RST_END_MARKER, RST_START_MARKER, START_MARKER

pytestmark = pytest.mark.slow

OWN_MYPY = [sys.executable, "-m", "mypy"]
OWN_RUFF = [sys.executable, "-m", "ruff"]


OUTCOMES = ("passed", "failed", "errors", "skipped", "xfailed", "xpassed")


def pytest_summary(python: Path, project: Path, *args: str) -> tuple[int, dict[str, int]]:
    """pytest's exit code and the counts of its own summary line, run by hand."""
    done = run([python, "-m", "pytest", "-p", "no:cacheprovider", *args], project)
    last = done.stdout.strip().splitlines()[-1]
    counts = dict.fromkeys(OUTCOMES, 0)
    pattern = r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed)"
    for number, word in re.findall(pattern, last):
        counts["errors" if word.startswith("error") else word] += int(number)
    return done.returncode, counts


def counted_as_pytest(tests: dict[str, Any], python: Path, project: Path, **expected: int) -> int:
    """pytest, run by hand, counts ``expected`` (every other outcome 0), and so does the report.

    Returns pytest's exit code.
    """
    direct_code, counts = pytest_summary(python, project)
    assert counts == {**dict.fromkeys(OUTCOMES, 0), **expected}
    assert {key: tests[key] for key in counts} == counts
    return direct_code


def direct_coverage(python: Path, project: Path, scratch: Path, *args: str) -> float:
    """Total coverage of the project's own pytest command (its addopts), from coverage's JSON."""
    report = scratch / "direct-coverage.json"
    run(
        [python, "-m", "pytest", "-p", "no:cacheprovider", *args, f"--cov-report=json:{report}"],
        project,
        COVERAGE_FILE=str(scratch / ".coverage"),
    )
    return round(
        float(json.loads(report.read_text(encoding="utf-8"))["totals"]["percent_covered"]), 2
    )


def coverage_reads(python: Path, project: Path, config_file: str = ".coveragerc") -> dict[str, Any]:
    """What coverage itself reads when pytest-cov starts it (``config_file=--cov-config``)."""
    code = (
        f"import json, coverage; c = coverage.Coverage(config_file={config_file!r}).config; "
        "print(json.dumps({'fail_under': c.fail_under, 'source': c.source, "
        "'read': c.config_files_read}))"
    )
    done = run([python, "-c", code], project)
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def pytest_configfile(python: Path, project: Path) -> str | None:
    """The configuration file pytest itself reports in its header."""
    done = run([python, "-m", "pytest", "--co", "-p", "no:cacheprovider"], project)
    found = re.search(r"^configfile: (.+)$", done.stdout, re.MULTILINE)
    return found.group(1).strip() if found else None


def mypy_configfile(project: Path) -> str | None:
    """The configuration file mypy itself reports reading (``mypy -v``)."""
    done = run([*OWN_MYPY, "-v", "--no-error-summary"], project)  # its `files`, if it has some
    if "Config File:" not in done.stderr:
        done = run([*OWN_MYPY, "-v", "--no-error-summary", "-c", "pass"], project)
    found = re.search(r"Config File:\s+(\S+)", done.stderr)
    assert found is not None, done.stderr[-2000:]
    return None if found.group(1) == "Default" else Path(found.group(1)).name


def findings(report: dict[str, Any], name: str) -> list[tuple[Any, ...]]:
    return [
        (f["code"], f["file"], f["line"], f["severity"]) for f in report["checks"][name]["findings"]
    ]


# --- a setup.cfg library: [tool:pytest], .coveragerc, mypy.ini, .flake8 settings ----------

SETUP_CFG_LIBRARY = {
    "setup.py": "from setuptools import setup\n\nsetup()\n",
    "setup.cfg": """\
        [metadata]
        name = cfglib
        version = 0.1.0

        [options]
        packages = find:

        [options.packages.find]
        exclude = tests

        [tool:pytest]
        testpaths = tests
        addopts = --strict-markers -ra

        [flake8]
        max-line-length = 100
        extend-ignore = E203
        """,
    ".coveragerc": """\
        [run]
        source = cfglib
        branch = true

        [report]
        fail_under = 85
        show_missing = true
        """,
    "mypy.ini": "[mypy]\nfiles = cfglib\nstrict = True\n",
    "cfglib/__init__.py": '"""A library configured the setup.cfg way."""\n',
    "cfglib/core.py": """\
        def double(x: int) -> int:
            return x * 2


        def half(x: int) -> int:
            return x / 2


        def magnitude(x: int) -> int:
            if x > 0:
                return x
            return -x
        """,
    "tests/test_core.py": """\
        from cfglib.core import double


        def test_double() -> None:
            assert double(2) == 4
        """,
}


def test_setup_cfg_library_is_checked_with_its_own_configuration(checker: Checker) -> None:
    project, code, report, _ = checker.write_and_check("cfglib", SETUP_CFG_LIBRARY)
    checks = report["checks"]
    python = venv_python(project / ".venv")
    tools = load_settings(project).tools

    # What research-ci reads is what each tool says it reads.
    assert tools.pytest_config == pytest_configfile(python, project) == "setup.cfg"
    assert tools.mypy_config == mypy_configfile(project) == "mypy.ini"
    coverage = coverage_reads(python, project)
    assert coverage["read"] == [str(project / ".coveragerc")]
    assert coverage["source"] == ["cfglib"]
    assert tools.coverage_source
    tests = checks["tests"]
    assert tests["coverage_threshold"] == coverage["fail_under"] == 85
    assert tests["coverage_threshold_from"] == "fail_under in .coveragerc [report]"
    assert report["settings"]["coverage_threshold"] == 85

    # The figures are the tools' own, run directly as the maintainers run them.
    assert pytest_summary(python, project)[1]["passed"] == tests["passed"] == 1
    # coverage measures cfglib only (its source), not the tests: research-ci adds no --cov=.
    assert tests["coverage"] == direct_coverage(python, project, checker.root, "--cov") == 40.0
    errors = mypy_errors(OWN_MYPY, project, "--python-executable", python)  # mypy.ini's files
    assert {(f["file"], f["line"]) for f in checks["types"]["findings"]} == errors
    assert errors == {("cfglib/core.py", 6)}
    assert checks["types"]["errors"] == 1
    assert "advisory" not in checks["types"]  # the project configured mypy: types gates

    # No ruff configuration: ruff lints with the flake8 settings, and one notice says so.
    assert checks["lint"]["violations"] == 0
    assert findings(report, "lint") == [("flake8-settings", "setup.cfg", None, "notice")]
    assert checks["lint"]["summary"] == (
        "no violations, ruff with the project's flake8 settings from setup.cfg [flake8]"
    )

    assert code == 1
    assert report["grade"] == "C"  # 2 (mypy) + 20 (45 points of coverage, at most 20)
    assert report["gate"]["reasons"] == [
        "types failed (1 error)",
        "tests failed (coverage 40% is under the threshold 85%)",
    ]
    # research-ci's output never shows up as untracked.
    run(["git", "init", "-q"], project)
    status = run(["git", "status", "--porcelain", "--untracked-files=all"], project).stdout
    assert ".research-ci" not in status
    assert "?? setup.cfg" in status  # (git does list the project's own files)


def test_the_projects_addopts_choose_coverage_and_its_threshold(checker: Checker) -> None:
    files = dict(SETUP_CFG_LIBRARY)
    files["setup.cfg"] = files["setup.cfg"].replace(
        "addopts = --strict-markers -ra",
        "addopts = --strict-markers -ra --cov=cfglib --cov-report=term-missing --cov-fail-under=35",
    )
    files[".coveragerc"] = "[report]\nfail_under = 85\n"  # pytest-cov's option wins over it
    project, code, report, _ = checker.write_and_check("cfglib", files, "--only", "tests")
    tests = report["checks"]["tests"]
    python = venv_python(project / ".venv")
    direct_code, counts = pytest_summary(python, project)
    assert direct_code == 0  # pytest-cov: 40% is over the project's 35%
    assert code == 0
    assert tests["status"] == "passed"
    assert tests["coverage_threshold"] == 35
    assert tests["coverage_threshold_from"] == "--cov-fail-under in the addopts of setup.cfg"
    # Line coverage this time (this .coveragerc has no branch = true).
    assert tests["coverage"] == direct_coverage(python, project, checker.root) == 50.0
    assert tests["passed"] == counts["passed"] == 1
    assert report["grade"] == "A"


# --- a library that never configured mypy; its "type errors" are missing stubs -----------

STUBLESS_LIBRARY = {
    "pyproject.toml": hatchling_pyproject(
        "stubless",
        """\
        dependencies = ["pyyaml", "six"]
        """,
    ),
    "src/stubless/__init__.py": '''\
        """Reads settings; no type annotations were ever checked here."""

        import six
        import yaml


        def load(text):
            return yaml.safe_load(text)


        def is_text(value):
            return isinstance(value, six.string_types)
        ''',
    "tests/test_stubless.py": """\
        from stubless import is_text, load


        def test_load():
            assert load("a: 1") == {"a": 1}


        def test_is_text():
            assert is_text("x")
        """,
}


def test_a_library_without_mypy_configuration_grades_on_what_it_adopted(checker: Checker) -> None:
    project, code, report, _ = checker.write_and_check("stubless", STUBLESS_LIBRARY)
    types = report["checks"]["types"]
    python = venv_python(project / ".venv")
    direct = run([*OWN_MYPY, "--python-executable", python, "src", "tests"], project)
    # mypy run by hand fails, on missing stubs only.
    assert direct.returncode == 1
    codes = re.findall(r"error: .*\[([a-z-]+)\]$", direct.stdout, re.MULTILINE)
    assert codes == ["import-untyped", "import-untyped"]
    assert mypy_configfile(project) is None
    # research-ci: notices, not errors; types is advisory (no mypy configuration).
    assert (types["status"], types["errors"], types["missing_stubs"]) == ("passed", 0, 2)
    import_findings = [f for f in types["findings"] if f["code"] == "import-untyped"]
    assert [f["severity"] for f in import_findings] == ["notice", "notice"]
    assert types["advisory"].startswith("the project has no mypy configuration")
    assert code == 0
    assert report["grade"] == "A"
    assert report["score"] == 100

    # A real type error: reported, advisory, no points off.
    module = project / "src" / "stubless" / "count.py"
    module.write_text("def count(items: list[str]) -> str:\n    return len(items)\n")
    code, report, _ = checker.check(project, "--only", "types")
    types = report["checks"]["types"]
    errors = mypy_errors(OWN_MYPY, project, "--python-executable", python, "src", "tests")
    assert errors == {
        ("src/stubless/count.py", 2),
        ("src/stubless/__init__.py", 3),
        ("src/stubless/__init__.py", 4),
    }
    assert (types["status"], types["errors"], types["missing_stubs"]) == ("failed", 1, 2)
    assert (code, report["grade"], report["gate"]["passed"]) == (0, "A", True)
    assert report["rubric"]["deductions"] == []

    # Opting in: types gates, the missing stubs stay notices.
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + "\n[tool.research-ci]\nadvisory = []\n")
    code, report, _ = checker.check(project, "--only", "types")
    assert "advisory" not in report["checks"]["types"]
    assert report["checks"]["types"]["errors"] == 1
    assert code == 1
    assert report["score"] == 98
    assert report["gate"]["reasons"] == [
        "types failed (1 error; 2 imports without types (notices))"
    ]

    # mypy configured to report missing imports: they are errors, as mypy says.
    pyproject.write_text(pyproject.read_text() + "\n[tool.mypy]\nignore_missing_imports = false\n")
    code, report, _ = checker.check(project, "--only", "types")
    types = report["checks"]["types"]
    assert (types["errors"], types["missing_stubs"]) == (3, 0)
    assert mypy_configfile(project) == "pyproject.toml"
    assert report["score"] == 94


# --- a suite that cannot be collected ------------------------------------------------------

COLLECTION_PROJECT = {
    "requirements.txt": "numpy\n",
    "analysis.py": """\
        import numpy as np


        def centre(values):
            values = np.asarray(values, dtype=float)
            return values - values.mean()
        """,
    "tests/test_analysis.py": """\
        from analysis import centre


        def test_centre():
            assert centre([1, 3]).tolist() == [-1.0, 1.0]
        """,
    "tests/test_plots.py": """\
        import matplotlib_is_not_declared

        from analysis import centre


        def test_plot():
            assert centre([2, 2]).sum() == 0
        """,
}


def test_a_suite_that_cannot_be_collected_says_why_and_grades_worst(checker: Checker) -> None:
    project, code, report, _ = checker.write_and_check(
        "scripts", COLLECTION_PROJECT, "--only", "tests"
    )
    tests = report["checks"]["tests"]
    python = venv_python(project / ".venv")
    direct_code = counted_as_pytest(tests, python, project, errors=1)
    assert direct_code == 2  # pytest: interrupted, 1 error during collection
    assert tests["collection_errors"] == 1
    assert tests["coverage"] is None  # nothing ran: not measured, and shown so
    # (The fingerprint, which identifies the finding across versions, is not compared.)
    findings = [
        {key: value for key, value in item.items() if key != "fingerprint"}
        for item in tests["findings"]
    ]
    assert findings == [
        {
            "check": "tests",
            "file": "tests/test_plots.py",
            "line": None,
            "col": None,
            "end_line": None,
            "code": "collection-error",
            "message": "tests/test_plots.py: cannot be collected: "
            "ModuleNotFoundError: No module named 'matplotlib_is_not_declared'",
            "severity": "error",
        }
    ]
    assert code == 1
    assert report["grade"] == "F"
    assert report["gate"]["reasons"][0] == (
        "tests failed (the tests cannot be collected "
        "(ModuleNotFoundError: No module named 'matplotlib_is_not_declared'))"
    )

    # The same suite, collected, with a failing test instead: never graded worse.
    plots = project / "tests" / "test_plots.py"
    plots.write_text(
        "from analysis import centre\n\n\ndef test_plot():\n    assert centre([2, 4]).sum() == 1\n"
    )
    code, failing, _ = checker.check(project, "--only", "tests")
    assert pytest_summary(python, project)[1]["failed"] == failing["checks"]["tests"]["failed"] == 1
    assert failing["grade"] == "D"
    assert failing["score"] > report["score"]


def test_a_conftest_that_cannot_be_imported(checker: Checker) -> None:
    files = dict(COLLECTION_PROJECT)
    del files["tests/test_plots.py"]
    files["tests/conftest.py"] = "import yaml_is_not_declared\n"
    project, code, report, _ = checker.write_and_check("scripts", files, "--only", "tests")
    python = venv_python(project / ".venv")
    direct = run([python, "-m", "pytest", "-p", "no:cacheprovider"], project)
    assert direct.returncode == 4  # pytest stops before its session: usage error
    tests = report["checks"]["tests"]
    assert (tests["status"], tests["collection_errors"], tests["coverage"]) == ("failed", 1, None)
    assert [f["message"] for f in tests["findings"]] == [
        (
            "pytest stopped before it collected: "
            "ModuleNotFoundError: No module named 'yaml_is_not_declared'"
        )
    ]
    assert (code, report["grade"]) == (1, "F")


# --- xfail and xpass ----------------------------------------------------------------------

XFAIL_PROJECT = {
    "requirements.txt": "",
    "tests/test_known.py": """\
        import sys

        import pytest


        def test_ok():
            assert 1 + 1 == 2


        @pytest.mark.xfail(reason="known rounding bug")
        def test_known_bug():
            assert round(2.675, 2) == 2.68


        @pytest.mark.xfail(reason="was flaky")
        def test_fixed_since():
            assert True


        @pytest.mark.skipif(sys.version_info < (4,), reason="Python 4 only")
        def test_future():
            assert False


        def test_imperative_xfail():
            pytest.xfail("not on this platform")
        """,
}


def test_xfail_and_xpass_are_counted_as_such(checker: Checker) -> None:
    project, code, report, _ = checker.write_and_check("xfail", XFAIL_PROJECT, "--only", "tests")
    tests = report["checks"]["tests"]
    direct_code = counted_as_pytest(
        tests, venv_python(project / ".venv"), project, passed=1, skipped=1, xfailed=2, xpassed=1
    )
    assert tests["test_outcomes"]["tests/test_known.py::test_fixed_since"] == "xpassed"
    assert tests["test_outcomes"]["tests/test_known.py::test_known_bug"] == "xfailed"
    assert (direct_code, code, report["grade"]) == (0, 0, "A")


# --- a notebook ---------------------------------------------------------------------------


def notebook(*cells: tuple[str, list[str]]) -> str:
    return json.dumps(
        {
            "cells": [
                {"cell_type": kind, "metadata": {}, "source": source}
                | ({"execution_count": None, "outputs": []} if kind == "code" else {})
                for kind, source in cells
            ],
            "metadata": {"language_info": {"name": "python"}},
            "nbformat": 4,
            "nbformat_minor": 5,
        },
        indent=1,
    )


def test_notebook_findings_carry_their_cell(
    checker: Checker, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    text = notebook(
        ("markdown", ["# Exploration"]),
        ("code", ["x = 1\n"]),
        ("code", ["y = 2\n", "import os\n", "print(x, y)\n"]),
    )
    # ruff.toml: the project lints with ruff's defaults (I001 is not among the classic rules).
    files = {"explore.ipynb": text, "requirements.txt": "", "ruff.toml": ""}
    project, code, report, _ = checker.write_and_check("nb", files, "--only", "lint")
    direct = json.loads(run([*OWN_RUFF, "check", "--output-format", "json", "."], project).stdout)
    assert sorted((d["code"], d["cell"], d["location"]["row"]) for d in direct) == [
        ("F401", 3, 2),
        ("I001", 3, 2),
    ]
    lint = report["checks"]["lint"]
    assert sorted((f["code"], f["file"], f["cell"], f["line"]) for f in lint["findings"]) == [
        ("F401", "explore.ipynb", 3, 2),
        ("I001", "explore.ipynb", 3, 2),
    ]
    assert code == 1

    # Terminal and annotations: the cell, never a line of the raw JSON.
    assert main(["check", str(project), "--only", "lint"]) == 1
    assert "explore.ipynb:cell 3:line 2 lint [F401]" in capsys.readouterr().out
    monkeypatch.setenv("GITHUB_WORKSPACE", str(project))
    assert main(["check", str(project), "--only", "lint", "--format", "github"]) == 1
    annotations = [line for line in capsys.readouterr().out.splitlines() if "explore.ipynb" in line]
    assert len(annotations) == 2
    for line in annotations:
        assert line.startswith("::error file=explore.ipynb,title=research-ci lint (")
        assert "line=" not in line
        assert "::cell 3:line 2: " in line


# --- README.rst -------------------------------------------------------------------------------

RST_PROJECT = {
    "pyproject.toml": """\
        [project]
        name = "rstlib"
        version = "0.1.0"
        readme = {file = "docs/README.rst", content-type = "text/x-rst"}
        """,
    "docs/README.rst": """\
        .. image:: https://example.org/logo.png
           :alt: logo

        rstlib
        ======

        A library documented in reStructuredText.

        Installation
        ------------

        pip install rstlib
        """,
    "rstlib.py": "def one() -> int:\n    return 1\n",
    "tests/test_one.py": """\
        from rstlib import one


        def test_one() -> None:
            assert one() == 1
        """,
}


def test_badges_in_readme_rst(checker: Checker, capsys: pytest.CaptureFixture[str]) -> None:
    project, code, report, _ = checker.write_and_check("rstlib", RST_PROJECT, "--only", "tests")
    assert code == 0
    assert main(["badge", str(project)]) == 0
    readme = (project / "docs" / "README.rst").read_text()
    assert START_MARKER not in readme
    head, _, rest = readme.partition("rstlib\n======\n\n")
    assert head.startswith(".. image:: https://example.org/logo.png")
    block, _, tail = rest.partition(RST_END_MARKER + "\n")
    assert block.startswith(RST_START_MARKER + "\n\n.. image:: https://img.shields.io/badge/")
    assert f"   :alt: quality: {report['grade']} ({report['score']})\n" in block
    assert "   :alt: tests: 1 passed\n" in block
    assert tail == textwrap.dedent("""
        A library documented in reStructuredText.

        Installation
        ------------

        pip install rstlib
        """)
    capsys.readouterr()
    assert main(["badge", str(project), "--check"]) == 0


# --- a CI matrix: merged by test id, the badge agrees with a local run ------------------------

MATRIX_PROJECT = {
    "pyproject.toml": """\
        [project]
        name = "matrixlib"
        version = "0.1.0"
        requires-python = ">=3.10"

        [tool.research-ci]
        checks = ["tests"]

        [tool.coverage.run]
        source = ["matrixlib"]
        """,
    "README.md": "# matrixlib\n\nA small library tested on several Pythons.\n",
    "matrixlib.py": "def twice(x: int) -> int:\n    return 2 * x\n",
    "tests/test_matrixlib.py": """\
        import sys

        import pytest

        from matrixlib import twice


        @pytest.mark.parametrize("x", range(10))
        def test_twice(x: int) -> None:
            assert twice(x) == x + x


        @pytest.mark.skipif(sys.version_info < (3, 12), reason="3.12 only")
        def test_new_syntax() -> None:
            assert twice(1) == 2
        """,
}


def _pythons() -> tuple[str, str]:
    try:
        for version in ("3.10", "3.12"):
            find_interpreter(PythonRequest(version, "test"), uv_binary(), cwd=Path.cwd())
    except InterpreterNotFoundError:
        pytest.skip("needs Python 3.10 and 3.12 on this machine (PATH, pyenv, uv)")
    return "3.10", "3.12"


def test_a_matrix_counts_each_test_once_and_its_badge_matches_a_local_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], checker: Checker
) -> None:
    old, new = _pythons()
    legs: list[Path] = []
    for version in (old, new):
        leg = write_files(tmp_path / f"py{version}" / "matrixlib", MATRIX_PROJECT)
        code, report, _ = checker.check(leg, "--python", version)
        direct = pytest_summary(venv_python(leg / ".venv"), leg)[1]
        tests = report["checks"]["tests"]
        assert (code, tests["passed"], tests["skipped"]) == (0, direct["passed"], direct["skipped"])
        legs.append(leg / ".research-ci" / "report.json")
    assert [read_valid_report(path)["checks"]["tests"]["passed"] for path in legs] == [10, 11]

    merged_path = tmp_path / "merged.json"
    assert main(["report", "merge", *map(str, legs), "--output", str(merged_path)]) == 0
    capsys.readouterr()
    merged = read_valid_report(merged_path)["checks"]["tests"]
    assert (merged["passed"], merged["skipped"], merged["failed"]) == (11, 0, 0)  # not 21

    # CI writes and commits the badge from the merged report; a local run on the newest
    # Python then finds the README up to date.
    local = write_files(tmp_path / "laptop" / "matrixlib", MATRIX_PROJECT)
    ci_readme = local / "README.md"
    assert main(["badge", str(local), "--report", str(merged_path)]) == 0
    capsys.readouterr()
    assert "![tests: 11 passed]" in ci_readme.read_text()
    code, _, _ = checker.check(local, "--python", new)
    assert code == 0
    capsys.readouterr()
    assert main(["badge", str(local), "--check"]) == 0


def test_a_test_failing_on_one_python_is_one_failure_with_its_python(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], checker: Checker
) -> None:
    old, new = _pythons()
    files = dict(MATRIX_PROJECT)
    old_only = "\n\ndef test_old_pythons_only() -> None:\n    assert sys.version_info < (3, 12)\n"
    files["tests/test_matrixlib.py"] = textwrap.dedent(files["tests/test_matrixlib.py"]) + old_only
    legs = []
    for version in (old, new):
        leg = write_files(tmp_path / f"py{version}" / "matrixlib", files)
        checker.check(leg, "--python", version)
        legs.append(leg / ".research-ci" / "report.json")
    direct = pytest_summary(venv_python(legs[1].parent.parent / ".venv"), legs[1].parent.parent)[1]
    assert direct["failed"] == 1
    merged_path = tmp_path / "merged.json"
    assert main(["report", "merge", *map(str, legs), "--output", str(merged_path)]) == 0
    assert "grade D (69), gate failed" in capsys.readouterr().out
    report = read_valid_report(merged_path)
    tests = report["checks"]["tests"]
    assert (tests["passed"], tests["failed"]) == (11, 1)  # not 21 passed, not 1 + 0 failed twice
    assert tests["failed_on"] == {"tests/test_matrixlib.py::test_old_pythons_only": [new]}
    [message] = [f["message"] for f in tests["findings"]]
    assert message.startswith("tests/test_matrixlib.py::test_old_pythons_only: ")
    assert "assert sys.version_info(major=3, minor=12" in message
    assert message.endswith(f" (failed on Python {new})")
    single = read_valid_report(legs[1])
    assert report["score"] == single["score"]  # one failure costs what it costs in one run
    shutil.rmtree(tmp_path / f"py{old}")
