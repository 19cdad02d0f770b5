"""``research-ci check --base`` / ``--base-report`` and ``research-ci baseline`` end to end.

Real git repositories, the real CLI in a subprocess, the real checks (the tests run in
research-ci's own environment with ``--no-install``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from projects import run_cli
from test_delta import CORE, MANY_ARGUMENTS, PROJECT_HEAD, TESTS, commit, git, write

pytestmark = pytest.mark.slow

PYPROJECT = PROJECT_HEAD + """
[tool.pytest.ini_options]
pythonpath = ["src"]

[tool.coverage.run]
source = ["src"]

[tool.research-ci]
paths = ["src", "tests"]
checks = ["lint", "tests", "maintainability"]
{extra}
"""


def make_repo(tmp_path: Path, extra: str = "") -> Path:
    root = tmp_path / "repo"
    root.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    write(
        root,
        {
            "pyproject.toml": PYPROJECT.format(extra=extra),
            ".gitignore": ".research-ci/\n",
            "src/pkg/__init__.py": "",
            "src/pkg/core.py": "import os\n" + CORE,
            "tests/test_core.py": TESTS,
        },
    )
    commit(root, "base with one legacy finding")
    git(root, "checkout", "-q", "-b", "pr")
    return root


def report(root: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (root / ".research-ci" / "report.json").read_text(encoding="utf-8")
    )
    return data


def test_gate_new_passes_a_clean_change_despite_legacy_findings(tmp_path: Path) -> None:
    root = make_repo(tmp_path, 'gate = "new"')
    write(root, {"src/pkg/core.py": "import os\n\n" + CORE})  # a blank line: nothing new
    commit(root, "touch")
    plain = run_cli("check", ".", "--no-install", "--format", "json", cwd=root)
    # Without a base or a baseline, gate = "new" cannot tell old from new: everything counts.
    assert plain.returncode == 1, plain.stderr
    done = run_cli("check", ".", "--no-install", "--base", "main", cwd=root)
    assert done.returncode == 0, done.stdout + done.stderr
    data = report(root)
    assert data["settings"]["gate"] == "new"
    assert data["delta"]["new"] == []
    assert data["delta"]["fixed"] == []
    assert data["gate"] == {"passed": True, "reasons": []}
    assert [f["code"] for f in data["checks"]["lint"]["findings"]] == ["F401"]
    assert all(f["fingerprint"] for f in data["checks"]["lint"]["findings"])
    summary = run_cli("summary", cwd=root).stdout
    assert summary.splitlines()[1].startswith("## ✅ research-ci: ")
    assert "0 new findings · 0 fixed" in summary.splitlines()[1]
    assert "<details>" in summary


def test_gate_new_fails_on_a_new_finding_and_annotates_only_it(tmp_path: Path) -> None:
    root = make_repo(tmp_path, 'gate = "new"')
    write(root, {"src/pkg/core.py": "import os\n" + CORE + MANY_ARGUMENTS})
    commit(root, "add summarise")
    done = run_cli("check", ".", "--no-install", "--base", "main", "--format", "github", cwd=root)
    assert done.returncode == 1
    annotations = [line for line in done.stdout.splitlines() if line.startswith("::warning")]
    assert len(annotations) == 1
    assert "argument-count" in annotations[0]
    assert "F401" not in done.stdout.split("::notice")[0]
    data = report(root)
    assert [f["code"] for f in data["delta"]["new"]] == ["argument-count"]
    assert data["gate"]["reasons"][0] == "1 new finding"
    # The same comparison from a saved base report.
    git(root, "checkout", "-q", "main")
    base_run = run_cli(
        "check", ".", "--no-install", "--report", str(tmp_path / "base.json"), cwd=root
    )
    assert base_run.returncode == 1  # the legacy finding, no base: gate on everything
    git(root, "checkout", "-q", "pr")
    again = run_cli(
        "check", ".", "--no-install", "--base-report", str(tmp_path / "base.json"), cwd=root
    )
    assert again.returncode == 1
    # The base report ran the tests too: the total coverage shortfall is new (listed, not
    # gating: the diff coverage gates instead).
    assert [f["code"] for f in report(root)["delta"]["new"]] == ["coverage", "argument-count"]
    assert report(root)["gate"]["reasons"][0] == "1 new finding"


def test_baseline_command_and_gate(tmp_path: Path) -> None:
    root = make_repo(tmp_path, 'gate = "new"')
    first = run_cli("check", ".", "--no-install", cwd=root)
    assert first.returncode == 1
    written = run_cli("baseline", ".", cwd=root)
    assert written.returncode == 0, written.stderr
    assert "1 findings accepted" in written.stdout
    baseline = json.loads((root / "research-ci-baseline.json").read_text(encoding="utf-8"))
    assert [item["code"] for item in baseline["findings"]] == ["F401"]
    assert run_cli("check", ".", "--no-install", cwd=root).returncode == 0
    write(root, {"src/pkg/extra.py": "import sys\n"})
    later = run_cli("check", ".", "--no-install", cwd=root)
    assert later.returncode == 1
    assert "1 finding not in the baseline" in report(root)["gate"]["reasons"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--base", "no-such-branch"), "--base no-such-branch: not a commit"),
        (("--base", "--upload-pack=x"), "not a commit"),
    ],
)
def test_bad_base_is_a_usage_error_and_writes_nothing(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    root = make_repo(tmp_path)
    done = run_cli("check", ".", "--no-install", *args, cwd=root)
    assert done.returncode == 2
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (root / ".research-ci" / "report.json").exists()


def test_bad_settings_are_usage_errors(tmp_path: Path) -> None:
    for extra, message in (
        ('gate = "some"', 'gate must be "all" or "new"'),
        ('baseline = "../outside.json"', "baseline must be inside the project"),
        ("[tool.research-ci.maintainability]\nmethod-complexity = 0", "method-complexity"),
    ):
        root = make_repo(tmp_path / message.split()[0].strip('"'), extra)
        done = run_cli("check", ".", "--no-install", cwd=root)
        assert done.returncode == 2, done.stdout
        assert message in done.stderr
    missing = run_cli("baseline", ".", cwd=root)
    assert missing.returncode == 2
    assert "report not found" in missing.stderr or "method-complexity" in missing.stderr


def test_a_base_that_cannot_be_checked_leaves_a_note_and_no_delta(tmp_path: Path) -> None:
    root = make_repo(tmp_path, "bogus-key = 1")
    write(root, {"pyproject.toml": PYPROJECT.format(extra=""), "src/pkg/core.py": CORE})
    commit(root, "fix the settings and the finding")
    done = run_cli("check", ".", "--no-install", "--base", "main", cwd=root)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "the base could not be checked" in done.stderr
    assert "unknown key bogus-key" in done.stderr
    assert "delta" not in report(root)
