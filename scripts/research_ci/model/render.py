"""The Markdown section (job summary, PR comment) and the offline HTML page.

Both come from Jinja templates in ``research_ci/model/templates``; this module only turns
numbers into positions and words. The HTML page has no external resource: CSS, inline SVG
plots and a few lines of JavaScript for the threshold slider are all inside it, and every
text that comes from the table (column names, category values) is escaped by Jinja's
autoescape. Plots are built from coordinates computed here, never from markup in the data.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import jinja2
from markupsafe import Markup

from research_ci import __version__
from research_ci.model.metrics import KEY_METRICS, METRICS
from research_ci.model.report import ModelReport, SliceResult
from research_ci.model.settings import Thresholds
from research_ci.templating import environment, markdown_environment

#: Rows of one slice feature shown in Markdown (the rest are in the HTML and JSON).
MARKDOWN_ROWS = 30
#: Slices drawn in one ROC or calibration plot (the largest).
PLOT_SLICES = 8
#: Okabe-Ito colours: distinguishable with the common colour-vision deficiencies.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000", "#999999")


def number(value: float | None) -> str:
    """A metric value: ``0.742``, ``12,345.6``; a dash when undefined."""
    if value is None or not math.isfinite(value):
        return "—"
    text = f"{value:,.1f}" if abs(value) >= 100 else f"{value:.3f}"
    return text.removeprefix("-") if text.strip("-0.,") == "" else text


def signed(value: float | None) -> str:
    """A change: ``+0.012``, ``-0.070``."""
    if value is None or not math.isfinite(value):
        return "—"
    text = f"{value:+,.1f}" if abs(value) >= 100 else f"{value:+.3f}"
    return "+" + text[1:] if text.strip("+-0.,") == "" else text


def count(value: int | float | None) -> str:
    """``32,561``."""
    return "—" if value is None else f"{int(value):,}"


def interval(item: Any) -> str:
    """``0.742 [0.734, 0.750]``."""
    text = number(item.value)
    if item.lower is not None and item.upper is not None and item.lower != item.upper:
        text += f" [{number(item.lower)}, {number(item.upper)}]"
    return text


def template_environment(*, markdown: bool = False) -> jinja2.Environment:
    """The model templates with the number filters.

    ``markdown``: the environment that shows every value as text (slice values, column and file
    names come from the project and its data), :func:`research_ci.templating.markdown_environment`.
    """
    env = (
        markdown_environment("research_ci.model") if markdown else environment("research_ci.model")
    )
    env.filters["number"] = number
    env.filters["signed"] = signed
    env.filters["count"] = count
    env.filters["interval"] = interval
    env.globals["METRICS"] = METRICS
    env.globals["change_class"] = change_class
    env.globals["PALETTE"] = PALETTE
    return env


def change_class(metric: str, change: float | None) -> str:
    """``worse``, ``better`` or ``""`` for a change of ``metric`` (by its direction)."""
    direction = METRICS[metric].direction
    if change is None or direction == "none" or abs(change) < 1e-12:
        return ""
    better = change > 0 if direction == "higher" else change < 0
    return "better" if better else "worse"


def _slice_label(item: SliceResult) -> str:
    return ", ".join(value for _, value in item.values) or "Overall"


def markdown(report: ModelReport, *, heading: str = "###") -> str:
    """The Markdown section: verdict, failures first, then a table per slice feature."""
    key_metrics = list(KEY_METRICS[report.task])  # type: ignore[index]
    features = []
    for feature in report.features():
        members = report.slices_of(feature)
        features.append(
            {
                "name": feature,
                "rows": members[:MARKDOWN_ROWS],
                "hidden": max(0, len(members) - MARKDOWN_ROWS),
                "gaps": [gap for gap in report.gaps if gap.feature == feature],
            }
        )
    return (
        template_environment(markdown=True)
        .get_template("model_section.md.j2")
        .render(
            report=report,
            heading=Markup(heading),  # noqa: S704  (research-ci's own "###")
            key_metrics=key_metrics,
            features=features,
            label=_slice_label,
            short=_short_labels(report),
        )
    )


def _short_labels(report: ModelReport) -> Any:
    """``short(key)``: a slice's values without the column names (``Never-married``)."""
    labels = {item.key: _slice_label(item) for item in report.slices}
    return lambda key: labels.get(key, key)


# ------------------------------------------------------------------------------- plots


def _ticks(low: float, high: float, count_hint: int = 5) -> list[float]:
    span = high - low
    if span <= 0:
        return [low]
    raw = span / count_hint
    magnitude = 10 ** math.floor(math.log10(raw))
    step = min((m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw), default=raw)
    first = math.ceil(low / step) * step
    ticks = []
    value = first
    while value <= high + step * 1e-9:
        ticks.append(round(value, 10))
        value += step
    return ticks


def _range(values: Sequence[float], bounds: Sequence[float]) -> tuple[float, float]:
    pool = [value for value in (*values, *bounds) if math.isfinite(value)]
    if not pool:
        return 0.0, 1.0
    low, high = min(pool), max(pool)
    if high - low < 1e-9:
        low, high = low - 0.05, high + 0.05
    pad = (high - low) * 0.06
    return low - pad, high + pad


def interval_plot(
    slices: Sequence[SliceResult], metric: str, bounds: dict[str, float]
) -> dict[str, Any] | None:
    """A dot-and-whisker plot of one metric over the slices of one feature."""
    rows = [
        item
        for item in slices
        if item.metrics.get(metric) and item.metrics[metric].value is not None
    ]
    if not rows:
        return None
    values: list[float] = []
    for item in rows:
        value = item.metrics[metric]
        values += [
            v for v in (value.value, value.lower, value.upper, value.baseline) if v is not None
        ]
    low, high = _range(values, list(bounds.values()))
    left, width, row_height, top = 150.0, 300.0, 22.0, 8.0

    def x(value: float) -> float:
        return round(left + (value - low) / (high - low) * width, 2)

    drawn = []
    for index, item in enumerate(rows):
        value = item.metrics[metric]
        y = round(top + row_height * index + row_height / 2, 2)
        drawn.append(
            {
                "label": _slice_label(item)[:24],
                "title": f"{item.key}: {interval(value)} ({item.count:,} rows)",
                "y": y,
                "x": x(value.value),  # type: ignore[arg-type]
                "lo": x(value.lower) if value.lower is not None else None,
                "hi": x(value.upper) if value.upper is not None else None,
                "base": x(value.baseline) if value.baseline is not None else None,
                "grey": not item.gated,
            }
        )
    height = top + row_height * len(rows)
    return {
        "metric": metric,
        "title": METRICS[metric].title,
        "rows": drawn,
        "left": left,
        "right": left + width,
        "height": round(height, 2),
        "total_height": round(height + 24, 2),
        "ticks": [
            {"x": x(tick), "label": f"{tick:g}"}
            for tick in _ticks(low, high)
            if low <= tick <= high
        ],
        "lines": [{"x": x(bound), "label": f"{name} {bound:g}"} for name, bound in bounds.items()],
    }


def bar_plot(points: Sequence[tuple[str, float]]) -> dict[str, Any]:
    """Horizontal bars (partial dependence on a category) as SVG coordinates."""
    left, width, row_height = 150.0, 250.0, 20.0
    high = max((value for _, value in points), default=0.0)
    low = min(0.0, *(value for _, value in points))
    span = (high - low) or 1.0
    zero = left + (0.0 - low) / span * width
    rows = []
    for index, (label, value) in enumerate(points):
        end = left + (value - low) / span * width
        rows.append(
            {
                "label": label[:24],
                "title": f"{label}: {number(value)}",
                "y": round(index * row_height + 4, 1),
                "x": round(min(zero, end), 1),
                "width": round(max(abs(end - zero), 1.0), 1),
                "text_x": round(max(zero, end) + 4, 1),
                "value": number(value),
            }
        )
    return {"rows": rows, "height": round(len(points) * row_height + 8, 1), "zero": round(zero, 1)}


def line_plot(
    series: Sequence[dict[str, Any]],
    *,
    x_range: tuple[float, float],
    y_range: tuple[float, float],
    diagonal: bool,
    x_label: str,
    y_label: str,
) -> dict[str, Any]:
    """Lines (ROC, calibration, dependence) as SVG coordinates in a 300 x 240 frame."""
    left, top, width, height = 46.0, 10.0, 300.0, 240.0
    (x0, x1), (y0, y1) = x_range, y_range
    x1 = x1 if x1 > x0 else x0 + 1
    y1 = y1 if y1 > y0 else y0 + 1

    def px(x: float) -> float:
        return round(left + (x - x0) / (x1 - x0) * width, 1)

    def py(y: float) -> float:
        return round(top + height - (y - y0) / (y1 - y0) * height, 1)

    drawn = []
    for index, item in enumerate(series):
        points = [
            (px(x), py(y)) for x, y in item["points"] if math.isfinite(x) and math.isfinite(y)
        ]
        drawn.append(
            {
                "label": item["label"],
                "color": PALETTE[index % len(PALETTE)],
                "path": " ".join(f"{x},{y}" for x, y in points),
                "dots": points if item.get("dots") else [],
            }
        )
    low, high = max(x0, y0), min(x1, y1)
    return {
        "series": drawn,
        "left": left,
        "top": top,
        "right": left + width,
        "bottom": top + height,
        "diagonal": f"{px(low)},{py(low)} {px(high)},{py(high)}" if diagonal else None,
        "x_ticks": [{"x": px(tick), "label": f"{tick:g}"} for tick in _ticks(x0, x1)],
        "y_ticks": [{"y": py(tick), "label": f"{tick:g}"} for tick in _ticks(y0, y1)],
        "x_label": x_label,
        "y_label": y_label,
    }


# -------------------------------------------------------------------------------- HTML


def _plotted(report: ModelReport, feature: str) -> list[SliceResult]:
    members = [item for item in report.slices_of(feature) if item.gated] or report.slices_of(
        feature
    )
    largest = {id(item) for item in sorted(members, key=lambda item: -item.count)[:PLOT_SLICES]}
    return [item for item in members if id(item) in largest]


def _curve_views(analysis: Any) -> list[dict[str, Any]]:
    from research_ci.model import curves  # noqa: PLC0415

    report: ModelReport = analysis.report
    target = analysis.candidate.target
    if target.task == "multiclass":
        return []
    views = []
    for slicing in analysis.slicings:
        feature = slicing.spec.name
        chosen = _plotted(report, feature)
        keys = [item.key for item in chosen]
        codes = [
            code
            for code, values in enumerate(slicing.values)
            if values is not None and _key(values) in keys
        ]
        code_keys = [_key(slicing.values[code]) for code in codes]
        if target.task == "binary":
            found = curves.binary_curves(target, slicing, codes, code_keys, report.threshold or 0.5)
        else:
            found = curves.regression_calibration(target, slicing, codes, code_keys)
        by_key = {item.key: item for item in found}
        ordered = [by_key[key] for key in keys if key in by_key]
        names = {item.key: _slice_label(item) for item in chosen}
        view: dict[str, Any] = {
            "feature": feature,
            "slices": [names[item.key] for item in ordered],
            "roc": None,
            "sweep": [],
        }
        if target.task == "binary":
            view["roc"] = line_plot(
                [{"label": names[item.key], "points": item.roc} for item in ordered],
                x_range=(0, 1),
                y_range=(0, 1),
                diagonal=True,
                x_label="false positive rate",
                y_label="true positive rate",
            )
            view["sweep"] = [
                {
                    "label": names[item.key],
                    "key": item.key,
                    "sweep": item.sweep,
                    "suggested": item.suggested,
                }
                for item in ordered
            ]
            calibration_range = (0.0, 1.0)
        else:
            pool = [value for item in ordered for point in item.calibration for value in point[:2]]
            calibration_range = _range(pool, []) if pool else (0.0, 1.0)
        view["calibration"] = line_plot(
            [
                {
                    "label": names[item.key],
                    "points": [(x, y) for x, y, _ in item.calibration],
                    "dots": True,
                }
                for item in ordered
            ],
            x_range=calibration_range,
            y_range=calibration_range,
            diagonal=True,
            x_label="mean prediction",
            y_label="mean label",
        )
        views.append(view)
    return views


def _key(values: Any) -> str:
    from research_ci.model.specs import slice_key  # noqa: PLC0415

    return slice_key(values)


def _dependence_views(analysis: Any) -> list[dict[str, Any]]:
    views = []
    for item in analysis.extras.get("dependence", []):
        labels = [label for label, _ in item.points]
        values = [value for _, value in item.points]
        if item.numeric:
            xs = [float(label) for label in labels]
            plot = line_plot(
                [
                    {
                        "label": item.column,
                        "points": list(zip(xs, values, strict=True)),
                        "dots": True,
                    }
                ],
                x_range=(min(xs), max(xs)),
                y_range=_range(values, []),
                diagonal=False,
                x_label=item.column,
                y_label="mean prediction",
            )
            views.append({"column": item.column, "plot": plot, "points": item.points})
        else:
            views.append({"column": item.column, "plot": None, "bars": bar_plot(item.points)})
    return views


def _gate_bounds(thresholds: Thresholds) -> dict[str, dict[str, float]]:
    bounds: dict[str, dict[str, float]] = {}
    for rule, table in (("min", thresholds.bounds.min), ("max", thresholds.bounds.max)):
        for metric, value in table.items():
            bounds.setdefault(metric, {})[rule] = value
    return bounds


def html(analysis: Any) -> str:
    """The self-contained HTML page of an analysis."""
    from research_ci.model import counterfactuals, curves  # noqa: PLC0415

    report: ModelReport = analysis.report
    settings = analysis.settings
    key_metrics = list(KEY_METRICS[report.task])  # type: ignore[index]
    bounds = _gate_bounds(settings.thresholds)
    features = []
    for feature in report.features():
        members = report.slices_of(feature)
        plots = [
            interval_plot(members, metric, bounds.get(metric, {}))
            for metric in key_metrics
            if len(members) > 1
        ]
        features.append(
            {
                "name": feature,
                "rows": members,
                "plots": [plot for plot in plots if plot is not None],
                "gaps": [gap for gap in report.gaps if gap.feature == feature],
            }
        )
    candidate = analysis.candidate
    excluded = {report.label, report.prediction, settings.baseline_prediction}
    feature_names = [name for name in candidate.table.names if name not in excluded]
    found = counterfactuals.nearest(
        candidate.table, candidate.target, feature_names, threshold=report.threshold or 0.5
    )
    return (
        template_environment()
        .get_template("model_report.html.j2")
        .render(
            report=report,
            key_metrics=key_metrics,
            features=features,
            curves=_curve_views(analysis),
            thresholds=curves.sweep_thresholds(),
            counterfactuals=found,
            dependence=_dependence_views(analysis),
            label=_slice_label,
            short=_short_labels(report),
            version=__version__,
            markdown_rows=MARKDOWN_ROWS,
        )
    )
