"""The three workflow checkers report nothing on action.yml and every workflow, and the action's
own rules hold: pinned third-party actions, no ``${{ }}`` in scripts, one uv version.

zizmor (``--offline --persona pedantic``), check-jsonschema (the vendored GitHub schemas) and
actionlint (a fork that checks workflows, and the ``with:`` of local actions against their
action.yml) all come from the dev environment in ``.venv/bin``.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from projects import run_command

REPO = Path(__file__).resolve().parents[1]
BIN = REPO / ".venv" / "bin"
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
ACTIONS = [REPO / "action.yml", *sorted((REPO / "tests" / "stubs").glob("*/action.yml"))]
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(?:/[\w./-]+)?@[0-9a-f]{40}$")
SELF = ("./", "ORG/research-ci@", "ORG/research-ci/")


def tool(name: str) -> Path:
    path = BIN / name
    if not path.exists():
        pytest.skip(f"{name} is not installed in .venv")
    return path


def run(*command: str | Path, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "NO_COLOR": "1"}
    return run_command(command, cwd=cwd, env=env)


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def test_the_workflows_exist() -> None:
    names = {path.name for path in WORKFLOWS}
    assert {"ci.yml", "research-ci.yml", "release.yml", "comment-fork-pr.yml"} <= names


def test_check_jsonschema_accepts_the_action_and_the_workflows() -> None:
    checker = tool("check-jsonschema")
    actions = run(checker, "--builtin-schema", "vendor.github-actions", *ACTIONS)
    assert actions.returncode == 0, actions.stdout + actions.stderr
    workflows = run(checker, "--builtin-schema", "vendor.github-workflows", *WORKFLOWS)
    assert workflows.returncode == 0, workflows.stdout + workflows.stderr


def test_zizmor_pedantic_finds_nothing() -> None:
    result = run(tool("zizmor"), "--offline", "--persona", "pedantic", "--no-progress", ".")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout


def test_zizmor_catches_template_injection(tmp_path: Path) -> None:
    """The checker really looks at composite actions: the unsafe form is reported."""
    bad = tmp_path / "action.yml"
    bad.write_text(
        "name: bad\ndescription: bad\ninputs:\n  x:\n    description: x\n"
        "runs:\n  using: composite\n  steps:\n"
        '    - shell: bash\n      run: echo "${{ inputs.x }}"\n',
        encoding="utf-8",
    )
    result = run(tool("zizmor"), "--offline", "--no-progress", bad, cwd=tmp_path)
    assert result.returncode != 0
    assert "template-injection" in result.stdout


def test_actionlint_finds_nothing() -> None:
    result = run(tool("actionlint"))
    assert result.returncode == 0, result.stdout + result.stderr


def _steps(document: dict[str, Any]) -> list[dict[str, Any]]:
    if "runs" in document:
        return list(document["runs"].get("steps", []))
    return [step for job in document.get("jobs", {}).values() for step in job.get("steps", [])]


@pytest.mark.parametrize("path", [*ACTIONS[:1], *WORKFLOWS], ids=lambda path: path.name)
def test_third_party_actions_are_pinned_by_sha_with_a_version_comment(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    for step in _steps(load(path)):
        uses = step.get("uses")
        if uses is None or uses.startswith(SELF):
            continue
        assert PINNED.match(uses), f"{path.name}: {uses} is not pinned by a full commit SHA"
        assert re.search(
            re.escape(uses) + r" # v\d+\.\d+\.\d+", text
        ), f"{uses}: no version comment"


@pytest.mark.parametrize("path", [*ACTIONS[:1], *WORKFLOWS], ids=lambda path: path.name)
def test_no_expression_is_interpolated_into_a_script(path: Path) -> None:
    for step in _steps(load(path)):
        assert "${{" not in str(step.get("run", "")), f"{path.name}: {step.get('name')}"


def test_the_action_bootstraps_the_same_uv_as_the_makefile() -> None:
    """One owner of the uv version, locks/uv.txt: the Makefile and both workflows install it."""
    (pin,) = [
        line
        for line in (REPO / "locks" / "uv.txt").read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    ]
    assert re.fullmatch(r"uv==\d+\.\d+\.\d+", pin)
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^UV_REQUIREMENT\s*:=\s*locks/uv\.txt$", makefile, re.MULTILINE)
    assert "pip install --quiet --disable-pip-version-check -r $(UV_REQUIREMENT)" in makefile
    install = next(
        step for step in _steps(load(REPO / "action.yml")) if step.get("id") == "install"
    )
    assert '-r "$GITHUB_ACTION_PATH/locks/uv.txt"' in install["run"]
    fork = load(REPO / ".github" / "workflows" / "comment-fork-pr.yml")
    assert [step for step in _steps(fork) if "locks/uv.txt" in step.get("run", "")]
    for path in [REPO / "Makefile", REPO / "action.yml", *WORKFLOWS]:
        assert not re.search(r"uv==\d", path.read_text(encoding="utf-8")), path


def test_every_remote_action_has_a_stand_in_for_act() -> None:
    stand_ins = {path.parent.name for path in ACTIONS[1:]}
    for path in [REPO / "action.yml", *WORKFLOWS]:
        for step in _steps(load(path)):
            uses = step.get("uses", "")
            if uses.startswith("actions/") and not uses.startswith("actions/checkout@"):
                assert uses.split("@")[0].removeprefix("actions/") in stand_ins, uses


def test_the_template_workflows_pass_the_checkers_too(tmp_path: Path) -> None:
    if not (REPO / "scripts" / "research_ci" / "scaffold.py").exists():
        pytest.skip("`research-ci new` has not landed yet")
    baked = run(BIN / "research-ci", "new", tmp_path, "--no-input")
    assert baked.returncode == 0, baked.stdout + baked.stderr
    (project,) = [path for path in tmp_path.iterdir() if path.is_dir()]
    workflows = sorted((project / ".github" / "workflows").glob("*.yml"))
    assert workflows
    schema = run(
        tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *workflows
    )
    assert schema.returncode == 0, schema.stdout + schema.stderr
    zizmor = run(
        tool("zizmor"), "--offline", "--persona", "pedantic", "--no-progress", ".", cwd=project
    )
    assert zizmor.returncode == 0, zizmor.stdout + zizmor.stderr
    lint = run(tool("actionlint"), *workflows, cwd=project)
    assert lint.returncode == 0, lint.stdout + lint.stderr
