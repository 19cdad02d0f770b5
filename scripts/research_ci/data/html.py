"""A self-contained HTML report that renders offline: tables and inline SVG plots.

TFDV's own ``get_statistics_html`` loads Facets from a CDN at view time, so it shows nothing
in a locked-down artifact viewer. This report has no external resource: CSS inline, one SVG
plot (matplotlib) per drifted or skewed feature comparing the two distributions (category
frequencies for categorical features, the standard histogram for numeric ones), the anomaly
table, every drift and skew measure against its threshold, and a per-feature summary.
"""

from __future__ import annotations

import importlib
import io
import math
from typing import Any

from research_ci.data.results import DataResult, Measurement, template_environment

#: Most plots in one report (the most over-threshold features first).
MAX_PLOTS = 40
_TOP_CATEGORIES = 15


def _feature(dataset: Any | None, name: str) -> Any | None:
    if dataset is None:
        return None
    for feature in dataset.features:
        path = ".".join(feature.path.step) if feature.path.step else feature.name
        if path == name:
            return feature
    return None


def _categories(feature: Any) -> dict[str, float]:
    stats = feature.string_stats
    total = max(float(stats.common_stats.num_non_missing), 1.0)
    buckets = stats.rank_histogram.buckets or []
    if buckets:
        return {bucket.label: bucket.sample_count / total for bucket in buckets}
    return {item.value: item.frequency / total for item in stats.top_values}


def _histogram(feature: Any) -> tuple[list[float], list[float]] | None:
    stats = feature.num_stats
    for histogram in stats.histograms:
        if histogram.type == histogram.STANDARD and histogram.buckets:
            total = sum(bucket.sample_count for bucket in histogram.buckets) or 1.0
            edges = [histogram.buckets[0].low_value]
            edges += [bucket.high_value for bucket in histogram.buckets]
            values = [bucket.sample_count / total for bucket in histogram.buckets]
            if all(math.isfinite(edge) for edge in edges):
                return edges, values
    return None


def _quantiles(feature: Any) -> list[float] | None:
    for histogram in feature.num_stats.histograms:
        if histogram.type == histogram.QUANTILES and histogram.buckets:
            points = [histogram.buckets[0].low_value]
            points += [bucket.high_value for bucket in histogram.buckets]
            if all(math.isfinite(point) for point in points):
                return points
    return None


def _plot_quantiles(axes: Any, left: Any, right: Any, labels: tuple[str, str], name: str) -> None:
    """Cumulative distributions from the deciles (robust to outliers, unlike the histogram)."""
    inner: list[float] = []
    for stats, label, color in ((left, labels[0], "#4c72b0"), (right, labels[1], "#dd8452")):
        points = _quantiles(stats) if stats is not None else None
        if points is None:
            continue
        fractions = [index / (len(points) - 1) for index in range(len(points))]
        axes.plot(points, fractions, marker="o", markersize=3, label=label, color=color)
        inner += points[1:-1]
    if inner:
        low, high = min(inner), max(inner)
        margin = (high - low) * 0.15 or 1.0
        axes.set_xlim(low - margin, high + margin)
    axes.set_ylabel("cumulative fraction")
    axes.set_xlabel(f"{name} (deciles, tails clipped)")
    axes.legend(fontsize=8)


def plot_svg(name: str, left: Any, right: Any, labels: tuple[str, str], title: str) -> str:
    """One SVG comparing the feature's distribution in two datasets."""
    mpl = importlib.import_module("matplotlib")
    mpl.use("Agg")
    mpl.rcParams["svg.fonttype"] = "none"
    mpl.rcParams["svg.hashsalt"] = "research-ci"
    plt = importlib.import_module("matplotlib.pyplot")

    kind = left.WhichOneof("stats") if left is not None else None
    categorical = kind in ("string_stats", "bytes_stats") or (
        right is not None and right.WhichOneof("stats") == "string_stats"
    )
    if categorical:
        figure, axes = plt.subplots(figsize=(7.0, 3.2), dpi=96)
    else:
        figure, (axes, cdf_axes) = plt.subplots(1, 2, figsize=(9.0, 3.2), dpi=96)
        _plot_quantiles(cdf_axes, left, right, labels, name)
    if categorical:
        first = _categories(left) if left is not None else {}
        second = _categories(right) if right is not None else {}
        order = sorted(
            set(first) | set(second), key=lambda key: -(first.get(key, 0) + second.get(key, 0))
        )[:_TOP_CATEGORIES]
        positions = range(len(order))
        axes.barh(
            [p - 0.2 for p in positions],
            [first.get(k, 0) for k in order],
            0.4,
            label=labels[0],
            color="#4c72b0",
        )
        axes.barh(
            [p + 0.2 for p in positions],
            [second.get(k, 0) for k in order],
            0.4,
            label=labels[1],
            color="#dd8452",
        )
        axes.set_yticks(list(positions), [k[:30] for k in order], fontsize=8)
        axes.invert_yaxis()
        axes.set_xlabel("fraction of non-missing values")
    else:
        for stats, label, color in ((left, labels[0], "#4c72b0"), (right, labels[1], "#dd8452")):
            histogram = _histogram(stats) if stats is not None else None
            if histogram is not None:
                edges, values = histogram
                axes.stairs(values, edges, label=label, color=color, fill=True, alpha=0.45)
        axes.set_ylabel("fraction of values")
        axes.set_xlabel(f"{name} (histogram compared by TFDV)")
    figure.suptitle(title, fontsize=10)
    axes.legend(fontsize=8)
    figure.tight_layout()
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    plt.close(figure)
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def _plots(
    result: DataResult, current: Any | None, previous: Any | None, training: Any | None
) -> list[dict[str, str]]:
    wanted: list[tuple[Measurement, Any, Any, tuple[str, str], str]] = [
        (item, previous, current, ("previous", "current"), "drift")
        for item in result.drift
        if item.exceeded
    ]
    wanted.extend(
        (item, training, current, ("training", "serving"), "skew")
        for item in result.skew
        if item.exceeded and item.measure != "mismatch_fraction"
    )
    wanted.sort(key=lambda entry: -(entry[0].value - entry[0].threshold))
    plots = []
    for item, left_data, right_data, labels, kind in wanted[:MAX_PLOTS]:
        left, right = _feature(left_data, item.feature), _feature(right_data, item.feature)
        if left is None and right is None:
            continue
        title = (
            f"{kind} of {item.feature}: {item.measure} {item.value:.4g} "
            f"> threshold {item.threshold:.4g}"
        )
        plots.append(
            {
                "feature": item.feature,
                "kind": kind,
                "title": title,
                "svg": plot_svg(item.feature, left, right, labels, title),
            }
        )
    return plots


def feature_rows(dataset: Any | None) -> list[dict[str, str]]:
    """A one-line summary per feature: type, missing, range or top value."""
    if dataset is None:
        return []
    rows = []
    total = max(int(dataset.num_examples), 1)
    for feature in dataset.features:
        name = ".".join(feature.path.step) if feature.path.step else feature.name
        kind = feature.WhichOneof("stats") or ""
        type_name = (
            feature.DESCRIPTOR.fields_by_name["type"].enum_type.values_by_number[feature.type].name
        )
        if kind == "num_stats":
            stats = feature.num_stats
            common = stats.common_stats
            summary = (
                f"mean {stats.mean:.4g}, sd {stats.std_dev:.4g}, min {stats.min:.4g}, "
                f"median {stats.median:.4g}, max {stats.max:.4g}"
            )
        elif kind == "string_stats":
            stats = feature.string_stats
            common = stats.common_stats
            top = stats.top_values[0].value if stats.top_values else ""
            summary = f"{stats.unique} unique, top {top[:40]!r}"
        else:
            common = None
            summary = ""
        missing = total - int(common.num_non_missing) if common is not None else total
        rows.append(
            {
                "name": name,
                "type": type_name,
                "missing": f"{100.0 * missing / total:.1f}%",
                "summary": summary,
            }
        )
    return rows


def render_report(
    result: DataResult,
    *,
    current: Any | None = None,
    previous: Any | None = None,
    training: Any | None = None,
) -> str:
    """The HTML page of one validation (or feature-skew) result."""
    return (
        template_environment()
        .get_template("report.html.j2")
        .render(
            result=result,
            plots=_plots(result, current, previous, training),
            features=feature_rows(current),
        )
    )
