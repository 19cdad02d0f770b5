"""Run GitHub workflows for real under act in host mode, and read back what they did.

act runs the steps on this machine (``-P ubuntu-latest=-self-hosted``), with no Docker and no
network to GitHub: each remote action is mapped to a local stand-in in this directory with
``--local-repository``, and ``ORG/research-ci@v1`` to a copy of this repository's action.
``--json`` turns every log line into a record; :class:`ActRun` reads outputs, annotations,
summaries and results from them.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
STUBS = Path(__file__).resolve().parent
ACT = REPO / ".venv" / "bin" / "act"
ACTION_REF = "ORG/research-ci@v1"
#: Remote actions and the stand-ins that replace them under act.
STAND_INS: dict[str, Path] = {
    "actions/setup-python": STUBS / "setup-python",
    "actions/cache": STUBS / "cache",
    "actions/upload-artifact": STUBS / "upload-artifact",
    "actions/download-artifact": STUBS / "download-artifact",
}
USES = re.compile(r"uses:\s*['\"]?([\w.-]+/[\w.-]+)(?:/[\w./-]+)?@([\w.-]+)")
#: What the action needs from this repository (no .git, no environments).
ACTION_FILES = (
    "action.yml",
    "build_hooks",
    "pyproject.toml",
    "uv.lock",
    "README.md",
    "locks",
    "scripts",
    "templates",
)


@dataclasses.dataclass
class ActRun:
    """One act run: its exit code and its JSON log records."""

    returncode: int
    records: list[dict[str, Any]]
    log: str

    def commands(self, name: str) -> list[dict[str, Any]]:
        """Workflow-command records (``set-output``, ``error``, ``summary``...)."""
        return [record for record in self.records if record.get("command") == name]

    def outputs(self, step_id: str) -> dict[str, str]:
        """The outputs a top-level step set (``stepID == [step_id]``)."""
        return {
            str(record["name"]): str(record.get("arg", ""))
            for record in self.commands("set-output")
            if record.get("stepID") == [step_id]
        }

    def annotations(self, level: str) -> list[dict[str, str]]:
        """``error``/``warning``/``notice`` annotations: message plus their properties."""
        seen: set[str] = set()
        found: list[dict[str, str]] = []
        for record in self.commands(level):
            # act repeats a composite's commands for the outer step (same job); two jobs may
            # well say the same thing, and both count.
            job = str(record.get("jobID", record.get("job", "")))
            raw = job + "\0" + str(record.get("raw", record.get("arg", "")))
            if raw in seen:
                continue
            seen.add(raw)
            found.append({"message": str(record.get("arg", "")), **record.get("kvPairs", {})})
        return found

    def summaries(self) -> str:
        """Everything the steps appended to ``$GITHUB_STEP_SUMMARY``."""
        return "".join(str(record.get("content", "")) for record in self.commands("summary"))

    @property
    def job_results(self) -> dict[str, str]:
        """``{job id: "success" | "failure"}``."""
        return {
            str(record.get("jobID")): str(record["jobResult"])
            for record in self.records
            if "jobResult" in record
        }

    def raw_output(self) -> str:
        """The steps' own stdout."""
        return "".join(str(r.get("msg", "")) for r in self.records if r.get("raw_output"))


def copy_action_source(dest: Path) -> Path:
    """Copy the action (as users get it from ``ORG/research-ci@v1``) to ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".mypy_cache")
    for name in ACTION_FILES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, dest / name, ignore=ignore, dirs_exist_ok=True)
        elif source.exists():
            shutil.copy2(source, dest / name)
    return dest


def stand_in_args(texts: list[str], action_source: Path | None) -> list[str]:
    """``--local-repository`` arguments for every remote action the texts use."""
    args: list[str] = []
    seen: set[str] = set()
    for text in texts:
        for repo, ref in USES.findall(text):
            target = STAND_INS.get(repo)
            if f"{repo}@{ref}" == ACTION_REF and action_source is not None:
                target = action_source
            key = f"{repo}@{ref}"
            if target is not None and key not in seen:
                seen.add(key)
                args += ["--local-repository", f"{key}={target}"]
    return args


def run_act(
    project: Path,
    *,
    event: str,
    payload: dict[str, Any],
    workflow: str,
    home: Path,
    action_source: Path | None = None,
    api_url: str | None = None,
    repository: str = "acme/sample-project",
    token: str | None = "test-token",  # noqa: S107  (a fake token for the API stand-in)
    env: dict[str, str] | None = None,
    extra_workflows: list[Path] | None = None,
    job: str | None = None,
    timeout_s: float = 300,
) -> ActRun:
    """Run ``act EVENT -W workflow`` in ``project`` and parse its ``--json`` log."""
    home.mkdir(parents=True, exist_ok=True)
    event_file = home / "event.json"
    event_file.write_text(json.dumps(payload), encoding="utf-8")
    texts = [(project / workflow).read_text(encoding="utf-8")]
    texts += [path.read_text(encoding="utf-8") for path in extra_workflows or []]
    texts += [path.read_text(encoding="utf-8") for path in STUBS.glob("*/action.yml")]
    for source in (action_source, project):  # the action (uses: ORG/research-ci@v1 or ./)
        if source is not None and (source / "action.yml").exists():
            texts.append((source / "action.yml").read_text(encoding="utf-8"))
    command = [
        str(ACT),
        event,
        "-P",
        "ubuntu-latest=-self-hosted",
        "--no-cache-server",
        "--json",
        "-W",
        workflow,
        "-e",
        str(event_file),
        *stand_in_args(texts, action_source),
    ]
    command += ["--env", f"GITHUB_REPOSITORY={repository}"]
    if job:
        command += ["-j", job]
    if api_url:
        command += ["--env", f"GITHUB_API_URL={api_url}"]
    if token:
        command += ["-s", f"GITHUB_TOKEN={token}"]
    run_env = dict(os.environ)
    run_env.setdefault("UV_CACHE_DIR", str(Path.home() / ".cache" / "uv"))
    run_env.update(
        {
            "HOME": str(home),
            "PATH": f"{REPO / '.venv' / 'bin'}{os.pathsep}{run_env.get('PATH', '')}",
            "RESEARCH_CI_STUB_ARTIFACTS": str(home / "artifacts"),
            "NO_COLOR": "1",
        }
    )
    # The workflow's processes are not this test run's: no coverage measurement leaks into them
    # (their sources live in act's throwaway copies), and no virtualenv of ours either.
    for name in list(run_env):
        if name.startswith(("COVERAGE_", "GITHUB_", "RUNNER_", "ACTIONS_")) or name in (
            "VIRTUAL_ENV",
            "PYTHONPATH",
        ):
            del run_env[name]
    run_env.update(env or {})
    completed = subprocess.run(
        command,
        cwd=project,
        env=run_env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
    records: list[dict[str, Any]] = []
    for line in completed.stdout.splitlines() + completed.stderr.splitlines():
        if line.startswith("{"):
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return ActRun(completed.returncode, records, completed.stdout + completed.stderr)


def git(repo: Path, *args: str) -> str:
    """Run git in ``repo`` with a throwaway identity; its stdout."""
    result = subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def copy_with_bare_origin(source: Path, tmp_path: Path) -> tuple[Path, Path]:
    """Copy the git project ``source`` to ``tmp_path/project`` and push it to a local bare
    ``tmp_path/origin.git`` (its ``origin``): (project, origin)."""
    project = tmp_path / "project"
    shutil.copytree(source, project)
    origin = tmp_path / "origin.git"
    subprocess.run(
        ["git", "init", "--quiet", "--bare", "--initial-branch", "main", str(origin)], check=True
    )
    git(project, "remote", "add", "origin", str(origin))
    git(project, "push", "--quiet", "origin", "main")
    return project, origin
