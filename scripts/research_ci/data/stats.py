"""Statistics of a dataset with TFDV: chunked in this process, or on an Apache Beam runner.

In-process (the default) the input is streamed as Arrow record batches
(:mod:`research_ci.data.sources`) straight into TFDV's combiner statistics generators (the
same ones ``tfdv.generate_statistics_from_dataframe`` and the Beam pipeline use:
``stats_impl.get_generators(options, in_memory=True)``); each batch is added to the running
accumulators, whose sketches (quantiles, top-k, distinct counts) have a fixed size, so memory
is bounded by one block of input whatever the size of the file. The result is the
``DatasetFeatureStatisticsList`` TFDV would compute, without Beam's per-element overhead.

With ``runner`` set, TFDV's own Beam path runs instead (``generate_statistics_from_csv``,
``generate_statistics_from_tfrecord``, or ``GenerateStatistics`` over Parquet batches) with
the given pipeline options, so the same command scales out on Dataflow, Flink or Spark.

Numeric drift and skew (:mod:`research_ci.data.drift`) need finer quantiles than TFDV's
ten-bucket ``QUANTILES`` histogram. In-process, they are read from the quantile sketch TFDV's
basic generator already keeps for each numeric feature (after the byte-range workers' sketches
are merged, so they describe the whole file) and added to the feature as the custom statistic
``research-ci/quantiles``: no second pass and no second sketch. TFDV's own route to more
quantile buckets (``num_quantiles_histogram_buckets``) costs ~50 ms per numeric feature in
pure Python at extraction, so it is used only on a Beam runner, where the sketches are not
reachable and the extraction runs once per (large) job.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from research_ci.data import drift, sources
from research_ci.data.runtime import load_core, load_tfdv
from research_ci.data.settings import beam_option_args
from research_ci.errors import UsageError

#: Buckets of TFDV's QUANTILES histogram on a Beam runner (in-process: the sketches' own).
BEAM_QUANTILE_BUCKETS = 100


@dataclasses.dataclass
class StatsRun:
    """Statistics and how they were computed."""

    statistics: Any  # DatasetFeatureStatisticsList
    rows: int
    seconds: float
    batches: int = 0
    restarts: int = 0
    runner: str = "in-process"

    @property
    def dataset(self) -> Any:
        """The single (unsliced) DatasetFeatureStatistics."""
        return self.statistics.datasets[0]


def stats_options(schema: Any | None = None, **options: Any) -> Any:
    """TFDV ``StatsOptions``: the schema (when known) makes INT categories categorical."""
    stats_options_module = load_core().stats_options
    if schema is not None:
        options["schema"] = schema
    return stats_options_module.StatsOptions(**options)


def _show_progress() -> bool:
    return sys.stderr.isatty() and not os.environ.get("CI")


@contextmanager
def _progress_bar(label: str, total: int, enabled: bool) -> Iterator[Any]:
    if not enabled:
        yield None
        return
    from rich.progress import (  # noqa: PLC0415
        BarColumn,
        DownloadColumn,
        Progress,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        transient=True,
    ) as progress:
        task = progress.add_task(label, total=total)
        yield lambda amount: progress.advance(task, amount)


def compute_statistics(
    source: sources.Source,
    *,
    schema: Any | None = None,
    type_hints: dict[str, str] | None = None,
    runner: str | None = None,
    beam_options: Sequence[str] = (),
    block_size: int = sources.DEFAULT_BLOCK_SIZE,
    progress: bool | None = None,
    jobs: int | None = None,
    min_range_bytes: int = 4 << 20,
) -> StatsRun:
    """Statistics of ``source``, in this process (``jobs`` processes) or on ``runner``."""
    if runner:
        return beam_statistics(source, schema=schema, runner=runner, beam_options=beam_options)
    core = load_core()
    options = stats_options(schema)
    started = time.perf_counter()
    generators = core.stats_impl.get_generators(options, in_memory=True)
    show = _show_progress() if progress is None else progress
    workers = default_jobs() if jobs is None else jobs
    with _progress_bar(Path(source.files[0]).name, source.total_bytes, show) as advance:
        outcome = None
        if source.format == "csv" and workers > 1:
            outcome = _parallel_csv_statistics(
                source, generators, type_hints, block_size, workers, advance, min_range_bytes
            )
        runner_name = f"in-process, {workers} processes" if outcome else "in-process"
        if outcome is None:

            def serial(types: dict[str, str]) -> tuple[list[Any], int, int]:
                reader = sources.open_reader(
                    source, type_hints=types, block_size=block_size, progress=advance
                )
                return accumulate(reader, generators)

            outcome = sources.read_widening(serial, type_hints)
    (accumulators, rows, batches), restarts = outcome
    if rows == 0:
        raise UsageError(f"{source.pattern}: no data rows (only a header?)")
    statistics = core.stats_impl.extract_statistics_output(accumulators, generators)
    # After TFDV's extraction, which compacts and then finalizes the sketches.
    drift.attach_quantiles(statistics.datasets[0], drift.sketch_quantiles(generators, accumulators))
    return StatsRun(
        statistics=statistics,
        rows=rows,
        seconds=time.perf_counter() - started,
        batches=batches,
        restarts=restarts,
        runner=runner_name,
    )


#: Compact the accumulators every this many batches: the quantile sketches buffer the values
#: they are given until compacted, so without it memory grows with the number of rows.
COMPACT_EVERY = 4


def accumulate(reader: sources.Reader, generators: list[Any]) -> tuple[list[Any], int, int]:
    """Feed every record batch of ``reader`` to the generators: (accumulators, rows, batches).

    A :class:`sources.TypesChanged` from the reader goes to :func:`sources.read_widening`.
    """
    table_util = load_core().table_util
    accumulators = [generator.create_accumulator() for generator in generators]
    rows = batches = 0
    for batch in reader.batches():
        if batch.num_rows == 0:
            continue
        canonical = table_util.CanonicalizeRecordBatch(batch)
        accumulators = [
            generator.add_input(accumulator, canonical)
            for generator, accumulator in zip(generators, accumulators, strict=True)
        ]
        rows += batch.num_rows
        batches += 1
        if batches % COMPACT_EVERY == 0:
            accumulators = _compact(generators, accumulators)
    return accumulators, rows, batches


def _compact(generators: list[Any], accumulators: list[Any]) -> list[Any]:
    return [
        generator.compact(accumulator)
        for generator, accumulator in zip(generators, accumulators, strict=True)
    ]


def default_jobs() -> int:
    """Worker processes for in-process statistics: the CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


#: What forked workers inherit: source, generators, column names and types, block size.
_WORKER: dict[str, Any] = {}


def _range_partials(unit: tuple[str, tuple[int, int]]) -> tuple[str, Any, int, int, int]:
    """Partial statistics of one byte range of one file (runs in a forked worker)."""
    path, byte_range = unit
    source = dataclasses.replace(_WORKER["source"], files=(path,))
    generators = _WORKER["generators"]
    reader = sources.CsvReader(
        source,
        type_hints=_WORKER["types"],
        block_size=_WORKER["block_size"],
        byte_range=byte_range,
        names=list(_WORKER["names"]),
    )
    try:
        accumulators, rows, batches = accumulate(reader, generators)
    except sources.TypesChanged as changed:
        return ("types", changed.types, 0, 0, 0)
    compacted = _compact(generators, accumulators)
    return ("ok", compacted, rows, batches, byte_range[1] - byte_range[0])


def _parallel_csv_statistics(
    source: sources.Source,
    generators: list[Any],
    type_hints: dict[str, str] | None,
    block_size: int,
    workers: int,
    advance: sources.Progress | None = None,
    min_range: int = 4 << 20,
) -> tuple[tuple[list[Any], int, int], int] | None:
    """Statistics of plain CSV files cut into byte ranges, one forked worker per range.

    ``None`` when the files cannot be cut (quotes, compression, small files) or fork is not
    available: the caller then reads them serially. A range that needs a wider column type
    makes every range start again with it (:func:`sources.read_widening`).
    """
    if "fork" not in multiprocessing.get_all_start_methods():  # pragma: no cover - Windows
        return None
    # More ranges than workers: the load evens out, and the progress bar moves.
    units = [
        (path, byte_range)
        for path in source.files
        for byte_range in sources.split_ranges(path, workers * 4, min_part=min_range)
    ]
    if len(units) < 2:
        return None
    # Names and first-block types from the start of the first file, as the serial reader.
    names, first_types = sources.probe_csv(source, type_hints)
    if not names:
        return None
    context = multiprocessing.get_context("fork")

    def ranges(types: dict[str, str]) -> tuple[list[Any], int, int]:
        _WORKER.update(
            source=source, generators=generators, names=names, types=types, block_size=block_size
        )
        outcomes: list[tuple[str, Any, int, int]] = []
        with context.Pool(min(workers, len(units))) as pool:
            for kind, partial, rows, batches, size in pool.imap_unordered(
                _range_partials, units, chunksize=1
            ):
                outcomes.append((kind, partial, rows, batches))
                if advance is not None:
                    advance(size)
        widened: dict[str, str] = {}
        for outcome in outcomes:
            if outcome[0] == "types":
                for name, kind in outcome[1].items():
                    widened[name] = sources.wider(kind, widened.get(name, types.get(name, "null")))
        if widened:
            raise sources.TypesChanged({**types, **widened})
        merged = [
            generator.merge_accumulators([outcome[1][index] for outcome in outcomes])
            for index, generator in enumerate(generators)
        ]
        rows = sum(outcome[2] for outcome in outcomes)
        batches = sum(outcome[3] for outcome in outcomes)
        return merged, rows, batches

    return sources.read_widening(ranges, first_types)


def _beam_output_path(beam_options: Sequence[str], workdir: str) -> str:
    for option in beam_options:
        key, _, value = option.removeprefix("--").partition("=")
        if key == "temp_location" and value:
            return f"{value.rstrip('/')}/research-ci-stats-{uuid.uuid4().hex}/stats.pb"
    return str(Path(workdir) / "stats.pb")


def beam_statistics(
    source: sources.Source,
    *,
    schema: Any | None,
    runner: str,
    beam_options: Sequence[str],
) -> StatsRun:
    """Statistics with TFDV's Beam pipeline on ``runner`` (DirectRunner, DataflowRunner...)."""
    tfdv = load_tfdv()
    from apache_beam.options.pipeline_options import PipelineOptions  # noqa: PLC0415

    flags = beam_option_args(beam_options, runner)
    try:
        pipeline_options = PipelineOptions(flags)
        pipeline_options.view_as(type(pipeline_options))  # validates the flags
    except (ValueError, SystemExit) as exc:
        raise UsageError(f"invalid Beam options {' '.join(flags)}: {exc}") from exc
    options = stats_options(schema, num_quantiles_histogram_buckets=BEAM_QUANTILE_BUCKETS)
    dialect = source.dialect
    pattern = source.pattern
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="research-ci-beam-") as workdir:
        output_path = _beam_output_path(beam_options, workdir)
        if source.format == "csv":
            if len(dialect.delimiter) > 1 or dialect.na_values or dialect.encoding != "utf-8":
                raise UsageError(
                    "--runner reads CSV with TFDV's own decoder: it takes a one-character "
                    "delimiter, UTF-8 and empty fields as missing only (no --na-value)"
                )
            statistics = tfdv.generate_statistics_from_csv(
                data_location=pattern,
                column_names=list(dialect.column_names) or None,
                delimiter=dialect.delimiter,
                output_path=output_path,
                stats_options=options,
                pipeline_options=pipeline_options,
            )
        elif source.format == "tfrecord":
            statistics = tfdv.generate_statistics_from_tfrecord(
                data_location=pattern,
                output_path=output_path,
                stats_options=options,
                pipeline_options=pipeline_options,
            )
        else:
            statistics = _beam_parquet_statistics(pattern, options, pipeline_options, output_path)
    dataset = statistics.datasets[0]
    return StatsRun(
        statistics=statistics,
        rows=int(dataset.num_examples),
        seconds=time.perf_counter() - started,
        runner=runner,
    )


def canonical_batches(table: Any) -> Iterator[Any]:
    """Record batches as TFDV takes them from a Parquet table (or batch) read by Beam."""
    table_util = load_core().table_util
    batches = table.to_batches() if hasattr(table, "to_batches") else [table]
    for batch in batches:
        if batch.num_rows:
            yield table_util.CanonicalizeRecordBatch(sources.normalize_batch(batch))


def _beam_parquet_statistics(
    pattern: str, options: Any, pipeline_options: Any, output_path: str
) -> Any:
    import apache_beam as beam  # noqa: PLC0415

    tfdv = load_tfdv()
    with beam.Pipeline(options=pipeline_options) as pipeline:
        _ = (
            pipeline
            | "ReadParquet" >> beam.io.ReadFromParquetBatched(pattern)
            | "Normalize" >> beam.FlatMap(canonical_batches)
            | "GenerateStatistics" >> tfdv.GenerateStatistics(options)
            | "WriteStatistics" >> tfdv.WriteStatisticsToBinaryFile(output_path)
        )
    return tfdv.load_stats_binary(output_path)
