"""Run many ``research-ci`` invocations in ONE process of the TFDV environment.

``import tensorflow_data_validation`` costs 12-15 s, so the data tests batch their
invocations: the test writes a JSON list of steps, this script (started with
``$RESEARCH_CI_DATA_PYTHON``) runs them through :func:`research_ci.cli.main` - the console
script's own entry point, with its exit codes and one-line errors - and writes the outcomes.

A step is ``{"argv": [...]}`` (a CLI invocation: exit code, stdout, stderr, and whether a
traceback escaped) or ``{"exec": "python code"}`` (set-up in the data environment, e.g.
writing a Parquet or TFRecord fixture; the code may assign ``result``).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import traceback
from pathlib import Path
from typing import Any


def run_step(step: dict[str, Any]) -> dict[str, Any]:
    """Run one step and describe what happened."""
    from research_ci.cli import main  # noqa: PLC0415

    if "exec" in step:
        namespace: dict[str, Any] = {}
        exec(step["exec"], namespace)  # noqa: S102 (test set-up code written by the tests)
        return {"result": namespace.get("result")}
    stdout, stderr = io.StringIO(), io.StringIO()
    traceback_text = ""
    cwd = Path.cwd()
    try:
        if step.get("cwd"):
            os.chdir(step["cwd"])
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            try:
                code: Any = main(list(step["argv"]))
            except SystemExit as exc:
                code = exc.code
            except BaseException:  # noqa: BLE001 (a traceback is what the tests look for)
                code = "traceback"
                traceback_text = traceback.format_exc()
    finally:
        os.chdir(cwd)
    return {
        "code": code,
        "stdout": stdout.getvalue(),
        "stderr": stderr.getvalue(),
        "traceback": traceback_text,
    }


def main() -> int:
    """``data_driver.py STEPS.json OUT.json``."""
    steps = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    outcomes = [run_step(step) for step in steps]
    Path(sys.argv[2]).write_text(json.dumps(outcomes, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
