"""The docs a new user follows literally: install routes that work, the fixes they need.

research-ci is not on PyPI: every install command the docs give must be one that works today
(from a clone, ``uv tool install .`` / ``pipx install .``; the test that builds and installs
the wheel is test_install.py) or say that it needs the published repository. The act recipe
must be complete for what it claims to run.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from stubs.act import USES

REPO = Path(__file__).resolve().parents[1]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
TEMPLATE_README = (
    REPO / "templates" / "research-project" / "{{cookiecutter.project_slug}}" / "README.md"
)


def text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_no_page_installs_research_ci_from_pypi_or_a_placeholder_repository() -> None:
    for page in [*PAGES, TEMPLATE_README]:
        for line in text(page).splitlines():
            assert not re.search(r"pip install research-ci\b", line), f"{page.name}: {line}"
            assert "git+https://github.com/ORG/" not in line, f"{page.name}: {line}"


def test_readme_and_walkthrough_give_the_routes_that_work_from_a_clone() -> None:
    for page in (REPO / "README.md", REPO / "docs" / "walkthrough.md"):
        body = text(page)
        assert "uv tool install ." in body, page.name
        assert "pipx install ." in body, page.name
        assert "git+https://github.com/OWNER/research-ci" in body, page.name


def test_docs_show_how_to_replace_the_action_placeholder_later() -> None:
    command = (
        """cruft update --variables-to-update '{"research_ci_action": "OWNER/research-ci@v1"}'"""
    )
    for name in ("walkthrough.md", "template.md"):
        assert command in text(REPO / "docs" / name), name


def test_the_act_recipe_is_for_this_repository_and_maps_every_remote_action_it_runs() -> None:
    page = text(REPO / "docs" / "action.md")
    section = page.split("## Running it locally", 1)[1]
    assert "It is for this repository only." in section
    recipe = section.split("```bash", 1)[1].split("```", 1)[0]
    assert "-W .github/workflows/ci.yml" in recipe
    mapped = set(re.findall(r"--local-repository ([\w./-]+@[0-9a-f]{40})=(\S+)", recipe))
    for _, stand_in in mapped:
        assert (REPO / stand_in / "action.yml").is_file(), stand_in
    used = set()
    for source in (REPO / ".github" / "workflows" / "ci.yml", REPO / "action.yml"):
        yaml.safe_load(text(source))  # the files the recipe runs are valid YAML
        used |= {f"{repo}@{ref}" for repo, ref in USES.findall(text(source))}
    remote = {ref for ref in used if not ref.startswith("actions/checkout@")}
    assert remote == {ref for ref, _ in mapped}
