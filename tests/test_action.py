"""The composite action, run for real under act (host mode) on a project baked from the template.

Each test copies one project (made once per module), writes a small workflow that uses
``ORG/research-ci@v1`` (mapped to a copy of this repository's action), runs it with act and
asserts on the step outputs, the annotations, the job summary, the uploaded report, the pushed
badge commit and the PR comment (against a GitHub API stand-in on 127.0.0.1).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from action_inputs import REFUSED_INPUTS, input_ids
from stubs.act import ACT, ActRun, copy_action_source, copy_with_bare_origin, git, run_act
from stubs.act import REPO as REPO_ROOT
from stubs.github_api import GitHubApiStandIn
from test_action_template_ci import bake, pull_request_event, push_event

pytestmark = [
    pytest.mark.act,
    pytest.mark.slow,
    pytest.mark.skipif(not ACT.exists(), reason="act is not installed in .venv"),
    pytest.mark.xdist_group("act"),
]

CHECKOUT = "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2"
WORKFLOW = ".github/workflows/quality.yml"
PACKAGE = "my_research_project"  # the template's default package name
PR_NUMBER = 7

FAULTS: dict[str, dict[str, str]] = {
    "lint": {"src/{pkg}/unused.py": '"""Unused import."""\n\nimport os\n'},
    "types": {
        "src/{pkg}/wrong.py": '"""Wrong types."""\n\n\ndef half(x: int) -> str:\n'
        '    """Half."""\n    return x // 2\n'
    },
    "failing-test": {
        "tests/test_fail.py": '"""A wrong expectation."""\n\n\ndef add(a: int, b: int) -> int:\n'
        "    return a + b\n\n\ndef test_wrong() -> None:\n    assert add(1, 1) == 3\n"
    },
    "coverage": {
        "src/{pkg}/untested.py": '"""Code without tests."""\n\n\n'
        + "\n\n".join(
            f'def f{i}(x: int) -> int:\n    """F{i}."""\n    y = x + {i}\n    return y * 2\n'
            for i in range(60)
        )
    },
}
#: fault -> (annotation title fragment, file or None)
EXPECTED: dict[str, tuple[str, str | None]] = {
    "lint": ("lint (F401)", f"src/{PACKAGE}/unused.py"),
    "types": ("types", f"src/{PACKAGE}/wrong.py"),
    "failing-test": ("tests", "tests/test_fail.py"),
    "coverage": ("coverage", None),
}


def workflow(inputs: dict[str, str]) -> str:
    """A one-job workflow that checks out the project and runs the action with ``inputs``."""
    lines = [
        "name: quality",
        "on: [push, pull_request]",
        "permissions: {}",
        "jobs:",
        "  quality:",
        "    runs-on: ubuntu-latest",
        "    permissions:",
        "      contents: write",
        "      pull-requests: write",
        "    steps:",
        f"      - uses: {CHECKOUT}",
        "      - id: rci",
        "        uses: ORG/research-ci@v1",
        "        with:" if inputs else "        with: {}",
        *(f"          {key}: {json.dumps(value)}" for key, value in inputs.items()),
    ]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def source_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project baked from the template with `research-ci new --no-input`, committed on main."""
    return bake(tmp_path_factory.mktemp("baked"))


@pytest.fixture(scope="module")
def action_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This repository's action as users get it from ``ORG/research-ci@v1``."""
    return copy_action_source(tmp_path_factory.mktemp("action") / "research-ci")


class Scenario:
    """A copy of the source project with its own workflow, bare origin and act home."""

    def __init__(self, source: Path, tmp_path: Path, action_source: Path) -> None:
        self.project, self.origin = copy_with_bare_origin(source, tmp_path)
        self.home = tmp_path / "home"
        self.action_source = action_source

    def write(self, files: dict[str, str]) -> None:
        for relative, text in files.items():
            path = self.project / relative.format(pkg=PACKAGE)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text.replace("{pkg}", PACKAGE), encoding="utf-8")
        git(self.project, "add", "--all")
        git(self.project, "commit", "--quiet", "-m", "change")

    def run(self, event: str, inputs: dict[str, str], **kwargs: Any) -> ActRun:
        path = self.project / WORKFLOW
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(workflow(inputs), encoding="utf-8")
        payload = push_event() if event == "push" else pull_request_event(PR_NUMBER)
        return run_act(
            self.project,
            event=event,
            payload=payload,
            workflow=WORKFLOW,
            home=self.home,
            action_source=self.action_source,
            **kwargs,
        )

    def origin_log(self) -> list[str]:
        return git(self.origin, "log", "--format=%s", "main").splitlines()

    def origin_readme(self) -> str:
        return git(self.origin, "show", "main:README.md")

    def uploaded_reports(self) -> list[Path]:
        return sorted((self.home / "artifacts").glob("*/*.json"))


@pytest.fixture
def scenario(source_project: Path, tmp_path: Path, action_source: Path) -> Scenario:
    return Scenario(source_project, tmp_path, action_source)


@pytest.fixture
def api() -> Iterator[GitHubApiStandIn]:
    with GitHubApiStandIn() as server:
        yield server


def explain(run: ActRun) -> str:
    """What went wrong, for assertion messages: annotations, step output, failed steps."""
    failed = [r.get("msg", "") for r in run.records if r.get("stepResult") == "failure"]
    plain = [line for line in run.log.splitlines() if not line.startswith("{")]
    return "\n".join(
        [
            f"errors: {run.annotations('error')}",
            f"failed steps: {failed}",
            run.raw_output()[-3000:],
            *plain[-20:],
        ]
    )


def test_clean_project_passes_with_its_grade(scenario: Scenario) -> None:
    run = scenario.run("push", {"comment": "false"})
    assert run.returncode == 0, explain(run)
    assert run.job_results == {"quality": "success"}
    outputs = run.outputs("rci")
    assert outputs["grade"] == "A"
    assert int(outputs["score"]) >= 90
    assert float(outputs["coverage"]) >= 80
    assert outputs["anomalies"] == ""
    assert outputs["report"].endswith(".research-ci/report.json")
    assert run.annotations("error") == []
    assert "<!-- research-ci:summary -->" in run.summaries()
    reports = scenario.uploaded_reports()
    assert [path.parent.name for path in reports] == [
        # python-version defaulted to the lower bound of requires-python (>=3.11).
        "research-ci-report-quality-format-lint-types-tests-maintainability-py3.11-Linux"
    ]
    assert json.loads(reports[0].read_text("utf-8"))["grade"] == "A"
    # badge defaults to none: nothing was committed anywhere.
    assert scenario.origin_log() == ["initial commit"]


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_must_fail_cases_fail_with_annotations(scenario: Scenario, fault: str) -> None:
    scenario.write(FAULTS[fault])
    run = scenario.run("push", {"comment": "false"})
    assert run.returncode != 0, explain(run)
    assert run.job_results == {"quality": "failure"}
    errors = run.annotations("error")
    title, file = EXPECTED[fault]
    matching = [item for item in errors if title in item.get("title", "")]
    assert matching, errors
    if file is not None:
        assert any(item.get("file") == file for item in matching), matching
    # The gate is the last step: the report was still summarised and uploaded.
    assert any("quality gate" in item.get("title", "") for item in errors), errors
    assert run.outputs("rci")["grade"] in "ABCDF"
    assert scenario.uploaded_reports()


def test_minimum_grade_input_fails_the_step(scenario: Scenario) -> None:
    scenario.write(FAULTS["coverage"])
    run = scenario.run("push", {"comment": "false", "minimum-grade": "A"})
    assert run.returncode != 0, explain(run)
    messages = [item["message"] for item in run.annotations("error")]
    assert any("under the minimum-grade A" in message for message in messages), messages


def test_badge_commit_lands_on_a_push_to_the_default_branch(scenario: Scenario) -> None:
    run = scenario.run("push", {"comment": "false", "badge": "readme", "commit-badge": "true"})
    assert run.returncode == 0, explain(run)
    log = scenario.origin_log()
    assert len(log) == 2, log
    assert "[skip ci]" in log[0]
    readme = scenario.origin_readme()
    assert "<!-- research-ci:badges:start -->" in readme
    assert readme.startswith("# My Research Project\n")
    # A second run with nothing new changes nothing and pushes nothing.
    git(scenario.project, "pull", "--quiet", "origin", "main")
    again = scenario.run("push", {"comment": "false", "badge": "readme", "commit-badge": "true"})
    assert again.returncode == 0, explain(again)
    assert len(scenario.origin_log()) == 2
    assert "badge unchanged" in again.raw_output()


def test_pull_request_pushes_nothing_and_keeps_one_sticky_comment(
    scenario: Scenario, api: GitHubApiStandIn
) -> None:
    inputs = {"badge": "readme", "commit-badge": "true"}
    first = scenario.run("pull_request", inputs, api_url=api.url)
    assert first.returncode == 0, explain(first)
    assert scenario.origin_log() == ["initial commit"]
    assert "not a push" in first.raw_output() or "pull_request" in first.raw_output()
    comments = api.comments[PR_NUMBER]
    assert len(comments) == 1
    assert comments[0]["body"].startswith("<!-- research-ci:summary -->")
    assert [(r.method, r.authorization) for r in api.writes()] == [("POST", "Bearer test-token")]

    scenario.write(FAULTS["lint"])
    second = scenario.run("pull_request", inputs, api_url=api.url)
    assert second.returncode != 0, explain(second)
    # Same runner, same tool cache: the second run reuses the installed research-ci.
    assert "research-ci is already installed" in second.raw_output()
    assert len(api.comments[PR_NUMBER]) == 1
    assert [r.method for r in api.writes()] == ["POST", "PATCH"]
    assert api.writes()[1].path.endswith(f"/issues/comments/{comments[0]['id']}")
    assert "F401" in api.comments[PR_NUMBER][0]["body"]


def test_read_only_token_degrades_to_a_notice(scenario: Scenario) -> None:
    with GitHubApiStandIn(deny_status=403) as api:
        run = scenario.run("pull_request", {}, api_url=api.url)
    assert run.returncode == 0, explain(run)
    notices = [item["message"] for item in run.annotations("notice")]
    assert any("cannot comment on this pull request" in message for message in notices), notices
    assert "HTTP 403" in " ".join(notices)
    assert "<!-- research-ci:summary -->" in run.summaries()


DATA_PYTHON = REPO_ROOT / ".venv-data" / "bin" / "python"


@pytest.mark.data
@pytest.mark.skipif(not DATA_PYTHON.exists(), reason="no TFDV environment (.venv-data)")
def test_data_anomaly_fails_with_an_annotation_on_the_dataset(scenario: Scenario) -> None:
    evaluation = scenario.project / "data" / "eval.csv"
    header, *rows = evaluation.read_text("utf-8").splitlines()
    rows = [row.replace(",organic,", ",plutonium,") for row in rows]
    scenario.write({"data/eval.csv": "\n".join([header, *rows]) + "\n"})
    # A runner with a prebuilt TFDV environment: the action uses it instead of installing one.
    run = scenario.run(
        "push",
        {"checks": "data", "comment": "false"},
        env={"RESEARCH_CI_DATA_PYTHON": str(DATA_PYTHON)},
    )
    assert run.returncode != 0, explain(run)
    errors = run.annotations("error")
    anomalies = [item for item in errors if "research-ci data" in item.get("title", "")]
    assert anomalies, errors
    assert anomalies[0].get("file") == "data/eval.csv"
    assert "plutonium" in anomalies[0]["message"]
    outputs = run.outputs("rci")
    assert int(outputs["anomalies"]) >= 1  # the unseen value, and the drift it causes
    assert outputs["coverage"] == ""


REUSABLE_CALLER = """\
name: caller
on: [push, pull_request]
permissions: {}
jobs:
  research-ci:
    uses: ./.github/workflows/research-ci.yml
    permissions:
      contents: write
      pull-requests: write
    with:
      python-versions: '["3.11"]'
      badge: none
"""


def test_reusable_workflow_merges_the_partial_reports(scenario: Scenario) -> None:
    """The reusable workflow, called with one `uses:` line: every job, then the merge."""
    workflows = scenario.project / ".github" / "workflows"
    workflows.mkdir(parents=True, exist_ok=True)
    shutil.copy2(REPO_ROOT / ".github" / "workflows" / "research-ci.yml", workflows)
    (workflows / "caller.yml").write_text(REUSABLE_CALLER, encoding="utf-8")
    scenario.write(FAULTS["lint"])
    run = run_act(
        scenario.project,
        event="push",
        payload=push_event(),
        workflow=".github/workflows/caller.yml",
        home=scenario.home,
        action_source=scenario.action_source,
        extra_workflows=[workflows / "research-ci.yml"],
    )
    results = run.job_results
    assert results.get("lint") == "failure", explain(run)
    assert results.get("types") == "success", explain(run)
    assert results.get("tests") == "success", explain(run)
    assert results.get("maintainability") == "success", explain(run)
    assert "data" not in results or results["data"] != "failure"
    assert results.get("quality") == "failure", explain(run)
    names = sorted(path.parent.name for path in scenario.uploaded_reports())
    assert "research-ci-report-quality-merged-Linux" in names, names
    assert "research-ci-report-tests-tests-py3.11-Linux" in names, names
    merged = json.loads(
        (
            scenario.home / "artifacts" / "research-ci-report-quality-merged-Linux" / "report.json"
        ).read_text("utf-8")
    )
    statuses = {name: check["status"] for name, check in merged["checks"].items()}
    assert statuses == {
        "format": "passed",
        "lint": "failed",
        "types": "passed",
        "tests": "passed",
        "maintainability": "passed",
        "data": "skipped",
        "model": "skipped",
    }
    assert merged["checks"]["lint"]["status"] == "failed"
    assert merged["gate"]["passed"] is False


@pytest.mark.data
def test_data_check_installs_its_own_tfdv_environment(scenario: Scenario) -> None:
    """Without a prebuilt environment the action installs TFDV from locks/data (Python 3.11)."""
    run = scenario.run(
        "push", {"checks": "data", "comment": "false"}, env={"RESEARCH_CI_DATA_PYTHON": ""}
    )
    assert run.returncode == 0, explain(run)
    paths = {
        record["name"]: record["arg"]
        for record in run.commands("set-output")
        if record.get("stepID") == ["rci", "data-env"]
    }
    assert "/data-py3.11" in paths["python"]
    outputs = run.outputs("rci")
    assert outputs["grade"] == "A"
    assert outputs["anomalies"] == "0"


#: The plan's refusals, and the merge step's: a glob that matches nothing is refused too.
BAD_INPUTS = [
    *REFUSED_INPUTS,
    ({"merge-reports": "reports/*.json"}, "merge-reports matched no file"),
    ({"merge-reports": "none/*.json\n::warning::injected"}, "matched no file"),
]


@pytest.mark.parametrize(("inputs", "message"), BAD_INPUTS, ids=input_ids(BAD_INPUTS))
def test_bad_inputs_are_refused_with_an_annotation(
    scenario: Scenario, inputs: dict[str, str], message: str
) -> None:
    run = scenario.run("push", inputs)
    assert run.returncode != 0
    # (act splits a command at its last `::`, GitHub at the first: look at both parts.)
    messages = [f"{item.get('title', '')}::{item['message']}" for item in run.annotations("error")]
    assert any(message in text for text in messages), explain(run)
    # An input never becomes a workflow command of its own.
    assert run.annotations("warning") == []
