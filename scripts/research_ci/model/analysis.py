"""From the settings to a :class:`~research_ci.model.report.ModelReport`, and the files.

The order of work: read and check every input (the predictions table, the baseline, the
thresholds against the task), compute the metrics of every slicing, apply the gate, then
render and write the outputs. Nothing is written before everything was computed, so bad
input never leaves a half-written report behind.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from research_ci.errors import UsageError
from research_ci.fsutil import atomic_write_text, ensure_writable
from research_ci.model import engine, gate
from research_ci.model.metrics import KEY_METRICS, METRICS, metrics_for
from research_ci.model.report import ModelReport, SliceResult, Value
from research_ci.model.settings import ModelSettings
from research_ci.model.slicing import Encoding, Slicing, build_slicing, encode
from research_ci.model.table import Column, Table, read_table
from research_ci.model.targets import Target, make_target

Progress = Callable[[str], None]
#: The prediction column research-ci adds when it runs ``--model`` itself.
DEFAULT_PREDICTION = "prediction"


@dataclasses.dataclass(frozen=True, kw_only=True)
class Outputs:
    """Where to write: the JSON report, the HTML page, the Markdown section."""

    report: Path | None = None
    html: Path | None = None
    markdown: Path | None = None

    def paths(self) -> list[Path]:
        """The paths that will be written."""
        return [path for path in (self.report, self.html, self.markdown) if path is not None]


@dataclasses.dataclass(frozen=True)
class Side:
    """One model's view of the data: its table, target and slice columns."""

    table: Table
    target: Target
    columns: dict[str, Column]


@dataclasses.dataclass
class Analysis:
    """Everything computed: the report, and what the HTML views need besides."""

    report: ModelReport
    candidate: Side
    baseline: Side | None
    encodings: dict[str, Encoding]
    slicings: list[Slicing]
    settings: ModelSettings
    extras: dict[str, Any] = dataclasses.field(default_factory=dict)


def compute_estimates(
    target: Target, groups: engine.Groups, threshold: float
) -> dict[str, engine.Estimates]:
    """All the metrics of ``target``'s task for every group."""
    if target.task == "binary":
        return engine.binary_metrics(
            groups, target.label, target.prediction, threshold, target.score_order
        )
    if target.task == "multiclass":
        return engine.multiclass_metrics(
            groups, target.label, target.prediction, len(target.classes)
        )
    return engine.regression_metrics(groups, target.label, target.prediction)


def _float(value: Any) -> float | None:
    number = float(value)
    return number if np.isfinite(number) else None


def _half_width(estimates: engine.Estimates, code: int) -> float | None:
    lower, upper = estimates.lower[code], estimates.upper[code]
    if not (np.isfinite(lower) and np.isfinite(upper)):
        return None
    return float(upper - lower) / 2


def _value(
    name: str, candidate: engine.Estimates, code: int, baseline: tuple[engine.Estimates, int] | None
) -> Value:
    """One metric of one slice; with the baseline's value of the same slice, the change.

    The change's interval treats the two estimates as independent: its half-width is the
    two half-widths added in quadrature.
    """
    own = Value(
        value=_float(candidate.value[code]),
        lower=_float(candidate.lower[code]),
        upper=_float(candidate.upper[code]),
    )
    if baseline is None:
        return own
    estimates, base_code = baseline
    base = _float(estimates.value[base_code])
    if name == "example_count" or own.value is None or base is None:
        return dataclasses.replace(own, baseline=base)
    change = own.value - base
    widths = (_half_width(candidate, code), _half_width(estimates, base_code))
    if widths[0] is None or widths[1] is None:
        return dataclasses.replace(own, baseline=base, change=change)
    spread = float(np.hypot(widths[0], widths[1]))
    return dataclasses.replace(
        own,
        baseline=base,
        change=change,
        change_lower=change - spread,
        change_upper=change + spread,
    )


def slice_results(
    slicing: Slicing,
    estimates: dict[str, engine.Estimates],
    baseline: tuple[Slicing, dict[str, engine.Estimates]] | None,
    *,
    min_size: int,
) -> list[SliceResult]:
    """The reported slices of one slicing, with their baseline values and changes."""
    counts = estimates["example_count"].value
    base_codes: dict[Any, int] = {}
    base_estimates: dict[str, engine.Estimates] = {}
    if baseline is not None:
        base_slicing, base_estimates = baseline
        base_counts = base_estimates["example_count"].value
        base_codes = {
            values: code
            for code, values in enumerate(base_slicing.values)
            if values is not None and base_counts[code] > 0
        }
    results = []
    for code in slicing.reported(counts):
        values = slicing.values[code]
        assert values is not None  # noqa: S101 (reported() skips unmatched codes)
        base_code = base_codes.get(values)
        base_count = None if baseline is None else 0
        if base_code is not None:
            base_count = int(base_estimates["example_count"].value[base_code])
        count = int(counts[code])
        results.append(
            SliceResult(
                feature=slicing.spec.name,
                values=values,
                count=count,
                baseline_count=base_count,
                gated=count >= min_size,
                metrics={
                    name: _value(
                        name,
                        item,
                        code,
                        (base_estimates[name], base_code) if base_code is not None else None,
                    )
                    for name, item in estimates.items()
                },
            )
        )
    return results


def _check_thresholds(settings: ModelSettings, task: str, has_baseline: bool) -> None:
    available = set(metrics_for(task))  # type: ignore[arg-type]
    for name in sorted(settings.thresholds.metric_names()):
        if name not in available:
            raise UsageError(
                f"the gate names {name}, which is not a {task} metric; {task} metrics: "
                f"{', '.join(metrics_for(task))}"  # type: ignore[arg-type]
            )
    if settings.thresholds.needs_baseline and not has_baseline:
        raise UsageError(
            "change thresholds (max-drop, max-relative-drop) need a baseline: pass --baseline "
            "FILE, --baseline-prediction COL or --baseline-model module:function"
        )


def _needed_columns(settings: ModelSettings, prediction: str) -> list[str]:
    return [
        name
        for name in (
            settings.label,
            prediction,
            settings.baseline_prediction,
            *settings.slice_columns(),
        )
        if name
    ]


def _side(
    table: Table,
    settings: ModelSettings,
    prediction: str,
    *,
    where: str,
    like: Target | None = None,
) -> Side:
    assert settings.label is not None  # noqa: S101 (checked by the caller)
    target = make_target(
        table.column(settings.label),
        table.column(prediction),
        task=like.task if like is not None else settings.task,
        positive=settings.positive,
        where=where,
        classes=like.classes[:-1] if like is not None and like.task == "multiclass" else None,
    )
    columns = {name: table.column(name) for name in settings.slice_columns()}
    return Side(table, target, columns)


def load_sides(
    settings: ModelSettings,
    *,
    all_columns: bool,
    predict: Callable[[Table, ModelSettings], tuple[Table, Table | None]] | None = None,
) -> tuple[Side, Side | None, str]:
    """Read the candidate's (and the baseline's) table and targets.

    With ``data`` and ``model``, ``predict`` scores the data (and the baseline model) and
    returns the tables with the prediction column added.
    """
    if not settings.label:
        raise UsageError(
            "name the label column: --label COL (label = ... in [tool.research-ci.model])"
        )
    if settings.data:
        if predict is None:  # pragma: no cover - the CLI always passes it
            raise UsageError("--model needs the project's Python")
        prediction = settings.prediction or DEFAULT_PREDICTION
        data = read_table(
            str(settings.resolve(settings.data)),
            settings.dialect,
            required=[settings.label, *settings.slice_columns()],
            what="data",
        )
        table, base_table = predict(data, settings)
        candidate = _side(table, settings, prediction, where=str(settings.data))
        baseline = (
            _side(
                base_table,
                settings,
                prediction,
                where=f"{settings.data} (baseline model)",
                like=candidate.target,
            )
            if base_table is not None
            else None
        )
        return candidate, baseline, prediction
    if not settings.predictions:
        raise UsageError(
            "nothing to analyse: pass --predictions FILE (or --data FILE --model module:function), "
            "or set predictions in [tool.research-ci.model]"
        )
    if not settings.prediction:
        raise UsageError("name the prediction column: --prediction COL")
    prediction = settings.prediction
    needed = _needed_columns(settings, prediction)
    path = str(settings.resolve(settings.predictions))
    table = read_table(
        path,
        settings.dialect,
        columns=None if all_columns else needed,
        required=needed,
        what="predictions",
    )
    candidate = _side(table, settings, prediction, where=path)
    baseline = None
    if settings.baseline_prediction:
        baseline = _side(
            table,
            settings,
            settings.baseline_prediction,
            where=f"{path} (baseline)",
            like=candidate.target,
        )
    elif settings.baseline:
        base_needed = [name for name in needed if name != settings.baseline_prediction]
        base_path = str(settings.resolve(settings.baseline))
        base_table = read_table(
            base_path, settings.dialect, columns=base_needed, required=base_needed, what="baseline"
        )
        baseline = _side(base_table, settings, prediction, where=base_path, like=candidate.target)
    return candidate, baseline, prediction


def analyse(
    settings: ModelSettings,
    *,
    all_columns: bool = False,
    predict: Callable[[Table, ModelSettings], tuple[Table, Table | None]] | None = None,
    progress: Progress | None = None,
) -> Analysis:
    """Read, compute and gate; nothing is written."""
    say = progress or (lambda _text: None)
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    say("reading the predictions")
    candidate, baseline, prediction = load_sides(settings, all_columns=all_columns, predict=predict)
    task = candidate.target.task
    _check_thresholds(settings, task, baseline is not None)
    seconds["read"] = time.perf_counter() - started
    say(f"computing {task} metrics per slice")
    started = time.perf_counter()
    encodings = {
        name: encode(column, buckets=settings.buckets) for name, column in candidate.columns.items()
    }
    slices: list[SliceResult] = []
    slicings: list[Slicing] = []
    threshold = settings.threshold
    for spec in settings.specs():
        slicing = build_slicing(spec, encodings, candidate.columns, candidate.target.rows)
        slicings.append(slicing)
        estimates = compute_estimates(candidate.target, slicing.groups, threshold)
        base = None
        if baseline is not None:
            base_slicing = build_slicing(spec, encodings, baseline.columns, baseline.target.rows)
            base = (
                base_slicing,
                compute_estimates(baseline.target, base_slicing.groups, threshold),
            )
        slices += slice_results(slicing, estimates, base, min_size=settings.min_slice_size)
    seconds["metrics"] = time.perf_counter() - started
    shown = KEY_METRICS[task]
    failures, gaps, notes = gate.evaluate(slices, settings.thresholds, shown=shown)
    names = list(metrics_for(task))
    baseline_source = (
        settings.baseline
        or (f"column {settings.baseline_prediction}" if settings.baseline_prediction else None)
        or (f"model {settings.baseline_model}" if settings.baseline_model else None)
    )
    report = ModelReport(
        task=task,
        label=str(settings.label),
        prediction=prediction,
        positive=candidate.target.positive,
        threshold=threshold if task == "binary" else None,
        min_slice_size=settings.min_slice_size,
        rows=candidate.target.rows,
        source=str(settings.predictions or settings.data),
        baseline=baseline_source,
        baseline_rows=baseline.target.rows if baseline is not None else None,
        metrics=names,
        intervals={name: METRICS[name].interval for name in names},
        slices=slices,
        gaps=gaps,
        failures=failures,
        rules=settings.thresholds.count(),
        notes=notes,
        seconds=seconds,
    )
    return Analysis(report, candidate, baseline, encodings, slicings, settings)


def write_outputs(
    analysis: Analysis, outputs: Outputs, *, progress: Progress | None = None
) -> None:
    """Render and write the JSON report, the Markdown section and the HTML page."""
    from research_ci.model import render  # noqa: PLC0415 (jinja2 only when writing)

    say = progress or (lambda _text: None)
    texts: list[tuple[Path, str]] = []
    if outputs.report is not None:
        texts.append((outputs.report, analysis.report.to_json()))
    if outputs.markdown is not None:
        texts.append((outputs.markdown, render.markdown(analysis.report)))
    if outputs.html is not None:
        say("drawing the HTML report")
        started = time.perf_counter()
        texts.append((outputs.html, render.html(analysis)))
        analysis.report.seconds["html"] = time.perf_counter() - started
        if outputs.report is not None:
            texts[0] = (outputs.report, analysis.report.to_json())
    for path, text in texts:
        atomic_write_text(path, text)


def check_writable(outputs: Outputs) -> None:
    """Fail before any work when an output could not be written."""
    for path in outputs.paths():
        ensure_writable(path)


def run(settings: ModelSettings, outputs: Outputs, *, progress: Progress | None = None) -> Analysis:
    """The whole command: score with the model if asked, analyse, probe, write."""
    predict = None
    if settings.data:
        from research_ci.model.predictor import score_data  # noqa: PLC0415

        predict = score_data
    result = analyse(
        settings, all_columns=outputs.html is not None, predict=predict, progress=progress
    )
    if settings.model:
        from research_ci.model.probes import probe  # noqa: PLC0415

        if progress is not None:
            progress("probing the model (partial dependence, attribute flips)")
        probe(result, partial_dependence=outputs.html is not None)
    write_outputs(result, outputs, progress=progress)
    return result
