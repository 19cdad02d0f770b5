"""What-If probes that need the model itself (``--model``): partial dependence and flips.

* Partial dependence: a seeded sample of rows is scored again with one slice column set to
  each of its values in turn (categories, or ten quantiles of a numeric column); the mean
  prediction per value shows how the model depends on that column alone (binary and
  regression tasks).
* Attribute-flip test: every sampled row is scored again with only a sensitive attribute
  swapped to each of its other values; the share of rows whose predicted class changes
  (binary: the other side of the threshold; multi-class: another class) says how much the
  model's decisions depend on the attribute itself. Regression counts any change and
  reports the mean absolute change too.

All the probes go to the project's Python in one subprocess.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pyarrow as pa

from research_ci.errors import UsageError
from research_ci.model.predictor import Job, features, project_model
from research_ci.model.specs import MISSING
from research_ci.model.targets import Target

PD_ROWS = 300
FLIP_ROWS = 2000
PD_POINTS = 10
#: Categories shown in a partial-dependence plot or swapped by a flip, at most.
MAX_VALUES = 30
SEED = 11


@dataclasses.dataclass(frozen=True)
class Dependence:
    """Partial dependence of the prediction on one column: (value, mean prediction)."""

    column: str
    numeric: bool
    points: list[tuple[str, float]]


@dataclasses.dataclass(frozen=True)
class _Flip:
    """The swaps of one attribute: for each new value, the sampled rows that had another."""

    column: str
    rows: Any
    texts: list[str | None]
    swaps: list[tuple[str, Any]]


def _set_column(frame: Any, name: str, value: Any) -> Any:
    index = frame.schema.get_field_index(name)
    kind = frame.schema.field(name).type
    return frame.set_column(index, name, pa.array([value] * frame.num_rows, type=kind))


def _grid(column: Any) -> tuple[bool, list[Any]]:
    kind = column.type
    if pa.types.is_integer(kind) or pa.types.is_floating(kind):
        values = np.asarray(column.drop_null().to_numpy(), dtype=np.float64)
        points = np.unique(values)
        if len(points) > PD_POINTS:
            grid = np.linspace(0, 1, PD_POINTS)
            points = np.unique(np.quantile(values, grid, method="nearest"))
        cast = int if pa.types.is_integer(kind) else float
        return True, [cast(value) for value in points]
    counts = column.drop_null().cast(pa.string()).value_counts().to_pylist()
    ordered = sorted(counts, key=lambda item: -item["counts"])[:MAX_VALUES]
    return False, [item["values"] for item in ordered]


def _typed(column: Any, text: str) -> Any:
    kind = column.type
    if pa.types.is_integer(kind):
        return int(float(text))
    if pa.types.is_floating(kind):
        return float(text)
    if pa.types.is_boolean(kind):
        return text.lower() == "true"
    return text


def _decisions(target: Target, values: Any, threshold: float) -> Any:
    """What counts as the model's decision: a class, or the number itself in regression."""
    if target.task == "binary":
        return np.asarray(values, dtype=np.float64) > threshold
    if target.task == "multiclass":
        return np.array([str(value) for value in values], dtype=object)
    return np.asarray(values, dtype=np.float64)


def _original(target: Target, rows: Any, threshold: float) -> Any:
    if target.task == "multiclass":
        return _decisions(
            target, np.asarray(target.classes, dtype=object)[target.prediction[rows]], threshold
        )
    return _decisions(target, target.prediction[rows], threshold)


def _plan_flip(data: Any, name: str, sample: Any) -> tuple[_Flip, list[Any]]:
    if name not in data.column_names:
        raise UsageError(f"--flip {name}: the data has no such feature column")
    frame = data.take(pa.array(sample))
    texts = frame.column(name).cast(pa.string()).to_pylist()
    values = [value for value in dict.fromkeys(texts) if value is not None][:MAX_VALUES]
    swaps, frames = [], []
    for value in values:
        others = np.array([text != value for text in texts])
        if not others.any():
            continue
        chosen = frame.filter(pa.array(others))
        frames.append(_set_column(chosen, name, _typed(frame.column(name), value)))
        swaps.append((value, np.flatnonzero(others)))
    return _Flip(name, sample, texts, swaps), frames


def _flip_result(flip: _Flip, target: Target, results: Any, threshold: float) -> dict[str, Any]:
    original = _original(target, flip.rows, threshold)
    changed_any = np.zeros(len(flip.rows), dtype=bool)
    swaps = []
    for value, positions in flip.swaps:
        flipped = _decisions(target, next(results).to_pylist(), threshold)
        before = original[positions]
        changed = flipped != before
        changed_any[positions] |= changed
        sources = sorted({flip.texts[position] or MISSING for position in positions.tolist()})
        swap: dict[str, Any] = {
            "from": sources[0] if len(sources) == 1 else sources,
            "to": value,
            "rows": len(positions),
            "changed": float(np.mean(changed)),
        }
        if target.task == "regression":
            swap["mean_abs_change"] = float(np.mean(np.abs(flipped - before)))
        swaps.append(swap)
    return {
        "column": flip.column,
        "rows": len(flip.rows),
        "changed": float(np.mean(changed_any)),
        "swaps": swaps,
    }


def _flip_columns(analysis: Any) -> tuple[str, ...]:
    if analysis.settings.flip is not None:
        return tuple(analysis.settings.flip)
    return tuple(
        name
        for name, encoding in analysis.encodings.items()
        if encoding.kind == "category" and len(encoding.categories) <= MAX_VALUES
    )


def probe(analysis: Any, *, partial_dependence: bool) -> None:
    """Run the probes of ``analysis`` (in place: flips in the report, dependence in extras)."""
    settings = analysis.settings
    target: Target = analysis.candidate.target
    data = features(analysis.candidate.table, settings)
    data = data.drop_columns(
        [name for name in (analysis.report.prediction,) if name in data.column_names]
    )
    generator = np.random.default_rng(SEED)
    jobs: list[Job] = []
    grids: list[tuple[str, bool, list[Any]]] = []
    if partial_dependence and target.task != "multiclass":
        sample = np.sort(
            generator.choice(data.num_rows, size=min(PD_ROWS, data.num_rows), replace=False)
        )
        frame = data.take(pa.array(sample))
        for name in settings.slice_columns():
            numeric, grid = _grid(data.column(name))
            jobs += [Job(settings.model, _set_column(frame, name, value)) for value in grid]
            grids.append((name, numeric, grid))
    sample = np.sort(
        generator.choice(data.num_rows, size=min(FLIP_ROWS, data.num_rows), replace=False)
    )
    flips = []
    for name in _flip_columns(analysis):
        flip, frames = _plan_flip(data, name, sample)
        flips.append(flip)
        jobs += [Job(settings.model, frame) for frame in frames]
    if not jobs:
        return
    results = iter(project_model(settings).run(jobs))
    dependence = []
    for name, numeric, grid in grids:
        points = [(str(value), float(np.mean(_numbers(next(results))))) for value in grid]
        dependence.append(Dependence(name, numeric, points))
    for flip in flips:
        analysis.report.flips.append(_flip_result(flip, target, results, settings.threshold))
    analysis.extras["dependence"] = dependence


def _numbers(column: Any) -> Any:
    return np.asarray(column.cast(pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)
