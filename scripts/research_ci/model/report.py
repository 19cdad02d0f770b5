"""What a model analysis found, as plain data: slices, metrics, gaps, gate failures.

Pure Python, so that the engine's ``research-ci check`` can read the JSON that
``research-ci model analyze --report`` writes (``model_report_version`` 1) and fold it into
the quality report. Numbers that do not exist (AUC in a slice with one class) are ``null``.
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from typing import Any

from research_ci import __version__
from research_ci.errors import UsageError
from research_ci.jsonfile import read_json
from research_ci.model.specs import SliceValues, slice_key
from research_ci.records import FlatRecord

MODEL_REPORT_VERSION = 1


def _number(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return float(value)


@dataclasses.dataclass(frozen=True, kw_only=True)
class Value:
    """One metric of one slice: the estimate, its interval, and the change from the baseline."""

    value: float | None
    lower: float | None = None
    upper: float | None = None
    baseline: float | None = None
    change: float | None = None
    change_lower: float | None = None
    change_upper: float | None = None

    def to_dict(self) -> dict[str, float | None]:
        """JSON form (the change fields only when there is a baseline)."""
        data = {"value": self.value, "lower": self.lower, "upper": self.upper}
        if self.baseline is not None or self.change is not None:
            data |= {
                "baseline": self.baseline,
                "change": self.change,
                "change_lower": self.change_lower,
                "change_upper": self.change_upper,
            }
        return {key: _number(value) for key, value in data.items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Value:
        """Inverse of :meth:`to_dict`."""
        return cls(**{field.name: data.get(field.name) for field in dataclasses.fields(cls)})


@dataclasses.dataclass(frozen=True, kw_only=True)
class SliceResult:
    """The metrics of one slice; ``gated`` is False for slices under the minimum size."""

    feature: str
    values: SliceValues
    count: int
    gated: bool
    metrics: dict[str, Value]
    baseline_count: int | None = None

    @property
    def key(self) -> str:
        """``Overall`` or ``sex = Female``."""
        return slice_key(self.values)

    def value(self, metric: str) -> float | None:
        """The metric's estimate (``None`` when undefined or not computed)."""
        item = self.metrics.get(metric)
        return None if item is None else _number(item.value)

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "key": self.key,
            "feature": self.feature,
            "values": [list(pair) for pair in self.values],
            "count": self.count,
            "baseline_count": self.baseline_count,
            "gated": self.gated,
            "metrics": {name: value.to_dict() for name, value in self.metrics.items()},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SliceResult:
        """Inverse of :meth:`to_dict`."""
        return cls(
            feature=str(data["feature"]),
            values=tuple((str(column), str(value)) for column, value in data["values"]),
            count=int(data["count"]),
            baseline_count=data.get("baseline_count"),
            gated=bool(data["gated"]),
            metrics={name: Value.from_dict(item) for name, item in data["metrics"].items()},
        )


@dataclasses.dataclass(frozen=True, kw_only=True)
class Failure(FlatRecord):
    """One threshold that a slice (or a pair of slices) does not meet.

    ``value`` is what the rule measures, in the bound's units: the metric for ``min`` and
    ``max``, the loss against the baseline for ``max-drop`` (relative for
    ``max-relative-drop``), the gap for ``max-gap``, the difference for cross-slice rules.
    """

    rule: str
    metric: str
    slice: str
    value: float
    bound: float
    message: str
    other: str | None = None
    source: str = ""


@dataclasses.dataclass(frozen=True, kw_only=True)
class Gap(FlatRecord):
    """The largest gap of one metric between two gated slices of one slice feature."""

    feature: str
    metric: str
    high: str
    low: str
    gap: float
    significant: bool
    bound: float | None = None

    @property
    def exceeded(self) -> bool:
        """True when the gap is real (intervals apart) and over its bound."""
        return self.bound is not None and self.significant and self.gap > self.bound

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {**dataclasses.asdict(self), "exceeded": self.exceeded}


@dataclasses.dataclass(kw_only=True)
class ModelReport:
    """The whole analysis: inputs, slices with metrics, gaps and the gate's verdict."""

    task: str
    label: str
    prediction: str
    positive: str | None
    threshold: float | None
    min_slice_size: int
    rows: int
    source: str
    baseline: str | None
    baseline_rows: int | None
    metrics: list[str]
    intervals: dict[str, str]
    slices: list[SliceResult]
    gaps: list[Gap]
    failures: list[Failure]
    rules: int
    notes: list[str] = dataclasses.field(default_factory=list)
    flips: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    seconds: dict[str, float] = dataclasses.field(default_factory=dict)
    tool_version: str = __version__

    @property
    def passed(self) -> bool:
        """True when no threshold failed."""
        return not self.failures

    @property
    def small_slices(self) -> int:
        """Slices under the minimum size (shown, never gated)."""
        return sum(1 for item in self.slices if not item.gated)

    def features(self) -> list[str]:
        """Slice features in report order (``Overall`` first)."""
        return list(dict.fromkeys(item.feature for item in self.slices))

    def slices_of(self, feature: str) -> list[SliceResult]:
        """The slices of one feature."""
        return [item for item in self.slices if item.feature == feature]

    def summary(self) -> str:
        """One line: task, rows, slices, verdict."""
        small = self.small_slices
        under = f", {small} under {self.min_slice_size} rows not gated" if small else ""
        verdict = (
            f"gate failed: {len(self.failures)} failures ({self.rules} rules)"
            if self.failures
            else f"gate passed ({self.rules} rules)" if self.rules else "no thresholds set"
        )
        return f"{self.task}, {self.rows:,} rows, {len(self.slices)} slices{under}; {verdict}"

    def to_dict(self) -> dict[str, Any]:
        """The JSON document."""
        return {
            "model_report_version": MODEL_REPORT_VERSION,
            "tool": {"name": "research-ci", "version": self.tool_version},
            "task": self.task,
            "label": self.label,
            "prediction": self.prediction,
            "positive": self.positive,
            "threshold": self.threshold,
            "min_slice_size": self.min_slice_size,
            "confidence": 0.95,
            "source": self.source,
            "rows": self.rows,
            "baseline": self.baseline,
            "baseline_rows": self.baseline_rows,
            "metrics": list(self.metrics),
            "intervals": dict(self.intervals),
            "slices": [item.to_dict() for item in self.slices],
            "gaps": [gap.to_dict() for gap in self.gaps],
            "gate": {
                "passed": self.passed,
                "rules": self.rules,
                "failures": [failure.to_dict() for failure in self.failures],
                "notes": list(self.notes),
            },
            "flips": list(self.flips),
            "seconds": {key: round(value, 3) for key, value in self.seconds.items()},
        }

    def to_json(self) -> str:
        """Pretty, stable JSON with a trailing newline."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelReport:
        """Inverse of :meth:`to_dict` (the JSON written by ``model analyze --report``)."""
        gate = data["gate"]
        return cls(
            task=str(data["task"]),
            label=str(data["label"]),
            prediction=str(data["prediction"]),
            positive=data.get("positive"),
            threshold=data.get("threshold"),
            min_slice_size=int(data["min_slice_size"]),
            rows=int(data["rows"]),
            source=str(data["source"]),
            baseline=data.get("baseline"),
            baseline_rows=data.get("baseline_rows"),
            metrics=list(data["metrics"]),
            intervals=dict(data["intervals"]),
            slices=[SliceResult.from_dict(item) for item in data["slices"]],
            gaps=[Gap.from_dict(item) for item in data["gaps"]],
            failures=[Failure.from_dict(item) for item in gate["failures"]],
            rules=int(gate["rules"]),
            notes=list(gate.get("notes", [])),
            flips=list(data.get("flips", [])),
            seconds=dict(data.get("seconds", {})),
            tool_version=str(data["tool"]["version"]),
        )


def load_model_report(path: Path) -> ModelReport:
    """Read a model report; every problem is a one-line :class:`UsageError`."""
    data = read_json(path, what="model report")
    version = data.get("model_report_version") if isinstance(data, dict) else None
    if version != MODEL_REPORT_VERSION:
        raise UsageError(f"{path}: not a model report of version {MODEL_REPORT_VERSION}")
    try:
        return ModelReport.from_dict(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise UsageError(f"{path}: malformed model report: {exc}") from exc
