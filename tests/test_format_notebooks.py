"""Notebooks under black: checked when black has its jupyter extra, said when it has not.

black skips ``.ipynb`` files unless its ``jupyter`` extra (IPython, tokenize-rt) is installed,
and says so only on stderr. A research repository of notebooks then read "all files formatted"
when black had looked at none of them. Real black, both ways: research-ci's own (no extra) and
``black[jupyter]`` in the project's ``.venv``, each compared with black run directly.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from adoption import run
from conftest import Checker
from research_ci.checks.format import NOTEBOOKS_SKIPPED
from research_ci.environment import uv_binary
from research_ci.tools import own_command

BLACK = "26.10.1"


def notebook(*lines: str) -> str:
    """A one-cell notebook holding ``lines``."""
    cell: dict[str, Any] = {
        "cell_type": "code",
        "execution_count": None,
        "metadata": {},
        "outputs": [],
        "source": [line + "\n" for line in lines],
    }
    kernel = {"display_name": "Python 3", "language": "python", "name": "python3"}
    document = {"cells": [cell], "metadata": {"kernelspec": kernel}, "nbformat": 4}
    return json.dumps({**document, "nbformat_minor": 5}, indent=1)


PROJECT = {
    "pyproject.toml": '[project]\nname = "nb"\nversion = "0.1"\n\n[tool.black]\n',
    "analysis.ipynb": notebook("x=1", "y = [1,2]"),
    "helpers.py": "X = 1\n",
}


def format_result(checker: Checker, project: Path) -> tuple[int, Any]:
    """Exit code and format result of ``research-ci check --only format --no-install``."""
    code, report, _ = checker.check(project, "--only", "format", "--no-install")
    return code, report["checks"]["format"]


def test_black_without_its_jupyter_extra_says_it_skipped_the_notebooks(
    checker: Checker,
) -> None:
    project = checker.write("nb", PROJECT)
    direct = run([*own_command("black"), "--check", "."], project)
    assert "Skipping .ipynb files as Jupyter dependencies are not installed" in direct.stderr
    assert direct.returncode == 0  # black itself calls the project formatted

    code, result = format_result(checker, project)

    assert code == 0
    assert result["tool"]["from"] == "research-ci"
    assert result["status"] == "passed"
    assert result["files_to_reformat"] == 0
    assert result["summary"].endswith("; notebooks not checked (black has no jupyter extra)")
    notices = [f for f in result["findings"] if f["code"] == "black-jupyter"]
    assert len(notices) == 1
    assert notices[0]["severity"] == "notice"
    assert notices[0]["message"] == NOTEBOOKS_SKIPPED.message


def test_a_project_of_notebooks_only_is_not_called_formatted(
    checker: Checker,
) -> None:
    """nn-zero-to-hero: notebooks and no .py file. black checked nothing: it says so."""
    files = {name: text for name, text in PROJECT.items() if name != "helpers.py"}
    project = checker.write("lectures", files)
    direct = run([*own_command("black"), "--check", "."], project)
    assert "No Python files are present to be formatted" in direct.stderr

    code, result = format_result(checker, project)

    assert code == 0
    assert result["summary"] == (
        "no Python file to format; notebooks not checked (black has no jupyter extra)"
    )


@pytest.mark.slow
def test_black_with_its_jupyter_extra_checks_the_notebooks(
    checker: Checker,
) -> None:
    project = checker.write("nb", PROJECT)
    venv = project / ".venv"
    assert (
        run([uv_binary(), "venv", "-q", "--python", sys.executable, venv], project).returncode == 0
    )
    python = venv / "bin" / "python"
    installed = run(
        [uv_binary(), "pip", "install", "-q", "--python", python, f"black[jupyter]=={BLACK}"],
        project,
    )
    assert installed.returncode == 0, installed.stderr
    direct = run([venv / "bin" / "black", "--check", "."], project)
    assert f"would reformat {project / 'analysis.ipynb'}" in direct.stderr
    assert "1 file would be reformatted, 1 file would be left unchanged" in direct.stderr

    code, result = format_result(checker, project)

    assert code == 1
    assert result["tool"] == {"name": "black", "version": BLACK, "from": "environment"}
    assert result["files_to_reformat"] == 1
    assert result["summary"] == "1 file to reformat"
    assert [(f["file"], f["code"]) for f in result["findings"]] == [("analysis.ipynb", "black")]
