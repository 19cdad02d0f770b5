"""``research-ci model``: model performance per slice, with intervals and a fairness gate.

Only click and the pure-Python settings are imported here, so ``research-ci model --help``
stays fast; numpy and pyarrow come with the command that computes
(:mod:`research_ci.model.analysis`).

Exit codes: 0 the gate passes, 1 a threshold fails, 2 bad input (one line on stderr,
nothing written).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import click

from research_ci.cli.options import configured_settings, csv_dialect, csv_options
from research_ci.errors import EXIT_FAILED, EXIT_OK, UsageError
from research_ci.model.metrics import TASKS
from research_ci.model.settings import (
    Bounds,
    ModelSettings,
    Thresholds,
    check_consistency,
    load_model_settings,
    parse_crosses,
    parse_metric_map,
    parse_model_settings,
    parse_model_target,
    parse_task,
)

F = TypeVar("F", bound=Callable[..., Any])
#: Failures printed on the terminal at most (all of them are in the report).
SHOWN_FAILURES = 20


@contextlib.contextmanager
def progress(*, enabled: bool) -> Iterator[Callable[[str], None]]:
    """A status line on stderr for interactive terminals; nothing in CI or pipes."""
    if not enabled:
        yield lambda _text: None
        return
    from rich.console import Console

    with Console(stderr=True).status("research-ci model: starting") as status:
        yield lambda text: status.update(f"research-ci model: {text}")


def _metric_pairs(values: tuple[str, ...], *, option: str, kind: str) -> dict[str, float]:
    table: dict[str, Any] = {}
    for item in values:
        name, sep, number = item.partition("=")
        if not sep:
            raise UsageError(f"{option}: expected METRIC=NUMBER, got {item!r}")
        try:
            table[name.strip()] = float(number)
        except ValueError as exc:
            raise UsageError(f"{option}: {number!r} is not a number") from exc
    return parse_metric_map(table, source=option, kind=kind)


def _absolute(path: str | None) -> str | None:
    # absolute(), not resolve(): a virtual environment's python is a symlink to keep.
    return str(Path(path).expanduser().absolute()) if path else None


def _base_settings(config: Path | None) -> ModelSettings:
    return configured_settings(
        config, load_model_settings, parse_model_settings, "tool.research-ci.model"
    )


def _gate_overrides(settings: ModelSettings, options: dict[str, Any]) -> Thresholds:
    bounds = settings.thresholds.bounds
    merged = Bounds(
        min={**bounds.min, **_metric_pairs(options["min_bounds"], option="--min", kind="value")},
        max={**bounds.max, **_metric_pairs(options["max_bounds"], option="--max", kind="value")},
        max_drop={
            **bounds.max_drop,
            **_metric_pairs(options["max_drop"], option="--max-drop", kind="change"),
        },
        max_relative_drop=bounds.max_relative_drop,
    )
    max_gap = {
        **settings.thresholds.max_gap,
        **_metric_pairs(options["max_gap"], option="--max-gap", kind="gap"),
    }
    return dataclasses.replace(settings.thresholds, bounds=merged, max_gap=max_gap)


def resolve_settings(options: dict[str, Any]) -> ModelSettings:
    """``[tool.research-ci.model]``, then the EvalConfig, then the command line."""
    settings = _base_settings(options["config"])
    eval_config = options.get("eval_config")
    if eval_config is None and settings.eval_config:
        eval_config = settings.resolve(settings.eval_config)
    if eval_config is not None:
        from research_ci.model.evalconfig import apply_eval_config

        settings = apply_eval_config(
            settings, Path(eval_config), threshold=options.get("threshold")
        )
    changes: dict[str, Any] = {}
    for key in ("predictions", "data", "baseline", "python"):
        if options.get(key):
            changes[key] = _absolute(options[key])
    for key in ("label", "prediction", "positive", "baseline_prediction"):
        if options.get(key) is not None:
            changes[key] = options[key]
    if options.get("model"):
        changes["model"] = parse_model_target(options["model"], source="--model")
    if options.get("baseline_model"):
        changes["baseline_model"] = parse_model_target(
            options["baseline_model"], source="--baseline-model"
        )
    if options.get("task"):
        changes["task"] = parse_task(options["task"], source="--task")
    if options.get("slices"):
        changes["slices"] = tuple(options["slices"])
    if options.get("crosses"):
        changes["crosses"] = parse_crosses(list(options["crosses"]), source="--cross")
    for key in ("threshold", "min_slice_size", "buckets"):
        if options.get(key) is not None:
            changes[key] = options[key]
    if options.get("flip"):
        changes["flip"] = tuple(options["flip"])
    changes["dialect"] = csv_dialect(options, settings.dialect)
    changes["thresholds"] = _gate_overrides(settings, options)
    if changes.get("predictions"):
        changes.update(data=None, model=None)
    if changes.get("data"):
        changes.update(predictions=None)
    if any(changes.get(key) for key in ("baseline", "baseline_prediction", "baseline_model")):
        for key in ("baseline", "baseline_prediction", "baseline_model"):
            changes.setdefault(key, None)
    resolved = dataclasses.replace(settings, **changes)
    check_consistency(resolved, source="command line")
    return resolved


def _options(function: F) -> F:
    path = click.Path(path_type=Path)
    decorators = [
        click.option(
            "--predictions",
            metavar="FILE",
            help="The predictions table (CSV or Parquet; a glob of shards).",
        ),
        click.option("--label", metavar="COL", help="The label column."),
        click.option(
            "--prediction",
            metavar="COL",
            help="The model's output: a score in [0, 1], a class, or a number.",
        ),
        click.option(
            "--positive", metavar="VALUE", help="The positive class of a text label (e.g. '>50K')."
        ),
        click.option(
            "--task",
            type=click.Choice(["auto", *TASKS]),
            help="The task (default: detected from the columns).",
        ),
        click.option(
            "--slice",
            "slices",
            multiple=True,
            metavar="COL",
            help="Slice by this column (repeatable).",
        ),
        click.option(
            "--cross",
            "crosses",
            multiple=True,
            metavar="COL,COL",
            help="Slice by a cross of two columns (repeatable).",
        ),
        click.option(
            "--baseline",
            metavar="FILE",
            help="The same table from the baseline model: changes per slice.",
        ),
        click.option(
            "--baseline-prediction",
            metavar="COL",
            help="The baseline model's column in the same table.",
        ),
        click.option(
            "--threshold",
            type=click.FloatRange(0.0, 1.0),
            help="Binary: positive when the score is above this (default 0.5).",
        ),
        click.option(
            "--min-slice-size",
            type=click.IntRange(min=1),
            help="Smaller slices are shown but never gate (default 100).",
        ),
        click.option(
            "--buckets",
            type=click.IntRange(min=2),
            help="Quantile buckets of numeric slice columns (default 4).",
        ),
        click.option(
            "--min",
            "min_bounds",
            multiple=True,
            metavar="METRIC=X",
            help="Value threshold: METRIC >= X on every slice.",
        ),
        click.option(
            "--max",
            "max_bounds",
            multiple=True,
            metavar="METRIC=X",
            help="Value threshold: METRIC <= X on every slice.",
        ),
        click.option(
            "--max-gap",
            multiple=True,
            metavar="METRIC=X",
            help="Largest real gap between two slices of one feature.",
        ),
        click.option(
            "--max-drop",
            multiple=True,
            metavar="METRIC=X",
            help="Change threshold: largest loss against the baseline.",
        ),
        click.option("--data", metavar="FILE", help="Features and label, scored by --model."),
        click.option(
            "--model",
            metavar="MODULE:FUNCTION",
            help="A function taking a pandas DataFrame, returning predictions.",
        ),
        click.option(
            "--baseline-model",
            metavar="MODULE:FUNCTION",
            help="The baseline model, scored on --data too.",
        ),
        click.option(
            "--python",
            metavar="PATH",
            help="The project's Python for --model (default: .venv/bin/python).",
        ),
        click.option(
            "--flip",
            multiple=True,
            metavar="COL",
            help="With --model: swap this attribute and count changed predictions.",
        ),
        click.option("--report", type=path, help="Write the JSON report."),
        click.option("--html", type=path, help="Write the self-contained HTML report."),
        click.option(
            "--markdown", type=path, help="Write the Markdown section (job summary, PR comment)."
        ),
        click.option(
            "--config",
            type=path,
            help="pyproject.toml with [tool.research-ci.model] (default ./pyproject.toml).",
        ),
        click.option(
            "--eval-config",
            type=path,
            help="A TFMA EvalConfig text proto: slices, metrics and thresholds.",
        ),
        csv_options(("csv", "parquet"), "Input format (default: from the file name)."),
    ]
    for decorator in reversed(decorators):
        function = decorator(function)
    return function


@click.group(name="model", context_settings={"help_option_names": ["-h", "--help"]})
def model() -> None:
    """Model analysis sliced by feature, with a fairness gate (TFMA's vocabulary).

    `research-ci model analyze` computes metrics with 95 % intervals on every slice of a
    predictions table, compares them with a baseline, and gates on value, change, gap and
    cross-slice thresholds from [tool.research-ci.model], the command line or a TFMA
    EvalConfig. Exit codes: 0 gate passed, 1 gate failed, 2 bad input.
    """


@model.command()
@_options
def analyze(**options: Any) -> int:
    """Metrics per slice with intervals, changes against a baseline, and the gate."""
    settings = resolve_settings(options)
    from research_ci.model import analysis

    outputs = analysis.Outputs(
        report=options["report"], html=options["html"], markdown=options["markdown"]
    )
    analysis.check_writable(outputs)
    interactive = sys.stderr.isatty() and not os.environ.get("CI")
    with progress(enabled=interactive) as say:
        result = analysis.run(settings, outputs, progress=say)
    report = result.report
    click.echo(f"model: {report.summary()}")
    for failure in report.failures[:SHOWN_FAILURES]:
        click.echo(f"  {failure.message}")
    if len(report.failures) > SHOWN_FAILURES:
        click.echo(f"  ... and {len(report.failures) - SHOWN_FAILURES} more (see the JSON report)")
    for path in outputs.paths():
        click.echo(f"  wrote {path}")
    return EXIT_OK if report.passed else EXIT_FAILED
