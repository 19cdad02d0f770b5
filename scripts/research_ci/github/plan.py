"""The composite action's plan: its inputs checked, and what the later steps need to know.

The action's first step runs this module before research-ci is installed, with whatever
``python3`` the runner has (standard library only, Python 3.10 or newer)::

    python3 -B -m research_ci.github.plan inputs         # before setup-python
    python -B -m research_ci.github.plan environments    # after it: venv paths, cache keys

Each reads the step's environment (the action passes its inputs as ``INPUT_<NAME>``), writes
step outputs to ``$GITHUB_OUTPUT`` and, when an input is refused, prints one ``::error``
annotation and exits 2. Everything here is a pure function of the environment and the files it
names, tested in tests/test_github_plan.py; action.yml keeps only what must be YAML.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from research_ci.errors import EXIT_OK, EXIT_USAGE, UsageError
from research_ci.fsutil import boundary, read_bytes
from research_ci.github.context import ActionsContext, write_outputs
from research_ci.report import REPORT_PATH
from research_ci.workflow_commands import workflow_command

#: Python for research-ci and the project when neither the input nor the project says.
DEFAULT_PYTHON = "3.11"
#: The oldest Python research-ci runs on.
MINIMUM_MINOR = 10
#: The TFDV environment's Python (TFDV 1.16 wheels).
DATA_PYTHON = "3.11"
#: requires-python's lower bound: ``>=3.11``, ``~=3.11``, ``==3.11.*``, ``3.11``.
_LOWER_BOUND = re.compile(r"^\s*(?:>=|~=|==)?\s*(\d+\.\d+)")
_REQUIRES_PYTHON = re.compile(r"""^\s*requires-python\s*=\s*["']([^"']*)["']""", re.MULTILINE)
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")
#: Inputs that may span lines (lists of checks, globs of reports); all others are one line.
MULTILINE_INPUTS = ("checks", "merge-reports")
#: The inputs the plan reads, and what an absent one means (action.yml passes them all; its
#: defaults, the check list first, are documented there).
INPUT_DEFAULTS: Mapping[str, str] = {
    "checks": "",
    "working-directory": ".",
    "python-version": "",
    "report": "",
    "merge-reports": "",
    "badge": "none",
    "commit-badge": "false",
    "comment": "true",
    "base": "",
}
CHOICES: Mapping[str, tuple[str, ...]] = {
    "badge": ("readme", "none"),
    "commit-badge": ("true", "false"),
    "comment": ("true", "false"),
}


def input_variable(name: str) -> str:
    """``INPUT_WORKING_DIRECTORY`` for ``working-directory``."""
    return "INPUT_" + name.upper().replace("-", "_")


def read_inputs(env: Mapping[str, str]) -> dict[str, str]:
    """The action's inputs from the environment, refusing a line break where none belongs."""
    inputs = {
        name: env.get(input_variable(name), default) for name, default in INPUT_DEFAULTS.items()
    }
    for name, value in inputs.items():
        if name not in MULTILINE_INPUTS and ("\n" in value or "\r" in value):
            raise UsageError("inputs other than checks and merge-reports are one line")
    for name, allowed in CHOICES.items():
        if inputs[name] not in allowed:
            raise UsageError(f"{name} must be {' or '.join(allowed)}, got: {inputs[name]}")
    if inputs["base"].startswith("-"):
        raise UsageError("the base input is not a commit")
    return inputs


def _project_text(path: Path) -> str:
    """A project file's text, ``""`` when it cannot be read safely.

    Absent, unreadable, too big, not a regular file or leading out of its folder: the project's
    content is untrusted (:mod:`research_ci.fsutil`).
    """
    try:
        return read_bytes(path, within=boundary(path)).decode("utf-8", errors="replace")
    except (OSError, UsageError):
        return ""


def project_python(project: Path) -> str | None:
    """The project's Python: ``.python-version``, else the lower bound of ``requires-python``."""
    lines = _project_text(project / ".python-version").splitlines()
    if lines and lines[0].strip():
        return lines[0].strip()
    bound = _LOWER_BOUND.match(requires_python(project / "pyproject.toml"))
    return bound.group(1) if bound else None


def requires_python(pyproject: Path) -> str:
    """``[project] requires-python`` (``""`` when absent or unreadable: ``check`` says why)."""
    return _requires_python(_project_text(pyproject))


if sys.version_info >= (3, 11):
    import tomllib

    def _requires_python(text: str) -> str:
        try:
            project = tomllib.loads(text).get("project", {})
        except (tomllib.TOMLDecodeError, RecursionError):
            return ""
        value = project.get("requires-python") if isinstance(project, dict) else None
        return value if isinstance(value, str) else ""

else:  # pragma: no cover - the runner's python3 may be a 3.10, without tomllib

    def _requires_python(text: str) -> str:
        found = _REQUIRES_PYTHON.search(text)
        return found.group(1) if found else ""


def check_python(version: str) -> str:
    """Refuse a Python 3 older than research-ci supports."""
    major, _, rest = version.partition(".")
    minor = rest.split(".")[0]
    if major == "3" and minor.isdigit() and int(minor) < MINIMUM_MINOR:
        raise UsageError(
            f"research-ci runs on Python 3.{MINIMUM_MINOR} or newer, not {version}: "
            "set the python-version input"
        )
    return version


def artifact_name(job: str, checks: Sequence[str], python: str, runner_os: str) -> str:
    """``research-ci-report-<job>-<checks>-py<version>-<os>`` (``merged`` for a merge)."""
    suffix = "-".join(checks) + f"-py{python}" if checks else "merged"
    return _UNSAFE_NAME.sub("-", f"research-ci-report-{job}-{suffix}-{runner_os}")


def plan_inputs(env: Mapping[str, str], workspace: Path) -> dict[str, str]:
    """The outputs of the plan step (see action.yml), or a :class:`UsageError`."""
    inputs = read_inputs(env)
    project = workspace / inputs["working-directory"]
    if not project.is_dir():
        raise UsageError(f"working-directory does not exist: {inputs['working-directory']}")
    project = project.resolve()
    merge = bool(inputs["merge-reports"].strip())
    checks = (
        []
        if merge
        else [item for item in "".join(inputs["checks"].split()).lower().split(",") if item]
    )
    if not merge and not checks:
        raise UsageError("checks is empty")
    python = check_python(inputs["python-version"] or project_python(project) or DEFAULT_PYTHON)
    report = Path(inputs["report"]) if inputs["report"] else project / REPORT_PATH
    data = "data" in checks
    context = ActionsContext.from_env(env)
    return {
        "working-directory": str(project),
        "checks": ",".join(checks),
        "merge": str(merge).lower(),
        "data": str(data).lower(),
        # The data environment can come from the runner (a prebuilt TFDV environment).
        "need-data-python": str(data and not env.get("RESEARCH_CI_DATA_PYTHON")).lower(),
        "python-version": python,
        "report": str(report if report.is_absolute() else workspace / report),
        "artifact": artifact_name(
            env.get("GITHUB_JOB") or "job", checks, python, env.get("RUNNER_OS") or "os"
        ),
        # Badges link to the workflow's page: stable, so the block only changes with the grade.
        "badge-link": context.workflow_url or "",
        # The commit a pull request is compared with (`check --base`); none outside them.
        "base": "" if inputs["base"] == "none" else inputs["base"],
    }


def _digest(paths: Sequence[Path]) -> str:
    sha = hashlib.sha256()
    for path in paths:
        sha.update(path.read_bytes())
    return sha.hexdigest()[:16]


def plan_environments(env: Mapping[str, str], action_path: Path) -> dict[str, str]:
    """Where research-ci's environments live and their cache keys.

    Keys change with the lock files, the exact interpreters and the runner image.
    """
    lock = _digest([action_path / "uv.lock", action_path / "pyproject.toml"])
    data_lock = _digest(sorted((action_path / "locks" / "data").iterdir()))
    platform = "-".join(
        env.get(name) or default
        for name, default in (("RUNNER_OS", "os"), ("RUNNER_ARCH", "arch"), ("ImageOS", "image"))
    )
    cache = env.get("RUNNER_TOOL_CACHE") or env.get("RUNNER_TEMP") or tempfile.gettempdir()
    root = Path(cache) / "research-ci"
    python = env.get("PYTHON_FULL", "")
    data_python = env.get("DATA_PYTHON_FULL", "")
    return {
        "venv": str(root / f"venv-py{python}-{lock}"),
        "key": f"research-ci-{platform}-py{python}-{lock}",
        "data-venv": str(root / f"data-py{data_python}-{data_lock}"),
        "data-key": f"research-ci-data-{platform}-py{data_python}-{data_lock}",
    }


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    """``python -m research_ci.github.plan inputs|environments``: write the step's outputs."""
    env = os.environ if env is None else env
    which = list(sys.argv[1:] if argv is None else argv)
    try:
        if which == ["inputs"]:
            outputs = plan_inputs(env, Path(env.get("GITHUB_WORKSPACE") or ".").resolve())
        elif which == ["environments"]:
            outputs = plan_environments(env, Path(env.get("GITHUB_ACTION_PATH") or "."))
        else:
            raise UsageError("usage: python -m research_ci.github.plan inputs|environments")
    except UsageError as exc:
        sys.stdout.write(workflow_command("error", str(exc), title="research-ci") + "\n")
        return EXIT_USAGE
    if not write_outputs(ActionsContext.from_env(env), outputs):
        sys.stdout.write("".join(f"{name}={value}\n" for name, value in outputs.items()))
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
