"""A self-contained HTML report that renders offline: tables and inline SVG plots.

TFDV's own ``get_statistics_html`` loads Facets from a CDN at view time, so it shows nothing
in a locked-down artifact viewer. This report has no external resource: CSS inline, one SVG
plot (matplotlib) per drifted or skewed feature comparing the two distributions (category
frequencies for categorical features; for numeric ones the standard histogram as densities
beside the cumulative distribution of the deciles), the anomaly table, every drift and skew
measure against its threshold, and a per-feature summary. The tables fit a phone's width.
"""

from __future__ import annotations

import html
import importlib
import io
import math
import re
from typing import Any

from research_ci.data.results import DataResult, Measurement, template_environment

#: Most plots in one report (the most over-threshold features first).
MAX_PLOTS = 40
_TOP_CATEGORIES = 15
#: Share of the values in each tail a histogram may leave out of view (far outliers).
_TAIL_SHARE = 0.005
#: Longer category names are cut to this many characters, ending in an ellipsis.
_LABEL_CHARS = 32
#: The colors of the two datasets (the reference one first) in every plot.
LEFT_COLOR = "#4c72b0"
RIGHT_COLOR = "#dd8452"


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


_OFFSET = re.compile(r"(?P<scale>1e[-\u2212]?\d+)?(?P<shift>[-+\u2212].+)?")


def _offset_words(offset: str) -> str:
    """Matplotlib's axis offset (``1e6+1.703e10``) as words: ``value = tick x 1e6 + 1.703e10``."""
    match = _OFFSET.fullmatch(offset)
    if match is None:
        return offset
    words = ["value = tick"]
    if match["scale"]:
        words.append(f"\u00d7 {match['scale']}")
    if match["shift"]:
        words.append(f"{match['shift'][0]} {match['shift'][1:]}")
    return " ".join(words)


def _tidy_numeric_axes(figure: Any, ticker: Any, axes_labels: list[tuple[Any, str]]) -> None:
    """At most a handful of x ticks, and any offset (``1e6+1.703e10``) moved into the label.

    Matplotlib draws the offset under the right end of the axis, where it collides with a
    long axis label; census tracts and timestamps always have one.
    """
    for axes, label in axes_labels:
        axes.xaxis.set_major_locator(ticker.MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10]))
        axes.set_xlabel(label)
    figure.canvas.draw()
    for axes, label in axes_labels:
        offset = axes.xaxis.get_major_formatter().get_offset()
        if offset:
            axes.xaxis.get_offset_text().set_visible(False)
            axes.set_xlabel(f"{label}\n({_offset_words(offset)})")


def _plot_quantiles(axes: Any, left: Any, right: Any, labels: tuple[str, str]) -> None:
    """Cumulative distributions from the deciles (robust to outliers, unlike the histogram)."""
    inner: list[float] = []
    for stats, label, color in ((left, labels[0], LEFT_COLOR), (right, labels[1], RIGHT_COLOR)):
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
    axes.set_ylim(-0.03, 1.03)
    axes.set_ylabel("cumulative fraction")
    axes.legend(fontsize=8, loc="lower right")


def _bulk(edges: list[float], values: list[float]) -> tuple[float, float]:
    """The range of the buckets holding all but :data:`_TAIL_SHARE` of the values each side."""
    cumulative, low, high = 0.0, edges[0], edges[-1]
    for index, value in enumerate(values):
        if cumulative <= _TAIL_SHARE < cumulative + value:
            low = edges[index]
        cumulative += value
        if cumulative >= 1 - _TAIL_SHARE:
            high = edges[index + 1]
            break
    return low, high


def _plot_histograms(axes: Any, left: Any, right: Any, labels: tuple[str, str]) -> bool:
    """The standard histograms as densities (the datasets' buckets differ in width).

    A few far outliers stretch the equal-width buckets over a huge range; the view is then
    narrowed to the buckets that hold the bulk of both datasets. Returns whether it was.
    """
    full: list[float] = []
    bulk: list[float] = []
    for stats, label, color in ((left, labels[0], LEFT_COLOR), (right, labels[1], RIGHT_COLOR)):
        histogram = _histogram(stats) if stats is not None else None
        if histogram is None:
            continue
        edges, values = histogram
        densities = [
            value / (high - low) if high > low else 0.0
            for value, low, high in zip(values, edges, edges[1:], strict=False)
        ]
        axes.stairs(densities, edges, label=label, color=color, fill=True, alpha=0.45)
        full += [edges[0], edges[-1]]
        bulk += _bulk(edges, values)
    axes.set_ylabel("density (fraction per unit)")
    axes.legend(fontsize=8, loc="upper right")
    if not bulk or max(full) - min(full) <= 2 * (max(bulk) - min(bulk)):
        return False
    margin = (max(bulk) - min(bulk)) * 0.03
    axes.set_xlim(min(bulk) - margin, max(bulk) + margin)
    return True


def _category_label(value: str) -> str:
    return value if len(value) <= _LABEL_CHARS else value[: _LABEL_CHARS - 1] + "\u2026"


def _plot_categories(axes: Any, left: Any, right: Any, labels: tuple[str, str]) -> None:
    """Side-by-side horizontal bars of the most frequent categories, most frequent on top."""
    first = _categories(left) if left is not None else {}
    second = _categories(right) if right is not None else {}
    order = _top_categories(first, second)
    positions = range(len(order))
    for shift, shares, label, color in (
        (-0.2, first, labels[0], LEFT_COLOR),
        (0.2, second, labels[1], RIGHT_COLOR),
    ):
        bars = [shares.get(key, 0) for key in order]
        axes.barh([p + shift for p in positions], bars, 0.4, label=label, color=color)
    axes.set_yticks(list(positions), [_category_label(key) for key in order], fontsize=8)
    axes.set_ylim(max(len(order), 1) - 0.5, -0.5)
    axes.set_xlabel("fraction of non-missing values")
    # The bars shrink downwards, so the lower right corner is where nothing is drawn.
    axes.legend(fontsize=8, loc="lower right")


def _top_categories(first: dict[str, float], second: dict[str, float]) -> list[str]:
    keys = set(first) | set(second)
    return sorted(keys, key=lambda key: (-(first.get(key, 0) + second.get(key, 0)), key))[
        :_TOP_CATEGORIES
    ]


def _is_categorical(left: Any, right: Any) -> bool:
    return any(
        stats is not None and stats.WhichOneof("stats") in ("string_stats", "bytes_stats")
        for stats in (left, right)
    )


def plot_svg(name: str, left: Any, right: Any, labels: tuple[str, str], title: str) -> str:
    """One SVG comparing the feature's distribution in two datasets.

    ``title`` is the SVG's accessible name; the page shows it as the figure's caption, so it
    is not drawn a second time inside the plot.
    """
    mpl = importlib.import_module("matplotlib")
    mpl.use("Agg")
    mpl.rcParams["svg.fonttype"] = "none"
    mpl.rcParams["svg.hashsalt"] = "research-ci"
    plt = importlib.import_module("matplotlib.pyplot")
    ticker = importlib.import_module("matplotlib.ticker")

    if _is_categorical(left, right):
        first = _categories(left) if left is not None else {}
        second = _categories(right) if right is not None else {}
        rows = len(_top_categories(first, second))
        figure, axes = plt.subplots(figsize=(7.0, max(2.4, 0.9 + 0.3 * rows)), dpi=96)
        _plot_categories(axes, left, right, labels)
    else:
        figure, (axes, cdf_axes) = plt.subplots(1, 2, figsize=(9.0, 3.4), dpi=96)
        clipped = _plot_histograms(axes, left, right, labels)
        _plot_quantiles(cdf_axes, left, right, labels)
        compared = "histogram compared by TFDV" + (", outliers clipped" if clipped else "")
        _tidy_numeric_axes(
            figure,
            ticker,
            [
                (axes, f"{name} ({compared})"),
                (cdf_axes, f"{name} (deciles, tails clipped)"),
            ],
        )
    figure.tight_layout()
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    plt.close(figure)
    text = buffer.getvalue()
    svg = text[text.index("<svg") :]
    return svg.replace("<svg", f'<svg role="img" aria-label="{html.escape(title)}"', 1)


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
