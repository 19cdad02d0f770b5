"""The metric catalogue: every metric research-ci computes per slice, and what it means.

Pure Python (no numpy): the settings, the gate, the reports and the EvalConfig mapping read
it; :mod:`research_ci.model.engine` computes the values. Names follow TensorFlow Model
Analysis where TFMA has the metric (``auc``, ``precision``, ``calibration``, ``mean_label``,
Fairness Indicators' ``false_positive_rate`` and ``positive_rate``...), so a TFMA user reads
the report without a dictionary; :attr:`Metric.tfma` lists the TFMA names that map here.
"""

from __future__ import annotations

import dataclasses
from typing import Literal

Task = Literal["binary", "multiclass", "regression"]
TASKS: tuple[Task, ...] = ("binary", "multiclass", "regression")
#: ``higher``: bigger is better (AUC); ``lower``: smaller is better (error rates);
#: ``none``: context, not a quality (counts, base rates, calibration).
Direction = Literal["higher", "lower", "none"]

WILSON = "Wilson score interval"
DELONG = "DeLong's variance (normal interval)"
MEAN = "normal interval of the mean"
DELTA = "delta method (normal interval)"
BOOTSTRAP = "Poisson bootstrap of the confusion counts (1,000 replicates, percentiles)"

#: Two-sided 95 % normal quantile.
Z95 = 1.959963984540054


@dataclasses.dataclass(frozen=True)
class Metric:
    """One metric: where it applies, which way is better, how its interval is computed."""

    name: str
    title: str
    tasks: tuple[Task, ...]
    direction: Direction
    interval: str
    description: str
    tfma: tuple[str, ...] = ()

    @property
    def gateable(self) -> bool:
        """Change and gap thresholds need a direction; value bounds work for any metric."""
        return self.direction != "none"


_BIN: tuple[Task, ...] = ("binary",)
_MULTI: tuple[Task, ...] = ("multiclass",)
_REG: tuple[Task, ...] = ("regression",)

CATALOGUE: tuple[Metric, ...] = (
    Metric(
        "example_count",
        "Count",
        TASKS,
        "none",
        "exact",
        "rows in the slice",
        ("example_count", "weighted_example_count"),
    ),
    Metric(
        "auc",
        "AUC",
        _BIN,
        "higher",
        DELONG,
        "area under the ROC curve, exact (Mann-Whitney with average ranks for ties)",
        ("auc",),
    ),
    Metric(
        "accuracy",
        "Accuracy",
        (*_BIN, *_MULTI),
        "higher",
        WILSON,
        "share of rows whose predicted class is the label",
        ("accuracy", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy"),
    ),
    Metric(
        "precision",
        "Precision",
        _BIN,
        "higher",
        WILSON,
        "share of predicted positives that are positive",
        ("precision", "ppv"),
    ),
    Metric(
        "recall",
        "Recall",
        _BIN,
        "higher",
        WILSON,
        "share of positives predicted positive (true positive rate)",
        ("recall", "tpr", "true_positive_rate"),
    ),
    Metric(
        "false_positive_rate",
        "FPR",
        _BIN,
        "lower",
        WILSON,
        "share of negatives predicted positive",
        ("false_positive_rate", "fpr", "fall_out"),
    ),
    Metric(
        "false_negative_rate",
        "FNR",
        _BIN,
        "lower",
        WILSON,
        "share of positives predicted negative",
        ("false_negative_rate", "fnr", "miss_rate"),
    ),
    Metric(
        "positive_rate",
        "Predicted positive",
        _BIN,
        "none",
        WILSON,
        "share of rows predicted positive (demographic parity compares it)",
        ("positive_rate", "predicted_positive_rate"),
    ),
    Metric(
        "mean_label",
        "Positives",
        _BIN,
        "none",
        WILSON,
        "share of rows whose label is positive (the base rate)",
        ("mean_label", "prevalence"),
    ),
    Metric(
        "mean_prediction",
        "Mean score",
        _BIN,
        "none",
        MEAN,
        "mean predicted score",
        ("mean_prediction",),
    ),
    Metric(
        "calibration",
        "Calibration",
        _BIN,
        "none",
        DELTA,
        "mean prediction / mean label (1 is calibrated)",
        ("calibration",),
    ),
    Metric(
        "log_loss",
        "Log loss",
        _BIN,
        "lower",
        MEAN,
        "mean binary cross-entropy, scores clipped to [eps, 1 - eps] like scikit-learn",
        ("binary_crossentropy", "log_loss"),
    ),
    Metric(
        "macro_f1",
        "Macro F1",
        _MULTI,
        "higher",
        BOOTSTRAP,
        "unweighted mean of the per-class F1 over the classes present in the slice",
        ("macro_f1",),
    ),
    Metric(
        "mae",
        "MAE",
        _REG,
        "lower",
        MEAN,
        "mean absolute error",
        ("mean_absolute_error", "mae"),
    ),
    Metric(
        "rmse",
        "RMSE",
        _REG,
        "lower",
        DELTA,
        "root mean squared error",
        ("root_mean_squared_error", "rmse"),
    ),
    Metric(
        "r2",
        "R²",
        _REG,
        "higher",
        DELTA,
        "coefficient of determination within the slice",
        ("r2", "r_squared"),
    ),
    Metric(
        "mean_residual",
        "Mean residual",
        _REG,
        "none",
        MEAN,
        "mean of label - prediction (positive: the model predicts too low)",
        ("mean_residual",),
    ),
)

METRICS: dict[str, Metric] = {metric.name: metric for metric in CATALOGUE}

#: The metrics shown in Markdown tables and the HTML overview, per task.
KEY_METRICS: dict[Task, tuple[str, ...]] = {
    "binary": (
        "auc",
        "accuracy",
        "false_positive_rate",
        "false_negative_rate",
        "calibration",
    ),
    "multiclass": ("accuracy", "macro_f1"),
    "regression": ("mae", "rmse", "r2", "mean_residual"),
}


def metrics_for(task: Task) -> tuple[str, ...]:
    """The metrics of ``task``, in catalogue order."""
    return tuple(metric.name for metric in CATALOGUE if task in metric.tasks)


def tfma_names() -> dict[str, str]:
    """TFMA metric name -> research-ci metric name."""
    return {alias: metric.name for metric in CATALOGUE for alias in metric.tfma}
