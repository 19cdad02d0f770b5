"""A self-contained HTML report that renders offline: every feature on one page.

Like Facets Overview or Evidently's data drift report, every feature gets a row: its
distribution in each dataset overlaid (numeric: a histogram of the bulk - 1st to 99th
percentile - from the quantile sketches, with the place of the largest Kolmogorov-Smirnov
gap marked; categorical: the top values with their shares), missing and zero shares, min /
mean / max or distinct values, and its verdict (anomaly, drift or skew, ok) highlighted.
Features with anomalies or over a threshold come first; a filter box and sort buttons (a few
lines of inline JavaScript) keep a 100-feature dataset navigable, and the page still reads
without JavaScript.

There is no external resource: CSS and script inline, plots as inline SVG that the template
draws from the few numbers computed here (under 1 KB per feature; matplotlib's SVGs were
20-60 KB each and took ~0.2 s apiece). Everything that comes from the data - feature names,
category values, descriptions - is escaped by the template (autoescape), never markup;
element ids are numbers, not names.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math
from collections.abc import Sequence
from typing import Any

from research_ci.data import drift
from research_ci.data.results import Anomaly, DataResult, Measurement
from research_ci.data.results import template_environment as _templates
from research_ci.data.schemas import feature_name

#: The colours of the datasets, reference first (blue, orange, green), in plots and keys.
COLORS = ("#4c72b0", "#dd8452", "#55a868")
#: Categories shown per feature (the most frequent in any dataset).
TOP_CATEGORIES = 6
#: Histogram buckets between the 1st and 99th percentiles.
BUCKETS = 24
#: Numeric features with at most this many distinct values are drawn as bars per value.
DISCRETE_VALUES = 25
#: The SVG's coordinates (it stretches to the width of its column; no text inside it).
PLOT_WIDTH, PLOT_HEIGHT = 240.0, 56.0


@dataclasses.dataclass(frozen=True)
class Span:
    """One dataset's view of a feature (``present`` False: the dataset lacks it)."""

    label: str
    color: str
    present: bool
    rows: int = 0
    missing: float = 0.0
    numeric: bool = False
    zeros: float | None = None
    minimum: float | None = None
    mean: float | None = None
    maximum: float | None = None
    unique: int | None = None
    top: tuple[tuple[str, float], ...] = ()
    cdf: drift.Cdf | None = None


@dataclasses.dataclass
class FeatureRow:
    """Everything the page shows about one feature."""

    index: int
    name: str
    type: str
    spans: list[Span]
    anomalies: list[Anomaly]
    measures: list[tuple[str, Measurement]]
    plot: NumericPlot | None = None
    categories: list[dict[str, Any]] = dataclasses.field(default_factory=list)

    @property
    def verdict(self) -> str:
        """``anomaly``, ``drift``, ``skew`` or ``ok`` (the most serious first)."""
        if any(not _is_comparator(item.kind) for item in self.anomalies):
            return "anomaly"
        for kind, measurement in self.measures:
            if measurement.exceeded:
                return kind
        return "ok"

    @property
    def largest(self) -> float:
        """The largest measure relative to its threshold (for sorting)."""
        ratios = [item.value / item.threshold for _, item in self.measures if item.threshold > 0]
        return max(ratios, default=0.0)

    @property
    def missing(self) -> float:
        """The largest missing share of any dataset."""
        return max((span.missing for span in self.spans if span.present), default=0.0)


def _is_comparator(kind: str) -> bool:
    return kind.removeprefix("SKEW_").startswith("COMPARATOR_")


def _type_name(feature: Any) -> str:
    field = feature.DESCRIPTOR.fields_by_name["type"]
    return str(field.enum_type.values_by_number[feature.type].name)


def _span(label: str, color: str, dataset: Any, feature: Any | None) -> Span:
    if feature is None:
        return Span(label=label, color=color, present=False)
    rows = max(int(dataset.num_examples), 1)
    found = functools.partial(
        Span, label=label, color=color, present=True, rows=int(dataset.num_examples)
    )
    kind = feature.WhichOneof("stats")
    if kind == "num_stats":
        stats = feature.num_stats
        present = int(stats.common_stats.num_non_missing)
        values = max(int(stats.common_stats.tot_num_values), 1)
        return found(
            missing=1 - present / rows,
            numeric=True,
            zeros=int(stats.num_zeros) / values if present else None,
            minimum=stats.min if present else None,
            mean=stats.mean if present else None,
            maximum=stats.max if present else None,
            cdf=drift.feature_cdf(feature),
        )
    if kind in ("string_stats", "bytes_stats"):
        stats = getattr(feature, kind)
        present = int(stats.common_stats.num_non_missing)
        total = max(float(stats.common_stats.tot_num_values), 1.0)
        buckets = [(item.label, item.sample_count) for item in stats.rank_histogram.buckets]
        if not buckets and kind == "string_stats":
            buckets = [(item.value, item.frequency) for item in stats.top_values]
        return found(
            missing=1 - present / rows,
            unique=int(getattr(stats, "unique", 0)),
            top=tuple((str(value), count / total) for value, count in buckets),
        )
    return found()


# ---------------------------------------------------------------------------------- plots


@dataclasses.dataclass(frozen=True)
class NumericPlot:
    """What the template draws as an inline SVG, and the values at its left and right edges.

    ``marker``: the x of the largest gap between the cumulative distributions, and whether
    it is over the threshold.
    """

    title: str
    series: tuple[Series, ...]
    marker: tuple[str, bool] | None
    low: str
    high: str


def _bulk_range(cdfs: Sequence[drift.Cdf]) -> tuple[float, float]:
    low = min(cdf.quantile(0.01) for cdf in cdfs)
    high = max(cdf.quantile(0.99) for cdf in cdfs)
    if high <= low:
        low = min(cdf.values[0] for cdf in cdfs)
        high = max(cdf.values[-1] for cdf in cdfs)
    return low, high


def _shares(cdf: drift.Cdf, edges: Sequence[float]) -> list[float]:
    shares = []
    for index, (low, high) in enumerate(itertools.pairwise(edges)):
        start = cdf.share_below(low) if index == 0 else cdf.share_at(low)
        shares.append(max(cdf.share_at(high) - start, 0.0))
    return shares


def _number(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


@dataclasses.dataclass(frozen=True)
class Series:
    """One dataset in a plot: an outline (``points``) or bars (``x, y, width, height``)."""

    color: str
    points: str = ""
    bars: tuple[tuple[str, str, str, str], ...] = ()


def _bars(
    drawn: Sequence[Span], cdfs: Sequence[drift.Cdf], distinct: Sequence[float]
) -> list[Series]:
    """Side-by-side bars, one per distinct value, for features with few values."""
    width = PLOT_WIDTH / len(distinct)
    masses = [[cdf.share_at(value) - cdf.share_below(value) for value in distinct] for cdf in cdfs]
    top = max((mass for row in masses for mass in row), default=0.0) or 1.0
    bar = width * 0.8 / len(drawn)
    series = []
    for number, (span, row) in enumerate(zip(drawn, masses, strict=True)):
        bars = []
        for position, mass in enumerate(row):
            height = PLOT_HEIGHT * mass / top
            x = position * width + width * 0.1 + number * bar
            bars.append((_number(x), _number(PLOT_HEIGHT - height), _number(bar), _number(height)))
        series.append(Series(color=span.color, bars=tuple(bars)))
    return series


def _outlines(
    drawn: Sequence[Span], cdfs: Sequence[drift.Cdf], low: float, high: float
) -> list[Series]:
    """Overlaid histogram outlines between ``low`` and ``high``."""
    edges = [low + (high - low) * step / BUCKETS for step in range(BUCKETS + 1)]
    rows = [_shares(cdf, edges) for cdf in cdfs]
    top = max((share for row in rows for share in row), default=0.0) or 1.0
    step = PLOT_WIDTH / BUCKETS
    series = []
    for span, row in zip(drawn, rows, strict=True):
        points = [f"0,{PLOT_HEIGHT:g}"]
        for position, share in enumerate(row):
            y = _number(PLOT_HEIGHT - PLOT_HEIGHT * share / top)
            points.append(f"{_number(position * step)},{y} {_number((position + 1) * step)},{y}")
        points.append(f"{PLOT_WIDTH:g},{PLOT_HEIGHT:g}")
        series.append(Series(color=span.color, points=" ".join(points)))
    return series


def numeric_plot(
    name: str, spans: Sequence[Span], marker: tuple[float, bool] | None = None
) -> NumericPlot | None:
    """Overlaid histograms of the bulk of each dataset (bars per value when few values).

    ``marker`` is where the cumulative distributions differ most, and whether that is over
    the threshold (drawn red, else grey).
    """
    drawn = [span for span in spans if span.cdf is not None]
    cdfs = [span.cdf for span in drawn if span.cdf is not None]
    if not cdfs:
        return None
    distinct = sorted({value for cdf in cdfs for value in cdf.values})
    position = None
    if len(distinct) <= DISCRETE_VALUES:
        low, high = distinct[0], distinct[-1]
        series = _bars(drawn, cdfs, distinct)
    else:
        low, high = _bulk_range(cdfs)
        series = _outlines(drawn, cdfs, low, high)
        if marker is not None and low <= marker[0] <= high and high > low:
            position = (_number(PLOT_WIDTH * (marker[0] - low) / (high - low)), marker[1])
    return NumericPlot(
        title=f"distribution of {name} in {', '.join(span.label for span in drawn)}",
        series=tuple(series),
        marker=position,
        low=_short(low),
        high=_short(high),
    )


def _short(value: float) -> str:
    if not math.isfinite(value):
        return str(value)
    if value != 0 and (abs(value) >= 1e6 or abs(value) < 1e-3):
        return f"{value:.3g}"
    return f"{value:,.4g}"


def categories(spans: Sequence[Span]) -> list[dict[str, Any]]:
    """The most frequent categories of any dataset, with each dataset's share."""
    shares = [dict(span.top) for span in spans]
    keys = {key for row in shares for key in row}
    order = sorted(keys, key=lambda key: (-max(row.get(key, 0.0) for row in shares), key))
    return [
        {
            "value": key,
            "shares": [
                {"color": span.color, "label": span.label, "share": row.get(key, 0.0)}
                for span, row in zip(spans, shares, strict=True)
                if span.present
            ],
        }
        for key in order[:TOP_CATEGORIES]
    ]


# ---------------------------------------------------------------------------------- rows


def _datasets(
    current: Any | None, previous: Any | None, training: Any | None
) -> list[tuple[str, Any]]:
    """The datasets in the order of their colours: references first, then the data."""
    found = [("previous", previous), ("training", training)]
    named = [(label, dataset) for label, dataset in found if dataset is not None]
    if current is not None:
        named.append(
            ("serving" if training is not None and previous is None else "current", current)
        )
    return named


def feature_rows(
    result: DataResult,
    *,
    current: Any | None = None,
    previous: Any | None = None,
    training: Any | None = None,
) -> list[FeatureRow]:
    """One row per feature of any dataset, anomalies and over-threshold features first."""
    datasets = _datasets(current, previous, training)
    by_name: list[dict[str, Any]] = [
        {feature_name(feature): feature for feature in dataset.features} for _, dataset in datasets
    ]
    names = list(dict.fromkeys(name for features in by_name for name in features))
    measures: dict[str, list[tuple[str, Measurement]]] = {}
    for kind, items in (("drift", result.drift), ("skew", result.skew)):
        for item in items:
            measures.setdefault(item.feature, []).append((kind, item))
    rows = []
    for index, name in enumerate(names):
        spans = [
            _span(label, COLORS[number % len(COLORS)], dataset, features.get(name))
            for number, ((label, dataset), features) in enumerate(
                zip(datasets, by_name, strict=True)
            )
        ]
        sample = next(features[name] for features in by_name if name in features)
        row = FeatureRow(
            index=index,
            name=name,
            type=_type_name(sample),
            spans=spans,
            anomalies=[item for item in result.anomalies if item.feature == name],
            measures=measures.get(name, []),
        )
        if any(span.numeric for span in spans):
            row.plot = numeric_plot(name, spans, _ks_marker(row))
        else:
            row.categories = categories(spans)
        rows.append(row)
    rows.sort(key=lambda row: (row.verdict == "ok", -row.largest, row.name))
    return rows


def _ks_marker(row: FeatureRow) -> tuple[float, bool] | None:
    """Where the datasets' cumulative distributions are furthest apart, and if it is drift."""
    cdfs = [span.cdf for span in row.spans if span.cdf is not None]
    if len(cdfs) < 2:
        return None
    exceeded = any(item.exceeded for _, item in row.measures)
    return drift.ks_distance(cdfs[0], cdfs[-1]).x, exceeded


def render_report(
    result: DataResult,
    *,
    current: Any | None = None,
    previous: Any | None = None,
    training: Any | None = None,
) -> str:
    """The HTML page of one validation (or feature-skew) result."""
    rows = feature_rows(result, current=current, previous=previous, training=training)
    return (
        _templates()
        .get_template("report.html.j2")
        .render(
            result=result,
            features=rows,
            legend=[
                (label, COLORS[number % len(COLORS)])
                for number, (label, _) in enumerate(_datasets(current, previous, training))
            ],
            plot_width=f"{PLOT_WIDTH:g}",
            plot_height=f"{PLOT_HEIGHT:g}",
            anchors={row.name: f"f{row.index}" for row in rows},
        )
    )
