"""Helpers of the data tests: where the TFDV environment and the test datasets are."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
#: Trimmed samples of the public datasets, shipped in the repository (see PROVENANCE.md
#: there): every required test reads these, never the full datasets of ../shared/data.
DATA = TESTS / "data"
#: TFDV's Chicago taxi example: train.csv and eval.csv (3,000 rows each; eval keeps the
#: injected anomalies), serving.csv (100 rows, no ``tips`` label).
TAXI = DATA / "chicago_taxi"
#: TFX's Palmer penguins, whole files: labelled.csv and skewed.csv (334 rows), unlabelled.csv.
PENGUIN = DATA / "penguins"
#: TFX's CSV test data: empty_column.csv, multi_line_string.csv, and float_ints.csv /
#: float_ints2.csv (2,000 and 1,000 taxi rows with integers written as floats).
CSV_EDGE = DATA / "csv_edge_cases"
#: UCI Adult, 5,000 rows in the original format: no header, ", " separator, "?" missing.
ADULT = DATA / "uci_adult" / "adult.data"
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


def run_steps(steps: list[dict[str, Any]], workdir: Path, timeout: float = 900) -> list[Any]:
    """Run the steps in one TFDV process (see data_driver.py); return their outcomes.

    The timeout only guards against a hang: a module's dozens of TFDV steps took over 300 s
    once on 2 busy cores (beside the real provisioning test), so it is 900 s as for drift.
    """
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
