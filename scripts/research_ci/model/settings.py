"""The ``[tool.research-ci.model]`` table: what to analyse, how to slice it, what to gate.

Pure Python (no numpy, no pyarrow): the engine's ``research-ci check`` validates this table
before it runs anything. Every problem is one :class:`~research_ci.errors.UsageError` line
naming the key. The gate keeps TensorFlow Model Analysis' vocabulary:

* value thresholds - ``min`` and ``max`` bound a metric on every slice (TFMA's
  ``GenericValueThreshold`` on a metric applies to every slice too);
* change thresholds - ``max-drop`` (absolute) and ``max-relative-drop`` bound how much worse
  than the baseline a metric may get, overall and per slice (``GenericChangeThreshold``;
  "worse" follows the metric's direction: lower AUC, higher false negative rate);
* ``max-gap`` - the largest gap between two slices of one slice feature, counted only when
  their confidence intervals do not overlap (the gap is not noise);
* per-slice thresholds (``[[...slice-thresholds]]``, TFMA's ``per_slice_thresholds``) and
  cross-slice thresholds (``[[...cross-slice-thresholds]]``, ``cross_slice_thresholds``:
  bounds on baseline slice - comparison slice).

Every threshold is opt-in. Slices with fewer rows than ``min-slice-size`` are reported but
never gate.

Example::

    [tool.research-ci.model]
    predictions = "reports/predictions.csv"   # or: data = "eval.csv", model = "pkg.model:predict"
    label = "income"
    positive = ">50K"                         # the positive class of a text label
    prediction = "score"
    baseline = "reports/baseline.csv"         # or: baseline-prediction = "score_v1"
    slices = ["marital-status", "sex", "age"]
    crosses = [["marital-status", "sex"]]
    min-slice-size = 100
    min = { auc = 0.8 }
    max-gap = { false_negative_rate = 0.1 }
    max-drop = { auc = 0.02 }

    [[tool.research-ci.model.slice-thresholds]]
    slice = { sex = "Female" }
    min = { recall = 0.5 }

    [[tool.research-ci.model.cross-slice-thresholds]]
    baseline = { sex = "Male" }
    comparison = { sex = "Female" }
    max-gap = { false_negative_rate = 0.05 }
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from research_ci.data.settings import DIALECT_KEYS, Dialect, parse_dialect
from research_ci.errors import UsageError
from research_ci.model.metrics import METRICS, TASKS, Task
from research_ci.model.specs import SliceSpec, SliceValues
from research_ci.pyproject import read_toml, tool_table
from research_ci.toml_values import reject_unknown, string, strings

DEFAULT_MIN_SLICE_SIZE = 100
DEFAULT_THRESHOLD = 0.5
DEFAULT_BUCKETS = 4
#: The value of a slice selector that means "every value of this column".
ANY_VALUE = "*"

_BOUND_KEYS = ("min", "max", "max-drop", "max-relative-drop")
_TOP_KEYS = frozenset(
    {
        "predictions",
        "data",
        "model",
        "python",
        "baseline",
        "baseline-prediction",
        "baseline-model",
        "label",
        "positive",
        "prediction",
        "task",
        "threshold",
        "slices",
        "crosses",
        "min-slice-size",
        "buckets",
        "flip",
        "eval-config",
        "html",
        "max-gap",
        "slice-thresholds",
        "cross-slice-thresholds",
        *_BOUND_KEYS,
        *DIALECT_KEYS,
    }
)
_SLICE_RULE_KEYS = frozenset({"slice", "slices", *_BOUND_KEYS})
_CROSS_RULE_KEYS = frozenset({"baseline", "comparison", "comparisons", "min", "max", "max-gap"})


@dataclasses.dataclass(frozen=True, kw_only=True)
class Bounds:
    """Value and change thresholds on metrics: metric name -> bound."""

    min: Mapping[str, float] = dataclasses.field(default_factory=dict)
    max: Mapping[str, float] = dataclasses.field(default_factory=dict)
    max_drop: Mapping[str, float] = dataclasses.field(default_factory=dict)
    max_relative_drop: Mapping[str, float] = dataclasses.field(default_factory=dict)

    @property
    def changes(self) -> bool:
        """True when a change threshold needs a baseline."""
        return bool(self.max_drop or self.max_relative_drop)

    def metric_names(self) -> set[str]:
        """Every metric these bounds name."""
        return {*self.min, *self.max, *self.max_drop, *self.max_relative_drop}

    def count(self) -> int:
        """Number of bounds."""
        return len(self.min) + len(self.max) + len(self.max_drop) + len(self.max_relative_drop)


@dataclasses.dataclass(frozen=True, kw_only=True)
class SliceThreshold:
    """Bounds for some slices only (TFMA's ``per_slice_thresholds``)."""

    selectors: tuple[SliceSpec, ...]
    bounds: Bounds
    source: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class CrossSliceThreshold:
    """Bounds on ``baseline slice - comparison slice`` (TFMA's ``cross_slice_thresholds``)."""

    baseline: SliceSpec
    comparisons: tuple[SliceSpec, ...]
    min: Mapping[str, float] = dataclasses.field(default_factory=dict)
    max: Mapping[str, float] = dataclasses.field(default_factory=dict)
    max_gap: Mapping[str, float] = dataclasses.field(default_factory=dict)
    source: str = "cross-slice-thresholds"

    def metric_names(self) -> set[str]:
        """Every metric this rule names."""
        return {*self.min, *self.max, *self.max_gap}


@dataclasses.dataclass(frozen=True, kw_only=True)
class Thresholds:
    """The whole gate."""

    bounds: Bounds = dataclasses.field(default_factory=Bounds)
    max_gap: Mapping[str, float] = dataclasses.field(default_factory=dict)
    per_slice: tuple[SliceThreshold, ...] = ()
    cross_slice: tuple[CrossSliceThreshold, ...] = ()

    @property
    def needs_baseline(self) -> bool:
        """True when a change threshold is set anywhere."""
        return self.bounds.changes or any(rule.bounds.changes for rule in self.per_slice)

    def metric_names(self) -> set[str]:
        """Every metric the gate names."""
        names = self.bounds.metric_names() | set(self.max_gap)
        for rule in self.per_slice:
            names |= rule.bounds.metric_names()
        for cross in self.cross_slice:
            names |= cross.metric_names()
        return names

    def count(self) -> int:
        """Number of rules (a bound on a metric is one rule)."""
        total = self.bounds.count() + len(self.max_gap)
        total += sum(rule.bounds.count() for rule in self.per_slice)
        total += sum(len(rule.metric_names()) for rule in self.cross_slice)
        return total


@dataclasses.dataclass(frozen=True, kw_only=True)
class ModelSettings:
    """The validated ``[tool.research-ci.model]`` table; paths are relative to ``root``."""

    root: Path
    predictions: str | None = None
    data: str | None = None
    model: str | None = None
    python: str | None = None
    baseline: str | None = None
    baseline_prediction: str | None = None
    baseline_model: str | None = None
    label: str | None = None
    positive: str | None = None
    prediction: str | None = None
    task: Task | None = None
    threshold: float = DEFAULT_THRESHOLD
    slices: tuple[str, ...] = ()
    crosses: tuple[tuple[str, str], ...] = ()
    extra_specs: tuple[SliceSpec, ...] = ()
    min_slice_size: int = DEFAULT_MIN_SLICE_SIZE
    buckets: int = DEFAULT_BUCKETS
    flip: tuple[str, ...] | None = None
    eval_config: str | None = None
    html: bool = True
    dialect: Dialect = dataclasses.field(default_factory=Dialect)
    thresholds: Thresholds = dataclasses.field(default_factory=Thresholds)

    def resolve(self, path: str) -> Path:
        """``path`` relative to the project root."""
        candidate = Path(path).expanduser()
        return candidate if candidate.is_absolute() else self.root / candidate

    @property
    def configured(self) -> bool:
        """True when the table says what to analyse."""
        return bool(self.predictions or (self.data and self.model))

    def specs(self) -> list[SliceSpec]:
        """Overall, the slice columns, the crosses and the slices thresholds name."""
        specs = [SliceSpec(), *(SliceSpec((name,)) for name in self.slices)]
        specs += [SliceSpec(pair) for pair in self.crosses]
        specs += list(self.extra_specs)
        for rule in self.thresholds.per_slice:
            specs += [SliceSpec(selector.columns) for selector in rule.selectors]
        for cross in self.thresholds.cross_slice:
            specs += [SliceSpec(cross.baseline.columns)]
            specs += [SliceSpec(selector.columns) for selector in cross.comparisons]
        unique: dict[frozenset[str], SliceSpec] = {}
        for spec in specs:
            key = frozenset(spec.columns)
            if key not in unique or (unique[key].only and not spec.only):
                unique[key] = spec
        return list(unique.values())

    def slice_columns(self) -> list[str]:
        """Every column some slice is cut by."""
        return list(dict.fromkeys(name for spec in self.specs() for name in spec.columns))


# ------------------------------------------------------------------------------ parsing


def _columns(value: object, *, source: str) -> tuple[str, ...]:
    return strings(value, source=source, what="column names", empty_items=False)


def _number(value: object, *, source: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise UsageError(f"{source}: expected a number, got {value!r}")
    return float(value)


def metric_name(name: object, *, source: str) -> str:
    """A known metric name, or a one-line error listing them."""
    if not isinstance(name, str) or name not in METRICS:
        raise UsageError(f"{source}: unknown metric {name!r}; metrics: {', '.join(METRICS)}")
    return name


def parse_metric_map(value: object, *, source: str, kind: str) -> dict[str, float]:
    """``{ auc = 0.8 }`` -> ``{"auc": 0.8}``, checked against the catalogue."""
    if not isinstance(value, dict):
        raise UsageError(f"{source}: expected a table of metric = number, e.g. {{ auc = 0.8 }}")
    parsed: dict[str, float] = {}
    for name, bound in value.items():
        where = f"{source}.{name}"
        metric = METRICS[metric_name(name, source=source)]
        number = _number(bound, source=where)
        if metric.name == "example_count" and kind != "value":
            raise UsageError(f"{where}: example_count can only have min and max bounds")
        if kind == "change" and not metric.gateable:
            raise UsageError(
                f"{where}: {metric.name} has no better direction, so it cannot get worse; "
                "bound it with min and max instead"
            )
        if kind == "gap" and number < 0:
            raise UsageError(f"{where}: a gap is a distance: expected a number >= 0")
        parsed[metric.name] = number
    return parsed


def parse_bounds(table: Mapping[str, Any], *, source: str) -> Bounds:
    """The ``min``, ``max``, ``max-drop`` and ``max-relative-drop`` keys of ``table``."""

    def read(key: str, kind: str) -> dict[str, float]:
        if key not in table:
            return {}
        return parse_metric_map(table[key], source=f"{source} {key}", kind=kind)

    return Bounds(
        min=read("min", "value"),
        max=read("max", "value"),
        max_drop=read("max-drop", "change"),
        max_relative_drop=read("max-relative-drop", "change"),
    )


def parse_selector(value: object, *, source: str) -> SliceSpec:
    """A slice selector: ``"sex"``, ``["a", "b"]``, ``{ sex = "Female" }``, ``"Overall"``.

    In a table, ``"*"`` means every value of that column: ``{ a = "*", sex = "Female" }``
    selects the slices of the cross of ``a`` and ``sex`` where sex is Female.
    """
    if value in ("Overall", {}):
        return SliceSpec()
    if isinstance(value, str):
        return SliceSpec((string(value, source=source),))
    if isinstance(value, list):
        columns = _columns(value, source=source)
        if not 1 <= len(columns) <= 2 or len(set(columns)) != len(columns):
            raise UsageError(f"{source}: a slice is one column or a cross of two")
        return SliceSpec(columns)
    if isinstance(value, dict):
        if not 1 <= len(value) <= 2:
            raise UsageError(f"{source}: a slice is one column or a cross of two")
        only: list[tuple[str, str]] = []
        for column, item in value.items():
            if isinstance(item, bool) or not isinstance(item, str | int | float):
                raise UsageError(f"{source}.{column}: expected the slice's value as text, or '*'")
            text = _value_text(item)
            if text != ANY_VALUE:
                only.append((str(column), text))
        return SliceSpec(tuple(str(column) for column in value), tuple(only))
    raise UsageError(f'{source}: expected a column, a list of two, or {{ column = "value" }}')


def _value_text(item: str | float) -> str:
    if isinstance(item, float) and item.is_integer():
        return str(int(item))
    return str(item)


def _selectors(
    table: Mapping[str, Any], single: str, many: str, *, source: str
) -> tuple[SliceSpec, ...]:
    if single in table and many in table:
        raise UsageError(f"{source}: give either {single} or {many}, not both")
    if single in table:
        return (parse_selector(table[single], source=f"{source}.{single}"),)
    if many in table:
        raw = table[many]
        if not isinstance(raw, list) or not raw:
            raise UsageError(f"{source}.{many}: expected a non-empty list of slices")
        return tuple(
            parse_selector(item, source=f"{source}.{many}[{index}]")
            for index, item in enumerate(raw, start=1)
        )
    raise UsageError(f"{source}: '{single}' is required (which slices the bounds apply to)")


def _array_of_tables(table: Mapping[str, Any], key: str, *, source: str) -> list[dict[str, Any]]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise UsageError(f"{source}: '{key}' must be an array of tables ([[...{key}]])")
    return value


def parse_thresholds(table: Mapping[str, Any], *, source: str) -> Thresholds:
    """The gate's keys of ``table``."""
    per_slice: list[SliceThreshold] = []
    for index, raw in enumerate(_array_of_tables(table, "slice-thresholds", source=source), 1):
        where = f"{source} slice-thresholds[{index}]"
        reject_unknown(raw, _SLICE_RULE_KEYS, source=where)
        bounds = parse_bounds(raw, source=where)
        if not bounds.count():
            raise UsageError(f"{where}: no bound (min, max, max-drop or max-relative-drop)")
        selectors = _selectors(raw, "slice", "slices", source=where)
        per_slice.append(SliceThreshold(selectors=selectors, bounds=bounds, source=where))
    cross_slice: list[CrossSliceThreshold] = []
    for index, raw in enumerate(
        _array_of_tables(table, "cross-slice-thresholds", source=source), 1
    ):
        where = f"{source} cross-slice-thresholds[{index}]"
        reject_unknown(raw, _CROSS_RULE_KEYS, source=where)
        if "baseline" not in raw:
            raise UsageError(f"{where}: 'baseline' is required (the slice compared against)")
        rule = CrossSliceThreshold(
            baseline=parse_selector(raw["baseline"], source=f"{where}.baseline"),
            comparisons=_selectors(raw, "comparison", "comparisons", source=where),
            min=(
                parse_metric_map(raw["min"], source=f"{where} min", kind="gap-value")
                if "min" in raw
                else {}
            ),
            max=(
                parse_metric_map(raw["max"], source=f"{where} max", kind="gap-value")
                if "max" in raw
                else {}
            ),
            max_gap=(
                parse_metric_map(raw["max-gap"], source=f"{where} max-gap", kind="gap")
                if "max-gap" in raw
                else {}
            ),
            source=where,
        )
        if not rule.metric_names():
            raise UsageError(f"{where}: no bound (min, max or max-gap)")
        cross_slice.append(rule)
    max_gap = (
        parse_metric_map(table["max-gap"], source=f"{source} max-gap", kind="gap")
        if "max-gap" in table
        else {}
    )
    return Thresholds(
        bounds=parse_bounds(table, source=source),
        max_gap=max_gap,
        per_slice=tuple(per_slice),
        cross_slice=tuple(cross_slice),
    )


def parse_task(value: object, *, source: str) -> Task | None:
    """``binary``, ``multiclass``, ``regression`` (``auto`` or absent: detect)."""
    if value is None or value == "auto":
        return None
    for task in TASKS:
        if value == task:
            return task
    raise UsageError(f"{source}: expected one of auto, {', '.join(TASKS)}")


def parse_crosses(value: object, *, source: str) -> tuple[tuple[str, str], ...]:
    """``[["a", "b"], "c,d"]`` -> pairs of column names."""
    if not isinstance(value, list):
        raise UsageError(f'{source}: expected a list of pairs, e.g. [["marital-status", "sex"]]')
    pairs: list[tuple[str, str]] = []
    for index, item in enumerate(value, start=1):
        names = _columns(item, source=f"{source}[{index}]")
        if len(names) != 2 or names[0] == names[1]:
            raise UsageError(f"{source}[{index}]: a cross names two different columns")
        pairs.append((names[0], names[1]))
    return tuple(pairs)


def parse_model_target(value: object, *, source: str) -> str:
    """``package.module:function``."""
    text = string(value, source=source)
    module, sep, function = text.partition(":")
    if not sep or not module or not function.isidentifier():
        raise UsageError(f"{source}: expected module:function, e.g. mypackage.model:predict")
    if not all(part.isidentifier() for part in module.split(".")):
        raise UsageError(f"{source}: {module!r} is not a module name")
    return text


def _optional_string(table: Mapping[str, Any], key: str, *, source: str) -> str | None:
    return string(table[key], source=f"{source} {key}") if key in table else None


def _positive_int(value: object, *, source: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise UsageError(f"{source}: expected an integer >= {minimum}")
    return value


def parse_threshold(value: object, *, source: str) -> float:
    """The classification threshold: a number from 0 to 1."""
    number = _number(value, source=source)
    if not 0.0 <= number <= 1.0:
        raise UsageError(f"{source}: expected a number from 0 to 1, got {value}")
    return number


def parse_model_settings(table: object, *, root: Path, source: str) -> ModelSettings:
    """Validate the raw ``[tool.research-ci.model]`` table; paths stay relative to ``root``."""
    if not isinstance(table, dict):
        raise UsageError(f"{source}: expected a table")
    reject_unknown(table, _TOP_KEYS, source=source)
    strings: dict[str, Any] = {
        key.replace("-", "_"): _optional_string(table, key, source=source)
        for key in (
            "predictions",
            "data",
            "python",
            "baseline",
            "baseline-prediction",
            "label",
            "prediction",
            "eval-config",
        )
    }
    if "positive" in table:
        positive = table["positive"]
        if isinstance(positive, bool) or not isinstance(positive, str | int | float):
            raise UsageError(f"{source} positive: expected the positive label value")
        strings["positive"] = _value_text(positive)
    model = (
        parse_model_target(table["model"], source=f"{source} model") if "model" in table else None
    )
    baseline_model = (
        parse_model_target(table["baseline-model"], source=f"{source} baseline-model")
        if "baseline-model" in table
        else None
    )
    html = table.get("html", True)
    if not isinstance(html, bool):
        raise UsageError(f"{source} html: expected true or false")
    settings = ModelSettings(
        root=root,
        model=model,
        baseline_model=baseline_model,
        task=parse_task(table.get("task"), source=f"{source} task"),
        threshold=parse_threshold(
            table.get("threshold", DEFAULT_THRESHOLD), source=f"{source} threshold"
        ),
        slices=_columns(table.get("slices", []), source=f"{source} slices"),
        crosses=parse_crosses(table.get("crosses", []), source=f"{source} crosses"),
        min_slice_size=_positive_int(
            table.get("min-slice-size", DEFAULT_MIN_SLICE_SIZE),
            source=f"{source} min-slice-size",
            minimum=1,
        ),
        buckets=_positive_int(
            table.get("buckets", DEFAULT_BUCKETS), source=f"{source} buckets", minimum=2
        ),
        flip=_columns(table["flip"], source=f"{source} flip") if "flip" in table else None,
        html=html,
        dialect=parse_dialect(table, base=Dialect(), source=source),
        thresholds=parse_thresholds(table, source=source),
        **strings,
    )
    check_consistency(settings, source=source)
    return settings


def check_consistency(settings: ModelSettings, *, source: str) -> None:
    """Refuse combinations that cannot work, before any file is read."""
    if settings.predictions and settings.data:
        raise UsageError(f"{source}: give either predictions or data (with model), not both")
    if settings.data and not settings.model:
        raise UsageError(f"{source}: data needs a model (module:function) to make predictions")
    if settings.model and not settings.data:
        raise UsageError(f"{source}: model needs data (the table the model scores)")
    baselines = [
        key
        for key, value in (
            ("baseline", settings.baseline),
            ("baseline-prediction", settings.baseline_prediction),
            ("baseline-model", settings.baseline_model),
        )
        if value
    ]
    if len(baselines) > 1:
        raise UsageError(f"{source}: give one of {', '.join(baselines)}, not several")
    if settings.baseline_model and not settings.model:
        raise UsageError(f"{source}: baseline-model needs data and model")


def read_pyproject_table(pyproject: Path) -> dict[str, Any]:
    """The raw ``[tool.research-ci.model]`` table of a pyproject.toml (``{}`` when absent)."""
    document = read_toml(pyproject, missing=f"config file not found: {pyproject}")
    table = tool_table(document, "research-ci", file=str(pyproject)).get("model", {})
    return table if isinstance(table, dict) else {"": table}


def load_model_settings(pyproject: Path) -> ModelSettings:
    """Read ``[tool.research-ci.model]`` from a pyproject.toml (empty settings when absent)."""
    source = f"{pyproject} [tool.research-ci.model]"
    table = read_pyproject_table(pyproject)
    if "" in table:
        raise UsageError(f"{source}: expected a table")
    return parse_model_settings(table, root=pyproject.parent.resolve(), source=source)


def selector_text(spec: SliceSpec) -> str:
    """A selector for messages: ``sex``, ``sex = Female``, ``Overall``."""
    if not spec.columns:
        return "Overall"
    values = dict(spec.only)
    return ", ".join(
        f"{column} = {values[column]}" if column in values else column for column in spec.columns
    )


def selects(selector: SliceSpec, values: SliceValues) -> bool:
    """True when the slice with ``values`` is one of the slices ``selector`` names."""
    if {column for column, _ in values} != set(selector.columns):
        return False
    return all(pair in values for pair in selector.only)
