"""What ``research-ci data infer|validate|skew|check`` do, without the command-line parsing.

Inputs are checked first (files exist, the schema can be written or read, the report paths
are writable), then TFDV is imported and the statistics computed, so that bad input fails in
a fraction of a second with one line and nothing written.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

from research_ci.data import sources
from research_ci.data.results import DataResult, results_to_json
from research_ci.data.settings import (
    DataSettings,
    Dialect,
    FeatureSkewEntry,
    SkewJoin,
    Thresholds,
)
from research_ci.errors import UsageError
from research_ci.fsutil import atomic_write_text, ensure_writable


@dataclasses.dataclass(frozen=True, kw_only=True)
class Beam:
    """Where statistics run: in this process (``runner`` None) or on an Apache Beam runner."""

    runner: str | None = None
    options: tuple[str, ...] = ()
    jobs: int | None = None


@dataclasses.dataclass(frozen=True, kw_only=True)
class Outputs:
    """Optional report files of a command."""

    report: Path | None = None
    html: Path | None = None
    markdown: Path | None = None

    def check_writable(self) -> None:
        """Fail before any work when a report could not be written."""
        for path in (self.report, self.html, self.markdown):
            if path is not None:
                ensure_writable(path)


@dataclasses.dataclass
class InferOutcome:
    """What ``data infer`` wrote."""

    schema_path: Path
    features: int
    rows: int
    seconds: float


def _resolve(pattern: str, dialect: Dialect, beam: Beam, label: str) -> sources.Source:
    if "://" in pattern:
        if beam.runner is None:
            raise UsageError(f"{label}: {pattern}: remote paths need --runner (Apache Beam)")
        return sources.Source(
            pattern=pattern,
            files=(pattern,),
            format=dialect.format if dialect.format != "auto" else sources.detect_format(pattern),
            dialect=dialect,
        )
    return sources.resolve_source(pattern, dialect, label=label)


def run_infer(
    *,
    data: str,
    schema_path: Path,
    label: str | None,
    force: bool,
    dialect: Dialect,
    thresholds: Thresholds,
    beam: Beam,
) -> InferOutcome:
    """Statistics of ``data``, then the schema with environments and comparators."""
    if schema_path.exists() and not force:
        raise UsageError(f"{schema_path} exists; pass --force to overwrite it")
    ensure_writable(schema_path)
    source = _resolve(data, dialect, beam, "data")
    if label is not None and beam.runner is None:
        names = sources.column_names(source)
        if label not in names:
            raise UsageError(
                f"{data}: label {label!r} is not a column; columns: {', '.join(names)}"
            )
    from research_ci.data import schemas, stats  # noqa: PLC0415

    run = stats.compute_statistics(
        source, runner=beam.runner, beam_options=beam.options, jobs=beam.jobs
    )
    schema = schemas.infer_schema(run.statistics, label=label, thresholds=thresholds)
    schemas.write_schema(schema, schema_path)
    return InferOutcome(
        schema_path=schema_path, features=len(schema.feature), rows=run.rows, seconds=run.seconds
    )


class StatsCache:
    """Statistics computed once per (path, dialect) within one command."""

    def __init__(self, schema: Any, beam: Beam) -> None:
        self.schema = schema
        self.beam = beam
        self._runs: dict[tuple[str, Dialect], Any] = {}

    def get(self, source: sources.Source) -> Any:
        """The :class:`~research_ci.data.stats.StatsRun` of ``source``."""
        from research_ci.data import schemas, stats  # noqa: PLC0415

        key = (source.pattern, source.dialect)
        if key not in self._runs:
            self._runs[key] = stats.compute_statistics(
                source,
                schema=self.schema,
                type_hints=schemas.type_hints(self.schema),
                runner=self.beam.runner,
                beam_options=self.beam.options,
                jobs=self.beam.jobs,
            )
        return self._runs[key]


def run_validate(
    *,
    name: str,
    data: str,
    schema_path: Path,
    environment: str | None,
    previous: str | None,
    training: str | None,
    dialect: Dialect,
    thresholds: Thresholds,
    beam: Beam,
    outputs: Outputs,
    cache: StatsCache | None = None,
    display: dict[str, str] | None = None,
) -> DataResult:
    """Validate ``data`` against the schema; drift vs ``previous``; skew vs ``training``."""
    outputs.check_writable()
    source = _resolve(data, dialect, beam, "data")
    previous_source = _resolve(previous, dialect, beam, "previous") if previous else None
    training_source = _resolve(training, dialect, beam, "training") if training else None
    from research_ci.data import schemas, validation  # noqa: PLC0415

    schema = schemas.load_schema(schema_path)
    schemas.check_environment(schema, environment, schema_path)
    schemas.apply_thresholds(schema, thresholds, defaults=False)
    cache = cache or StatsCache(schema, beam)
    current = cache.get(source)
    previous_run = cache.get(previous_source) if previous_source else None
    training_run = cache.get(training_source) if training_source else None
    outcome = validation.validate(
        current.statistics,
        schema,
        environment=environment,
        previous=previous_run.statistics if previous_run else None,
        training=training_run.statistics if training_run else None,
    )
    shown = display or {}
    result = DataResult(
        name=name,
        data=shown.get("data", data),
        schema=shown.get("schema", str(schema_path)),
        environment=environment,
        previous=shown.get("previous", previous) if previous else None,
        training=shown.get("training", training) if training else None,
        examples={
            key: run.rows
            for key, run in (
                ("data", current),
                ("previous", previous_run),
                ("training", training_run),
            )
            if run is not None
        },
        anomalies=outcome.anomalies,
        drift=outcome.drift,
        skew=outcome.skew,
        details={"seconds": round(current.seconds, 3), "runner": current.runner},
    )
    if outputs.html is not None:
        from research_ci.data import html  # noqa: PLC0415

        result.html = str(outputs.html)
        atomic_write_text(
            outputs.html,
            html.render_report(
                result,
                current=current.dataset,
                previous=previous_run.dataset if previous_run else None,
                training=training_run.dataset if training_run else None,
            ),
        )
    write_outputs(result, outputs)
    return result


def run_skew(
    *,
    name: str,
    training: str,
    serving: str,
    join: SkewJoin,
    dialect: Dialect,
    beam: Beam,
    outputs: Outputs,
    schema_path: Path | None = None,
) -> DataResult:
    """Feature skew between ``training`` and ``serving`` joined as ``join`` says."""
    outputs.check_writable()
    training_source = _resolve(training, dialect, beam, "training")
    serving_source = _resolve(serving, dialect, beam, "serving")
    from research_ci.data import schemas, validation  # noqa: PLC0415

    schema = schemas.load_schema(schema_path) if schema_path is not None else None
    started = time.perf_counter()
    outcome = validation.feature_skew(
        training_source,
        serving_source,
        join=join,
        runner=beam.runner,
        beam_options=beam.options,
        schema=schema,
    )
    result = DataResult(
        name=name,
        kind="feature-skew",
        data=serving,
        training=training,
        schema=str(schema_path) if schema_path is not None else None,
        examples={
            "training": outcome.match_stats.get("base_with_id_count", 0),
            "data": outcome.match_stats.get("test_with_id_count", 0),
        },
        anomalies=outcome.anomalies,
        skew=outcome.skew,
        details={
            "keys": list(join.keys),
            "match_stats": outcome.match_stats,
            "features": outcome.features,
            "not_compared": outcome.not_compared,
            "seconds": round(time.perf_counter() - started, 3),
        },
    )
    if outputs.html is not None:
        from research_ci.data import html  # noqa: PLC0415

        result.html = str(outputs.html)
        atomic_write_text(outputs.html, html.render_report(result))
    write_outputs(result, outputs)
    return result


def write_outputs(result: DataResult, outputs: Outputs) -> None:
    """The JSON report and the Markdown section of one result."""
    import json  # noqa: PLC0415

    from research_ci.data.results import results_markdown  # noqa: PLC0415

    if outputs.report is not None:
        text = json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n"
        atomic_write_text(outputs.report, text)
    if outputs.markdown is not None:
        atomic_write_text(outputs.markdown, results_markdown([result]))


def _relative(settings: DataSettings, path: str) -> str:
    resolved = settings.resolve(path)
    try:
        return str(resolved.relative_to(settings.root))
    except ValueError:
        return str(resolved)


def run_check(
    settings: DataSettings, *, report: Path, html_dir: Path | None, beam: Beam
) -> list[DataResult]:
    """Every validation and feature-skew entry of ``[tool.research-ci.data]``, one process."""
    ensure_writable(report)
    if not settings.validate and not settings.feature_skew:
        raise UsageError(
            "[tool.research-ci.data]: nothing to check; set 'train' or add "
            "[[tool.research-ci.data.validate]] entries"
        )
    schema_path = settings.resolve(settings.schema)
    results: list[DataResult] = []
    cache: StatsCache | None = None
    if settings.validate:
        from research_ci.data import schemas  # noqa: PLC0415

        schema = schemas.load_schema(schema_path)
        schemas.apply_thresholds(schema, settings.thresholds, defaults=False)
        cache = StatsCache(schema, beam)
    for entry in settings.validate:
        display = {
            "data": _relative(settings, entry.path),
            "schema": _relative(settings, settings.schema),
        }
        for key in ("previous", "training"):
            value = getattr(entry, key)
            if value:
                display[key] = _relative(settings, value)
        try:
            result = run_validate(
                name=entry.name,
                data=str(settings.resolve(entry.path)),
                schema_path=schema_path,
                environment=entry.environment,
                previous=str(settings.resolve(entry.previous)) if entry.previous else None,
                training=str(settings.resolve(entry.training)) if entry.training else None,
                dialect=entry.dialect,
                thresholds=settings.thresholds,
                beam=beam,
                outputs=Outputs(
                    html=html_dir / f"{entry.name}.html" if html_dir and settings.html else None
                ),
                cache=cache,
                display=display,
            )
        except UsageError as exc:
            result = DataResult(
                name=entry.name,
                data=display["data"],
                schema=display["schema"],
                environment=entry.environment,
                error=str(exc),
            )
        results.append(result)
    results.extend(
        _check_feature_skew(settings, skew_entry, html_dir, beam)
        for skew_entry in settings.feature_skew
    )
    atomic_write_text(report, results_to_json(results))
    return results


def configured_schema(settings: DataSettings) -> Path | None:
    """The project's schema for feature skew, when it exists (its SERVING environment)."""
    path = settings.resolve(settings.schema)
    return path if path.is_file() else None


def _check_feature_skew(
    settings: DataSettings, entry: FeatureSkewEntry, html_dir: Path | None, beam: Beam
) -> DataResult:
    try:
        result = run_skew(
            name=entry.name,
            training=str(settings.resolve(entry.training)),
            serving=str(settings.resolve(entry.serving)),
            join=SkewJoin(
                keys=entry.keys,
                ignore=(settings.label,) if settings.label else (),
                float_round_ndigits=entry.float_round_ndigits,
            ),
            dialect=entry.dialect,
            beam=beam,
            outputs=Outputs(
                html=html_dir / f"{entry.name}.html" if html_dir and settings.html else None
            ),
            schema_path=configured_schema(settings),
        )
    except UsageError as exc:
        return DataResult(
            name=entry.name,
            kind="feature-skew",
            data=_relative(settings, entry.serving),
            training=_relative(settings, entry.training),
            error=str(exc),
        )
    result.data = _relative(settings, entry.serving)
    result.training = _relative(settings, entry.training)
    if result.schema is not None:
        result.schema = _relative(settings, settings.schema)
    return result
