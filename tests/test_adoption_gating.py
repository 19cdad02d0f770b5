"""A library green under its own tools passes the gate: lint and format gate on what it adopted.

Real-shaped projects (cachetools' flake8 settings in ``[tool.flake8]`` with flake8-bugbear
installed by tox, tqdm's yapf, h11's ``python_requires`` in ``setup.py``, minbpe with no
configuration at all), checked by research-ci and by the tools run directly: flake8 at the
version and with the plugins the project installs, black, ruff.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from adoption import run, write_files
from conftest import Checker
from fragments import assert_fragments
from research_ci.checks.lint import (
    FROM_CLASSIC,
    FROM_FLAKE8,
    FROM_RUFF,
    flake8_notice,
    rules_source,
)
from research_ci.config import load_settings
from research_ci.environment import uv_binary
from research_ci.lintrules import (
    Flake8Choice,
    parse_linters,
    parse_per_file_ignores,
    parse_rules,
    target_version,
    translate_flake8,
)
from research_ci.toolconfig import tox_dependencies
from research_ci.tools import own_command
from template_helpers import TEMPLATE, bake_combo, defaults

pytestmark = pytest.mark.slow

OWN_RUFF = own_command("ruff")
OWN_BLACK = own_command("black")
FLAKE8 = "7.3.0"
BUGBEAR = "24.12.12"


def errors(report: dict[str, Any], check_name: str) -> list[tuple[str | None, str, int | None]]:
    """``(code, file, line)`` of the check's findings that are not notices."""
    return sorted(
        (f["code"], f["file"], f["line"])
        for f in report["checks"][check_name]["findings"]
        if f.get("severity", "error") != "notice"
    )


def flake8(project: Path, *plugins: str) -> list[tuple[str, str, int]]:
    """``(code, file, line)`` of flake8 run directly, at the project's version and plugins."""
    command: list[str | Path] = [uv_binary(), "tool", "run", "--from", f"flake8=={FLAKE8}"]
    for plugin in ("Flake8-pyproject==1.2.4", *plugins):
        command += ["--with", plugin]
    done = run([*command, "flake8"], project)
    assert done.returncode in (0, 1), done.stderr
    found = re.findall(r"^\./(.+?):(\d+):\d+: (\w+) ", done.stdout, re.MULTILINE)
    return sorted((code, file, int(line)) for file, line, code in found)


def ruff_defaults(project: Path, *args: str) -> list[str]:
    """The codes ruff's own defaults find (what research-ci gated on before)."""
    done = run([*OWN_RUFF, "check", "--output-format", "json", "--no-cache", *args, "."], project)
    return sorted(item["code"] for item in json.loads(done.stdout))


# --- flake8 settings: cachetools -------------------------------------------------------------

CACHETOOLS_LIKE = {
    "pyproject.toml": """\
        [project]
        name = "memo"
        version = "1.0"
        requires-python = ">=3.10"

        [tool.flake8]
        max-line-length = 80
        exclude = [".git", ".tox", "build"]
        select = ["C", "E", "F", "W", "B", "B950", "I", "N"]
        # F401: imported but unused (submodule shims)
        # E501: line too long (black)
        ignore = ["F401", "E501"]
        """,
    "tox.ini": f"""\
        [tox]
        envlist = flake8,py

        [testenv:flake8]
        deps =
            flake8
            flake8-bugbear=={BUGBEAR}
            flake8-pyproject
        commands =
            flake8
        skip_install = true
        """,
    "src/memo/__init__.py": '''\
        """Memoizing helpers."""

        from .keys import hashkey  # a re-export: F401 is ignored on purpose


        def cache_info(hits, misses):
            """Statistics as a dict, formatted the old way."""
            return dict(hits=hits, misses=misses, text="%d/%d" % (hits, misses))
        ''',
    "src/memo/keys.py": '''\
        """Keys."""


        def hashkey(*args):
            """A key made of the arguments, which may be a rather long tuple of values."""
            return tuple(args)
        ''',
}


def test_a_flake8_project_clean_under_flake8_passes_the_gate(checker: Checker) -> None:
    project = checker.write("memo", CACHETOOLS_LIKE)
    # flake8 (with the bugbear tox installs) finds nothing; ruff's own defaults find plenty.
    assert flake8(project, f"flake8-bugbear=={BUGBEAR}") == []
    assert {"C408", "UP031", "F401"} <= set(ruff_defaults(project))
    settings = load_settings(project)
    assert rules_source(settings) == FROM_FLAKE8

    code, report, _ = checker.check(project, "--only", "lint", "--no-install")
    lint = report["checks"]["lint"]
    assert (code, lint["status"], lint["violations"], report["grade"]) == (0, "passed", 0, "A")
    assert lint["summary"] == (
        "no violations, ruff with the project's flake8 settings from pyproject.toml [tool.flake8]"
    )
    [notice] = lint["findings"]
    assert (notice["code"], notice["severity"]) == ("flake8-settings", "notice")
    assert_fragments(
        notice["message"],
        "flake8-bugbear, pycodestyle, Pyflakes",
        "ruff does not implement them: B950",
        absent=["N,"],  # pep8-naming is not installed: flake8 checks no N
    )

    # A real finding: flake8's bugbear and ruff's translation of it agree, line for line.
    keys = project / "src/memo/keys.py"
    keys.write_text(keys.read_text() + "\n\ndef extend(key, more=[]):\n    return key + more\n")
    direct = flake8(project, f"flake8-bugbear=={BUGBEAR}")
    assert direct == [("B006", "src/memo/keys.py", 9)]
    code, report, _ = checker.check(project, "--only", "lint", "--no-install")
    assert errors(report, "lint") == [("B006", "src/memo/keys.py", 9)]
    assert (code, report["checks"]["lint"]["violations"]) == (1, 1)
    words = "ruff with the project's flake8 settings from pyproject.toml [tool.flake8]"
    assert report["gate"]["reasons"] == [f"lint failed (1 violation, {words})"]


ODD = """\
def f(x):
    unused = 1
    if x == None:
        return x+1
    try:
        return x
    except:
        return 2{TRAILING}
"""


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        # flake8's defaults: E, F, W; E226 and W503-style codes ignored by default.
        ("", {"E711", "E722", "F841", "W291"}),
        # ignore replaces the default ignore list (E226 comes back); longest prefix wins.
        ("ignore = E7\nselect = E,F,W,E711\n", {"E226", "E711", "F841", "W291"}),
        # extend-ignore keeps the defaults; extend-select adds on top.
        ("extend-ignore = F841,W\nmax-line-length = 15\n", {"E501", "E711", "E722"}),
        ("select = E7\nper-file-ignores =\n    odd.py: E711\n", {"E722"}),
    ],
)
def test_flake8_select_and_ignore_decide_as_flake8_does(
    checker: Checker, settings: str, expected: set[str]
) -> None:
    """pycodestyle's rules in ruff's preview (E226) are flake8's only: they are left out."""
    project = checker.write(
        "style",
        {
            "setup.cfg": f"[metadata]\nname = style\n\n[flake8]\n{settings}",
            "odd.py": ODD.replace("{TRAILING}", "  "),
        },
    )
    direct = {code for code, _file, _line in flake8(project)}
    assert direct == expected
    code, report, _ = checker.check(project, "--only", "lint", "--no-install")
    found = {code for code, _file, _line in errors(report, "lint")}
    assert found == expected - {"E226"}
    assert code == (1 if found else 0)
    if "E226" in expected:
        notice = report["checks"]["lint"]["findings"][-1]["message"]
        assert "in ruff's preview only, not checked: " in notice


def test_flake8_choice_is_flake8s_decision_engine() -> None:
    default = Flake8Choice(
        select=None, extend_select=(), ignore=None, extend_ignore=(), default_select=("E", "F")
    )
    assert default.reports("E501")
    assert not default.reports("E226")
    assert not default.reports("W1")
    explicit = Flake8Choice(
        select=("E",), extend_select=(), ignore=("E501",), extend_ignore=(), default_select=()
    )
    assert explicit.reports("E502")
    assert not explicit.reports("E501")
    longest = Flake8Choice(
        select=("E501",), extend_select=(), ignore=("E5",), extend_ignore=(), default_select=()
    )
    assert longest.reports("E501")
    assert not longest.reports("E502")
    assert parse_per_file_ignores("tests/*.py: F401,E501\n  src/a.py:E402 b.py:W1") == {
        "tests/*.py": ["F401", "E501"],
        "src/a.py": ["E402"],
        "b.py": ["W1"],
    }


# --- formatters the project never adopted ------------------------------------------------------

UNFORMATTED = "def f( a,b ):\n    return {'a':a,'b':b}\n"
OPT_IN = '[tool.research-ci]\nformatter = "black"\n'


def test_a_yapf_project_is_not_gated_on_black(checker: Checker) -> None:
    """tqdm formats with yapf: black's figures are reported, with no points off and no gate."""
    project = checker.write(
        "bar",
        {
            "pyproject.toml": """\
                [project]
                name = "bar"
                version = "1.0"

                [tool.yapf]
                column_limit = 99
                """,
            "bar.py": UNFORMATTED,
        },
    )
    assert "would reformat" in run([*OWN_BLACK, "--check", "."], project).stderr
    code, report, _ = checker.check(project, "--only", "format", "--no-install")
    fmt = report["checks"]["format"]
    assert (code, fmt["status"], fmt["files_to_reformat"]) == (0, "failed", 1)
    assert (report["grade"], report["score"], report["gate"]["passed"]) == ("A", 100, True)
    assert fmt["advisory"] == (
        "the project formats with yapf (pyproject.toml [tool.yapf]); research-ci checks black "
        'or ruff format: set [tool.research-ci] formatter = "black" (or "ruff") to gate on it'
    )


@pytest.mark.parametrize(
    "adoption",
    [
        {"pyproject.toml": '[project]\nname = "p"\nversion = "1"\n\n[tool.black]\n'},
        {"requirements-dev.txt": "black==26.10.1\n"},
        {"tox.ini": "[testenv:lint]\ndeps =\n    flake8\n    flake8-black\n"},
        {".pre-commit-config.yaml": "repos:\n- repo: local\n  hooks:\n  - id: black\n"},
        {"pyproject.toml": f'[project]\nname = "p"\nversion = "1"\n\n{OPT_IN}'},
    ],
    ids=["tool.black", "requirements", "tox flake8-black", "pre-commit", "research-ci"],
)
def test_a_project_that_adopted_black_is_still_gated(
    checker: Checker, adoption: dict[str, str]
) -> None:
    _, code, report, _ = checker.write_and_check(
        "p", {**adoption, "p.py": UNFORMATTED}, "--only", "format", "--no-install"
    )
    fmt = report["checks"]["format"]
    assert (code, fmt["status"], fmt["files_to_reformat"]) == (1, "failed", 1)
    assert "advisory" not in fmt
    assert report["gate"]["reasons"] == ["format failed (1 file to reformat)"]


def test_research_code_with_no_configuration_gates_on_real_bugs_only(checker: Checker) -> None:
    """minbpe, h11: no linter configured. Undefined names gate; unused imports are notices."""
    project = checker.write(
        "tok",
        {
            "requirements.txt": "regex\n",
            "tok/__init__.py": "from .base import Tokenizer\nimport os\n",
            "tok/base.py": "import unicodedata\nclass Tokenizer:\n    def f(self):\n"
            "        return open('x').read()\n",
        },
    )
    assert {"F401", "I001"} <= set(ruff_defaults(project))
    code, report, _ = checker.check(project, "--only", "format,lint", "--no-install")
    assert rules_source(load_settings(project)) == FROM_CLASSIC
    lint = report["checks"]["lint"]
    assert errors(report, "lint") == []
    assert sorted(
        (f["code"], f["file"], f["line"]) for f in lint["findings"] if f["code"] == "F401"
    ) == [
        ("F401", "tok/__init__.py", 1),
        ("F401", "tok/__init__.py", 2),
        ("F401", "tok/base.py", 1),
    ]
    assert lint["violations"] == 0
    assert lint["summary"] == "no violations (3 advisory), ruff's classic rules E4, E7, E9, F"
    assert report["checks"]["format"]["files_to_reformat"] == 1
    assert "adopted no formatter" in report["checks"]["format"]["advisory"]
    assert (code, report["gate"]["passed"]) == (0, True)

    assert "configures no linter" in lint["advisory"]

    # An undefined name is a violation, as in GitHub's starter workflow for Python; the check
    # still only advises, until the project opts in.
    (project / "tok" / "base.py").write_text(
        "class Tokenizer:\n    def f(self):\n        return undefined_name\n", encoding="utf-8"
    )
    code, report, _ = checker.check(project, "--only", "format,lint", "--no-install")
    assert errors(report, "lint") == [("F821", "tok/base.py", 3)]
    assert report["checks"]["lint"]["summary"].startswith("1 violation (2 advisory), ruff's")
    assert (code, report["gate"]["passed"], report["score"]) == (0, True, 100)
    (project / "pyproject.toml").write_text("[tool.research-ci]\nadvisory = []\n", "utf-8")
    code, report, _ = checker.check(project, "--only", "format,lint", "--no-install")
    assert (code, report["gate"]["reasons"][0]) == (
        1,
        "lint failed (1 violation (2 advisory), ruff's classic rules E4, E7, E9, F)",
    )


def test_the_template_keeps_its_full_gate(tmp_path: Path) -> None:
    """The baked project configures black and ruff: format gates, ruff runs its own rules."""
    answers = {
        key: value[0] if isinstance(value, list) else value for key, value in defaults().items()
    }
    baked = bake_combo(tmp_path, answers)
    assert TEMPLATE.is_dir()
    settings = load_settings(baked.path)
    assert rules_source(settings) == FROM_RUFF
    assert "format" not in settings.advisory
    assert "lint" not in settings.advisory


# --- ruff's target version ---------------------------------------------------------------------


H11_SETUP = 'name="h", python_requires=">=3.8"'


def test_python_requires_in_setup_py_is_ruffs_target(checker: Checker) -> None:
    """h11: ``python_requires=">=3.8"`` in setup.py; ruff alone assumes a newer Python."""
    project = checker.write(
        "h",
        {
            "setup.py": f"from setuptools import setup\n\nsetup({H11_SETUP})\n",
            "ruff.toml": '[lint]\nselect = ["UP", "F"]\n',
            "h.py": """\
                from typing import List, Optional


                def first(items: List[int]) -> Optional[int]:
                    return items[0] if items else None
                """,
        },
    )
    assert {"UP006", "UP045"} <= set(ruff_defaults(project))  # list[int], int | None: not on 3.8
    assert ruff_defaults(project, "--target-version", "py38") == []
    code, report, _ = checker.check(project, "--only", "lint", "--no-install")
    assert (code, report["checks"]["lint"]["violations"]) == (0, 0)


@pytest.mark.parametrize(
    ("specifier", "expected"),
    [
        (">=3.8", "py38"),
        (">3.7", "py37"),
        ("~=3.9", "py39"),
        (">=2.7,!=3.0.*", "py37"),
        (">=3.8,<4", "py38"),
        ("<4", None),
        ("==3.11.*", "py311"),
        ("nonsense", None),
        (">=3.99", None),
    ],
)
def test_target_version_is_the_lowest_python_admitted(specifier: str, expected: str | None) -> None:
    assert target_version(specifier) == expected


def test_tox_dependencies_follow_requirements_files_and_factors(tmp_path: Path) -> None:
    root = write_files(
        tmp_path / "t",
        {
            "tox.ini": "[testenv]\ndeps =\n    -r{toxinidir}/format-requirements.txt\n"
            "    tf: tensorflow\n    {[core]deps}\n",
            "format-requirements.txt": "black==23.3.0\nisort==5.12.0\n",
        },
    )
    assert tox_dependencies(root) == {"black", "isort", "tensorflow"}


@pytest.mark.parametrize(
    ("files", "source"),
    [
        ({"setup.cfg": "[flake8]\nmax-line-length = 100\n"}, FROM_FLAKE8),
        ({"setup.cfg": "[flake8]\n", "ruff.toml": ""}, FROM_RUFF),
        ({"tox.ini": "[flake8]\n", "requirements-dev.txt": "ruff\n"}, FROM_RUFF),
        (
            {
                ".flake8": "[flake8]\n",
                ".pre-commit-config.yaml": "repos:\n- repo: local\n  hooks:\n  - id: ruff\n",
            },
            FROM_RUFF,
        ),
        ({"pyproject.toml": '[project]\nname = "x"\nversion = "1"\n[tool.ruff]\n'}, FROM_RUFF),
        ({"requirements.txt": "numpy\n"}, FROM_CLASSIC),
    ],
    ids=["flake8", "ruff.toml", "ruff in requirements", "ruff hook", "tool.ruff", "nothing"],
)
def test_where_the_lint_rules_come_from(tmp_path: Path, files: dict[str, str], source: str) -> None:
    project = write_files(tmp_path / "x", {**files, "x.py": ""})
    settings = load_settings(project)
    assert rules_source(settings) == source
    notices = flake8_notice(settings)
    # A project that lints with ruff and keeps flake8 settings hears that ruff ignores them.
    expected = ["flake8-config"] if source == FROM_RUFF and settings.tools.flake8_config else []
    assert [notice.code for notice in notices] == expected


def test_a_ruff_configuration_in_a_parent_directory_counts(tmp_path: Path) -> None:
    """ruff looks up the directories: a monorepo's ruff.toml configures its packages."""
    parent = write_files(tmp_path / "repo", {"ruff.toml": "line-length = 100\n"})
    project = write_files(parent / "pkg", {"setup.cfg": "[flake8]\n", "pkg.py": ""})
    assert load_settings(project).tools.ruff_config == (parent / "ruff.toml").as_posix()
    assert rules_source(load_settings(project)) == FROM_RUFF


def test_plugins_and_options_translate_to_ruffs(tmp_path: Path) -> None:
    """The rules of the ruff that runs (its own lists), for flake8-bugbear and -docstrings."""
    rules = parse_rules(
        run([*OWN_RUFF, "rule", "--all", "--output-format", "json"], tmp_path).stdout
    )
    linters = parse_linters(run([*OWN_RUFF, "linter", "--output-format", "json"], tmp_path).stdout)
    settings = {
        "max-complexity": "10",
        "extend-select": "B950,B904",
        "docstring-convention": "numpy",
        "per-file-ignores": "tests/*: D",
        "exclude": "./build/,docs",
    }
    plugins = {"flake8", "flake8-bugbear", "flake8-docstrings", "flake8-black", "flake8-pyproject"}
    translation = translate_flake8(settings, plugins, rules, linters)
    chosen = set(translation.select)
    assert {"C901", "B006", "B904", "D100", "E501", "F401", "W605"} <= chosen
    assert not chosen & {"B905", "B911", "N801", "I001", "C408", "UP031"}  # B9 only as selected
    assert translation.config == (
        "line-length = 79",
        'lint.pydocstyle.convention = "numpy"',
        "lint.mccabe.max-complexity = 10",
        'lint.per-file-ignores = {"tests/*" = ["D"]}',
    )
    assert translation.exclude == ("build", "docs", "*.ipynb", "*.pyi")
    assert translation.unimplemented == ("B950", "flake8-black (BLK)")
    assert translation.arguments()[:2] == ["--select", ",".join(translation.select)]
