"""research-ci on existing projects of every shape, with their own environment and tools.

Each test builds a real-shaped project, runs ``research-ci check`` on it, and compares the
exit code, the grade and the report's figures with the same tools run directly, by hand, in
the project's environment (see ``adoption.py``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from adoption import (
    NEW_PYTHON_PROJECT,
    OWN_TOOLS_PROJECT,
    REQUIREMENTS_PROJECT,
    RUFF_PINNED_PROJECT,
    SETUP_PY_PROJECT,
    UNDECLARED_PROJECT,
    black_would_reformat,
    frozen,
    mypy_errors,
    pinned,
    pytest_counts,
    pytest_coverage,
    ruff_format_would_reformat,
    ruff_violations,
    run,
)
from conftest import Checker
from research_ci.environment import STAMP, uv_binary, venv_python
from research_ci.interpreters import InterpreterNotFoundError, find_interpreter
from research_ci.layout import PythonRequest
from research_ci.tools import own_version

pytestmark = pytest.mark.slow

OWN_BLACK = [sys.executable, "-m", "black"]
OWN_RUFF = [sys.executable, "-m", "ruff"]
OWN_MYPY = [sys.executable, "-m", "mypy"]


def findings_at(report: dict[str, Any], check_name: str) -> list[tuple[str, int]]:
    """``(code, line)`` of the check's findings, not its notices (the lint rules' notice)."""
    return sorted(
        (finding["code"], finding["line"])
        for finding in report["checks"][check_name]["findings"]
        if finding.get("severity") != "notice"
    )


def tool(report: dict[str, Any], check_name: str) -> tuple[str, str, str]:
    record = report["checks"][check_name]["tool"]
    return record["name"], record["version"], record["from"]


def test_setup_py_library(checker: Checker) -> None:
    project, code, report, phases = checker.write_and_check("oldlib", SETUP_PY_PROJECT)
    checks = report["checks"]
    environment = report["environment"]

    assert code == 1
    assert report["grade"] == "D"  # a failing test caps the grade at D
    assert report["project"]["name"] == "oldlib"
    assert environment["kind"] == "managed"
    assert environment["created"] is True
    assert environment["installed"] == [
        {"what": "-e .[test]", "from": "setup.py"},
        {"what": "pytest, pytest-cov", "from": "research-ci"},
    ]
    assert environment["python_request"] == {
        "request": ">=3.8",
        "source": "python_requires in setup.py",
    }
    # One line per long phase, in order, without a terminal.
    assert [line.split(" ")[1] for line in phases] == ["creating", "installing", "running"]
    assert "-e .[test] (setup.py); pytest, pytest-cov (research-ci)" in phases[1]

    python = venv_python(project / ".venv")
    assert checks["format"]["files_to_reformat"] == black_would_reformat(OWN_BLACK, project) == 1
    assert tool(report, "format") == ("black", own_version("black"), "research-ci")
    # No linter configured: ruff's classic rules run, and an unused import is a notice.
    lint = [(f["code"], f["line"]) for f in checks["lint"]["findings"] if f["code"] == "F401"]
    assert lint == ruff_violations(OWN_RUFF, project) == [("F401", 1)]
    assert findings_at(report, "lint") == []
    counted = {(f["file"], f["line"]) for f in checks["types"]["findings"]}
    assert counted == mypy_errors(OWN_MYPY, project, "--python-executable", python, ".")
    direct = pytest_counts(python, project)
    assert direct == {"passed": 2, "failed": 1, "errors": 0, "skipped": 0}
    assert {key: checks["tests"][key] for key in direct} == direct
    assert checks["tests"]["coverage"] == pytest_coverage(python, project, "oldlib", checker.root)
    assert tool(report, "tests")[0::2] == ("pytest", "environment")


def test_requirements_scripts(checker: Checker) -> None:
    project, code, report, _ = checker.write_and_check("scripts", REQUIREMENTS_PROJECT)
    checks = report["checks"]
    assert code == 0
    assert report["grade"] == "A"
    assert [item["what"] for item in report["environment"]["installed"]] == [
        "-r requirements.txt",
        "-r requirements-dev.txt",
        "pytest, pytest-cov",
    ]
    python = venv_python(project / ".venv")
    assert checks["format"]["files_to_reformat"] == black_would_reformat(OWN_BLACK, project) == 0
    assert checks["lint"]["violations"] == len(ruff_violations(OWN_RUFF, project)) == 0
    direct = pytest_counts(python, project)
    assert (checks["tests"]["passed"], direct["passed"]) == (2, 2)
    assert (
        checks["tests"]["coverage"] == pytest_coverage(python, project, ".", checker.root) == 100.0
    )


def test_ruff_pinned_in_pre_commit(checker: Checker) -> None:
    project, code, report, phases = checker.write_and_check("pinned", RUFF_PINNED_PROJECT)
    checks = report["checks"]
    assert code == 0
    assert report["grade"] == "A"
    assert tool(report, "format") == ("ruff", "0.3.0", "pre-commit")
    assert tool(report, "lint") == ("ruff", "0.3.0", "pre-commit")
    assert sum("installing ruff 0.3.0" in line for line in phases) == 1
    old_ruff = pinned("ruff", "0.3.0")
    assert checks["format"]["files_to_reformat"] == ruff_format_would_reformat(old_ruff, project)
    assert checks["lint"]["violations"] == len(ruff_violations(old_ruff, project)) == 0
    # research-ci's own, newer ruff disagrees: the pin is what makes the project clean.
    assert ruff_format_would_reformat(OWN_RUFF, project) == 1
    assert ruff_violations(OWN_RUFF, project) == [("RUF021", 8), ("RUF021", 8)]

    # The next run reuses the cached ruff; a file it would reformat is found with its line.
    (project / "src" / "pinned" / "extra.py").write_text("X = [1,\n  2]\n", encoding="utf-8")
    code, report, phases = checker.check(project, "--only", "format")
    assert not any("installing" in line for line in phases)
    assert findings_at(report, "format") == [("ruff-format", 1)]
    assert ruff_format_would_reformat(old_ruff, project) == 1


def test_tools_from_the_project_environment(checker: Checker) -> None:
    project, code, report, _ = checker.write_and_check("own", OWN_TOOLS_PROJECT)
    checks = report["checks"]
    assert code == 1
    assert tool(report, "format") == ("black", "24.2.0", "environment")
    assert tool(report, "lint") == ("ruff", "0.3.0", "environment")
    assert tool(report, "types") == ("mypy", "1.8.0", "environment")
    bin_dir = project / ".venv" / "bin"
    assert checks["format"]["files_to_reformat"] == black_would_reformat(
        [bin_dir / "black"], project
    )
    assert checks["lint"]["violations"] == len(ruff_violations([bin_dir / "ruff"], project)) == 0
    # mypy 1.8 has no JSON output: its text output gives the same errors.
    errors = mypy_errors([bin_dir / "mypy"], project, "src", "tests")
    assert errors == {("src/owntools/__init__.py", 11)}
    assert {(f["file"], f["line"]) for f in checks["types"]["findings"]} == errors
    assert [f["code"] for f in checks["types"]["findings"]] == ["return-value"]
    assert checks["types"]["errors"] == 1


def _python_312() -> Path:
    try:
        return find_interpreter(PythonRequest(">=3.12", "test"), uv_binary(), cwd=Path.cwd()).path
    except InterpreterNotFoundError:
        pytest.skip("no Python 3.12 or newer on this machine (PATH, pyenv, uv)")


def test_project_needing_a_newer_python(checker: Checker, monkeypatch: pytest.MonkeyPatch) -> None:
    """requires-python >= 3.12 on research-ci's older Python: found in pyenv, off PATH."""
    if sys.version_info >= (3, 12):
        pytest.skip("research-ci itself runs on 3.12 or newer here")
    _python_312()
    path = [entry for entry in sys_path_entries() if "pyenv" not in entry]
    monkeypatch.setenv("PATH", ":".join(path))
    project, code, report, phases = checker.write_and_check("new", NEW_PYTHON_PROJECT)
    checks = report["checks"]
    environment = report["environment"]
    assert code == 0, {name: c["summary"] for name, c in checks.items()}
    assert report["grade"] == "A"
    assert environment["python"] >= "3.12"
    # A tool research-ci installs for that Python may be announced first (on a cold cache).
    (creating,) = [line for line in phases if "creating .venv" in line]
    assert "for >=3.12 (requires-python in pyproject.toml)" in creating
    python = venv_python(project / ".venv")
    assert run([python, "-c", "import newsyntax"], project).returncode == 0
    minor = ".".join(environment["python"].split(".")[:2])
    assert tool(report, "types") == ("mypy", own_version("mypy"), "research-ci")
    direct_mypy = [
        str(uv_binary()),
        "tool",
        "run",
        "--python",
        minor,
        "--from",
        f"mypy=={own_version('mypy')}",
        "mypy",
    ]
    assert mypy_errors(direct_mypy, project, "--python-executable", python, "src", "tests") == set()
    assert checks["types"]["errors"] == 0
    assert checks["tests"]["passed"] == pytest_counts(python, project)["passed"] == 1


def sys_path_entries() -> list[str]:
    import os  # noqa: PLC0415

    return os.environ.get("PATH", "").split(os.pathsep)


def test_a_python_nobody_has_is_one_clear_line(checker: Checker) -> None:
    files = dict(NEW_PYTHON_PROJECT)
    files["pyproject.toml"] = files["pyproject.toml"].replace(">=3.12", ">=3.99")
    project, code, report, _ = checker.write_and_check(
        "future", files, "--only", "lint,types,tests"
    )
    checks = report["checks"]
    assert code == 1
    assert checks["lint"]["status"] == "passed"
    wanted = "the project needs Python >=3.99 (requires-python in pyproject.toml)"
    for name in ("types", "tests"):
        assert checks[name]["status"] == "error"
        assert wanted in checks[name]["summary"]
        assert "uv python install 3.99" in checks[name]["summary"]
    assert wanted in report["environment"]["error"]
    assert not (project / ".venv").exists()


@pytest.mark.parametrize("variable", ["VIRTUAL_ENV", "CONDA_PREFIX"])
def test_activated_environment_is_used_never_changed(
    tmp_path: Path,
    checker: Checker,
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
) -> None:
    external = tmp_path / "research-env"
    uv = str(uv_binary())
    run([uv, "venv", "--quiet", "--python", sys.executable, external], tmp_path)
    python = venv_python(external)
    run([uv, "pip", "install", "--quiet", "--python", python, "numpy", "pytest"], tmp_path)
    before = frozen(python)
    project = checker.write("scripts", REQUIREMENTS_PROJECT)
    monkeypatch.setenv(variable, str(external))
    code, report, _ = checker.check(project, "--only", "tests")
    environment = report["environment"]
    assert code == 0
    assert environment["kind"] == "activated"
    assert environment["location"] == f"${variable} ({external})"
    assert environment["installed"] == []
    assert environment["overlay"] == ["pytest-cov"]
    assert frozen(python) == before
    assert not (project / ".venv").exists()
    tests = report["checks"]["tests"]
    assert tests["passed"] == pytest_counts(python, project)["passed"] == 2
    assert tests["coverage"] == 100.0


def test_tests_needing_an_undeclared_package(checker: Checker) -> None:
    project, code, report, _ = checker.write_and_check(
        "undeclared", UNDECLARED_PROJECT, "--only", "tests"
    )
    tests = report["checks"]["tests"]
    direct = pytest_counts(venv_python(project / ".venv"), project)
    assert code == 1
    # A suite that cannot be collected never grades better than one that runs and fails.
    assert report["grade"] == "F"
    assert tests["collection_errors"] == 1
    assert "ModuleNotFoundError: No module named 'yaml'" in tests["findings"][0]["message"]
    # pytest stops at a collection error: nothing runs.
    assert direct == {"passed": 0, "failed": 0, "errors": 1, "skipped": 0}
    assert {key: tests[key] for key in direct} == direct
    assert [item["what"] for item in report["environment"]["installed"]] == [
        "-r requirements.txt",
        "pytest, pytest-cov",
    ]


def test_changed_requirements_are_installed_and_a_failed_install_is_repaired(
    checker: Checker,
) -> None:
    project = checker.write("scripts", REQUIREMENTS_PROJECT)
    venv = project / ".venv"
    assert checker.check(project, "--only", "tests")[0] == 0
    assert checker.check(project, "--only", "tests")[2] == [
        "research-ci: running the tests (pytest "
        + json.loads((venv / STAMP).read_text())["installed"][0]["what"][:0]
        + pytest_version(venv)
        + ", .venv)"
    ]

    requirements = project / "requirements.txt"
    requirements.write_text("numpy\nno-such-package-research-ci-test\n", encoding="utf-8")
    code, report, phases = checker.check(project, "--only", "tests")
    assert code == 1
    assert phases[0] == "research-ci: installing into .venv again: requirements.txt changed"
    summary = report["checks"]["tests"]["summary"]
    assert "No solution found when resolving dependencies: Because" in summary
    assert "no-such-package-research-ci-test was not found" in summary
    assert json.loads((venv / STAMP).read_text())["state"] == "installing"

    requirements.write_text("numpy\nsix\n", encoding="utf-8")
    code, report, phases = checker.check(project, "--only", "tests")
    assert code == 0
    assert phases[0] == "research-ci: making .venv again: an earlier install did not finish"
    assert run([venv_python(venv), "-c", "import six"], project).returncode == 0
    assert report["environment"]["created"] is True


def pytest_version(venv: Path) -> str:
    return run(
        [venv_python(venv), "-c", "import pytest; print(pytest.__version__)"], venv
    ).stdout.strip()


def test_a_failed_first_install_leaves_nothing_behind(checker: Checker) -> None:
    files = dict(REQUIREMENTS_PROJECT)
    files["requirements.txt"] = "numpy\nno-such-package-research-ci-test\n"
    project, code, report, phases = checker.write_and_check("scripts", files)
    assert code == 1
    assert report["checks"]["format"]["status"] == "passed"
    assert report["checks"]["tests"]["status"] == "error"
    assert "no-such-package-research-ci-test was not found" in report["environment"]["error"]
    assert [line.split(" ")[1] for line in phases] == ["creating", "installing"]
    assert not (project / ".venv").exists()


def test_a_venv_of_the_wrong_python_is_said(checker: Checker) -> None:
    files = dict(REQUIREMENTS_PROJECT)
    files[".python-version"] = "3.99\n"
    project = checker.write("scripts", files)
    run([str(uv_binary()), "venv", "--quiet", "--python", sys.executable, ".venv"], project)
    code, report, phases = checker.check(project, "--only", "tests")
    mine = ".".join(str(part) for part in sys.version_info[:3])
    said = f".venv has Python {mine}, but the project needs Python 3.99 (.python-version)"
    assert f"research-ci: warning: {said}" in phases
    assert said in report["environment"]["notes"]
    assert report["environment"]["kind"] == "existing"
    assert code == 1
