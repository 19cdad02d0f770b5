"""A TFMA ``EvalConfig`` text proto mapped onto research-ci's settings (``--eval-config``).

A team that already gates with TensorFlow Model Analysis keeps its EvalConfig; research-ci
reads it (without TFMA or protobuf, through :mod:`research_ci.model.textproto`) and maps:

* ``model_specs``: ``label_key`` and ``prediction_key`` of the candidate; the spec with
  ``is_baseline: true`` gives the baseline's prediction column in the same table
  (``name``, ``signature_name``, ``model_type`` and ``inference_batch_size`` say how TFMA
  would run a model, which research-ci does not: they are ignored);
* ``slicing_specs``: ``{}`` is Overall, ``feature_keys`` one column or a cross of two,
  ``feature_values`` selects slices (``cross_slicing_specs`` add their slices too);
* ``metrics_specs.metrics``: TFMA and Keras metric classes onto research-ci's metrics (plots
  are drawn anyway); a one-value ``thresholds`` config sets the classification threshold;
* thresholds (in ``MetricConfig.threshold``, ``MetricsSpec.thresholds``, per-slice and
  cross-slice, keyed by TFMA metric names such as ``auc``, ``binary_accuracy`` or
  ``fairness_indicators_metrics/false_positive_rate@0.5``): value thresholds become
  ``min``/``max``, change thresholds ``max-drop``/``max-relative-drop`` (with the metric's own
  direction), cross-slice value thresholds bound baseline slice - comparison slice;
* ``options.min_slice_size``.

Everything else is refused with one line naming the field and its line: example weights,
multi-output models, custom metric modules, binarization, aggregation, query keys, SQL
slices, a direction that is not the metric's own, thresholds at another threshold.
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from typing import Any

from research_ci.errors import UsageError
from research_ci.fsutil import read_errors, read_text
from research_ci.model.metrics import METRICS, tfma_names
from research_ci.model.settings import (
    Bounds,
    CrossSliceThreshold,
    ModelSettings,
    SliceThreshold,
    Thresholds,
)
from research_ci.model.specs import SliceSpec
from research_ci.model.textproto import Identifier, Message, parse

#: TFMA / Keras metric class -> (research-ci metric or ``None`` for a plot drawn anyway,
#: the TFMA name its thresholds are keyed by).
CLASSES: dict[str, tuple[str | None, str]] = {
    "ExampleCount": ("example_count", "example_count"),
    "WeightedExampleCount": ("example_count", "weighted_example_count"),
    "AUC": ("auc", "auc"),
    "BinaryAccuracy": ("accuracy", "binary_accuracy"),
    "Accuracy": ("accuracy", "accuracy"),
    "CategoricalAccuracy": ("accuracy", "categorical_accuracy"),
    "SparseCategoricalAccuracy": ("accuracy", "sparse_categorical_accuracy"),
    "Precision": ("precision", "precision"),
    "PPV": ("precision", "ppv"),
    "Recall": ("recall", "recall"),
    "TPR": ("recall", "tpr"),
    "FallOut": ("false_positive_rate", "fall_out"),
    "FPR": ("false_positive_rate", "fpr"),
    "MissRate": ("false_negative_rate", "miss_rate"),
    "FNR": ("false_negative_rate", "fnr"),
    "PredictedPositiveRate": ("positive_rate", "predicted_positive_rate"),
    "Prevalence": ("mean_label", "prevalence"),
    "MeanLabel": ("mean_label", "mean_label"),
    "MeanPrediction": ("mean_prediction", "mean_prediction"),
    "Calibration": ("calibration", "calibration"),
    "BinaryCrossentropy": ("log_loss", "binary_crossentropy"),
    "MeanAbsoluteError": ("mae", "mean_absolute_error"),
    "RootMeanSquaredError": ("rmse", "root_mean_squared_error"),
    "FairnessIndicators": (None, "fairness_indicators_metrics"),
    "CalibrationPlot": (None, "calibration_plot"),
    "ConfusionMatrixPlot": (None, "confusion_matrix_plot"),
    "MultiClassConfusionMatrixPlot": (None, "multi_class_confusion_matrix_plot"),
}
#: The rates FairnessIndicators computes that research-ci has (under its own names).
FAIRNESS_RATES = {
    "false_positive_rate": "false_positive_rate",
    "false_negative_rate": "false_negative_rate",
    "true_positive_rate": "recall",
    "positive_rate": "positive_rate",
}
_IGNORED_MODEL_FIELDS = {"name", "signature_name", "model_type", "inference_batch_size"}
_CONFUSION_CLASSES = {
    "BinaryAccuracy",
    "Precision",
    "PPV",
    "Recall",
    "TPR",
    "FallOut",
    "FPR",
    "MissRate",
    "FNR",
    "PredictedPositiveRate",
    "FairnessIndicators",
}


@dataclasses.dataclass
class _Mapped:
    """What the EvalConfig said, collected while reading it."""

    source: str
    label: str | None = None
    prediction: str | None = None
    baseline_prediction: str | None = None
    specs: list[SliceSpec] = dataclasses.field(default_factory=list)
    thresholds_seen: set[float] = dataclasses.field(default_factory=set)
    aliases: dict[str, str] = dataclasses.field(default_factory=tfma_names)
    min_slice_size: int | None = None
    bounds: dict[str, dict[str, float]] = dataclasses.field(
        default_factory=lambda: {"min": {}, "max": {}, "max_drop": {}, "max_relative_drop": {}}
    )
    per_slice: list[SliceThreshold] = dataclasses.field(default_factory=list)
    cross_slice: list[CrossSliceThreshold] = dataclasses.field(default_factory=list)

    def where(self, message: Message, name: str | None = None) -> str:
        line = message.line_of(name) if name else message.line
        return f"{self.source}:{line}"


def _only(message: Message, allowed: set[str], mapped: _Mapped, what: str) -> None:
    for name in message.names():
        if name not in allowed:
            raise UsageError(
                f"{mapped.where(message, name)}: {what}.{name} does not map onto research-ci "
                f"(it reads {', '.join(sorted(allowed)) or 'nothing'} there)"
            )


def _single(message: Message, name: str, mapped: _Mapped) -> Any:
    values = message.all(name)
    if len(values) > 1:
        raise UsageError(f"{mapped.where(message, name)}: {name} is given more than once")
    return values[0] if values else None


def _text(value: Any, message: Message, name: str, mapped: _Mapped) -> str:
    if not isinstance(value, str):
        raise UsageError(f"{mapped.where(message, name)}: {name} must be a string")
    return value


def _number(value: Any, where: str, name: str) -> float:
    if isinstance(value, Message):
        inner = value.all("value")
        if len(inner) != 1:
            raise UsageError(f"{where}: {name} needs one value")
        value = inner[0]
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise UsageError(f"{where}: {name} must be a number")
    return float(value)


def _flag(value: Any) -> bool:
    return (isinstance(value, Identifier) and value.name.lower() == "true") or value == 1


# ------------------------------------------------------------------------- model specs


def _model_specs(config: Message, mapped: _Mapped) -> None:
    specs = config.all("model_specs")
    if len(specs) > 2:
        raise UsageError(
            f"{mapped.where(config, 'model_specs')}: more than a candidate and a baseline"
        )
    for spec in specs:
        if not isinstance(spec, Message):
            raise UsageError(
                f"{mapped.where(config, 'model_specs')}: model_specs must be a message"
            )
        _only(
            spec,
            {"label_key", "prediction_key", "is_baseline", *_IGNORED_MODEL_FIELDS},
            mapped,
            "model_specs",
        )
        baseline = _flag(_single(spec, "is_baseline", mapped))
        label = _single(spec, "label_key", mapped)
        prediction = _single(spec, "prediction_key", mapped)
        if baseline:
            if prediction is None:
                raise UsageError(
                    f"{mapped.where(spec)}: the baseline model spec needs a prediction_key"
                )
            mapped.baseline_prediction = _text(prediction, spec, "prediction_key", mapped)
        else:
            mapped.prediction = (
                _text(prediction, spec, "prediction_key", mapped)
                if prediction is not None
                else None
            )
        if label is not None:
            text = _text(label, spec, "label_key", mapped)
            if mapped.label is not None and mapped.label != text:
                raise UsageError(
                    f"{mapped.where(spec, 'label_key')}: the candidate and the baseline "
                    "have different labels"
                )
            mapped.label = text


# -------------------------------------------------------------------------------- slices


def slicing_spec(message: Any, mapped: _Mapped, where: Message) -> SliceSpec:
    """A TFMA ``SlicingSpec`` as a research-ci slice selector."""
    if not isinstance(message, Message):
        raise UsageError(f"{mapped.where(where)}: a slicing spec must be a message")
    _only(message, {"feature_keys", "feature_values"}, mapped, "slicing_specs")
    keys = [_text(value, message, "feature_keys", mapped) for value in message.all("feature_keys")]
    only: list[tuple[str, str]] = []
    for entry in message.all("feature_values"):
        if not isinstance(entry, Message):
            raise UsageError(
                f"{mapped.where(message, 'feature_values')}: expected {{ key: ... value: ... }}"
            )
        _only(entry, {"key", "value"}, mapped, "feature_values")
        key, value = _single(entry, "key", mapped), _single(entry, "value", mapped)
        if not isinstance(key, str) or value is None:
            raise UsageError(f"{mapped.where(entry)}: feature_values needs a key and a value")
        text = (
            value
            if isinstance(value, str)
            else f"{value:g}" if isinstance(value, float) else str(value)
        )
        only.append((key, text))
    columns = tuple(dict.fromkeys([*keys, *(key for key, _ in only)]))
    if len(columns) > 2:
        raise UsageError(
            f"{mapped.where(message)}: a slice of {len(columns)} columns; research-ci slices "
            "by one "
            "column or a cross of two"
        )
    return SliceSpec(columns, tuple(only))


def _cross_slicing_spec(
    message: Any, mapped: _Mapped, where: Message
) -> tuple[SliceSpec, tuple[SliceSpec, ...]]:
    if not isinstance(message, Message):
        raise UsageError(f"{mapped.where(where)}: a cross slicing spec must be a message")
    _only(message, {"baseline_spec", "slicing_specs"}, mapped, "cross_slicing_specs")
    base = _single(message, "baseline_spec", mapped)
    baseline = slicing_spec(base, mapped, message) if base is not None else SliceSpec()
    comparisons = tuple(
        slicing_spec(item, mapped, message) for item in message.all("slicing_specs")
    )
    if not comparisons:
        raise UsageError(
            f"{mapped.where(message)}: a cross slicing spec needs slicing_specs to compare"
        )
    return baseline, comparisons


def _slices(config: Message, mapped: _Mapped) -> None:
    for message in config.all("slicing_specs"):
        if isinstance(message, Message) and "slice_keys_sql" in message.names():
            raise UsageError(
                f"{mapped.where(message, 'slice_keys_sql')}: SQL slices do not map onto research-ci"
            )
        mapped.specs.append(slicing_spec(message, mapped, config))
    for message in config.all("cross_slicing_specs"):
        baseline, comparisons = _cross_slicing_spec(message, mapped, config)
        mapped.specs += [
            SliceSpec(baseline.columns),
            *(SliceSpec(item.columns) for item in comparisons),
        ]


# ------------------------------------------------------------------------------ metrics


def metric_name(name: str, mapped: _Mapped, where: str, threshold: float | None) -> str:
    """A TFMA metric name (``auc``, ``fairness_indicators_metrics/false_positive_rate@0.5``)."""
    base, at, value = name.partition("@")
    if at:
        try:
            point = float(value)
        except ValueError as exc:
            raise UsageError(f"{where}: cannot read the threshold of {name!r}") from exc
        mapped.thresholds_seen.add(point)
        if threshold is not None and not math.isclose(point, threshold):
            raise UsageError(
                f"{where}: {name!r} is at threshold {point:g}, and research-ci gates at one "
                "threshold "
                f"({threshold:g}): set --threshold {point:g} or bound the metric at {threshold:g}"
            )
    prefix, slash, rate = base.rpartition("/")
    if slash and prefix == "fairness_indicators_metrics":
        if rate in FAIRNESS_RATES:
            return FAIRNESS_RATES[rate]
        raise UsageError(f"{where}: {name!r} does not map onto a research-ci metric")
    if base in mapped.aliases:
        return mapped.aliases[base]
    raise UsageError(
        f"{where}: metric {name!r} does not map onto research-ci; it computes "
        f"{', '.join(METRICS)} (TFMA names: {', '.join(sorted(mapped.aliases))})"
    )


def _metric_config(message: Any, mapped: _Mapped, where: Message) -> list[tuple[str, Message]]:
    """Read one ``MetricConfig``: its metric and the thresholds attached to it."""
    if not isinstance(message, Message):
        raise UsageError(f"{mapped.where(where)}: metrics must be messages")
    _only(
        message,
        {
            "class_name",
            "config",
            "threshold",
            "per_slice_thresholds",
            "cross_slice_thresholds",
            "module",
        },
        mapped,
        "metrics",
    )
    class_name = _text(_single(message, "class_name", mapped), message, "class_name", mapped)
    module = _single(message, "module", mapped)
    if module is not None and not str(module).startswith(
        ("tensorflow_model_analysis", "tf.keras", "keras", "tf_keras")
    ):
        raise UsageError(
            f"{mapped.where(message, 'module')}: custom metric module {module!r} does not map "
            "onto research-ci"
        )
    if class_name not in CLASSES:
        known = ", ".join(sorted(CLASSES))
        raise UsageError(
            f"{mapped.where(message, 'class_name')}: metric class {class_name!r} does not map "
            f"onto research-ci (it maps {known})"
        )
    metric, default_name = CLASSES[class_name]
    config = _single(message, "config", mapped) or ""
    options = _config_json(config, mapped.where(message, "config"))
    for key, value in options.items():
        if key == "name" and isinstance(value, str) and metric is not None:
            mapped.aliases[value] = metric
        elif key in ("threshold", "thresholds") and class_name in _CONFUSION_CLASSES:
            points = value if isinstance(value, list) else [value]
            if not all(isinstance(point, int | float) for point in points) or not points:
                raise UsageError(f"{mapped.where(message, 'config')}: thresholds must be numbers")
            if len(points) == 1:
                mapped.thresholds_seen.add(float(points[0]))
        elif key == "num_thresholds" and class_name == "AUC":
            continue  # research-ci's AUC is exact, not bucketed
        else:
            raise UsageError(
                f"{mapped.where(message, 'config')}: {class_name} option {key!r} does not map "
                "onto research-ci"
            )
    attached: list[tuple[str, Message]] = []
    if metric is None:
        for field in ("threshold", "per_slice_thresholds", "cross_slice_thresholds"):
            if message.all(field):
                raise UsageError(
                    f"{mapped.where(message, field)}: {class_name} has no one value to bound: "
                    "name the metric in metrics_specs.thresholds instead"
                )
        return attached
    name = options.get("name") if isinstance(options.get("name"), str) else None
    key = name or default_name
    for field in ("threshold", "per_slice_thresholds", "cross_slice_thresholds"):
        attached += [(f"{field}:{key}", item) for item in message.all(field)]
    return attached


def _config_json(text: Any, where: str) -> dict[str, Any]:
    if not isinstance(text, str):
        raise UsageError(f"{where}: config must be a JSON string")
    body = text.strip()
    if not body:
        return {}
    try:
        data = json.loads(body if body.startswith("{") else "{" + body + "}")
    except json.JSONDecodeError as exc:
        raise UsageError(f"{where}: config is not JSON: {exc.msg}") from exc
    if not isinstance(data, dict):
        raise UsageError(f"{where}: config must be a JSON object")
    return data


# ---------------------------------------------------------------------------- thresholds


def _bounds(
    threshold: Any, metric: str, mapped: _Mapped, where: str
) -> dict[str, dict[str, float]]:
    """A ``MetricThreshold`` as research-ci bounds of one metric."""
    if not isinstance(threshold, Message):
        raise UsageError(f"{where}: a threshold must be a message")
    _only(threshold, {"value_threshold", "change_threshold"}, mapped, "threshold")
    found: dict[str, dict[str, float]] = {
        "min": {},
        "max": {},
        "max_drop": {},
        "max_relative_drop": {},
    }
    value = _single(threshold, "value_threshold", mapped)
    if value is not None:
        _only(value, {"lower_bound", "upper_bound"}, mapped, "value_threshold")
        lower, upper = _single(value, "lower_bound", mapped), _single(value, "upper_bound", mapped)
        if lower is not None:
            found["min"][metric] = _number(lower, mapped.where(value, "lower_bound"), "lower_bound")
        if upper is not None:
            found["max"][metric] = _number(upper, mapped.where(value, "upper_bound"), "upper_bound")
    change = _single(threshold, "change_threshold", mapped)
    if change is not None:
        _change(change, metric, mapped, found)
    return found


def _change(
    change: Message, metric: str, mapped: _Mapped, found: dict[str, dict[str, float]]
) -> None:
    _only(change, {"direction", "absolute", "relative"}, mapped, "change_threshold")
    direction = _single(change, "direction", mapped)
    name = direction.name if isinstance(direction, Identifier) else str(direction)
    own = METRICS[metric].direction
    expected = {"higher": "HIGHER_IS_BETTER", "lower": "LOWER_IS_BETTER"}.get(own)
    if expected is None:
        raise UsageError(
            f"{mapped.where(change)}: {metric} has no better direction; a change threshold "
            "on it does not map"
        )
    if name != expected:
        raise UsageError(
            f"{mapped.where(change, 'direction')}: direction {name} on {metric}, whose own "
            "direction is "
            f"{expected}: limiting improvements does not map onto research-ci's max-drop"
        )
    sign = -1.0 if own == "higher" else 1.0
    for field, key in (("absolute", "max_drop"), ("relative", "max_relative_drop")):
        item = _single(change, field, mapped)
        if item is not None:
            found[key][metric] = sign * _number(item, mapped.where(change, field), field)


def _merge(target: dict[str, dict[str, float]], extra: dict[str, dict[str, float]]) -> None:
    for key, table in extra.items():
        target[key].update(table)


def _as_bounds(table: dict[str, dict[str, float]]) -> Bounds:
    return Bounds(
        min=table["min"],
        max=table["max"],
        max_drop=table["max_drop"],
        max_relative_drop=table["max_relative_drop"],
    )


def _per_slice(message: Any, metric: str, mapped: _Mapped, where: Message) -> None:
    if not isinstance(message, Message):
        raise UsageError(f"{mapped.where(where)}: per_slice_thresholds must be messages")
    _only(message, {"slicing_specs", "threshold"}, mapped, "per_slice_thresholds")
    selectors = tuple(slicing_spec(item, mapped, message) for item in message.all("slicing_specs"))
    threshold = _single(message, "threshold", mapped)
    if not selectors or threshold is None:
        raise UsageError(
            f"{mapped.where(message)}: a per-slice threshold needs slicing_specs and a threshold"
        )
    bounds = _as_bounds(_bounds(threshold, metric, mapped, mapped.where(message, "threshold")))
    mapped.per_slice.append(
        SliceThreshold(selectors=selectors, bounds=bounds, source=mapped.where(message))
    )


def _cross_slice(message: Any, metric: str, mapped: _Mapped, where: Message) -> None:
    if not isinstance(message, Message):
        raise UsageError(f"{mapped.where(where)}: cross_slice_thresholds must be messages")
    _only(message, {"cross_slicing_specs", "threshold"}, mapped, "cross_slice_thresholds")
    threshold = _single(message, "threshold", mapped)
    if threshold is None:
        raise UsageError(f"{mapped.where(message)}: a cross-slice threshold needs a threshold")
    found = _bounds(threshold, metric, mapped, mapped.where(message, "threshold"))
    if found["max_drop"] or found["max_relative_drop"]:
        raise UsageError(
            f"{mapped.where(message, 'threshold')}: a change threshold between slices does not map"
        )
    for spec in message.all("cross_slicing_specs"):
        baseline, comparisons = _cross_slicing_spec(spec, mapped, message)
        mapped.cross_slice.append(
            CrossSliceThreshold(
                baseline=baseline,
                comparisons=comparisons,
                min=found["min"],
                max=found["max"],
                source=mapped.where(spec),
            )
        )


def _map_entries(spec: Message, field: str, mapped: _Mapped) -> list[tuple[str, Any, Message]]:
    entries = []
    for entry in spec.all(field):
        if not isinstance(entry, Message):
            raise UsageError(
                f"{mapped.where(spec, field)}: {field} entries are {{ key: ... value: ... }}"
            )
        _only(entry, {"key", "value"}, mapped, field)
        key, value = _single(entry, "key", mapped), _single(entry, "value", mapped)
        if not isinstance(key, str) or value is None:
            raise UsageError(
                f"{mapped.where(entry)}: {field} needs a key (a metric name) and a value"
            )
        entries.append((key, value, entry))
    return entries


def _metrics_specs(config: Message, mapped: _Mapped, threshold: float | None) -> None:
    attached: list[tuple[str, Any, Message]] = []
    for spec in config.all("metrics_specs"):
        if not isinstance(spec, Message):
            raise UsageError(
                f"{mapped.where(config, 'metrics_specs')}: metrics_specs must be messages"
            )
        _only(
            spec,
            {
                "metrics",
                "thresholds",
                "per_slice_thresholds",
                "cross_slice_thresholds",
                "model_names",
                "example_weights",
            },
            mapped,
            "metrics_specs",
        )
        weights = _single(spec, "example_weights", mapped)
        if isinstance(weights, Message) and _flag(_single(weights, "weighted", mapped)):
            raise UsageError(
                f"{mapped.where(spec, 'example_weights')}: weighted metrics do not map "
                "(research-ci does not weight rows)"
            )
        for message in spec.all("metrics"):
            for tag, item in _metric_config(message, mapped, spec):
                field, _, name = tag.partition(":")
                attached.append((f"{field}:{name}", item, message))
        for field in ("thresholds", "per_slice_thresholds", "cross_slice_thresholds"):
            for key, value, entry in _map_entries(spec, field, mapped):
                attached.append((f"{field}:{key}", value, entry))
    for tag, item, where in attached:
        field, _, name = tag.partition(":")
        metric = metric_name(name, mapped, mapped.where(where), threshold)
        if field in ("threshold", "thresholds"):
            _merge(mapped.bounds, _bounds(item, metric, mapped, mapped.where(where)))
        else:
            rule = _per_slice if field == "per_slice_thresholds" else _cross_slice
            items = (
                item.all("thresholds")
                if isinstance(item, Message) and "thresholds" in item.names()
                else [item]
            )
            for entry in items:
                rule(entry, metric, mapped, where)


def _options(config: Message, mapped: _Mapped) -> None:
    options = _single(config, "options", mapped)
    if options is None:
        return
    _only(
        options,
        {
            "min_slice_size",
            "compute_confidence_intervals",
            "confidence_intervals",
            "include_default_metrics",
            "disabled_outputs",
        },
        mapped,
        "options",
    )
    size = _single(options, "min_slice_size", mapped)
    if size is not None:
        value = _number(size, mapped.where(options, "min_slice_size"), "min_slice_size")
        if value < 1 or not value.is_integer():
            raise UsageError(
                f"{mapped.where(options, 'min_slice_size')}: min_slice_size must be a "
                "positive integer"
            )
        mapped.min_slice_size = int(value)


# ----------------------------------------------------------------------------------- entry


def read_eval_config(path: Path) -> Message:
    """Parse the file (one-line errors)."""
    with read_errors(path, "EvalConfig"):
        text = read_text(path)  # a regular file, bounded in size
    return parse(text, source=str(path))


def apply_eval_config(
    settings: ModelSettings, path: Path, *, threshold: float | None = None
) -> ModelSettings:
    """``settings`` with what the EvalConfig at ``path`` says (it wins over the table)."""
    config = read_eval_config(path)
    mapped = _Mapped(source=str(path))
    _only(
        config,
        {"model_specs", "slicing_specs", "cross_slicing_specs", "metrics_specs", "options"},
        mapped,
        "EvalConfig",
    )
    _model_specs(config, mapped)
    _slices(config, mapped)
    _metrics_specs(config, mapped, threshold)
    _options(config, mapped)
    changes: dict[str, Any] = {}
    if len(mapped.thresholds_seen) == 1:
        (point,) = mapped.thresholds_seen
        if not 0 <= point <= 1:
            raise UsageError(f"{path}: threshold {point:g} is not in [0, 1]")
        changes["threshold"] = point
    elif len(mapped.thresholds_seen) > 1 and threshold is None:
        # Ask again with the threshold the settings gate at: names at another one are refused.
        return apply_eval_config(settings, path, threshold=settings.threshold)
    for key in ("label", "prediction", "baseline_prediction", "min_slice_size"):
        value = getattr(mapped, key)
        if value is not None:
            changes[key] = value
    if mapped.baseline_prediction is not None:
        changes.update(baseline=None, baseline_model=None)
    plain = [spec for spec in mapped.specs if spec.columns and not spec.only]
    changes["slices"] = tuple(
        dict.fromkeys(
            [*settings.slices, *(spec.columns[0] for spec in plain if len(spec.columns) == 1)]
        )
    )
    changes["crosses"] = tuple(
        dict.fromkeys(
            [
                *settings.crosses,
                *((spec.columns[0], spec.columns[1]) for spec in plain if len(spec.columns) == 2),
            ]
        )
    )
    changes["extra_specs"] = (*settings.extra_specs, *(spec for spec in mapped.specs if spec.only))
    bounds = settings.thresholds.bounds
    merged = {
        "min": {**bounds.min, **mapped.bounds["min"]},
        "max": {**bounds.max, **mapped.bounds["max"]},
        "max_drop": {**bounds.max_drop, **mapped.bounds["max_drop"]},
        "max_relative_drop": {**bounds.max_relative_drop, **mapped.bounds["max_relative_drop"]},
    }
    changes["thresholds"] = Thresholds(
        bounds=_as_bounds(merged),
        max_gap=settings.thresholds.max_gap,
        per_slice=(*settings.thresholds.per_slice, *mapped.per_slice),
        cross_slice=(*settings.thresholds.cross_slice, *mapped.cross_slice),
    )
    return dataclasses.replace(settings, **changes)
