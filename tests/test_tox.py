"""research-ci reads what a project says in tox: test deps, tool pins, tool paths.

tqdm declares its test dependencies only in tox; h11 pins black in
``format-requirements.txt`` and mypy in ``[testenv:mypy] deps``, and type-checks ``h11/``
only (docs/real-world.md). The reader is compared with tox itself (``tox config``, run
through uv at a pinned version); the checks with black, mypy and pytest run directly at the
versions and on the paths research-ci says it used.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from adoption import (
    black_would_reformat,
    mypy_errors,
    pinned,
    pytest_counts,
    run,
    write_files,
)
from conftest import Checker
from projects import hatchling_pyproject
from research_ci.config import load_settings
from research_ci.environment import uv_binary, venv_python
from research_ci.pyproject import read_toml
from research_ci.toxconfig import command_paths, exact_pins, plain_deps, read_tox

TOX = "4.67.15"

#: Every rule of tox's INI values at once: an inline comment, a comment line, a
#: ``{[section]key}`` reference, an environment marker, factor conditions (one that applies
#: to an environment without the factor, two that do not), ``-r{toxinidir}/...``, a
#: continuation line, a URL.
TOX_INI = """\
    [tox]
    envlist = plain

    [core]
    deps =
        pytest  # the runner
        pytest-timeout

    [testenv]
    skip_install = true
    deps =
        {[core]deps}
        # a comment line
        numpy>=1.20 ; python_version >= "3.8"
        py38: tensorflow
        !pypy: pandas
        {py38,py39}-tf: keras
        -r{toxinidir}/test-requirements.txt
        rich\\
        -click
        git+https://github.com/casperdcl/nbval
    commands =
        - {envpython} -m pytest {posargs}

    [testenv:typing]
    deps =
        mypy==1.8.0
        types-requests
    commands =
        mypy --config-file mypy.ini --python-version 3.10 pkg/ tools/run.py missing/ {posargs}
    """


def tox_config_deps(project: Path, env: str) -> list[str]:
    """The ``deps`` of ``env`` as tox itself reads them (``tox config``)."""
    tox: list[str | Path] = [uv_binary(), "tool", "run", "--from", f"tox=={TOX}", "tox"]
    done = run([*tox, "config", "-e", env, "-k", "deps"], project)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("deps ="))
    inline = lines[start].removeprefix("deps =").strip()  # one dependency: on the same line
    return [inline] if inline else [line.strip() for line in lines[start + 1 :]]


def test_tox_ini_deps_are_read_as_tox_reads_them(tmp_path: Path) -> None:
    """Our reading of ``[testenv] deps`` is tox's, for an environment without factors."""
    project = write_files(
        tmp_path / "lib",
        {
            "tox.ini": TOX_INI,
            "test-requirements.txt": "six\n",
            "pkg/__init__.py": "",
            "tools/run.py": "",
            "mypy.ini": "[mypy]\n",
        },
    )
    config = read_tox(project, {})
    assert config is not None
    assert config.base is not None
    expected = tox_config_deps(project, "plain")
    assert [re.sub(r"^-r\s*", "-r", line) for line in expected] == list(config.base.deps)
    assert expected == [
        "pytest",
        "pytest-timeout",
        'numpy>=1.20 ; python_version >= "3.8"',
        "pandas",
        f"-r {project / 'test-requirements.txt'}",
        "rich-click",
        "git+https://github.com/casperdcl/nbval",
    ]
    deps = plain_deps(config.base, project)
    assert deps.requirements == (
        "pytest",
        "pytest-timeout",
        'numpy>=1.20 ; python_version >= "3.8"',
        "pandas",
        "rich-click",
    )
    assert deps.files == ("test-requirements.txt",)
    assert deps.skipped == (
        "tensorflow (only for the factors py38)",
        "keras (only for the factors {py38,py39}-tf)",
        "git+https://github.com/casperdcl/nbval (not a package on PyPI: a URL, a path?)",
    )
    # Pins, with the environment they are written in; paths of the mypy command: option
    # values, a path that does not exist and {posargs} are not paths.
    assert {name: pin[:2] for name, pin in exact_pins(config, ["mypy", "black"]).items()} == {
        "mypy": ("1.8.0", "tox.ini [testenv:typing] deps")
    }
    assert command_paths(config, "mypy", project) == (
        ("pkg/", "tools/run.py"),
        "tox.ini [testenv:typing] commands",
    )
    assert command_paths(config, "black", project) is None


@pytest.mark.parametrize("form", ["setup.cfg", "legacy_tox_ini", "tool.tox", "tox.toml"])
def test_every_place_tox_reads(tmp_path: Path, form: str) -> None:
    """``setup.cfg [tox:tox]``, ``legacy_tox_ini``, tox 4's ``[tool.tox]`` and ``tox.toml``."""
    ini = "[tox:tox]\nenvlist = py\n\n[testenv]\ndeps =\n    six\n    py38: nose\n"
    files = {
        "setup.cfg": {"setup.cfg": ini},
        "legacy_tox_ini": {
            "pyproject.toml": f'[tool.tox]\nlegacy_tox_ini = """\n{ini.replace("tox:", "")}"""\n'
        },
        "tool.tox": {
            "pyproject.toml": '[tool.tox.env_run_base]\ndeps = ["six", {replace = "ref"}]\n'
            'commands = [["mypy", "pkg"]]\n'
        },
        "tox.toml": {"tox.toml": '[env_run_base]\ndeps = ["six"]\ncommands = [["mypy", "pkg"]]\n'},
    }[form]
    project = write_files(tmp_path / "lib", {**files, "pkg/__init__.py": ""})
    pyproject = (
        read_toml(project / "pyproject.toml", missing="")
        if (project / "pyproject.toml").exists()
        else {}
    )
    config = read_tox(project, pyproject)
    assert config is not None
    assert config.base is not None
    assert config.base.deps == ("six",)
    if form.startswith("tool") or form == "tox.toml":
        assert command_paths(config, "mypy", project) == (
            ("pkg",),
            f"{config.where} [testenv] commands",
        )
    else:
        assert config.base.skipped == ("nose (only for the factors py38)",)
        assert tox_config_deps(project, "py") == ["six"]


def test_uv_default_groups_are_installed(tmp_path: Path) -> None:
    """itsdangerous: ``[tool.uv] default-groups`` lists ``typing`` (its mypy)."""
    project = write_files(
        tmp_path / "lib",
        {
            "pyproject.toml": hatchling_pyproject(
                "lib",
                """
                [dependency-groups]
                tests = ["pytest"]
                typing = ["mypy"]
                docs = ["sphinx"]

                [tool.uv]
                default-groups = ["tests", "typing"]
                """,
            ),
        },
    )
    layout = load_settings(project).project
    assert layout.dependency_groups == ("tests", "typing")
    assert layout.steps[0].what == "-e . --group tests --group typing"
    assert layout.declares("mypy")
    assert not layout.declares("sphinx")


@pytest.mark.slow
def test_test_deps_only_in_tox_are_installed(checker: Checker) -> None:
    """tqdm: no test extra, the suite needs a package only ``[testenv] deps`` lists."""
    project = checker.write(
        "lib",
        {
            "pyproject.toml": hatchling_pyproject("lib"),
            "tox.ini": """\
                [testenv]
                deps =
                    pytest
                    six  # the tests use it
                    py38: mock
                commands = pytest {posargs}
                """,
            "lib.py": "def double(x):\n    return 2 * x\n",
            "tests/test_lib.py": """\
                import six

                import lib


                def test_double():
                    assert lib.double(six.MAXSIZE) == 2 * six.MAXSIZE
                """,
        },
    )
    code, report, _ = checker.check(project, "--only", "tests")
    environment = report["environment"]
    assert {"what": "pytest, six", "from": "tox.ini [testenv] deps"} in environment["installed"]
    assert environment["notes"] == [
        "not installed from tox.ini [testenv] deps: mock (only for the factors py38)"
    ]
    python = venv_python(project / ".venv")
    tests = report["checks"]["tests"]
    direct = pytest_counts(python, project)
    assert (code, tests["passed"], tests["failed"]) == (0, direct["passed"], 0) == (0, 1, 0)

    # Reused as it is, the environment still says what was left out.
    code, report, _ = checker.check(project, "--only", "tests")
    assert (code, report["environment"]["synced"]) == (0, False)
    assert report["environment"]["notes"] == environment["notes"]

    # A change of tox.ini installs again. A tox dependency that cannot be installed is left
    # out, and said; the rest installs.
    tox_ini = project / "tox.ini"
    tox_ini.write_text(tox_ini.read_text().replace("six  #", "six<0  #"))
    code, report, _ = checker.check(project, "--only", "tests")
    environment = report["environment"]
    assert environment["synced"] is True
    assert [step["from"] for step in environment["installed"]] == ["pyproject.toml", "research-ci"]
    assert environment["notes"][-1].startswith(
        "tox.ini [testenv] deps not installed: install failed: No solution found"
    )
    assert "six<0" in environment["notes"][-1]


#: A library whose maintainers pin black in ``format-requirements.txt`` and mypy in tox, and
#: check ``pkg/`` only. Each pinned version passes where the newest fails: black 24+ wants
#: a blank line after the module docstring, mypy 2 no longer takes a bytearray for bytes.
PINNED = {
    "requirements.txt": "",
    "format-requirements.txt": "black==23.3.0\nisort==5.12.0\n",
    "tox.ini": """\
        [testenv:format]
        deps = -r{toxinidir}/format-requirements.txt
        commands = black --check --diff pkg/

        [testenv:mypy]
        deps =
            mypy==1.8.0
        commands = mypy pkg/
        """,
    "pyproject.toml": "[tool.mypy]\nstrict = true\n",
    "pkg/__init__.py": '"""Numbers."""\nimport os\n\nSEP = os.sep\n',
    "pkg/sizes.py": (
        "def size(data: bytes) -> int:\n    return len(data)\n\n\n"
        'SIZE = size(bytearray(b"ab"))\n'
    ),
    "bench/run.py": "x=1\n\n\ndef untyped(y):\n    return y\n",
}


@pytest.mark.slow
def test_tool_pins_and_paths_from_tox_and_requirements_files(checker: Checker) -> None:
    """h11: research-ci runs black 23.3.0 and mypy 1.8.0 on ``pkg/``, as its tox does."""
    project, code, report, _ = checker.write_and_check("lib", PINNED, "--only", "format,types")
    format_ = report["checks"]["format"]
    types = report["checks"]["types"]
    assert format_["tool"] == {
        "name": "black",
        "version": "23.3.0",
        "from": "tox",
        "pinned_in": "tox.ini [testenv:format] deps",
        "paths": "pkg/",
        "paths_from": "tox.ini [testenv:format] commands",
    }
    assert types["tool"] == {
        "name": "mypy",
        "version": "1.8.0",
        "from": "tox",
        "pinned_in": "tox.ini [testenv:mypy] deps",
        "paths": "pkg/",
        "paths_from": "tox.ini [testenv:mypy] commands",
    }
    black_23 = pinned("black", "23.3.0")
    mypy_18 = pinned("mypy", "1.8.0")
    python = venv_python(project / ".venv")
    # As the maintainers run them: clean.
    assert run([*black_23, "--check", "pkg/"], project).returncode == 0
    assert mypy_errors(mypy_18, project, "--python-executable", python, "pkg/") == set()
    assert (code, format_["files_to_reformat"], types["errors"]) == (0, 0, 0)
    # Another version, or other paths, would give other answers.
    assert black_would_reformat(pinned("black", "26.10.1"), project / "pkg") == 1
    assert black_would_reformat(black_23, project) == 1  # bench/run.py
    assert mypy_errors(pinned("mypy", "2.4.1"), project, "pkg/") == {("pkg/sizes.py", 5)}
    assert mypy_errors(mypy_18, project, ".") == {("bench/run.py", 4)}

    # Without tox, the pin of format-requirements.txt is still read; paths are the project's.
    (project / "tox.ini").unlink()
    code, report, _ = checker.check(project, "--only", "format,types")
    format_ = report["checks"]["format"]
    assert format_["tool"] == {
        "name": "black",
        "version": "23.3.0",
        "from": "requirements",
        "pinned_in": "format-requirements.txt",
    }
    assert format_["files_to_reformat"] == 1
    assert [finding["file"] for finding in format_["findings"]] == ["bench/run.py"]
    assert report["checks"]["types"]["tool"]["from"] == "research-ci"
    assert code == 1


@pytest.mark.slow
def test_coverage_warning_about_its_source_is_a_notice(checker: Checker) -> None:
    """itsdangerous's ``source = ["jinja2", "tests"]``: coverage measures only the tests."""
    project = checker.write(
        "lib",
        {
            "requirements.txt": "",
            "pyproject.toml": '[tool.coverage.run]\nsource = ["jinja2", "tests"]\n',
            "lib.py": "def double(x):\n    return 2 * x\n",
            "tests/test_lib.py": """\
                import lib


                def test_double():
                    assert lib.double(2) == 4
                """,
        },
    )
    code, report, _ = checker.check(project, "--only", "tests")
    python = venv_python(project / ".venv")
    direct = run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--cov"], project)
    assert "Module jinja2 was never imported. (module-not-imported)" in direct.stderr
    tests = report["checks"]["tests"]
    assert (code, tests["coverage"]) == (0, 100.0)
    assert [(f["code"], f["severity"], f["message"]) for f in tests["findings"]] == [
        (
            "coverage-module-not-imported",
            "notice",
            "coverage warns: Module jinja2 was never imported (module-not-imported)",
        )
    ]


def test_a_tox_command_running_mypy_adopts_it(tmp_path: Path) -> None:
    """Types grade a project whose tox runs mypy, as one with a mypy pre-commit hook."""
    project = write_files(tmp_path / "lib", {"requirements.txt": "", "lib.py": ""})
    assert "types" in load_settings(project).advisory
    write_files(project, {"tox.ini": "[testenv:typing]\ncommands = python -m mypy lib.py\n"})
    settings = load_settings(project)
    assert "types" not in settings.advisory
    assert settings.project.tox is not None
    assert command_paths(settings.project.tox, "mypy", project) == (
        ("lib.py",),
        "tox.ini [testenv:typing] commands",
    )
