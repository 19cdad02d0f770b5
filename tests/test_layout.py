"""What research-ci reads from a project's files: its layout, its Python, its tool pins.

Fast tests on real files (no tool runs): every layout research-ci accepts, what it would
install from what, which Python a project asks for, the pins of a pre-commit configuration,
the formatter, uv's error lines, mypy's text output.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from adoption import write_files
from research_ci.config import load_settings
from research_ci.environment import (
    EnvironmentSetupError,
    ProjectEnvironment,
    activated_environment,
    first_error,
    installed_version,
    write_stamp,
)
from research_ci.errors import UsageError
from research_ci.interpreters import how_to_get, pyenv_pythons, venv_version
from research_ci.layout import (
    STEPS_KEY,
    PythonRequest,
    conda_requirement,
    read_setup_py,
    requirement_names,
)
from research_ci.tools import choose_formatter, read_pre_commit


def steps(root: Path) -> list[tuple[str, str]]:
    return [(step.what, step.source) for step in load_settings(root).project.steps]


# --- layouts -------------------------------------------------------------------------------


def test_setup_py_only_project(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "setup.py": """\
                from setuptools import find_packages, setup

                EXTRAS = {"test": ["pytest>=7", "hypothesis"], "docs": ["sphinx"]}

                setup(
                    name="oldlib",
                    packages=find_packages(),
                    install_requires=["numpy>=1.20", "scipy"],
                    extras_require=EXTRAS,
                    python_requires=">=3.9",
                )
                """,
            "oldlib/__init__.py": "",
        },
    )
    settings = load_settings(tmp_path)
    layout = settings.project
    assert (layout.name, layout.kind, layout.extras) == ("oldlib", "setup.py", ("test",))
    assert steps(tmp_path) == [("-e .[test]", "setup.py"), ("pytest, pytest-cov", "research-ci")]
    assert layout.python == PythonRequest(">=3.9", "python_requires in setup.py")
    assert {"numpy", "scipy", "pytest", "hypothesis"} <= layout.declared
    assert not layout.declares("sphinx")
    assert settings.paths == (".",)


def test_setup_cfg_with_a_setup_py_shim(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "setup.py": "import setuptools\n\nsetuptools.setup()\n",
            "setup.cfg": """\
                [metadata]
                name = cfglib

                [options]
                packages = find:
                python_requires = >=3.10
                install_requires =
                    pandas

                [options.extras_require]
                tests =
                    pytest
                    ruff==0.4.1
                """,
        },
    )
    layout = load_settings(tmp_path).project
    assert (layout.name, layout.kind, layout.extras) == ("cfglib", "setup.py", ("tests",))
    assert layout.python == PythonRequest(">=3.10", "python_requires in setup.cfg")
    assert layout.declares("ruff")
    assert layout.declares("pandas")


def test_setup_cfg_without_package_metadata_is_not_a_package(tmp_path: Path) -> None:
    write_files(tmp_path, {"setup.cfg": "[flake8]\nmax-line-length = 100\n", "run.py": "x = 1\n"})
    layout = load_settings(tmp_path).project
    assert layout.kind == "scripts"
    assert steps(tmp_path) == [("pytest, pytest-cov", "research-ci")]


def test_requirements_files_are_installed_in_order_with_includes(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "requirements.txt": "numpy==1.26.4  # pinned\n-r requirements/base.txt\n",
            "requirements/base.txt": "scikit-learn\n",
            "requirements-dev.txt": "-r requirements.txt\npytest\nblack==24.2.0\n",
            "test-requirements.txt": "pytest-mock\n",
            "requirements-docs.txt": "sphinx\n",
            "train.py": "print('hi')\n",
        },
    )
    layout = load_settings(tmp_path).project
    assert layout.kind == "requirements"
    assert steps(tmp_path) == [
        ("-r requirements.txt", "requirements.txt"),
        ("-r requirements-dev.txt", "requirements-dev.txt"),
        ("-r test-requirements.txt", "test-requirements.txt"),
        ("-r requirements/base.txt", "requirements/base.txt"),
        ("pytest, pytest-cov", "research-ci"),
    ]
    assert {"numpy", "scikit-learn", "black", "pytest-mock"} <= layout.declared
    assert not layout.declares("sphinx")
    assert layout.python is None


def test_requirement_includes_never_leave_the_project(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("secret-package\n", encoding="utf-8")
    project = write_files(tmp_path / "p", {"requirements.txt": "-r ../outside.txt\nnumpy\n"})
    assert requirement_names(project / "requirements.txt", project) == {"numpy"}


def test_pep621_project_with_extras_and_groups(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "pyproject.toml": """\
                [project]
                name = "modern"
                version = "1"
                requires-python = ">=3.11"
                dependencies = ["torch"]

                [project.optional-dependencies]
                dev = ["mypy==1.10.0"]
                plot = ["matplotlib"]

                [dependency-groups]
                test = ["pytest"]
                """,
            ".python-version": "# pinned by pyenv\n3.12\n",
        },
    )
    layout = load_settings(tmp_path).project
    assert steps(tmp_path)[0] == ("-e .[dev] --group test", "pyproject.toml")
    assert layout.python == PythonRequest("3.12", ".python-version")
    assert layout.declares("mypy")
    assert layout.declares("torch")
    assert not layout.declares("matplotlib")


def test_poetry_project_installs_through_its_build_backend(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "pyproject.toml": """\
                [build-system]
                requires = ["poetry-core"]
                build-backend = "poetry.core.masonry.api"

                [tool.poetry.dependencies]
                python = "^3.10"
                """,
        },
    )
    layout = load_settings(tmp_path).project
    assert steps(tmp_path)[0] == ("-e .", "pyproject.toml")
    assert layout.python == PythonRequest(">=3.10", "python in [tool.poetry.dependencies]")


def test_conda_environment_file(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "environment.yml": """\
                name: research
                channels: [conda-forge]
                dependencies:
                  - python=3.10
                  - numpy=1.26
                  - conda-forge::scipy>=1.10
                  - pytorch
                  - cudatoolkit=11.8
                  - libgcc-ng
                  - pip
                  - pip:
                      - wandb==0.16.0
                      - -e .
                """,
            "model.py": "x = 1\n",
        },
    )
    layout = load_settings(tmp_path).project
    assert layout.kind == "environment.yml"
    conda = next(step for step in layout.steps if step.source == "environment.yml")
    assert conda.args == ("numpy==1.26.*", "scipy>=1.10", "torch", "wandb==0.16.0")
    assert layout.python == PythonRequest("3.10", "python in environment.yml")
    assert any("conda activate" in note for note in layout.notes)


@pytest.mark.parametrize(
    ("spec", "requirement"),
    [
        ("numpy", "numpy"),
        ("numpy=1.26", "numpy==1.26.*"),
        ("numpy=1.26.4=py310h5f9d8c6_0", "numpy==1.26.4.*"),
        ("numpy >=1.2, <2", "numpy>=1.2,<2"),
        ("conda-forge::py-opencv", "opencv-python"),
        ("r-base", None),
        ("_libgcc_mutex", None),
        ("python", None),
    ],
)
def test_conda_requirement(spec: str, requirement: str | None) -> None:
    assert conda_requirement(spec) == requirement


def test_setup_py_is_read_not_run(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    setup = write_files(
        tmp_path,
        {"setup.py": f"""\
                import pathlib
                pathlib.Path({str(marker)!r}).write_text("ran")
                from setuptools import setup
                setup(name="x", extras_require=make_extras())
                """},
    )
    facts = read_setup_py(setup / "setup.py")
    assert (facts.name, facts.extras) == ("x", ())
    assert not marker.exists()
    (tmp_path / "setup.py").write_text("def broken(:\n", encoding="utf-8")
    assert read_setup_py(tmp_path / "setup.py").name is None


def test_a_directory_that_is_not_a_python_project_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello\n", encoding="utf-8")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "x.py").write_text("x = 1\n", encoding="utf-8")
    with pytest.raises(UsageError, match="no Python project"):
        load_settings(tmp_path)
    (tmp_path / "analysis").mkdir()
    (tmp_path / "analysis" / "run.py").write_text("x = 1\n", encoding="utf-8")
    assert load_settings(tmp_path).project.kind == "scripts"


def test_unknown_formatter_setting_is_a_usage_error(tmp_path: Path) -> None:
    write_files(tmp_path, {"pyproject.toml": '[tool.research-ci]\nformatter = "yapf"\n'})
    with pytest.raises(UsageError, match="formatter must be one of black, ruff"):
        load_settings(tmp_path)


# --- the Python a project asks for --------------------------------------------------------


@pytest.mark.parametrize(
    ("request_text", "version", "accepted"),
    [
        ("3.12", "3.12.1", True),
        ("3.12", "3.1.2", False),
        ("3.12", "3.13.0", False),
        ("3.12.1", "3.12.1", True),
        (">=3.11", "3.13.0", True),
        (">=3.11,<3.13", "3.13.0", False),
        ("~=3.10", "3.11.7", True),
        ("not a version", "3.11.7", True),
        ("/usr/bin/python3", "3.11.7", True),
    ],
)
def test_python_request_accepts(request_text: str, version: str, accepted: bool) -> None:
    assert PythonRequest(request_text, "test").accepts(version) is accepted


def test_missing_python_is_one_line_saying_how_to_get_it() -> None:
    message = how_to_get(PythonRequest(">=3.14", "requires-python in pyproject.toml"))
    assert "\n" not in message
    assert message.startswith("the project needs Python >=3.14 (requires-python")
    assert "uv python install 3.14" in message
    assert "pyenv install 3.14" in message


def test_pyenv_versions_are_found_without_pyenv_on_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for version in ("3.12.1", "3.13.0", "3.11.7", "miniconda3-latest"):
        binary = tmp_path / "versions" / version / "bin"
        binary.mkdir(parents=True)
        minor = ".".join(version.split(".")[:2])
        (binary / f"python{minor}").write_text("#!/bin/sh\n", encoding="utf-8")
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path))
    monkeypatch.setenv("PATH", "/nonexistent")
    found = [python.version for python in pyenv_pythons() if python.path.is_relative_to(tmp_path)]
    assert found == ["3.13.0", "3.12.1", "3.11.7"]


def test_venv_version_reads_pyvenv_cfg(tmp_path: Path) -> None:
    (tmp_path / "pyvenv.cfg").write_text("home = /usr/bin\nversion_info = 3.12.1\n")
    assert venv_version(tmp_path) == "3.12.1"
    (tmp_path / "pyvenv.cfg").write_text("home = /usr/bin\nversion = 3.10.13\n")
    assert venv_version(tmp_path) == "3.10.13"
    assert venv_version(tmp_path / "missing") is None


# --- the environment's plan ------------------------------------------------------------------


def fake_venv(root: Path, version: str) -> Path:
    venv = root / ".venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").write_text("", encoding="utf-8")
    (venv / "pyvenv.cfg").write_text(f"version_info = {version}\n", encoding="utf-8")
    return venv


def test_plan_follows_the_stamp(tmp_path: Path) -> None:
    project = write_files(tmp_path, {"requirements.txt": "numpy\n"})
    assert ProjectEnvironment(load_settings(project), install=True).plan.action == "create"
    venv = fake_venv(project, "3.11.7")
    plan = ProjectEnvironment(load_settings(project), install=True).plan
    assert (plan.kind, plan.action) == ("existing", "use")
    settings = load_settings(project)
    fingerprint = settings.project.fingerprint(project)
    write_stamp(venv, state="complete", fingerprint=fingerprint, version="3.11.7", steps=[])
    plan = ProjectEnvironment(settings, install=True).plan
    assert (plan.kind, plan.action) == ("managed", "use")
    (project / "requirements.txt").write_text("numpy\npandas\n", encoding="utf-8")
    plan = ProjectEnvironment(load_settings(project), install=True).plan
    assert (plan.action, plan.reason) == ("sync", "requirements.txt changed")
    write_stamp(venv, state="installing", fingerprint=fingerprint, version="3.11.7", steps=[])
    plan = ProjectEnvironment(load_settings(project), install=True).plan
    assert (plan.action, plan.reason) == ("recreate", "an earlier install did not finish")


def test_plan_remakes_a_venv_of_the_wrong_python(tmp_path: Path) -> None:
    project = write_files(tmp_path, {"requirements.txt": "numpy\n", ".python-version": "3.12\n"})
    settings = load_settings(project)
    venv = fake_venv(project, "3.11.7")
    fingerprint = settings.project.fingerprint(project)
    assert STEPS_KEY in fingerprint
    write_stamp(venv, state="complete", fingerprint=fingerprint, version="3.11.7", steps=[])
    plan = ProjectEnvironment(settings, install=True).plan
    assert plan.action == "recreate"
    assert plan.reason == "it has Python 3.11.7 and the project needs Python 3.12 (.python-version)"
    plan = ProjectEnvironment(settings, install=True, python="3.11").plan
    assert plan.action == "use"


def test_activated_environment_wins_and_no_install_never_creates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = write_files(tmp_path / "p", {"requirements.txt": "numpy\n"})
    conda = tmp_path / "conda-env"
    conda.mkdir()
    monkeypatch.setenv("CONDA_PREFIX", str(conda))
    assert activated_environment() == (conda, f"$CONDA_PREFIX ({conda})")
    plan = ProjectEnvironment(load_settings(project), install=True).plan
    assert (plan.kind, plan.prefix, plan.action) == ("activated", conda, "use")
    monkeypatch.setenv("VIRTUAL_ENV", str(tmp_path / "missing"))
    assert activated_environment() == (conda, f"$CONDA_PREFIX ({conda})")
    monkeypatch.setenv("CONDA_DEFAULT_ENV", "base")
    assert activated_environment() is None
    monkeypatch.delenv("CONDA_PREFIX")
    monkeypatch.delenv("VIRTUAL_ENV")
    plan = ProjectEnvironment(load_settings(project), install=False).plan
    assert (plan.kind, plan.action) == ("research-ci", "use")


def test_installed_version_reads_dist_info(tmp_path: Path) -> None:
    site = tmp_path / "lib" / "python3.12" / "site-packages"
    (site / "Ruff-0.3.0.dist-info").mkdir(parents=True)
    (site / "black-24.2.0.dist-info").mkdir()
    assert installed_version(tmp_path, "ruff") == "0.3.0"
    assert installed_version(tmp_path, "Black") == "24.2.0"
    assert installed_version(tmp_path, "mypy") is None


# --- uv's errors ------------------------------------------------------------------------------


def test_first_error_of_an_unsatisfiable_requirement() -> None:
    output = (
        "error: No solution found when resolving dependencies\n"
        "  cause: Because nonexistent-pkg was not found in the package registry and you "
        "require nonexistent-pkg, we can conclude that your requirements are unsatisfiable.\n"
    )
    assert first_error(output) == (
        "No solution found when resolving dependencies: Because nonexistent-pkg was not found "
        "in the package registry and you require nonexistent-pkg, we can conclude that your "
        "requirements are unsatisfiable."
    )


def test_first_error_of_a_failed_build_names_the_exception() -> None:
    output = textwrap.dedent("""\
        Resolved 3 packages
        error: The build backend returned an error
          cause: Call to `setuptools.build_meta:__legacy__.get_requires_for_build_editable` failed

                 [stderr]
                 Traceback (most recent call last):
                   File "<string>", line 1, in <module>
                 ModuleNotFoundError: No module named 'nonexistent_mod'

                 hint: This usually indicates a problem with the package or the build environment.
        """)
    assert first_error(output) == (
        "The build backend returned an error: ModuleNotFoundError: No module named "
        "'nonexistent_mod'"
    )


def test_first_error_of_fancy_and_plain_output() -> None:
    assert first_error("  \u00d7 Failed to download `x`\n  ╰─▶ HTTP status 404\n") == (
        "Failed to download `x`: HTTP status 404"
    )
    assert first_error("\n\nsomething odd happened\nmore\n") == "something odd happened"
    assert first_error("") == "no output"


# --- pre-commit pins and the formatter ---------------------------------------------------------

PRE_COMMIT = """\
repos:
  - repo: https://github.com/pre-commit/pre-commit-hooks
    rev: v4.5.0
    hooks:
      - id: end-of-file-fixer
  - repo: https://github.com/astral-sh/ruff-pre-commit
    rev: 0f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c  # frozen: v0.3.0
    hooks:
      - id: ruff
        args: [--fix]
      - id: ruff-format
  - repo: https://github.com/pre-commit/mirrors-mypy
    rev: v1.8.0
    hooks:
      - id: mypy
        additional_dependencies: [types-requests, "numpy>=1.26", "--index-url=http://evil"]
  - repo: https://github.com/psf/black-pre-commit-mirror
    rev: not-a-version
    hooks:
      - id: black
"""


def test_pre_commit_pins(tmp_path: Path) -> None:
    write_files(tmp_path, {".pre-commit-config.yaml": PRE_COMMIT})
    pins = read_pre_commit(tmp_path)
    assert dict(pins.versions) == {"ruff": "0.3.0", "mypy": "1.8.0"}
    assert {"ruff", "ruff-format", "mypy", "black", "end-of-file-fixer"} <= pins.hooks
    assert pins.mypy_dependencies == ("types-requests", "numpy>=1.26")
    assert pins.file == ".pre-commit-config.yaml"


def test_broken_or_absent_pre_commit_configuration_pins_nothing(tmp_path: Path) -> None:
    assert read_pre_commit(tmp_path).versions == {}
    write_files(tmp_path, {".pre-commit-config.yaml": "repos: [\n"})
    assert read_pre_commit(tmp_path).versions == {}


@pytest.mark.parametrize(
    ("files", "formatter"),
    [
        ({}, "black"),
        ({"pyproject.toml": "[tool.ruff.format]\nquote-style = 'single'\n"}, "ruff"),
        ({"ruff.toml": "[format]\nquote-style = 'single'\n"}, "ruff"),
        (
            {"pyproject.toml": "[tool.ruff.format]\nquote-style = 'single'\n[tool.black]\n"},
            "black",
        ),
        (
            {
                "pyproject.toml": "[tool.black]\nline-length = 100\n",
                ".pre-commit-config.yaml": "repos:\n  - repo: https://github.com/astral-sh/"
                "ruff-pre-commit\n    rev: v0.4.0\n    hooks:\n      - id: ruff-format\n",
            },
            "ruff",
        ),
        (
            {
                "pyproject.toml": '[tool.ruff.format]\n[tool.research-ci]\nformatter = "black"\n',
            },
            "black",
        ),
    ],
)
def test_formatter_is_detected(tmp_path: Path, files: dict[str, str], formatter: str) -> None:
    write_files(tmp_path, {"code.py": "x = 1\n", **files})
    settings = load_settings(tmp_path)
    assert choose_formatter(settings, read_pre_commit(tmp_path))[0] == formatter


def test_a_conda_file_beside_a_package_is_left_to_conda(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "lib"\nversion = "1"\n',
            "environment.yml": "dependencies:\n  - jupyterlab\n  - pandas\n  - pip:\n      - .\n",
        },
    )
    layout = load_settings(tmp_path).project
    assert steps(tmp_path) == [("-e .", "pyproject.toml"), ("pytest, pytest-cov", "research-ci")]
    assert "environment.yml" not in layout.sources


def test_a_venv_whose_python_is_gone(tmp_path: Path) -> None:
    project = write_files(tmp_path, {"requirements.txt": "numpy\n"})
    venv = fake_venv(project, "3.11.7")
    (venv / "bin" / "python").unlink()
    environment = ProjectEnvironment(load_settings(project), install=True)
    assert (environment.plan.kind, environment.plan.action) == ("existing", "use")
    with pytest.raises(EnvironmentSetupError, match=r"bin/python does not run: .* remove it"):
        environment.get()
    record = environment.record()
    assert record is not None
    assert (record["kind"], record["location"]) == ("existing", ".venv")
    assert "does not run" in record["error"]
    write_stamp(venv, state="complete", fingerprint={}, version="3.11.7", steps=[])
    plan = ProjectEnvironment(load_settings(project), install=True).plan
    assert (plan.kind, plan.action, plan.reason) == ("managed", "recreate", "its Python is gone")


def test_links_out_of_the_project_are_not_followed(tmp_path: Path) -> None:
    outside = write_files(
        tmp_path / "outside",
        {
            "requirements.txt": "secret\n",
            "setup.py": "from setuptools import setup\nsetup(name='x')\n",
        },
    )
    project = write_files(tmp_path / "p", {"run.py": "x = 1\n"})
    (project / "requirements.txt").symlink_to(outside / "requirements.txt")
    (project / "setup.py").symlink_to(outside / "setup.py")
    (outside / "venv").mkdir()
    (project / ".venv").symlink_to(outside / "venv")
    settings = load_settings(project)
    assert settings.project.kind == "scripts"
    assert steps(project) == [("pytest, pytest-cov", "research-ci")]
    plan = ProjectEnvironment(settings, install=True).plan
    assert (plan.kind, plan.action) == ("existing", "use")
