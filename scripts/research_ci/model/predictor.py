"""``--model module:function``: the project's model, run in the project's own Python.

research-ci's environment has numpy and pyarrow but not the model's dependencies, so the
model runs in a subprocess with the project's interpreter (``--python``, else the project's
``.venv``): the features go over as CSV, the predictions come back as CSV, and
:mod:`research_ci.model.project_runner` (standard library, pandas, numpy) does the call.
All the tables of one step go in one subprocess, so the model is imported once.
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv

from research_ci.environment import venv_python
from research_ci.errors import UsageError
from research_ci.model.settings import ModelSettings
from research_ci.model.table import Table
from research_ci.process import ToolError, run_tool

RUNNER = Path(__file__).with_name("project_runner.py")
#: Seconds one subprocess (all the jobs of a step) may take.
TIMEOUT_S = 1800.0


@dataclasses.dataclass(frozen=True)
class Job:
    """Score ``frame`` (features, a pyarrow table) with ``target``."""

    target: str
    frame: Any


@dataclasses.dataclass(frozen=True)
class ProjectModel:
    """How to reach the project's Python and import its code."""

    python: Path
    root: Path

    def run(self, jobs: Sequence[Job]) -> list[Any]:
        """The predictions of every job, as pyarrow arrays (one subprocess)."""
        with tempfile.TemporaryDirectory(prefix="research-ci-model-") as tmp:
            folder = Path(tmp)
            entries = []
            for index, job in enumerate(jobs):
                source, output = folder / f"in{index}.csv", folder / f"out{index}.csv"
                pa_csv.write_csv(job.frame, source)
                strings = [
                    field.name
                    for field in job.frame.schema
                    if pa.types.is_string(field.type) or pa.types.is_large_string(field.type)
                ]
                entries.append(
                    {
                        "target": job.target,
                        "input": str(source),
                        "output": str(output),
                        "strings": strings,
                    }
                )
            manifest = folder / "manifest.json"
            paths = [str(self.root), str(self.root / "src")]
            manifest.write_text(json.dumps({"paths": paths, "jobs": entries}), encoding="utf-8")
            try:
                done = run_tool(
                    [self.python, RUNNER, manifest],
                    cwd=self.root,
                    timeout_s=TIMEOUT_S,
                    own_code=True,
                )
            except ToolError as exc:
                raise UsageError(f"cannot run the model: {exc}") from exc
            if done.returncode != 0:
                targets = ", ".join(dict.fromkeys(job.target for job in jobs))
                raise UsageError(f"model {targets} failed in {self.python}: {done.tail(1)}")
            results = []
            for entry, job in zip(entries, jobs, strict=True):
                table = pa_csv.read_csv(entry["output"])
                column = table.column("prediction")
                if len(column) != job.frame.num_rows:  # pragma: no cover - the runner checks
                    raise UsageError(f"model {job.target} returned {len(column)} predictions")
                results.append(column)
            return results


def project_model(settings: ModelSettings) -> ProjectModel:
    """The project's interpreter: ``python`` in the settings, else ``ROOT/.venv``."""
    if settings.python:
        python = settings.resolve(settings.python)
        if not python.exists():
            raise UsageError(f"--python: {python} does not exist")
        return ProjectModel(python=python, root=settings.root)
    python = venv_python(settings.root / ".venv")
    if not python.exists():
        raise UsageError(
            f"--model runs in the project's own Python, and {settings.root} has no .venv: "
            "create it (e.g. `uv sync`) or pass --python PATH"
        )
    return ProjectModel(python=python, root=settings.root)


def features(table: Table, settings: ModelSettings) -> Any:
    """What the model sees: the data without the label."""
    names = [name for name in table.names if name != settings.label]
    return table.arrow.select(names)


def score_data(data: Table, settings: ModelSettings) -> tuple[Table, Table | None]:
    """The data with the model's (and the baseline model's) predictions as a column."""
    from research_ci.model.analysis import DEFAULT_PREDICTION  # noqa: PLC0415

    assert settings.model is not None  # noqa: S101 (the settings checked data and model)
    name = settings.prediction or DEFAULT_PREDICTION
    if name in data.names:
        raise UsageError(
            f"{data.path}: already has a column {name!r}: choose another with --prediction"
        )
    frame = features(data, settings)
    jobs = [Job(settings.model, frame)]
    if settings.baseline_model:
        jobs.append(Job(settings.baseline_model, frame))
    results = project_model(settings).run(jobs)
    tables = [
        Table(path=data.path, arrow=data.arrow.append_column(name, column)) for column in results
    ]
    return tables[0], tables[1] if len(tables) > 1 else None
