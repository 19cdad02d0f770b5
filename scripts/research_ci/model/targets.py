"""The label and the prediction as numbers the engine takes, and the task they describe.

* binary: the label as 0/1 (``--positive`` names the positive value of a text label) and a
  score in [0, 1];
* multi-class: label and prediction as codes of one class list;
* regression: label and prediction as floats.

The task is detected from the columns (a text prediction is multi-class, a 0/1 label with a
numeric score is binary, integer labels with integer predictions are multi-class, other
numbers are regression) and can be forced. Everything that makes a metric meaningless is a
one-line error here: missing values, scores outside [0, 1], a label with one class.
"""

from __future__ import annotations

import dataclasses
from functools import cached_property
from typing import Any

import numpy as np

from research_ci.errors import UsageError
from research_ci.model.metrics import Task
from research_ci.model.table import Column

#: Integer labels with at most this many classes (and integer predictions) are multi-class.
MAX_DETECTED_CLASSES = 50
MAX_CLASSES = 1000


@dataclasses.dataclass(frozen=True)
class Target:
    """Label and prediction of every row, ready for :mod:`research_ci.model.engine`."""

    task: Task
    label: Any
    prediction: Any
    classes: tuple[str, ...] = ()
    positive: str | None = None

    @property
    def rows(self) -> int:
        """Number of rows."""
        return len(self.label)

    @cached_property
    def score_order(self) -> Any:
        """Rows sorted by score (stable), shared by the AUC of every slicing."""
        return np.argsort(self.prediction, kind="stable")


def _first_row(mask: Any) -> int:
    return int(np.flatnonzero(mask)[0]) + 1


def _no_missing(column: Column, role: str, where: str) -> None:
    missing = column.missing
    if missing.any():
        raise UsageError(
            f"{where}: {role} column {column.name!r} has {int(missing.sum())} missing values "
            f"(first in data row {_first_row(missing)})"
        )


def _integral(values: Any) -> bool:
    return bool(np.all(np.isfinite(values)) and np.all(np.equal(np.floor(values), values)))


def detect_task(label: Column, prediction: Column, positive: str | None) -> Task:
    """The task the two columns describe (see the module docstring)."""
    if prediction.kind == "categorical":
        return "multiclass"
    if positive is not None or label.kind == "categorical":
        return "binary"
    values = label.values[~np.isnan(label.values)]
    if len(np.unique(values)) <= 2:
        return "binary"
    predicted = prediction.values[~np.isnan(prediction.values)]
    if (
        _integral(values)
        and _integral(predicted)
        and len(np.unique(values)) <= MAX_DETECTED_CLASSES
    ):
        return "multiclass"
    return "regression"


def _binary_label(label: Column, positive: str | None, where: str) -> tuple[Any, str]:
    if label.kind == "categorical":
        present = sorted({label.categories[code] for code in np.unique(label.values)})
        if positive is None:
            shown = ", ".join(repr(value) for value in present[:5])
            raise UsageError(
                f"{where}: label {label.name!r} is text ({shown}): name its positive class "
                "with --positive (positive = ... in [tool.research-ci.model])"
            )
        if positive not in present:
            shown = ", ".join(repr(value) for value in present[:5])
            raise UsageError(
                f"{where}: label {label.name!r} never equals {positive!r}; its values: {shown}"
            )
        if len(present) > 2:
            raise UsageError(
                f"{where}: label {label.name!r} has {len(present)} classes: a binary task needs "
                "two (or pass --task multiclass)"
            )
        code = label.categories.index(positive)
        return (label.values == code).astype(np.float64), positive
    values = label.values
    if positive is not None:
        try:
            number = float(positive)
        except ValueError as exc:
            raise UsageError(
                f"{where}: label {label.name!r} is numeric; --positive {positive!r} is not a number"
            ) from exc
        distinct = np.unique(values)
        if len(distinct) > 2:
            raise UsageError(
                f"{where}: label {label.name!r} has {len(distinct)} values: a binary task needs two"
            )
        return (values == number).astype(np.float64), positive
    if not np.isin(values, (0.0, 1.0)).all():
        bad = ~np.isin(values, (0.0, 1.0))
        raise UsageError(
            f"{where}: label {label.name!r} is not 0/1 (data row {_first_row(bad)} has "
            f"{values[bad][0]:g}): pass --positive VALUE, or --task regression"
        )
    return values.astype(np.float64), "1"


def _binary(label: Column, prediction: Column, positive: str | None, where: str) -> Target:
    if prediction.kind != "numeric":
        raise UsageError(
            f"{where}: prediction {prediction.name!r} is text: a binary task needs a score in "
            "[0, 1] (or pass --task multiclass)"
        )
    y, positive_text = _binary_label(label, positive, where)
    scores = prediction.values
    outside = (scores < 0) | (scores > 1)
    if outside.any():
        raise UsageError(
            f"{where}: prediction {prediction.name!r} has {int(outside.sum())} scores outside "
            f"[0, 1] (data row {_first_row(outside)}: {scores[outside][0]:g}); a binary task "
            "needs probabilities (or pass --task regression)"
        )
    return Target("binary", y, scores.astype(np.float64), positive=positive_text)


def _class_texts(column: Column) -> Any:
    return column.texts()


def _multiclass(
    label: Column, prediction: Column, where: str, classes: tuple[str, ...] | None
) -> Target:
    label_texts, prediction_texts = _class_texts(label), _class_texts(prediction)
    if classes is None:
        found = set(label_texts.tolist()) | set(prediction_texts.tolist())
        classes = tuple(sorted(found, key=lambda text: (_sort_number(text), text)))
        if len(classes) > MAX_CLASSES:
            raise UsageError(f"{where}: {len(classes)} classes: more than {MAX_CLASSES}")
    index = {text: code for code, text in enumerate(classes)}
    other = len(classes)
    encode = np.vectorize(lambda text: index.get(text, other), otypes=[np.int64])
    label_codes = _encode_texts(label_texts, encode)
    prediction_codes = _encode_texts(prediction_texts, encode)
    return Target("multiclass", label_codes, prediction_codes, classes=(*classes, "(other)"))


def _encode_texts(texts: Any, encode: Any) -> Any:
    unique, inverse = np.unique(texts.astype(str), return_inverse=True)
    return encode(unique)[inverse].astype(np.int64) if len(unique) else np.zeros(0, np.int64)


def _sort_number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return float("inf")


def _regression(label: Column, prediction: Column, where: str) -> Target:
    for column, role in ((label, "label"), (prediction, "prediction")):
        if column.kind != "numeric":
            raise UsageError(f"{where}: {role} {column.name!r} is text: regression needs numbers")
    infinite = ~np.isfinite(prediction.values)
    if infinite.any():
        row = _first_row(infinite)
        raise UsageError(f"{where}: prediction {prediction.name!r} is infinite in data row {row}")
    return Target(
        "regression", label.values.astype(np.float64), prediction.values.astype(np.float64)
    )


def make_target(
    label: Column,
    prediction: Column,
    *,
    task: Task | None,
    positive: str | None,
    where: str,
    classes: tuple[str, ...] | None = None,
) -> Target:
    """Check and convert the two columns; ``classes`` reuses the candidate's class list."""
    _no_missing(label, "label", where)
    _no_missing(prediction, "prediction", where)
    chosen = task or detect_task(label, prediction, positive)
    if chosen == "binary":
        target = _binary(label, prediction, positive, where)
        if len(np.unique(target.label)) < 2:
            only = target.positive if target.label[0] == 1 else f"not {target.positive}"
            raise UsageError(
                f"{where}: label {label.name!r} has one class only ({only} in all "
                f"{target.rows:,} rows): AUC and the error rates need both classes"
            )
        return target
    if chosen == "multiclass":
        return _multiclass(label, prediction, where, classes)
    return _regression(label, prediction, where)
