"""docs/action.md documents every input and output of action.yml, with the right defaults."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
ROW = re.compile(r"^\|\s*`(?P<name>[a-z-]+)`\s*\|(?P<rest>.*)\|\s*$")


#: The action's inputs, in the order of its contract.
ACTION_INPUTS = (
    "checks",
    "working-directory",
    "python-version",
    "report",
    "merge-reports",
    "badge",
    "commit-badge",
    "comment",
    "minimum-grade",
    "base",
    "github-token",
)


def action() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
    return data


def table(section: str) -> dict[str, list[str]]:
    """The rows of the Markdown table under ``## <section>``: name -> the other cells."""
    text = (REPO / "docs" / "action.md").read_text(encoding="utf-8")
    body = text.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, list[str]] = {}
    for line in body.splitlines():
        match = ROW.match(line)
        if match:
            rows[match["name"]] = [cell.strip() for cell in match["rest"].split(" | ")]
    return rows


def test_every_input_is_documented_with_its_default() -> None:
    inputs = action()["inputs"]
    documented = table("Inputs")
    assert list(documented) == list(inputs)
    for name, spec in inputs.items():
        default = str(spec.get("default", ""))
        shown = documented[name][0].strip("`")
        assert shown == (default or '""'), f"{name}: docs say {shown!r}, action.yml {default!r}"
        assert documented[name][1], f"{name} has no description"


def test_every_output_is_documented() -> None:
    outputs = action()["outputs"]
    documented = table("Outputs")
    assert list(documented) == list(outputs)
    assert all(cells[0] for cells in documented.values())


def test_the_action_takes_exactly_the_inputs_and_outputs_of_its_contract() -> None:
    assert list(action()["inputs"]) == list(ACTION_INPUTS)
    assert list(action()["outputs"]) == ["grade", "score", "report", "coverage", "anomalies"]


def test_every_output_comes_from_the_outputs_step() -> None:
    for name, spec in action()["outputs"].items():
        assert spec["value"] == f"${{{{ steps.outputs.outputs.{name} }}}}"


def test_the_reusable_workflow_is_documented() -> None:
    workflow: dict[Any, Any] = yaml.safe_load(
        (REPO / ".github" / "workflows" / "research-ci.yml").read_text(encoding="utf-8")
    )
    # PyYAML reads the `on:` key as True.
    call = workflow[True]["workflow_call"]
    text = (REPO / "docs" / "workflow.md").read_text(encoding="utf-8")
    inputs = text.split("\n## Inputs\n", 1)[1].split("\n## ", 1)[0]
    outputs = text.split("\n## Outputs\n", 1)[1].split("\n## ", 1)[0]
    documented = [match["name"] for match in map(ROW.match, inputs.splitlines()) if match]
    assert documented == list(call["inputs"])
    for name, spec in call["inputs"].items():
        row = next(line for line in inputs.splitlines() if line.startswith(f"| `{name}` |"))
        default = spec["default"]
        shown = str(default).lower() if isinstance(default, bool) else (default or '""')
        assert f"`{shown}`" in row, name
    documented_outputs = [match["name"] for match in map(ROW.match, outputs.splitlines()) if match]
    assert documented_outputs == list(call["outputs"])
    jobs = {"lint", "types", "tests", "maintainability", "data", "model", "quality"}
    assert set(workflow["jobs"]) == jobs
    for job in jobs:
        assert f"| `{job}`" in text, f"docs/workflow.md's Jobs table has no row for {job}"
