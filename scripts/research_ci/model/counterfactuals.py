"""Nearest counterfactuals: for a sample of rows, the most similar row predicted otherwise.

What-If's counterfactual view, computed once: the distance between two rows is the sum over
the feature columns of ``|a - b| / standard deviation`` for numbers and 1 for every
different category (What-If's L1 distance); a missing value is 1 away from any value and 0
from another missing value. The search runs over a seeded random pool of at most 20,000
rows, so it stays fast on any table. A counterfactual is a classification notion: binary
(the other side of the threshold) and multi-class (another class) only.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np

from research_ci.model.table import Column, Table, number_text
from research_ci.model.targets import Target

SAMPLE_ROWS = 25
POOL_ROWS = 20_000
SEED = 7


@dataclasses.dataclass(frozen=True)
class Counterfactual:
    """One row, its nearest row with another prediction, and how they differ."""

    row: int
    other: int
    prediction: str
    other_prediction: str
    distance: float
    differences: list[tuple[str, str, str]]


def _predicted(target: Target, threshold: float) -> tuple[Any, Any]:
    if target.task == "binary":
        classes = (target.prediction > threshold).astype(np.int64)
        names = np.array(["negative", "positive"], dtype=object)
        return classes, names
    return target.prediction, np.array(target.classes, dtype=object)


def _text(column: Column, row: int) -> str:
    if column.kind == "categorical":
        code = int(column.values[row])
        return column.categories[code] if code >= 0 else "(missing)"
    return number_text(float(column.values[row])) or "(missing)"


def _prediction_text(target: Target, names: Any, classes: Any, row: int) -> str:
    text = str(names[classes[row]])
    return f"{text} ({target.prediction[row]:.2f})" if target.task == "binary" else text


def nearest(
    table: Table,
    target: Target,
    feature_names: Sequence[str],
    *,
    threshold: float,
    sample: int = SAMPLE_ROWS,
    pool: int = POOL_ROWS,
) -> list[Counterfactual]:
    """Counterfactuals of a seeded sample of rows, closest first."""
    if target.task == "regression" or not feature_names:
        return []
    classes, names = _predicted(target, threshold)
    rows = target.rows
    generator = np.random.default_rng(SEED)
    pool_index = np.sort(generator.choice(rows, size=min(pool, rows), replace=False))
    sample_index = np.sort(
        generator.choice(pool_index, size=min(sample, len(pool_index)), replace=False)
    )
    columns = {name: table.column(name) for name in feature_names}
    distance = np.zeros((len(sample_index), len(pool_index)))
    for column in columns.values():
        if column.kind == "numeric":
            values = column.values
            spread = float(np.nanstd(values)) if np.isfinite(values).any() else 0.0
            left, right = values[sample_index][:, None], values[pool_index][None, :]
            with np.errstate(invalid="ignore"):
                part = np.abs(left - right) / (spread or 1.0)
            both = np.isnan(left) & np.isnan(right)
            part = np.where(both, 0.0, np.where(np.isnan(part), 1.0, part))
        else:
            left, right = column.values[sample_index][:, None], column.values[pool_index][None, :]
            part = (left != right).astype(np.float64)
        distance += part
    same = classes[sample_index][:, None] == classes[pool_index][None, :]
    distance = np.where(same, np.inf, distance)
    found: list[Counterfactual] = []
    for position, row in enumerate(sample_index.tolist()):
        best = int(np.argmin(distance[position]))
        if not np.isfinite(distance[position, best]):
            continue
        other = int(pool_index[best])
        differences = [
            (name, _text(column, row), _text(column, other))
            for name, column in columns.items()
            if _text(column, row) != _text(column, other)
        ]
        found.append(
            Counterfactual(
                row=row + 1,
                other=other + 1,
                prediction=_prediction_text(target, names, classes, row),
                other_prediction=_prediction_text(target, names, classes, other),
                distance=float(distance[position, best]),
                differences=differences,
            )
        )
    return sorted(found, key=lambda item: item.distance)
