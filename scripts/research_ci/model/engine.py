"""Metrics and 95 % intervals for every group of a slicing at once, vectorised with numpy.

A slicing (one slice column, a cross of two, or the whole data) is an integer code per row;
every figure is a sum per code (``numpy.bincount``), so one pass over the rows serves all the
slices of a column. The exact AUC sorts the rows once by score and then, per slicing, stably
by code: ties between scores get average ranks (Mann-Whitney), and the same blocks of tied
scores give DeLong's variance without any per-row Python.

Intervals (two-sided 95 %), as listed in :mod:`research_ci.model.metrics`:

* proportions (accuracy, precision, recall, error rates, positive rates): Wilson score;
* AUC: DeLong's variance, normal interval clipped to [0, 1];
* means (log loss, mean score, MAE, mean residual): normal interval of the mean;
* ratios (calibration, RMSE, R²): the delta method;
* macro F1: a Poisson bootstrap of the (slice, label, prediction) counts, which is exactly
  a Poisson bootstrap of the rows, at the cost of the cells instead of the rows.

Undefined values (AUC in a slice with one class, precision with no predicted positive) are
NaN here and ``null`` in the report.
"""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any

import numpy as np

from research_ci.model.metrics import Z95

_Array = Any  # numpy.ndarray (numpy's stubs are not used: mypy sees Any)
#: Replicates of the macro-F1 bootstrap, and its fixed seed (reports are reproducible).
BOOTSTRAP_REPLICATES = 1000
BOOTSTRAP_SEED = 20240601


@dataclasses.dataclass(frozen=True)
class Groups:
    """A slicing: the group code of every row and the number of groups."""

    codes: _Array
    size: int

    def sum(self, weights: _Array | None = None) -> _Array:
        """Per-group sums of ``weights`` (counts when ``None``), as float64."""
        return np.bincount(self.codes, weights=weights, minlength=self.size).astype(np.float64)


@dataclasses.dataclass(frozen=True)
class Estimates:
    """One metric for every group: value and interval bounds (NaN when undefined)."""

    value: _Array
    lower: _Array
    upper: _Array

    @classmethod
    def exact(cls, value: _Array) -> Estimates:
        """A figure without uncertainty (a count)."""
        return cls(value, value, value)


def _divide(numerator: _Array, denominator: _Array) -> _Array:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(
            denominator > 0, numerator / np.where(denominator > 0, denominator, 1), np.nan
        )


def wilson(successes: _Array, trials: _Array) -> Estimates:
    """Share of successes with the Wilson score interval."""
    z2 = Z95 * Z95
    value = _divide(successes, trials)
    with np.errstate(divide="ignore", invalid="ignore"):
        centre = (successes + z2 / 2) / (trials + z2)
        spread = np.sqrt(np.maximum(successes * (trials - successes) / trials + z2 / 4, 0.0))
        half = Z95 / (trials + z2) * spread
    defined = trials > 0
    lower = np.where(defined, np.clip(centre - half, 0.0, 1.0), np.nan)
    upper = np.where(defined, np.clip(centre + half, 0.0, 1.0), np.nan)
    return Estimates(value, lower, upper)


def _variance(total: _Array, squares: _Array, count: _Array) -> _Array:
    """Sample variance (ddof 1) from sums; NaN with fewer than two rows."""
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = total / count
        variance = (squares - total * mean) / (count - 1)
    return np.where(count > 1, np.maximum(variance, 0.0), np.nan)


def _covariance(sum_x: _Array, sum_y: _Array, sum_xy: _Array, count: _Array) -> _Array:
    with np.errstate(divide="ignore", invalid="ignore"):
        covariance = (sum_xy - sum_x * sum_y / count) / (count - 1)
    return np.where(count > 1, covariance, np.nan)


def _normal(
    value: _Array, standard_error: _Array, low: float = -np.inf, high: float = np.inf
) -> Estimates:
    lower = np.clip(value - Z95 * standard_error, low, high)
    upper = np.clip(value + Z95 * standard_error, low, high)
    return Estimates(value, lower, upper)


def mean_estimate(groups: Groups, values: _Array, count: _Array) -> Estimates:
    """Per-group mean of ``values`` with the normal interval of the mean."""
    total = groups.sum(values)
    squares = groups.sum(values * values)
    mean = _divide(total, count)
    with np.errstate(divide="ignore", invalid="ignore"):
        standard_error = np.sqrt(_variance(total, squares, count) / count)
    return _normal(mean, standard_error)


def _ratio_estimate(
    groups: Groups, top: _Array, bottom: _Array, count: _Array
) -> tuple[_Array, _Array]:
    """Ratio of the group means of ``top`` and ``bottom`` and its delta-method standard error."""
    sum_top, sum_bottom = groups.sum(top), groups.sum(bottom)
    ratio = _divide(sum_top, sum_bottom)
    var_top = _variance(sum_top, groups.sum(top * top), count)
    var_bottom = _variance(sum_bottom, groups.sum(bottom * bottom), count)
    cov = _covariance(sum_top, sum_bottom, groups.sum(top * bottom), count)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_bottom = sum_bottom / count
        variance = (var_top - 2 * ratio * cov + ratio * ratio * var_bottom) / (
            count * mean_bottom * mean_bottom
        )
    return ratio, np.sqrt(np.maximum(variance, 0.0))


# ------------------------------------------------------------------------------------- AUC


def auc_estimate(groups: Groups, label: _Array, score: _Array, score_order: _Array) -> Estimates:
    """Exact AUC per group (average ranks for ties) with DeLong's interval.

    ``score_order`` is ``numpy.argsort(score, kind="stable")``, shared by every slicing.
    For a block of rows with the same group and score, each positive counts the negatives
    below it plus half of the tied ones (its DeLong component V10 once divided by the
    negatives), each negative the positives above plus half the tied (V01).
    """
    size = groups.size
    if len(score) == 0:
        empty = np.full(size, np.nan)
        return Estimates(empty, empty, empty)
    if size == 1:
        order, codes = score_order, np.zeros(len(score_order), dtype=np.intp)
    else:
        # A stable sort of small integers is a radix sort: rows by group, by score within.
        small = np.int16 if size < 2**15 else np.int32
        by_code = groups.codes.astype(small)[score_order]
        within = np.argsort(by_code, kind="stable")
        order = score_order[within]
        codes = by_code[within].astype(np.intp)
    scores = score[order]
    labels = label[order]
    starts_mask = np.empty(len(order), dtype=bool)
    starts_mask[0] = True
    np.not_equal(codes[1:], codes[:-1], out=starts_mask[1:])
    starts_mask[1:] |= scores[1:] != scores[:-1]
    starts = np.flatnonzero(starts_mask)
    positives = np.add.reduceat(labels, starts)
    rows = np.diff(starts, append=len(order)).astype(np.float64)
    negatives = rows - positives
    block_group = codes[starts]
    total_pos = np.bincount(block_group, weights=positives, minlength=size)
    total_neg = np.bincount(block_group, weights=negatives, minlength=size)
    pos_before_group = np.cumsum(total_pos) - total_pos
    neg_before_group = np.cumsum(total_neg) - total_neg
    neg_below = np.cumsum(negatives) - negatives - neg_before_group[block_group]
    pos_below = np.cumsum(positives) - positives - pos_before_group[block_group]
    with np.errstate(divide="ignore", invalid="ignore"):
        v10 = (neg_below + 0.5 * negatives) / total_neg[block_group]
        v01 = (total_pos[block_group] - pos_below - 0.5 * positives) / total_pos[block_group]
        v10 = np.where(np.isfinite(v10), v10, 0.0)
        v01 = np.where(np.isfinite(v01), v01, 0.0)
    defined = (total_pos > 0) & (total_neg > 0)
    auc = np.where(
        defined, _divide(np.bincount(block_group, positives * v10, size), total_pos), np.nan
    )
    s10 = _variance(
        auc * total_pos, np.bincount(block_group, positives * v10 * v10, size), total_pos
    )
    s01 = _variance(
        auc * total_neg, np.bincount(block_group, negatives * v01 * v01, size), total_neg
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        standard_error = np.sqrt(s10 / total_pos + s01 / total_neg)
    return _normal(auc, standard_error, 0.0, 1.0)


# ------------------------------------------------------------------------------------ tasks


def binary_metrics(
    groups: Groups, label: _Array, score: _Array, threshold: float, score_order: _Array
) -> dict[str, Estimates]:
    """The binary metrics of every group: ``label`` is 0/1 (float), ``score`` in [0, 1].

    A row is predicted positive when its score is above ``threshold`` (TFMA's convention).
    """
    count = groups.sum()
    predicted = (score > threshold).astype(np.float64)
    positives = groups.sum(label)
    predicted_positives = groups.sum(predicted)
    true_positives = groups.sum(label * predicted)
    false_positives = predicted_positives - true_positives
    negatives = count - positives
    true_negatives = negatives - false_positives
    eps = np.finfo(np.float64).eps
    clipped = np.clip(score, eps, 1 - eps)
    losses = -(label * np.log(clipped) + (1 - label) * np.log(1 - clipped))
    ratio, ratio_error = _ratio_estimate(groups, score, label, count)
    return {
        "example_count": Estimates.exact(count),
        "auc": auc_estimate(groups, label, score, score_order),
        "accuracy": wilson(true_positives + true_negatives, count),
        "precision": wilson(true_positives, predicted_positives),
        "recall": wilson(true_positives, positives),
        "false_positive_rate": wilson(false_positives, negatives),
        "false_negative_rate": wilson(positives - true_positives, positives),
        "positive_rate": wilson(predicted_positives, count),
        "mean_label": wilson(positives, count),
        "mean_prediction": mean_estimate(groups, score, count),
        "calibration": _normal(ratio, ratio_error, 0.0),
        "log_loss": mean_estimate(groups, losses, count),
    }


def _macro_f1(cells: _Array) -> _Array:
    """Macro F1 from counts shaped (..., groups, classes, classes) = (label, prediction)."""
    true_positives = np.diagonal(cells, axis1=-2, axis2=-1)
    label_totals = cells.sum(axis=-1)
    predicted_totals = cells.sum(axis=-2)
    present = (label_totals + predicted_totals) > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        f1 = np.where(present, 2 * true_positives / (label_totals + predicted_totals), 0.0)
        return np.where(present.any(axis=-1), f1.sum(axis=-1) / present.sum(axis=-1), np.nan)


def multiclass_metrics(
    groups: Groups, label: _Array, prediction: _Array, classes: int
) -> dict[str, Estimates]:
    """Accuracy and macro F1: ``label`` and ``prediction`` are class codes below ``classes``."""
    count = groups.sum()
    correct = groups.sum((label == prediction).astype(np.float64))
    flat = (groups.codes * classes + label) * classes + prediction
    cells = np.bincount(flat, minlength=groups.size * classes * classes).astype(np.float64)
    cells = cells.reshape(groups.size, classes, classes)
    f1 = _macro_f1(cells)
    generator = np.random.default_rng(BOOTSTRAP_SEED)
    replicates = np.empty((BOOTSTRAP_REPLICATES, groups.size))
    batch = max(1, min(BOOTSTRAP_REPLICATES, 2_000_000 // max(cells.size, 1)))
    for start in range(0, BOOTSTRAP_REPLICATES, batch):
        stop = min(start + batch, BOOTSTRAP_REPLICATES)
        draws = generator.poisson(cells, size=(stop - start, *cells.shape)).astype(np.float64)
        replicates[start:stop] = _macro_f1(draws)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # empty groups: all NaN
        lower = np.nanpercentile(replicates, 2.5, axis=0)
        upper = np.nanpercentile(replicates, 97.5, axis=0)
    defined = np.isfinite(f1)
    return {
        "example_count": Estimates.exact(count),
        "accuracy": wilson(correct, count),
        "macro_f1": Estimates(
            f1, np.where(defined, lower, np.nan), np.where(defined, upper, np.nan)
        ),
    }


def regression_metrics(groups: Groups, label: _Array, prediction: _Array) -> dict[str, Estimates]:
    """MAE, RMSE, R² and the mean residual (label - prediction) of every group."""
    count = groups.sum()
    residual = label - prediction
    squared = residual * residual
    mse = mean_estimate(groups, squared, count)
    rmse = Estimates(
        np.sqrt(mse.value), np.sqrt(np.maximum(mse.lower, 0.0)), np.sqrt(np.maximum(mse.upper, 0.0))
    )
    label_mean = _divide(groups.sum(label), count)
    centred = label - label_mean[groups.codes]
    spread = centred * centred
    ratio, ratio_error = _ratio_estimate(groups, squared, spread, count)
    return {
        "example_count": Estimates.exact(count),
        "mae": mean_estimate(groups, np.abs(residual), count),
        "rmse": rmse,
        "r2": _normal(1.0 - ratio, ratio_error, high=1.0),
        "mean_residual": mean_estimate(groups, residual, count),
    }
