"""Helpers of the data tests: where the TFDV environment and the shared datasets are."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
#: ../shared/data beside the repository (CI clones main with shared next to it).
SHARED_DATA = REPO.parent / "shared" / "data"
TAXI = SHARED_DATA / "tfdv_chicago_taxi"
PENGUIN = SHARED_DATA / "tfx_penguin"
EXTERNAL = SHARED_DATA / "tfx_testdata_external"
ADULT = SHARED_DATA / "uci_adult" / "adult.data"
ADULT_COLUMNS = (
    "age,workclass,fnlwgt,education,education-num,marital-status,occupation,relationship,"
    "race,sex,capital-gain,capital-loss,hours-per-week,native-country,income"
)


def data_python() -> str:
    """The TFDV environment's Python, or skip the test."""
    python = os.environ.get("RESEARCH_CI_DATA_PYTHON")
    if not python:
        pytest.skip("RESEARCH_CI_DATA_PYTHON is not set (make test sets it to .venv-data)")
    if not Path(python).exists():
        pytest.skip(f"RESEARCH_CI_DATA_PYTHON={python} does not exist (run make install-data)")
    return python


def need_shared_data() -> None:
    """Skip when ../shared/data (the public datasets) is not beside the repository."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"the shared datasets are not at {SHARED_DATA}")


def run_steps(steps: list[dict[str, Any]], workdir: Path, timeout: float = 300) -> list[Any]:
    """Run the steps in one TFDV process (see data_driver.py); return their outcomes."""
    python = data_python()
    steps_file = workdir / "steps.json"
    out_file = workdir / "outcomes.json"
    steps_file.write_text(json.dumps(steps), encoding="utf-8")
    env = {**os.environ, "CI": "1", "NO_COLOR": "1"}
    completed = subprocess.run(
        [python, str(TESTS / "data_driver.py"), str(steps_file), str(out_file)],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    outcomes: list[Any] = json.loads(out_file.read_text(encoding="utf-8"))
    return outcomes


def cli(*argv: str | Path, cwd: Path | None = None) -> dict[str, Any]:
    """A CLI step for :func:`run_steps`."""
    step: dict[str, Any] = {"argv": ["data", *(str(arg) for arg in argv)]}
    if cwd is not None:
        step["cwd"] = str(cwd)
    return step


def assert_usage_error(outcome: dict[str, Any], *fragments: str) -> str:
    """Exit 2, one line on stderr containing ``fragments``, no traceback."""
    assert outcome["code"] == 2, outcome
    assert not outcome["traceback"], outcome["traceback"]
    lines = outcome["stderr"].strip().splitlines()
    assert len(lines) == 1, outcome["stderr"]
    assert "Traceback" not in outcome["stderr"]
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return str(lines[0])
