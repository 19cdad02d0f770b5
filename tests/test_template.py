"""The research-project template, baked over a matrix of answers, read like a reviewer would.

Each named combination (template_helpers.COMBOS) is baked once per test session. These tests
are fast: they read files and run the formatters, linters and workflow checkers on them. The
tests that build the baked project's environment and grade it live in
test_template_checks.py.
"""

from __future__ import annotations

import ast
import importlib.resources
import json
import re
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from research_ci.cli import main as cli_main
from research_ci.errors import UsageError
from research_ci.scaffold import (
    bake,
    find_template,
    parse_assignments,
    split_arguments,
    template_defaults,
)
from template_helpers import (
    BIN,
    COMBOS,
    GITHUB_EXPRESSION,
    REPO,
    TEMPLATE,
    BakedProject,
    bake_combo,
    defaults,
    expected_files,
    load_toml,
    research_ci,
)
from test_action_docs import ACTION_INPUTS

FULL_SHA = re.compile(r"^[\w.-]+/[\w.-]+(?:/[\w./-]+)?@[0-9a-f]{40}$")


@pytest.fixture(scope="session", params=sorted(COMBOS))
def baked(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> BakedProject:
    """Each named combination, baked once per session."""
    name: str = request.param
    return bake_combo(tmp_path_factory.mktemp(f"bake-{name}"), COMBOS[name])


def test_combinations_use_every_prompt_value() -> None:
    prompts = defaults()
    for key, value in prompts.items():
        used = {
            answers.get(key, value[0] if isinstance(value, list) else value)
            for answers in COMBOS.values()
        }
        if isinstance(value, list):
            assert used >= set(value), f"{key}: {set(value) - used} never baked"
        elif "{{" not in value:  # free text: the default and at least one other answer
            assert len(used) >= 2, f"{key}: only the default is ever baked"


def test_exact_file_list(baked: BakedProject) -> None:
    assert baked.files() == expected_files(baked)


def test_nothing_left_unrendered(baked: BakedProject) -> None:
    for name in baked.files():
        text = baked.read(name)
        if name.startswith(".github/workflows/"):
            text = GITHUB_EXPRESSION.sub("", text)
        for marker in ("{{", "}}", "{%", "%}", "cookiecutter."):
            if name == ".cruft.json" and marker == "cookiecutter.":
                continue
            assert marker not in text, f"{name} contains {marker!r}"


def test_names_are_derived_and_valid(baked: BakedProject) -> None:
    context = baked.context
    slug, package = context["project_slug"], context["package_name"]
    assert re.fullmatch(r"[a-z0-9][a-z0-9-]*", slug)
    assert package.isidentifier()
    assert package == slug.replace("-", "_")
    assert baked.path.name == slug
    if "unicode" in baked.path.parent.name:
        assert slug == "cafe-unicode-o-briens-quoted-study"


def test_pyproject(baked: BakedProject) -> None:
    pyproject = baked.toml()
    project = pyproject["project"]
    tool = pyproject["tool"]
    assert project["name"] == baked.context["project_slug"]
    assert project["description"] == baked.option("description")
    assert project["authors"] == [
        {"name": baked.option("author_name"), "email": baked.option("author_email")}
    ]
    assert project["requires-python"] == f">={baked.option('python_version')}"
    assert "numpy>=1.26" in project["dependencies"]
    if baked.option("license") == "none":
        assert "license" not in project
    else:
        assert project["license"] == baked.option("license")
    dev = " ".join(project["optional-dependencies"]["dev"])
    for tool_name in ("black", "ruff", "mypy", "pytest", "pytest-cov"):
        assert tool_name in dev
    assert ("nbqa" in dev) == (baked.option("include_notebooks") == "yes")
    short = baked.option("python_version").replace(".", "")
    assert tool["black"]["target-version"] == [f"py{short}"]
    assert tool["ruff"]["target-version"] == f"py{short}"
    assert tool["ruff"]["lint"]["flake8-tidy-imports"]["ban-relative-imports"] == "all"
    assert {"I", "TID", "E", "F", "B", "D"} <= set(tool["ruff"]["lint"]["select"])
    assert tool["mypy"]["strict"] is True
    assert tool["mypy"]["python_version"] == baked.option("python_version")
    assert tool["coverage"]["report"]["fail_under"] == int(baked.option("coverage_threshold"))
    assert tool["coverage"]["run"]["source"] == [baked.package]
    research = tool["research-ci"]
    assert "model" in research["checks"]
    model = research["model"]
    assert model["model"] == f"{baked.package}.predict:predict"
    assert model["slices"] == ["fertilizer", "rainfall_mm"]
    assert "pandas>=2.0" in dev
    if baked.option("include_data_validation") == "yes":
        data = research["data"]
        assert data["schema"] == "data/schema.pbtxt"
        assert data["label"] == "yield_t_ha"
        assert {entry["environment"] for entry in data["validate"]} == {"TRAINING", "SERVING"}
    else:
        assert "data" not in research


def test_yaml_and_json_files_parse(baked: BakedProject) -> None:
    for name in baked.files():
        if name.endswith((".yml", ".yaml", ".cff")):
            assert baked.yaml(name), name
        if name.endswith((".json", ".ipynb")):
            assert json.loads(baked.read(name)), name
    if baked.has_file("notebooks/example.ipynb"):
        notebook = json.loads(baked.read("notebooks/example.ipynb"))
        assert notebook["nbformat"] == 4
        code = "".join("".join(cell["source"]) for cell in notebook["cells"])
        assert f"from {baked.package}.pipeline import run_pipeline" in code


def cff_schema() -> dict[str, Any]:
    """The Citation File Format 1.2.0 schema vendored by check-jsonschema."""
    vendored = importlib.resources.files("check_jsonschema") / "builtin_schemas" / "vendor"
    schema: dict[str, Any] = json.loads(
        (vendored / "citation-file-format.json").read_text(encoding="utf-8")
    )
    return schema


def test_citation_cff_is_valid(baked: BakedProject) -> None:
    citation = baked.yaml("CITATION.cff")
    validator = jsonschema.Draft7Validator(
        cff_schema(), format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
    )
    errors = [f"{list(error.path)}: {error.message}" for error in validator.iter_errors(citation)]
    assert not errors
    assert citation["cff-version"] == "1.2.0"
    assert citation["title"] == baked.option("project_name")
    author = citation["authors"][0]
    full_name = " ".join(filter(None, [author.get("given-names"), author["family-names"]]))
    assert full_name == baked.option("author_name")
    assert citation.get("license") == (
        None if baked.option("license") == "none" else baked.option("license")
    )


def test_license_matches_the_choice(baked: BakedProject) -> None:
    choice = baked.option("license")
    if choice == "none":
        assert not baked.has_file("LICENSE")
        return
    text = baked.read("LICENSE")
    heading = {"MIT": "MIT License", "Apache-2.0": "Apache License", "BSD-3-Clause": "BSD 3-Clause"}
    assert heading[choice] in text.splitlines()[0] + text.splitlines()[1]
    if choice != "Apache-2.0":
        assert baked.option("author_name") in text
        assert re.search(r"Copyright \(c\) 20\d\d", text)
    assert text.endswith("\n")
    assert not text.endswith("\n\n")


def test_readme_has_the_badge_markers(baked: BakedProject) -> None:
    readme = baked.read("README.md")
    assert readme.startswith(f"# {baked.option('project_name')}\n")
    start = readme.index("<!-- research-ci:badges:start -->")
    assert readme.index("<!-- research-ci:badges:end -->") > start
    assert f"python -m {baked.package}" in readme
    assert "cruft update" in readme


def test_gitignore(baked: BakedProject) -> None:
    ignored = baked.read(".gitignore").splitlines()
    assert ".venv/" in ignored
    assert ".research-ci/" in ignored


def test_makefile_targets(baked: BakedProject) -> None:
    makefile = baked.read("Makefile")
    targets = set(re.findall(r"^([a-z-]+):", makefile, flags=re.MULTILINE))
    assert {"check", "test", "format", "install", "run"} <= targets
    assert ("notebooks" in targets) == (baked.option("include_notebooks") == "yes")
    data = baked.option("include_data_validation") == "yes"
    assert {"check-data", "schema"} <= targets if data else not {"check-data", "schema"} & targets
    # One environment tool with research-ci (uv), and an install stamp written last.
    assert "$(UV) pip install" in makefile
    assert "pip install" not in makefile.replace("$(UV) pip install", "").replace(
        "python -m pip install --quiet --disable-pip-version-check uv", ""
    )
    recipe = makefile.split("$(INSTALLED):")[1].split("\n\n")[0]
    assert recipe.strip().splitlines()[-1].strip() == "@touch $@"
    assert "\n    " not in baked.read("Makefile").split("help:")[1], "recipes need tabs"


#: The executables the local hooks run, and the dev dependency that installs each in .venv.
HOOK_PACKAGES = {
    "black": "black",
    "ruff": "ruff",
    "mypy": "mypy",
    "nbqa": "nbqa",
    **dict.fromkeys(
        (
            "check-toml",
            "check-yaml",
            "end-of-file-fixer",
            "trailing-whitespace-fixer",
            "check-added-large-files",
        ),
        "pre-commit-hooks",
    ),
}


def test_pre_commit_runs_black_ruff_mypy_from_the_venv_offline(baked: BakedProject) -> None:
    config = baked.yaml(".pre-commit-config.yaml")
    assert [repo["repo"] for repo in config["repos"]] == ["local"], "nothing from GitHub"
    hooks = {hook["id"]: hook for hook in config["repos"][0]["hooks"]}
    assert {"black", "ruff", "mypy"} <= set(hooks)
    assert ("nbqa-ruff" in hooks) == (baked.option("include_notebooks") == "yes")
    dev = " ".join(baked.toml()["project"]["optional-dependencies"]["dev"])
    for hook in hooks.values():
        assert hook["language"] == "system"
        executable = hook["entry"].split()[0]
        assert executable.startswith(".venv/bin/"), hook["id"]
        package = HOOK_PACKAGES[executable.removeprefix(".venv/bin/")]
        assert package in dev, f"{hook['id']}: {package} is not installed by make install"


MAKE_MENTION = re.compile(r"(?:`|^\s*#?\s*|&&\s*)make ([a-z][a-z-]*)", re.MULTILINE)


def test_every_make_target_mentioned_exists(baked: BakedProject) -> None:
    """No README line, comment or hint sends the user to a target the Makefile lacks."""
    targets = set(re.findall(r"^([a-z-]+):", baked.read("Makefile"), flags=re.MULTILINE))
    names = ["README.md", "Makefile", "pyproject.toml", ".pre-commit-config.yaml"]
    mentioned = {target for name in names for target in MAKE_MENTION.findall(baked.read(name))}
    assert {"install", "check", "test", "format"} <= mentioned
    assert mentioned <= targets, mentioned - targets


def test_research_ci_messages_name_no_make_target() -> None:
    """research-ci's messages reach projects with any Makefile, or none."""
    found = []
    for path in (REPO / "scripts" / "research_ci").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
        }
        found += [
            f"{path.name}: {node.value}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
            and re.search(r"\bmake [a-z-]+`|RESEARCH_CI_DATA\b|install-data", node.value)
        ]
    assert not found


# ---------------------------------------------------------------------------- the workflow


def workflow(baked: BakedProject) -> dict[str, Any]:
    data: dict[str, Any] = baked.yaml(".github/workflows/ci.yml")
    return data


def test_workflow_jobs_follow_the_options(baked: BakedProject) -> None:
    jobs = workflow(baked)["jobs"]
    expected = {"lint", "types", "tests", "model", "quality", "badge"}
    if baked.option("include_data_validation") == "yes":
        expected.add("data")
    if baked.option("include_notebooks") == "yes":
        expected.add("notebooks")
    assert set(jobs) == expected
    assert jobs["model"]["steps"][-1]["with"]["checks"] == "model"
    versions = ["3.10", "3.11", "3.12", "3.13"]
    supported = versions[versions.index(baked.option("python_version")) :]
    assert jobs["tests"]["strategy"]["matrix"]["python-version"] == supported
    partial_jobs = expected - {"quality", "badge", "notebooks"}
    assert set(jobs["quality"]["needs"]) == partial_jobs
    assert "always()" not in jobs["quality"]["if"]
    assert "github.event_name == 'push'" in jobs["badge"]["if"]
    assert "default_branch" in jobs["badge"]["if"]


def test_workflow_uses_the_action_with_its_inputs(baked: BakedProject) -> None:
    # The template leaves base to the action's default: a pull request's base commit.
    known_inputs = set(ACTION_INPUTS) - {"base"}
    action = baked.option("research_ci_action")
    checks_seen: set[str] = set()
    for job in workflow(baked)["jobs"].values():
        for step in job["steps"]:
            if step.get("uses") == action:
                assert set(step["with"]) <= known_inputs
                checks_seen.update(step["with"].get("checks", "").split(","))
    expected = {"format", "lint", "types", "tests", "maintainability", "model"}
    if baked.option("include_data_validation") == "yes":
        expected.add("data")
    assert checks_seen - {""} == expected
    badge_step = workflow(baked)["jobs"]["badge"]["steps"][-1]
    assert badge_step["with"]["badge"] == "readme"
    assert badge_step["with"]["commit-badge"] == "true"


def test_workflow_security_basics(baked: BakedProject) -> None:
    flow = workflow(baked)
    assert flow["permissions"] == {"contents": "read"}
    assert "group" in flow["concurrency"]
    writes = {}
    for name, job in flow["jobs"].items():
        assert "permissions" in job, f"job {name} has no permissions"
        writes[name] = {scope for scope, level in job["permissions"].items() if level == "write"}
        for step in job["steps"]:
            uses = step.get("uses", "")
            if uses.startswith("actions/"):
                assert FULL_SHA.match(uses), uses
            if uses.startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False
            assert "${{" not in step.get("run", ""), f"{name}: expression in run:"
    assert writes == {name: set() for name in writes} | {
        "quality": {"pull-requests"},
        "badge": {"contents"},
    }
    text = baked.read(".github/workflows/ci.yml")
    for line in text.splitlines():
        if "uses: actions/" in line:
            assert re.search(r"@[0-9a-f]{40} # v\d+\.\d+\.\d+$", line), line


def test_dependabot_watches_actions_and_pip(baked: BakedProject) -> None:
    config = baked.yaml(".github/dependabot.yml")
    assert {update["package-ecosystem"] for update in config["updates"]} == {
        "github-actions",
        "pip",
    }


def run_tool(baked: BakedProject, *args: str | Path) -> str:
    completed = baked.run(*args)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed.stdout + completed.stderr


def test_workflows_pass_zizmor(baked: BakedProject) -> None:
    out = run_tool(baked, BIN / "zizmor", "--offline", "--persona", "pedantic", ".")
    assert "No findings to report" in out


def test_workflows_pass_check_jsonschema(baked: BakedProject) -> None:
    github = baked.path / ".github"
    run_tool(
        baked,
        BIN / "check-jsonschema",
        "--builtin-schema",
        "vendor.github-workflows",
        github / "workflows/ci.yml",
    )
    run_tool(
        baked,
        BIN / "check-jsonschema",
        "--builtin-schema",
        "vendor.dependabot",
        github / "dependabot.yml",
    )
    run_tool(
        baked,
        BIN / "check-jsonschema",
        "--builtin-schema",
        "vendor.citation-file-format",
        baked.path / "CITATION.cff",
    )


def test_workflows_pass_actionlint(baked: BakedProject) -> None:
    # actionlint finds the workflows from the repository root.
    if not (baked.path / ".git").exists():
        run_tool(baked, "git", "init", "--quiet", ".")
    run_tool(baked, BIN / "actionlint", "-no-color", ".github/workflows/ci.yml")


def test_baked_code_is_formatted_and_lint_free(baked: BakedProject) -> None:
    run_tool(baked, BIN / "black", "--check", "--quiet", ".")
    run_tool(baked, BIN / "ruff", "check", "--quiet", "--no-cache", ".")


# ------------------------------------------------------------------------- bad input


BAD_INPUT: dict[str, tuple[dict[str, str], str]] = {
    "empty name": ({"project_name": "  "}, "project_name is empty"),
    "no letters": ({"project_name": "!!!"}, "needs at least one letter or digit"),
    "digit first": ({"project_name": "2024 Study"}, "not a valid Python identifier"),
    "bad identifier": ({"package_name": "my-study"}, "not a valid Python identifier"),
    "keyword": ({"project_name": "class"}, "is a Python keyword"),
    "stdlib": ({"package_name": "statistics"}, "shadows the standard-library module"),
    "stdlib case": ({"package_name": "Json"}, "shadows the standard-library module"),
    "too long": ({"project_name": "x" * 41}, "longer than 40 characters"),
    "email": ({"author_email": "ada.example.org"}, "not an e-mail address"),
    "threshold": ({"coverage_threshold": "eighty"}, "whole number of percent"),
    "owner": ({"github_owner": "bad owner"}, "not a GitHub user or organisation"),
    "action": ({"research_ci_action": "research-ci"}, "not an action reference"),
    "newline": ({"description": "two\nlines"}, "control character"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUT))
def test_bad_input_is_refused_with_a_message(case: str, tmp_path: Path) -> None:
    answers, message = BAD_INPUT[case]
    output = tmp_path / "out"
    with pytest.raises(UsageError, match=re.escape(message)) as info:
        bake(TEMPLATE, output, answers, no_input=True)
    assert "Traceback" not in str(info.value)
    assert not output.exists(), "a refused bake leaves nothing behind"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["python_version=3.9"], "python_version='3.9' is not one of the choices"),
        (["license=GPL"], "license='GPL' is not one of the choices"),
        (["include_notebooks=maybe"], "is not one of the choices"),
        (["colour=blue"], "unknown template variable 'colour'"),
        (["=x"], "expected key=value"),
        (["project_name={{ 7 * 7 }}"], "template markup"),
        (["one", "two"], "one OUTPUT_DIR at most"),
    ],
)
def test_new_refuses_bad_arguments_in_one_line(
    arguments: list[str],
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli_main(["new", "--no-input", *arguments]) == 2
    err = capfd.readouterr().err
    assert err.count("\n") == 1
    assert message in err
    assert not list(tmp_path.iterdir())


def test_new_reports_hook_refusals_in_one_line(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    code = cli_main(["new", str(tmp_path), "--no-input", "project_name=import", "author_email=x"])
    assert code == 2
    err = capfd.readouterr().err
    assert err.splitlines() == [
        (
            "research-ci: error: package_name 'import' is a Python keyword: choose another name; "
            "author_email 'x' is not an e-mail address (no '@')"
        )
    ]


def test_hook_refusals_print_emoji_as_emoji(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    code = cli_main(["new", str(tmp_path), "--no-input", "author_email=\U0001f680"])
    assert code == 2
    err = capfd.readouterr().err
    assert "author_email '\U0001f680' is not an e-mail address" in err, err
    assert "\\ud83d" not in err


def test_new_bakes_into_output_dir(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    url = "https://github.com/ORG/research-ci"
    args = ["new", str(tmp_path / "projects"), "--no-input", "project_name=Soil", "--origin", url]
    assert cli_main(args) == 0
    out = capfd.readouterr().out
    assert f"Created {tmp_path / 'projects' / 'soil'}" in out
    assert (tmp_path / "projects/soil/src/soil/py.typed").is_file()
    state = json.loads((tmp_path / "projects/soil/.cruft.json").read_text(encoding="utf-8"))
    assert state["template"] == url
    assert state["context"]["cookiecutter"]["_template"] == url
    assert state["directory"] == "templates/research-project"
    assert not {"_output_dir", "_repo_dir"} & set(state["context"]["cookiecutter"])
    assert cli_main(["new", str(tmp_path / "projects"), "--no-input", "project_name=Soil"]) == 2
    assert "already exists" in capfd.readouterr().err


def test_new_warns_once_about_the_placeholder_action(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    assert cli_main(["new", str(tmp_path / "a"), "--no-input"]) == 0
    err = capfd.readouterr().err.splitlines()
    assert len(err) == 1
    assert err[0].startswith("research-ci: warning: research_ci_action is ORG/research-ci@v1")
    assert "research_ci_action=OWNER/research-ci@v1" in err[0]
    update = err[0].split("cruft update ", 1)[1]
    assert update == ("""--variables-to-update '{"research_ci_action": "OWNER/research-ci@v1"}'""")
    assert cli_main(["new", str(tmp_path / "b"), "--no-input", "research_ci_action=me/rci@v2"]) == 0
    assert capfd.readouterr().err == ""


def test_new_without_a_template_says_where_it_looked(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no project template at"):
        find_template(tmp_path)
    assert find_template(None) == TEMPLATE.resolve()


def test_assignment_parsing() -> None:
    prompts = template_defaults(TEMPLATE)
    assert parse_assignments(["project_name=A=B", "license=none"], prompts) == {
        "project_name": "A=B",
        "license": "none",
    }
    assert split_arguments(["out", "a=b"]) == (Path("out"), ["a=b"])
    assert split_arguments([]) == (Path(), [])


def test_plain_cookiecutter_refuses_too(cookies: Any) -> None:
    """The hook, not research-ci, refuses: the same happens with cookiecutter or cruft."""
    result = cookies.bake(template=str(TEMPLATE), extra_context={"package_name": "typing"})
    assert result.exit_code != 0
    assert type(result.exception).__name__ == "FailedHookException"
    ok = cookies.bake(template=str(TEMPLATE), extra_context={"project_name": "Plain Bake"})
    assert ok.exit_code == 0, ok.exception
    assert Path(ok.project_path).name == "plain-bake"
    assert not (Path(ok.project_path) / ".cruft.json").exists()


def test_docs_list_every_prompt() -> None:
    page = (REPO / "docs" / "template.md").read_text(encoding="utf-8")
    for key in defaults():
        assert f"`{key}`" in page, f"docs/template.md does not describe {key}"


def test_a_relative_import_fails_the_lint_check(tmp_path: Path) -> None:
    project = bake_combo(tmp_path, {"project_name": "Relative"})
    pipeline = project.path / "src" / "relative" / "pipeline.py"
    text = pipeline.read_text(encoding="utf-8")
    pipeline.write_text(
        text.replace("from relative.data import load_csv", "from .data import load_csv"),
        encoding="utf-8",
    )
    run = research_ci("check", project.path, "--only", "lint", "--no-install")
    assert run.returncode == 1, run.stdout + run.stderr
    report = json.loads((project.path / ".research-ci" / "report.json").read_text("utf-8"))
    lint = report["checks"]["lint"]
    assert lint["status"] == "failed"
    # TID252 is the ban; isort (I001) also wants the now-local import in its own block.
    assert ("TID252", "src/relative/pipeline.py") in {
        (finding["code"], finding["file"]) for finding in lint["findings"]
    }


def test_new_with_a_template_copy_outside_git(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "template"
    shutil.copytree(TEMPLATE, copy)
    out = tmp_path / "out"
    assert cli_main(["new", str(out), "--no-input", "--template", str(copy)]) == 0
    project = out / "my-research-project"
    assert (project / "pyproject.toml").is_file()
    assert not (project / ".cruft.json").exists(), "no git, no recorded origin"
    (copy / "cookiecutter.json").write_text("{not json", encoding="utf-8")
    assert cli_main(["new", str(out), "--no-input", "--template", str(copy)]) == 2
    assert "cannot read" in capfd.readouterr().err


def test_new_refuses_an_output_dir_that_is_a_file(tmp_path: Path) -> None:
    target = tmp_path / "file.txt"
    target.write_text("x", encoding="utf-8")
    with pytest.raises(UsageError, match="not a directory"):
        bake(TEMPLATE, target, {}, no_input=True)


def test_pre_commit_runs_the_tools_research_ci_locks(baked: BakedProject) -> None:
    """Hooks and CI format alike only when they run the same black, ruff and mypy."""
    locked = {
        package["name"]: package["version"] for package in load_toml(REPO / "uv.lock")["package"]
    }
    dev = baked.toml()["project"]["optional-dependencies"]["dev"]
    for tool in ("black", "ruff", "mypy"):
        assert f"{tool}=={locked[tool]}" in dev, tool


def test_hook_accepts_exactly_the_choices_of_cookiecutter_json() -> None:
    hook = (TEMPLATE / "hooks" / "pre_gen_project.py").read_text(encoding="utf-8")
    prompts = defaults()
    for constant, key in (("SUPPORTED_PYTHONS", "python_version"), ("LICENSES", "license")):
        match = re.search(rf"^{constant} = \((.*)\)$", hook, flags=re.MULTILINE)
        assert match, constant
        assert sorted(re.findall(r'"([^"]+)"', match.group(1))) == sorted(prompts[key])
