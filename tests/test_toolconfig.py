"""The tools' configuration, read where each tool reads it: compared with the tools themselves.

For each layout, research-ci's reader (:mod:`research_ci.toolconfig`) and the tool's own
lookup (pytest's ``locate_config``, coverage's configuration as pytest-cov starts it, mypy's
``parse_config_file``; the versions research-ci depends on) must name the same file and the
same settings.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path
from typing import Any

import coverage
import pytest
from _pytest.config.findpaths import locate_config
from mypy.config_parser import parse_config_file
from mypy.options import Options

from adoption import write_files
from research_ci.config import load_settings
from research_ci.errors import UsageError
from research_ci.pyproject import read_toml
from research_ci.toolconfig import (
    Flake8Config,
    PytestConfig,
    ToolConfigs,
    read_coverage_config,
    read_flake8_config,
    read_mypy_config,
    read_pytest_config,
    read_tool_configs,
    shown_options,
)


def pyproject_of(root: Path) -> dict[str, Any]:
    path = root / "pyproject.toml"
    return read_toml(path, missing="") if path.is_file() else {}


# --- pytest ---------------------------------------------------------------------------------

PYTEST_LAYOUTS: dict[str, tuple[dict[str, str], str | None, tuple[str, ...]]] = {
    "nothing": ({}, None, ()),
    "pytest.ini wins even empty": (
        {"pytest.ini": "", "pyproject.toml": "[tool.pytest.ini_options]\naddopts = '-x'\n"},
        "pytest.ini",
        (),
    ),
    "tox.ini [pytest] before setup.cfg": (
        {
            "tox.ini": "[pytest]\naddopts = -q --cov=pkg\n",
            "setup.cfg": "[tool:pytest]\naddopts = -x\n",
        },
        "tox.ini",
        ("-q", "--cov=pkg"),
    ),
    "setup.cfg [tool:pytest], tox.ini without": (
        {
            "setup.cfg": "[tool:pytest]\naddopts =\n    --cov=pkg\n    --cov-fail-under 91\n",
            "tox.ini": "[tox]\nenvlist = py312\n",
        },
        "setup.cfg",
        ("--cov=pkg", "--cov-fail-under", "91"),
    ),
    "pyproject ini_options before setup.cfg": (
        {
            "setup.cfg": "[tool:pytest]\naddopts = -x\n",
            "pyproject.toml": "[tool.pytest.ini_options]\naddopts = '--cov --cov-fail-under=70'\n",
        },
        "pyproject.toml",
        ("--cov", "--cov-fail-under=70"),
    ),
    "pyproject without pytest settings is still the rootdir's": (
        {"pyproject.toml": "[project]\nname = 'x'\n"},
        "pyproject.toml",
        (),
    ),
    "pytest.toml (pytest 9) with a list": (
        {"pytest.toml": "[pytest]\naddopts = ['--cov=pkg', '-ra']\n"},
        "pytest.toml",
        ("--cov=pkg", "-ra"),
    ),
    "native [tool.pytest] (pytest 9)": (
        {"pyproject.toml": "[tool.pytest]\naddopts = ['--no-cov']\n"},
        "pyproject.toml",
        ("--no-cov",),
    ),
    "a parent directory's pytest.ini": (
        {"../pytest.ini": "[pytest]\naddopts = --cov-config=../.coveragerc\n"},
        "../pytest.ini",
        ("--cov-config=../.coveragerc",),
    ),
}


@pytest.mark.parametrize("layout", list(PYTEST_LAYOUTS))
def test_pytest_configuration_is_the_one_pytest_reads(tmp_path: Path, layout: str) -> None:
    files, expected, addopts = PYTEST_LAYOUTS[layout]
    root = write_files(tmp_path / "repo" / "project", files).resolve()
    _rootdir, inifile, _config, _ignored = locate_config(root, [])
    found = read_pytest_config(root, pyproject_of(root))
    if expected is None:
        assert inifile is None
        assert found == PytestConfig()
        return
    assert inifile == (root / expected).resolve()
    shown = expected if not expected.startswith("..") else (root / expected).resolve().as_posix()
    assert found.file == shown
    assert found.addopts == addopts


def test_addopts_options() -> None:
    config = PytestConfig(
        file="setup.cfg",
        addopts=("--cov", "src", "--cov-config", "ci/.coveragerc", "--cov-fail-under=88.5", "-x"),
    )
    assert config.measures_coverage
    assert config.cov_config == "ci/.coveragerc"
    assert config.cov_fail_under == "88.5"
    assert not PytestConfig(addopts=("--covert",)).measures_coverage


# --- coverage, as pytest-cov starts it --------------------------------------------------------

COVERAGE_LAYOUTS: dict[str, tuple[dict[str, str], str | None, str | None, tuple[str, ...]]] = {
    "an empty .coveragerc stops the search": (
        {".coveragerc": "", "setup.cfg": "[coverage:report]\nfail_under = 90\n"},
        None,
        ".coveragerc",
        (),
    ),
    "setup.cfg before pyproject": (
        {
            "setup.cfg": (
                "[coverage:run]\nsource = pkg, other\n[coverage:report]\nfail_under = 90\n"
            ),
            "pyproject.toml": "[tool.coverage.report]\nfail_under = 70\n",
        },
        None,
        "setup.cfg",
        ("pkg", "other"),
    ),
    "tox.ini when setup.cfg has no coverage settings": (
        {
            "setup.cfg": "[metadata]\nname = x\n[coverage:run]\n",
            "tox.ini": "[coverage:run]\nsource =\n    pkg\n[coverage:report]\nfail_under = 75\n",
        },
        None,
        "tox.ini",
        ("pkg",),
    ),
    "pyproject": (
        {"pyproject.toml": "[tool.coverage.report]\nfail_under = 88.5\n"},
        None,
        "pyproject.toml",
        (),
    ),
    ".coveragerc: [coverage:report] wins over [report]": (
        {".coveragerc": "[report]\nfail_under = 50\n[coverage:report]\nfail_under = 91\n"},
        None,
        ".coveragerc",
        (),
    ),
    "--cov-config names coverage's own file": (
        {"ci/coverage.ini": "[run]\nsource = pkg\n[report]\nfail_under = 60\n"},
        "ci/coverage.ini",
        "ci/coverage.ini",
        ("pkg",),
    ),
    ".coveragerc.toml": (
        {".coveragerc.toml": "[report]\nfail_under = 66\n[run]\nsource = ['pkg']\n"},
        None,
        ".coveragerc.toml",
        ("pkg",),
    ),
    "nothing": ({"setup.cfg": "[flake8]\nmax-line-length = 100\n"}, None, None, ()),
}


@pytest.mark.parametrize("layout", list(COVERAGE_LAYOUTS))
def test_coverage_configuration_is_the_one_coverage_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, layout: str
) -> None:
    files, cov_config, expected, source = COVERAGE_LAYOUTS[layout]
    root = write_files(tmp_path, files)
    monkeypatch.chdir(root)
    monkeypatch.delenv("COVERAGE_RCFILE", raising=False)
    own = coverage.Coverage(config_file=cov_config or ".coveragerc").config
    addopts = (f"--cov-config={cov_config}",) if cov_config else ()
    found = read_coverage_config(root, PytestConfig(addopts=addopts), pyproject_of(root))
    assert own.config_file == (str(root / expected) if expected else None)
    assert found.file == expected
    assert tuple(own.source or ()) == source == found.source
    configs = ToolConfigs(pytest=PytestConfig(addopts=addopts), coverage=found)
    threshold, _where = configs.coverage_threshold()
    assert (threshold or 0.0) == own.fail_under


def test_the_coverage_threshold_and_where_it_is_set(tmp_path: Path) -> None:
    root = write_files(
        tmp_path,
        {
            "analysis.py": "",
            "setup.cfg": "[tool:pytest]\naddopts = --cov-fail-under=95\n",
            ".coveragerc": "[report]\nfail_under = 80\n",
        },
    )
    assert read_tool_configs(root).coverage_threshold() == (
        95.0,
        "--cov-fail-under in the addopts of setup.cfg",
    )
    (root / "setup.cfg").unlink()
    assert read_tool_configs(root).coverage_threshold() == (
        80.0,
        "fail_under in .coveragerc [report]",
    )
    settings = load_settings(root)
    assert (settings.coverage_threshold, settings.coverage_threshold_from) == (
        80.0,
        "fail_under in .coveragerc [report]",
    )
    (root / ".coveragerc").write_text("[report]\nfail_under = lots\n")
    with pytest.raises(
        UsageError, match=r"fail_under in \.coveragerc \[report\]: coverage threshold"
    ):
        load_settings(root)


# --- mypy -----------------------------------------------------------------------------------

MYPY_LAYOUTS: dict[str, tuple[dict[str, str], str | None, tuple[str, ...]]] = {
    "mypy.ini counts without a [mypy] section": (
        {"mypy.ini": "[mypy-numpy.*]\nignore_missing_imports = True\n", "setup.cfg": "[mypy]\n"},
        "mypy.ini",
        (),
    ),
    "setup.cfg [mypy] with files": (
        {"setup.cfg": "[metadata]\nname = x\n[mypy]\nfiles = pkg, scripts/run.py\n"},
        "setup.cfg",
        ("pkg", "scripts/run.py"),
    ),
    "pyproject before setup.cfg": (
        {"pyproject.toml": "[tool.mypy]\nfiles = ['src']\n", "setup.cfg": "[mypy]\nfiles = x\n"},
        "pyproject.toml",
        ("src",),
    ),
    ".mypy.ini": ({".mypy.ini": "[mypy]\nstrict = True\n"}, ".mypy.ini", ()),
    "a setup.cfg without [mypy] is not mypy's": ({"setup.cfg": "[metadata]\n"}, None, ()),
    "the repository's root, above the project": (
        {"../.git/HEAD": "", "../mypy.ini": "[mypy]\nfiles = project/src\n"},
        "../mypy.ini",
        ("project/src",),
    ),
    "not above the repository's root": (
        {".git/HEAD": "", "../mypy.ini": "[mypy]\n"},
        None,
        (),
    ),
}


@pytest.mark.parametrize("layout", list(MYPY_LAYOUTS))
def test_mypy_configuration_is_the_one_mypy_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, layout: str
) -> None:
    files, expected, mypy_files = MYPY_LAYOUTS[layout]
    root = write_files(tmp_path / "repo" / "project", files).resolve()
    monkeypatch.chdir(root)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # no user configuration
    monkeypatch.setenv("MYPY_CONFIG_FILE_DIR", "")  # parse_config_file sets it
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    options = Options()
    with contextlib.redirect_stderr(io.StringIO()):
        parse_config_file(options, lambda: None, None)
    found = read_mypy_config(root, pyproject_of(root))
    if expected is None:
        assert options.config_file is None
        assert found.file is None
        return
    assert options.config_file is not None
    assert (root / options.config_file).resolve() == (root / expected).resolve()
    shown = expected if not expected.startswith("..") else (root / expected).resolve().as_posix()
    assert found.file == shown
    assert tuple(options.files or ()) == mypy_files == found.files


@pytest.mark.parametrize(
    ("text", "reported"),
    [
        ("[mypy]\nignore_missing_imports = False\n", True),
        ("[mypy]\nignore_missing_imports = off\n", True),
        ("[mypy]\nignore_missing_imports = True\n", False),
        ("[mypy]\nstrict = True\n", False),  # not set: missing stubs are notices
    ],
)
def test_missing_imports_are_errors_only_when_mypy_is_told_so(
    tmp_path: Path, text: str, reported: bool
) -> None:
    root = write_files(tmp_path, {"mypy.ini": text, "analysis.py": ""})
    assert load_settings(root).tools.mypy_missing_imports_reported is reported


# --- flake8 ---------------------------------------------------------------------------------


def test_flake8_settings_where_flake8_reads_them(tmp_path: Path) -> None:
    """flake8's order: setup.cfg, tox.ini, .flake8; the first with [flake8] wins, even empty."""
    root = write_files(tmp_path, {"setup.cfg": "[metadata]\nname = x\n", "x.py": ""})
    assert read_flake8_config(root) == Flake8Config()
    write_files(root, {".flake8": "[flake8]\nselect = E,F\n"})
    assert read_flake8_config(root) == Flake8Config(".flake8", {"select": "E,F"})
    write_files(
        root, {"tox.ini": "[flake8]\nmax_line_length = 100\nextend-ignore = E203\nexclude = .git\n"}
    )
    found = read_flake8_config(root)
    assert (found.file, found.where) == ("tox.ini", "tox.ini [flake8]")
    assert found.options == ("max-line-length", "extend-ignore", "exclude")  # dashes, as flake8
    write_files(root, {"setup.cfg": "[metadata]\nname = x\n[flake8]\n"})  # empty: flake8 stops here
    assert read_flake8_config(root) == Flake8Config("setup.cfg", {})
    assert shown_options(["a", "b", "c", "d", "e"]) == "a, b, c and 2 more"


def test_flake8_settings_in_pyproject_as_flake8_pyproject_reads_them(tmp_path: Path) -> None:
    pyproject = {"tool": {"flake8": {"max_line_length": 80, "ignore": ["F401", "E501"]}}}
    found = read_flake8_config(write_files(tmp_path, {"x.py": ""}), pyproject)
    assert found == Flake8Config("pyproject.toml", {"max-line-length": "80", "ignore": "F401,E501"})
    assert found.where == "pyproject.toml [tool.flake8]"


def test_a_symlinked_configuration_outside_the_project_is_not_read(tmp_path: Path) -> None:
    outside = write_files(tmp_path / "elsewhere", {"mypy.ini": "[mypy]\nfiles = secret\n"})
    root = write_files(tmp_path / "project", {".git/HEAD": ""})
    (root / "mypy.ini").symlink_to(outside / "mypy.ini")
    assert read_mypy_config(root).file is None


def test_an_unreadable_ini_is_left_to_the_tool(tmp_path: Path) -> None:
    root = write_files(tmp_path, {"setup.cfg": "not an ini file\n[tool:pytest\n"})
    configs = read_tool_configs(root)
    assert configs.pytest == PytestConfig()
    assert configs.flake8 is None
