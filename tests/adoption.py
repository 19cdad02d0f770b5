"""Real-shaped existing projects, and the tools run directly on them, for the adoption tests.

Each builder writes a project the way research code is found in the wild (a setup.py
library, scripts with a requirements.txt, a library formatted with a pinned ruff...). The
``direct_*`` helpers run the same tools by hand, the way their maintainers would, so that
the tests compare research-ci's figures with the tools' own.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path

from projects import hatchling_pyproject, run_command
from research_ci.environment import uv_binary


def write_files(root: Path, files: Mapping[str, str]) -> Path:
    """Write ``files`` (dedented) under ``root``."""
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


SETUP_PY_PROJECT = {
    "setup.py": """\
        from setuptools import find_packages, setup

        setup(
            name="oldlib",
            version="0.3.1",
            packages=find_packages(exclude=["tests"]),
            install_requires=["numpy"],
            extras_require={"test": ["pytest"], "docs": ["sphinx"]},
            python_requires=">=3.8",
        )
        """,
    "setup.cfg": "[mypy]\nignore_missing_imports = True\n",
    "oldlib/__init__.py": '"""An old library."""\n',
    "oldlib/stats.py": """\
        import os

        import numpy as np


        def zscore(values):
            values = np.asarray(values, dtype=float)
            return (values - values.mean()) / values.std()


        def clip(values, low, high):
            return np.clip(values, low, high)
        """,
    "oldlib/messy.py": "def add(a,b):\n    return a+b\n",
    "tests/test_stats.py": """\
        import numpy as np

        from oldlib.messy import add
        from oldlib.stats import clip, zscore


        def test_zscore_is_centred():
            assert abs(zscore([1, 2, 3]).mean()) < 1e-12


        def test_clip():
            assert clip(np.array([0, 5, 10]), 1, 9).tolist() == [1, 5, 9]


        def test_add_is_wrong_on_purpose():
            assert add(1, 1) == 3
        """,
}

REQUIREMENTS_PROJECT = {
    "requirements.txt": "numpy\n",
    "requirements-dev.txt": "-r requirements.txt\npytest\n",
    "analysis.py": """\
        import numpy as np


        def center(values):
            return np.asarray(values) - np.mean(values)


        def summary(values):
            centred = center(values)
            return {"min": float(centred.min()), "max": float(centred.max())}
        """,
    "tests/test_analysis.py": """\
        from analysis import center, summary


        def test_center():
            assert center([1, 3]).tolist() == [-1.0, 1.0]


        def test_summary():
            assert summary([1, 3]) == {"min": -1.0, "max": 1.0}
        """,
}

#: A pre-commit configuration that pins ruff (and its formatter) to 0.3.0.
RUFF_0_3_PRE_COMMIT = """\
repos:
  - repo: https://github.com/astral-sh/ruff-pre-commit
    rev: v0.3.0
    hooks:
      - id: ruff
      - id: ruff-format
"""

#: Formatted and linted clean by ruff 0.3.0, which its pre-commit configuration pins; a newer
#: ruff joins the implicit concatenation and flags the and/or chain (RUF021).
RUFF_PINNED_PROJECT = {
    "pyproject.toml": hatchling_pyproject(
        "pinned",
        """
        [project.optional-dependencies]
        test = ["pytest"]

        [tool.ruff]
        line-length = 88

        [tool.ruff.lint]
        select = ["E", "F", "RUF"]

        [tool.ruff.format]
        quote-style = "double"

        [tool.mypy]
        strict = true
        """,
        version="1.0.0",
    ),
    ".pre-commit-config.yaml": RUFF_0_3_PRE_COMMIT,
    "src/pinned/__init__.py": '''\
        """A library formatted by ruff 0.3.0."""

        GREETING = "hello, " "world"


        def choose(a: bool, b: bool, c: bool, d: bool) -> bool:
            """Pick."""
            return a and b or c and d
        ''',
    "tests/test_pinned.py": """\
        from pinned import GREETING, choose


        def test_choose() -> None:
            assert choose(True, True, False, False)
            assert GREETING == "hello, world"
        """,
}

#: Old pins of every tool in the project's own environment (mypy 1.8 has no JSON output).
OWN_TOOLS_PROJECT = {
    "pyproject.toml": hatchling_pyproject(
        "owntools",
        """
        [project.optional-dependencies]
        dev = ["black==24.2.0", "ruff==0.3.0", "mypy==1.8.0", "pytest"]

        [tool.ruff.lint]
        select = ["E", "F", "RUF"]

        [tool.mypy]
        strict = true
        """,
        version="1.0.0",
    ),
    "src/owntools/__init__.py": '''\
        """A library with its own tools."""


        def choose(a: bool, b: bool, c: bool, d: bool) -> bool:
            """Pick."""
            return a and b or c and d


        def half(x: int) -> str:
            """Half, with a type error on purpose."""
            return x // 2
        ''',
    "tests/test_own.py": """\
        from owntools import choose


        def test_choose() -> None:
            assert choose(True, True, False, False)
        """,
}

NEW_PYTHON_PROJECT = {
    "pyproject.toml": hatchling_pyproject(
        "newsyntax",
        """
        [tool.mypy]
        strict = true
        """,
        requires_python=">=3.12",
    ),
    "src/newsyntax/__init__.py": '''\
        """Needs Python 3.12: PEP 695 type aliases and generics."""

        type Pair = tuple[int, int]


        def first[T](items: list[T]) -> T:
            """The first item."""
            return items[0]


        def swap(pair: Pair) -> Pair:
            """The pair, swapped."""
            return (pair[1], pair[0])
        ''',
    "tests/test_new.py": """\
        from newsyntax import first, swap


        def test_first_and_swap() -> None:
            assert first([1, 2]) == 1
            assert swap((1, 2)) == (2, 1)
        """,
}

UNDECLARED_PROJECT = {
    "requirements.txt": "numpy\n",
    "loader.py": """\
        import numpy as np


        def load(rows):
            return np.array(rows, dtype=float)
        """,
    "tests/test_loader.py": """\
        from loader import load


        def test_load():
            assert load([[1, 2]]).shape == (1, 2)
        """,
    "tests/test_config.py": """\
        import yaml

        from loader import load


        def test_config():
            assert load(yaml.safe_load("[[1, 2]]")).sum() == 3
        """,
}


# --- the tools, run directly ----------------------------------------------------------------


def run(args: Sequence[str | Path], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Run a tool as a person would, from the project's directory."""
    import os  # noqa: PLC0415

    environment = {k: v for k, v in os.environ.items() if not k.startswith("COV")}
    environment.update(env)
    environment.pop("VIRTUAL_ENV", None)
    return run_command(args, cwd=cwd, env=environment, timeout=600)


def pinned(tool: str, version: str, *args: str) -> list[str]:
    """``uv tool run`` of a pinned tool: how a maintainer runs their pre-commit's version."""
    return [str(uv_binary()), "tool", "run", "--from", f"{tool}=={version}", tool, *args]


def black_would_reformat(command: Sequence[str | Path], project: Path) -> int:
    """Files ``black --check .`` would reformat (or cannot parse)."""
    done = run([*command, "--check", "."], project)
    return len(re.findall(r"^(would reformat|error: cannot)", done.stderr, re.MULTILINE))


def ruff_format_would_reformat(command: Sequence[str | Path], project: Path) -> int:
    """Files ``ruff format --check .`` would reformat."""
    done = run([*command, "format", "--check", "."], project)
    found = re.search(r"(\d+) files? would be reformatted", done.stdout + done.stderr)
    return int(found.group(1)) if found else 0


def ruff_violations(command: Sequence[str | Path], project: Path) -> list[tuple[str, int]]:
    """``(code, line)`` of each violation of ``ruff check .``."""
    done = run([*command, "check", "--output-format", "json", "."], project)
    return sorted(
        (item["code"] or "syntax", item["location"]["row"]) for item in json.loads(done.stdout)
    )


def mypy_errors(
    command: Sequence[str | Path], project: Path, *args: str | Path
) -> set[tuple[str, int]]:
    """``(file, line)`` of each error mypy reports, run by hand."""
    done = run([*command, "--no-error-summary", *args], project)
    found = re.findall(r"^(.+?):(\d+): error:", done.stdout, re.MULTILINE)
    return {(Path(file).as_posix(), int(line)) for file, line in found}


def pytest_counts(python: Path, project: Path, *args: str, **env: str) -> dict[str, int]:
    """The counts of pytest's own summary line (``2 passed, 1 failed, 1 error``)."""
    done = run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args], project, **env)
    last = done.stdout.strip().splitlines()[-1]
    counts = {"passed": 0, "failed": 0, "errors": 0, "skipped": 0}
    for number, word in re.findall(r"(\d+) (passed|failed|errors?|skipped)", last):
        counts["errors" if word.startswith("error") else word] += int(number)
    return counts


def pytest_coverage(python: Path, project: Path, target: str, scratch: Path) -> float:
    """Total coverage of ``pytest --cov=TARGET``, from coverage's JSON report."""
    report = scratch / "direct-coverage.json"
    options = ["-q", "-p", "no:cacheprovider", f"--cov={target}", f"--cov-report=json:{report}"]
    run([python, "-m", "pytest", *options], project, COVERAGE_FILE=str(scratch / ".coverage"))
    data = json.loads(report.read_text(encoding="utf-8"))
    return round(float(data["totals"]["percent_covered"]), 2)


def frozen(python: Path) -> str:
    """What is installed in an environment (``uv pip freeze``)."""
    return run([uv_binary(), "pip", "freeze", "--python", python], python.parent).stdout


def own_python() -> Path:
    """The interpreter research-ci (and this test run) runs on."""
    return Path(sys.executable)
