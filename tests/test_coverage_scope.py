"""What coverage measures when the project does not say: a flat layout's own packages.

With no ``--cov`` in ``addopts`` and no coverage ``source``, research-ci measures ``src`` in a
src layout and, in a flat layout, each import package (and declared or lone module) at the
root, as a maintainer's ``pytest --cov=nfft nfft`` does; ``setup.py``, ``docs/conf.py`` and a
``tests`` folder beside the package are not the project's code. The scopes are read from
real throwaway projects; the figures are compared with pytest-cov run directly, in the
environment research-ci made.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from adoption import pytest_counts, pytest_coverage, write_files
from conftest import Checker
from research_ci.checks.tests import coverage_arguments
from research_ci.config import load_settings
from research_ci.environment import venv_python

#: Shaped like jakevdp/nfft: ``setup.py`` reads its metadata by ``exec`` of the package's
#: version file, the tests live inside the package, and a Sphinx ``docs/conf.py`` sits beside.
NFFT_LIKE = {
    "setup.py": """\
        import os
        from setuptools import setup, find_packages

        PACKAGES = find_packages()
        ver_file = os.path.join("fourier", "version.py")
        with open(ver_file) as f:
            exec(f.read())

        opts = dict(name=NAME, version=VERSION, packages=PACKAGES, install_requires=REQUIRES)

        if __name__ == "__main__":
            setup(**opts)
        """,
    "setup.cfg": "[metadata]\ndescription_file = README.md\n",
    "README.md": "# fourier\n",
    "fourier/__init__.py": "from .core import ndft\nfrom .version import __version__\n",
    "fourier/version.py": """\
        NAME = "fourier"
        VERSION = __version__ = "0.1"
        REQUIRES = []
        """,
    "fourier/core.py": """\
        import cmath


        def ndft(x, f_hat):
            n = len(f_hat)
            ks = range(-n // 2, n // 2)
            return [sum(f * cmath.exp(2j * cmath.pi * k * t) for k, f in zip(ks, f_hat)) for t in x]


        def never_called(values):
            total = 0
            for value in values:
                total += value
            return total
        """,
    "fourier/tests/__init__.py": "",
    "fourier/tests/test_core.py": """\
        from fourier import ndft


        def test_constant():
            assert abs(ndft([0.0], [0, 1])[0] - 1) < 1e-12


        def test_length():
            assert len(ndft([0.1, 0.2, 0.3], [1, 2])) == 3
        """,
    "docs/conf.py": 'project = "fourier"\nextensions = ["sphinx.ext.autodoc"]\n',
}


def scope(root: Path, files: dict[str, str]) -> list[str]:
    """The ``--cov`` arguments research-ci gives pytest for the project ``files``."""
    return coverage_arguments(load_settings(write_files(root, files)))


SETUP = {"setup.py": "from setuptools import setup\nsetup(name='lib')\n"}
TESTS = {"tests/test_it.py": "def test_it():\n    pass\n"}
PACKAGE = {"lib/__init__.py": ""}


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        pytest.param(NFFT_LIKE, ["--cov=fourier"], id="nfft-like"),
        pytest.param(
            {
                **SETUP,
                **PACKAGE,
                **TESTS,
                "other/__init__.py": "",
                "tests/__init__.py": "",
                "test_helpers/__init__.py": "",
                "docs/__init__.py": "",
                "examples/__init__.py": "",
                "benchmarks/__init__.py": "",
                "data-files/__init__.py": "",
                "notes/readme.txt": "",
            },
            ["--cov=lib", "--cov=other"],
            id="several packages, not tests docs examples benchmarks",
        ),
        pytest.param(
            {
                "setup.py": "from setuptools import setup\nsetup(py_modules=['one', 'sub/two'])\n",
                "one.py": "",
                "sub/two.py": "",
                "versioneer.py": "",
                "make_plots.py": "",
                **TESTS,
            },
            ["--cov=one"],
            id="py_modules in setup.py",
        ),
        pytest.param(
            {
                "setup.cfg": "[metadata]\nname = two\n[options]\npy_modules =\n  two\n  three\n",
                "two.py": "",
                "three.py": "",
                "run.py": "",
                **TESTS,
            },
            ["--cov=three", "--cov=two"],
            id="py_modules in setup.cfg",
        ),
        pytest.param(
            {
                "pyproject.toml": (
                    '[project]\nname = "mod"\nversion = "1"\n'
                    '[tool.setuptools]\npy-modules = ["mod"]\npackages = ["lib"]\n'
                ),
                "mod.py": "",
                **PACKAGE,
                **TESTS,
            },
            ["--cov=lib", "--cov=mod"],
            id="py-modules and packages in pyproject.toml",
        ),
        pytest.param(
            {**SETUP, "lone.py": "", "conftest.py": "", "test_lone.py": "", "noxfile.py": ""},
            ["--cov=lone"],
            id="a lone module beside setup.py",
        ),
        pytest.param(
            {**SETUP, "first.py": "", "second.py": "", **TESTS},
            ["--cov=."],
            id="two undeclared modules: the root",
        ),
        pytest.param(
            {"requirements.txt": "numpy\n", "analysis.py": "", **PACKAGE, **TESTS},
            ["--cov=."],
            id="requirements scripts beside a package: the root",
        ),
        pytest.param(
            {"requirements.txt": "numpy\n", **PACKAGE, **TESTS},
            ["--cov=lib"],
            id="requirements project with a package only",
        ),
        pytest.param(
            {**SETUP, "__init__.py": "", **PACKAGE, **TESTS},
            ["--cov=."],
            id="the root is a package",
        ),
        pytest.param({**SETUP, "src/lib/__init__.py": "", **TESTS}, ["--cov=src"], id="src"),
        pytest.param(
            {**SETUP, **PACKAGE, ".coveragerc": "[run]\nsource = lib\n"},
            ["--cov"],
            id="coverage source",
        ),
        pytest.param(
            {**SETUP, **PACKAGE, "pytest.ini": "[pytest]\naddopts = --cov=lib/core\n"},
            [],
            id="addopts choose",
        ),
    ],
)
def test_scope_of_a_project(tmp_path: Path, files: dict[str, str], expected: list[str]) -> None:
    assert scope(tmp_path / "project", files) == expected


def test_a_symlinked_package_is_not_the_projects(tmp_path: Path) -> None:
    outside = write_files(tmp_path / "outside", {"elsewhere/__init__.py": "", "loose.py": ""})
    project = write_files(tmp_path / "project", {**SETUP, **PACKAGE, **TESTS})
    (project / "elsewhere").symlink_to(outside / "elsewhere")
    assert scope(project, {}) == ["--cov=lib"]
    (project / "loose.py").symlink_to(outside / "loose.py")
    (project / "lib" / "__init__.py").unlink()
    (project / "lib").rmdir()
    assert scope(project, {}) == ["--cov=."]


def check_tests(checker: Checker, name: str, files: dict[str, str]) -> tuple[Path, Any]:
    """The project written, and the tests check of ``research-ci check --only tests`` on it."""
    project, _, report, _ = checker.write_and_check(name, files, "--only", "tests")
    return project, report["checks"]["tests"]


def measured_files(project: Path) -> list[str]:
    """The files coverage measured in research-ci's run (its kept JSON report)."""
    data = json.loads((project / ".research-ci" / "coverage.json").read_text(encoding="utf-8"))
    return sorted(data["files"])


@pytest.mark.slow
def test_flat_layout_coverage_is_the_maintainers(checker: Checker, tmp_path: Path) -> None:
    project, tests = check_tests(checker, "fourier", NFFT_LIKE)
    python = venv_python(project / ".venv")

    assert tests["passed"] == pytest_counts(python, project, "fourier")["passed"] == 2
    assert tests["coverage"] == pytest_coverage(python, project, "fourier", tmp_path)
    assert measured_files(project) == [
        "fourier/__init__.py",
        "fourier/core.py",
        "fourier/tests/__init__.py",
        "fourier/tests/test_core.py",
        "fourier/version.py",
    ]
    # The root's figure, which counts setup.py's statements as never run, is another one.
    assert tests["coverage"] > pytest_coverage(python, project, ".", tmp_path)


@pytest.mark.slow
def test_single_module_coverage_is_the_maintainers(checker: Checker, tmp_path: Path) -> None:
    project, tests = check_tests(
        checker,
        "single",
        {
            "setup.py": "from setuptools import setup\nsetup(name='s', py_modules=['single'])\n",
            "single.py": "def double(x):\n    return 2 * x\n\n\ndef unused(x):\n    return x\n",
            "tests/test_single.py": "from single import double\n\n\ndef test_double():\n"
            "    assert double(2) == 4\n",
        },
    )
    python = venv_python(project / ".venv")

    assert tests["coverage"] == pytest_coverage(python, project, "single", tmp_path)
    assert measured_files(project) == ["single.py"]
