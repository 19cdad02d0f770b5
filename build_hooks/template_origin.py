"""Hatchling build hook: record where the packaged project template comes from.

A wheel's copy of ``templates/research-project`` is outside any git repository, so
``research-ci new`` cannot ask git which repository and commit it was baked from when it writes
the new project's ``.cruft.json``. The checkout knows at build time: this hook writes
``template-origin.json`` (repository, commit, template directory) into the sdist (at its root)
and into the wheel (next to the template, ``research_ci/project_template/``). A wheel built
from that sdist (``uv build`` builds the sdist first) takes the record from there. Outside git
and without a record, nothing is written and ``research-ci new`` says there is no origin.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

ORIGIN_FILE = "template-origin.json"
TEMPLATE = "templates/research-project"
WHEEL_TARGET = f"research_ci/project_template/{ORIGIN_FILE}"


def git(root: Path, *args: str) -> str | None:
    """``git -C root ARGS``'s output, or None when git or the repository is not there."""
    try:
        completed = subprocess.run(
            ["git", "-C", str(root), *args],
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return completed.stdout.strip() if completed.returncode == 0 else None


def origin_from_git(root: Path) -> dict[str, str] | None:
    """The repository and HEAD commit of the checkout at ``root``.

    The repository is the ``origin`` remote when HEAD is published there (a remote branch
    contains it), so that cruft finds the commit from anywhere; else the checkout's path.
    """
    top = git(root, "rev-parse", "--show-toplevel")
    commit = git(root, "rev-parse", "HEAD")
    if not top or not commit or Path(top).resolve() != root.resolve():
        return None
    source = str(Path(top).resolve())
    remote = git(root, "remote", "get-url", "origin")
    if remote and git(root, "branch", "--remotes", "--contains", commit):
        source = remote
    return {"template": source, "commit": commit, "directory": TEMPLATE}


class TemplateOriginHook(BuildHookInterface):  # type: ignore[misc]
    """Adds ``template-origin.json`` to the sdist and the wheel."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        """Write the record to a temporary file and include it in the build."""
        del version
        root = Path(self.root)
        origin = origin_from_git(root)
        if origin is None and (root / ORIGIN_FILE).is_file():
            origin = json.loads((root / ORIGIN_FILE).read_text(encoding="utf-8"))
        if origin is None:
            return
        self._tmp = tempfile.TemporaryDirectory(prefix="research-ci-build-")
        record = Path(self._tmp.name) / ORIGIN_FILE
        record.write_text(json.dumps(origin, indent=2) + "\n", encoding="utf-8")
        target = ORIGIN_FILE if self.target_name == "sdist" else WHEEL_TARGET
        build_data["force_include"][str(record)] = target

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        """Remove the temporary record."""
        del version, build_data, artifact_path
        tmp = getattr(self, "_tmp", None)
        if tmp is not None:
            tmp.cleanup()
