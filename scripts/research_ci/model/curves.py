"""ROC and calibration curves and the threshold sweep of every slice (the HTML views).

One histogram per slicing does it all: the rows are counted per (slice, score bin) on a
grid of 1,001 thresholds (0, 0.001, ..., 1), with the positives and the sum of the scores.
A row is predicted positive at threshold ``t`` when its score is above ``t``, exactly as in
the metrics, so the sweep at the configured threshold (when it is on the grid) gives the
report's numbers. The curves are drawn from the grid; the AUC in the tables is exact.

From the sweep come What-If's per-slice thresholds: the one with the fewest errors
(lowest cost with equal costs), the one that gives the slice the overall true positive rate
(equal opportunity) and the one that gives it the overall positive rate (demographic parity).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from research_ci.model.slicing import Slicing
from research_ci.model.targets import Target

GRID = np.round(np.linspace(0.0, 1.0, 1001), 3)
#: Every tenth grid point: the thresholds of the slider (0.00 ... 1.00).
SWEEP_STEP = 10
CALIBRATION_BINS = 10
#: Calibration bins with fewer rows are not drawn (a handful of rows is noise): score bins
#: of a classifier, and the deciles of a regression's predictions (small tables).
MIN_BIN_ROWS = 20
MIN_DECILE_ROWS = 5


@dataclasses.dataclass(frozen=True)
class SliceCurves:
    """The curves of one slice."""

    key: str
    roc: list[tuple[float, float]]
    calibration: list[tuple[float, float, int]]
    sweep: dict[str, list[float | None]]
    suggested: dict[str, float | None]


def _rates(numerator: Any, denominator: Any) -> Any:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(
            denominator > 0, numerator / np.where(denominator > 0, denominator, 1), np.nan
        )


def _thin(points: list[tuple[float, float]], step: float = 0.004) -> list[tuple[float, float]]:
    """Drop points closer than ``step`` to the last kept one (keeps first and last)."""
    kept = [points[0]]
    for point in points[1:-1]:
        last = kept[-1]
        if abs(point[0] - last[0]) + abs(point[1] - last[1]) >= step:
            kept.append(point)
    kept.append(points[-1])
    return kept


def _nearest(values: Any, goal: float) -> float | None:
    if not np.isfinite(goal) or not np.isfinite(values).any():
        return None
    distance = np.where(np.isfinite(values), np.abs(values - goal), np.inf)
    return float(GRID[int(np.argmin(distance))])


def _histograms(target: Target, slicing: Slicing) -> tuple[Any, Any, Any]:
    bins = len(GRID) + 1
    index = np.searchsorted(GRID, target.prediction, side="left")
    flat = slicing.groups.codes.astype(np.int64) * bins + index
    size = slicing.groups.size * bins
    rows = np.bincount(flat, minlength=size).reshape(slicing.groups.size, bins)
    positives = np.bincount(flat, weights=target.label, minlength=size).reshape(-1, bins)
    scores = np.bincount(flat, weights=target.prediction, minlength=size).reshape(-1, bins)
    return rows.astype(np.float64), positives, scores


def binary_curves(
    target: Target, slicing: Slicing, codes: list[int], keys: list[str], threshold: float
) -> list[SliceCurves]:
    """ROC, calibration and sweep of the slices ``codes`` of a binary target."""
    rows, positives, scores = _histograms(target, slicing)
    # Predicted positive at GRID[k]: bins above k (bin b holds GRID[b-1] < score <= GRID[b]).
    above_rows = np.cumsum(rows[:, ::-1], axis=1)[:, ::-1]
    above_pos = np.cumsum(positives[:, ::-1], axis=1)[:, ::-1]
    predicted = above_rows[:, 1:]
    true_pos = above_pos[:, 1:]
    total = rows.sum(axis=1)[:, None]
    total_pos = positives.sum(axis=1)[:, None]
    total_neg = total - total_pos
    tpr = _rates(true_pos, total_pos)
    fpr = _rates(predicted - true_pos, total_neg)
    accuracy = _rates(true_pos + (total_neg - (predicted - true_pos)), total)
    positive_rate = _rates(predicted, total)
    errors = (predicted - true_pos) + (total_pos - true_pos)
    overall_at = int(np.searchsorted(GRID, threshold, side="left"))
    overall_at = min(overall_at, len(GRID) - 1)
    all_tpr = _rates(true_pos.sum(axis=0), total_pos.sum())
    all_rate = _rates(predicted.sum(axis=0), total.sum())
    goal_tpr, goal_rate = float(all_tpr[overall_at]), float(all_rate[overall_at])
    edges = np.linspace(0.0, 1.0, CALIBRATION_BINS + 1)
    # Fine bin b holds the scores in (GRID[b - 1], GRID[b]]: file it by its lower edge.
    lower_edges = np.concatenate([[0.0], GRID])
    fine_bin = np.clip(
        np.searchsorted(edges, lower_edges, side="right") - 1, 0, CALIBRATION_BINS - 1
    )
    result = []
    for code, key in zip(codes, keys, strict=True):
        points = [(1.0, 1.0), *zip(fpr[code].tolist(), tpr[code].tolist(), strict=True), (0.0, 0.0)]
        roc = _thin(
            [(x, y) for x, y in points if np.isfinite(x) and np.isfinite(y)] or [(0.0, 0.0)]
        )
        bin_rows = np.bincount(fine_bin, weights=rows[code], minlength=CALIBRATION_BINS)
        bin_pos = np.bincount(fine_bin, weights=positives[code], minlength=CALIBRATION_BINS)
        bin_scores = np.bincount(fine_bin, weights=scores[code], minlength=CALIBRATION_BINS)
        calibration = [
            (float(bin_scores[i] / bin_rows[i]), float(bin_pos[i] / bin_rows[i]), int(bin_rows[i]))
            for i in range(CALIBRATION_BINS)
            if bin_rows[i] >= MIN_BIN_ROWS
        ]
        step = slice(0, len(GRID), SWEEP_STEP)
        sweep = {
            name: [
                None if not np.isfinite(value) else round(float(value), 4)
                for value in values[code][step]
            ]
            for name, values in (
                ("tpr", tpr),
                ("fpr", fpr),
                ("accuracy", accuracy),
                ("positive_rate", positive_rate),
            )
        }
        suggested = {
            "lowest_cost": (
                float(GRID[int(np.argmin(errors[code]))]) if total[code, 0] > 0 else None
            ),
            "equal_opportunity": _nearest(tpr[code], goal_tpr),
            "demographic_parity": _nearest(positive_rate[code], goal_rate),
        }
        result.append(SliceCurves(key, roc, calibration, sweep, suggested))
    return result


def regression_calibration(
    target: Target, slicing: Slicing, codes: list[int], keys: list[str]
) -> list[SliceCurves]:
    """Mean label against mean prediction in the deciles of the prediction, per slice."""
    edges = np.unique(np.quantile(target.prediction, np.linspace(0, 1, CALIBRATION_BINS + 1)))
    bins = max(len(edges) - 1, 1)
    index = np.clip(np.searchsorted(edges[1:-1], target.prediction, side="right"), 0, bins - 1)
    flat = slicing.groups.codes.astype(np.int64) * bins + index
    size = slicing.groups.size * bins
    rows = np.bincount(flat, minlength=size).reshape(-1, bins)
    labels = np.bincount(flat, weights=target.label, minlength=size).reshape(-1, bins)
    predictions = np.bincount(flat, weights=target.prediction, minlength=size).reshape(-1, bins)
    result = []
    for code, key in zip(codes, keys, strict=True):
        calibration = [
            (
                float(predictions[code, i] / rows[code, i]),
                float(labels[code, i] / rows[code, i]),
                int(rows[code, i]),
            )
            for i in range(bins)
            if rows[code, i] >= MIN_DECILE_ROWS
        ]
        result.append(SliceCurves(key, [], calibration, {}, {}))
    return result


def sweep_thresholds() -> list[float]:
    """The thresholds of the sweep (the slider's stops)."""
    return [float(value) for value in GRID[::SWEEP_STEP]]
