"""Bake the research-project template and look at the result like a reviewer would.

``bake`` goes through ``research_ci.scaffold.bake`` (cookiecutter's API, the same path as
``research-ci new``); :class:`BakedProject` answers the questions the template tests ask:
which files exist, what they say, whether they parse, and what a command run in them returns.
The named option combinations cover every prompt value at least once.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from research_ci.scaffold import bake, template_dir

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10 only
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
TEMPLATE = template_dir()

#: Named combinations of answers. Together they use every value of every prompt at least once.
COMBOS: dict[str, dict[str, str]] = {
    "default": {},
    "minimal": {
        "project_name": "Minimal Study",
        "python_version": "3.10",
        "license": "none",
        "coverage_threshold": "90",
        "include_data_validation": "no",
        "include_notebooks": "no",
    },
    "apache-py312": {
        "project_name": "Ocean Heat Content",
        "python_version": "3.12",
        "license": "Apache-2.0",
        "include_notebooks": "no",
        "github_owner": "climate-lab",
    },
    "bsd-py313": {
        "project_name": "Gene Expression Atlas",
        "python_version": "3.13",
        "license": "BSD-3-Clause",
        "include_data_validation": "no",
        "research_ci_action": "my-org/research-ci@0123456789abcdef0123456789abcdef01234567",
    },
    "unicode": {
        # A typographic apostrophe (U+2019) as well as a plain one.
        "project_name": 'Café Ünïcødé: O\'Brien\u2019s "Quoted" Study!',
        "description": 'Measures "things" with a back\\slash, an apostrophe\'s and ünïcødé.',
        "author_name": "José María de la Peña",
        "author_email": "jose.pena@universidad.example",
    },
    "long-name": {
        "project_name": "A forty character long project name xyzw",
        "coverage_threshold": "0",
    },
}

#: Every file a bake can produce; options remove some (see ``expected_files``).
ALWAYS = {
    ".cruft.json",
    ".github/dependabot.yml",
    ".github/workflows/ci.yml",
    ".github/zizmor.yml",
    ".gitignore",
    ".pre-commit-config.yaml",
    "CITATION.cff",
    "Makefile",
    "README.md",
    "data/eval.csv",
    "data/serving.csv",
    "data/train.csv",
    "pyproject.toml",
    "scripts/make_sample_data.py",
    "src/{pkg}/__init__.py",
    "src/{pkg}/__main__.py",
    "src/{pkg}/data.py",
    "src/{pkg}/features.py",
    "src/{pkg}/model.py",
    "src/{pkg}/pipeline.py",
    "src/{pkg}/predict.py",
    "src/{pkg}/py.typed",
    "tests/conftest.py",
    "tests/test_data.py",
    "tests/test_features.py",
    "tests/test_model.py",
    "tests/test_pipeline.py",
    "tests/test_predict.py",
}
#: GitHub expressions stay literal in the rendered workflows.
GITHUB_EXPRESSION = re.compile(r"\$\{\{.*?\}\}")


#: Set by this test run's own coverage measurement (pytest --cov with ``patch = subprocess``);
#: a baked project's pytest must not inherit them, or it measures research_ci, not itself.
COVERAGE_VARIABLES = ("COVERAGE_PROCESS_CONFIG", "COVERAGE_PROCESS_START", "COVERAGE_RCFILE")


def clean_environment(**extra: str) -> dict[str, str]:
    """This process's environment without our virtualenv and coverage settings, plus ``extra``."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if key != "VIRTUAL_ENV"
        and key not in COVERAGE_VARIABLES
        and not key.startswith("COV_CORE_")
    }
    environment["NO_COLOR"] = "1"
    environment.update(extra)
    return environment


def load_toml(path: Path) -> dict[str, Any]:
    """A TOML file, parsed."""
    return tomllib.loads(path.read_text(encoding="utf-8"))


def defaults() -> dict[str, Any]:
    """The template's prompts with their defaults (a list means a choice; first is default)."""
    raw: dict[str, Any] = json.loads((TEMPLATE / "cookiecutter.json").read_text(encoding="utf-8"))
    return {key: value for key, value in raw.items() if not key.startswith("_")}


@dataclasses.dataclass(frozen=True)
class BakedProject:
    """A project baked from the template, and the answers it was baked with."""

    path: Path
    answers: dict[str, str]

    def option(self, key: str) -> str:
        """The answer for ``key`` (the template default when not given)."""
        value = self.answers.get(key, defaults()[key])
        return value[0] if isinstance(value, list) else str(value)

    @property
    def context(self) -> dict[str, Any]:
        """Every answer as cookiecutter resolved it (from .cruft.json)."""
        state: dict[str, Any] = json.loads(self.read(".cruft.json"))
        context: dict[str, Any] = state["context"]["cookiecutter"]
        return context

    @property
    def package(self) -> str:
        """The import name of the baked package."""
        return str(self.context["package_name"])

    def files(self) -> set[str]:
        """Every file, as a POSIX path relative to the project (.git and caches excluded)."""
        skip = {".git", ".venv", ".research-ci", "__pycache__", ".mypy_cache", ".pytest_cache"}
        return {
            path.relative_to(self.path).as_posix()
            for path in self.path.rglob("*")
            if path.is_file() and not skip.intersection(path.relative_to(self.path).parts)
        }

    def has_file(self, name: str) -> bool:
        """True when the file exists in the project."""
        return (self.path / name).is_file()

    def read(self, name: str) -> str:
        """A file's text."""
        return (self.path / name).read_text(encoding="utf-8")

    def toml(self, name: str = "pyproject.toml") -> dict[str, Any]:
        """A TOML file, parsed."""
        return tomllib.loads(self.read(name))

    def yaml(self, name: str) -> Any:
        """A YAML file, parsed."""
        return yaml.safe_load(self.read(name))

    def run(
        self, *args: str | Path, env: dict[str, str] | None = None, timeout: float = 600
    ) -> subprocess.CompletedProcess[str]:
        """Run a command in the project; never raises on a non-zero exit."""
        return subprocess.run(
            [str(arg) for arg in args],
            cwd=self.path,
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
            env=clean_environment(**(env or {})),
        )


def expected_files(project: BakedProject) -> set[str]:
    """The exact file list a bake with these answers must produce."""
    files = {name.format(pkg=project.package) for name in ALWAYS}
    if project.option("license") != "none":
        files.add("LICENSE")
    if project.option("include_data_validation") == "yes":
        files.add("data/schema.pbtxt")
    if project.option("include_notebooks") == "yes":
        files.add("notebooks/example.ipynb")
    return files


def bake_combo(output_dir: Path, answers: dict[str, str]) -> BakedProject:
    """Bake the template with ``answers`` (no prompts) into ``output_dir``."""
    path = bake(TEMPLATE, output_dir, dict(answers), no_input=True).path
    return BakedProject(path=path, answers=dict(answers))


def research_ci(*args: str | Path, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    """Run this environment's ``research-ci`` command (outside this run's coverage)."""
    return subprocess.run(
        [str(BIN / "research-ci"), *(str(arg) for arg in args)],
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
        env=clean_environment(),
    )
