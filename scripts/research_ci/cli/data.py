"""``research-ci data``: infer a schema, validate data against it, detect drift and skew.

Only click and the settings are imported here: ``research-ci data --help`` stays fast. What
the commands do is :mod:`research_ci.data.commands` (pyarrow, and TFDV where statistics are
computed), imported by each command when it runs, inside :func:`_data_runtime`.

Exit codes: 0 clean, 1 anomalies (or feature skew) found, 2 bad input (one line on stderr).
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from research_ci.cli.options import (
    F,
    configured_settings,
    csv_dialect,
    csv_options,
    path_option,
    project_argument,
)
from research_ci.data.settings import (
    DEFAULT_SCHEMA,
    ENVIRONMENTS,
    FORMATS,
    DataSettings,
    Dialect,
    SkewJoin,
    load_data_settings,
    parse_beam_option,
    parse_data_settings,
)
from research_ci.errors import EXIT_FAILED, EXIT_OK, UsageError
from research_ci.report import DATA_OUTPUT_DIR

if TYPE_CHECKING:
    from research_ci.data.commands import Beam
    from research_ci.data.results import DataResult


def dialect_options(function: F) -> F:
    """The options that say how to read the input files."""
    options = [
        csv_options(FORMATS, "Input format (default: from the file name; CSV when unsure)."),
        path_option(
            "--config",
            "config",
            "pyproject.toml with [tool.research-ci.data] (thresholds, CSV dialect). "
            "Default: ./pyproject.toml when present.",
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def beam_options(function: F) -> F:
    """``--runner`` and ``--beam-option``: run TFDV's Beam pipeline instead of in-process."""
    function = click.option(
        "--jobs",
        type=click.IntRange(min=1),
        help=(
            "Processes for in-process statistics of plain CSV files (default: the CPUs). "
            "Each holds its own copy of TFDV in memory: use 1 on a small machine."
        ),
    )(function)
    function = click.option(
        "--beam-option",
        "beam_option",
        multiple=True,
        metavar="KEY=VALUE",
        help=(
            "Apache Beam pipeline option (repeatable), e.g. project=P, region=R, "
            "temp_location=gs://B/tmp, extra_package=tfdv.whl."
        ),
    )(function)
    return click.option(
        "--runner",
        metavar="RUNNER",
        help=(
            "Compute statistics with TFDV's Beam pipeline on this runner (DirectRunner, "
            "DataflowRunner, FlinkRunner, SparkRunner). Default: in-process, chunked."
        ),
    )(function)


@contextlib.contextmanager
def _data_runtime() -> Iterator[None]:
    """Around the import of the command implementations (pyarrow, TFDV).

    Without TFDV in this Python, the command runs again, with the same arguments, in the data
    environment (provisioned on first use; see :mod:`research_ci.data.provision`); where
    pyarrow is missing there, one line says so.
    """
    if importlib.util.find_spec("tensorflow_data_validation") is None:
        from research_ci.data.provision import ProvisionError, rerun

        context = click.get_current_context()
        try:
            code = rerun(["data", *context.meta[_ARGS]])
        except ProvisionError as exc:
            raise UsageError(str(exc)) from exc
        raise click.exceptions.Exit(code)
    try:
        yield
    except ImportError as exc:
        from research_ci.data.runtime import INSTALL_HINT

        raise UsageError(f"{INSTALL_HINT} ({exc})") from exc


def _settings(config: Path | None) -> DataSettings:
    return configured_settings(
        config, load_data_settings, parse_data_settings, "tool.research-ci.data"
    )


def _beam(settings: DataSettings, options: dict[str, Any]) -> Beam:
    runner = options.get("runner") or settings.runner
    raw = tuple(options.get("beam_option") or ()) or settings.beam_options
    for item in raw:
        parse_beam_option(item, source="--beam-option")
    jobs = options.get("jobs") or settings.jobs
    with _data_runtime():
        from research_ci.data.commands import Beam

    return Beam(runner=runner, options=raw, jobs=jobs)


@dataclasses.dataclass(frozen=True)
class _Inputs:
    """What ``infer``, ``validate`` and ``skew`` read alike from their options."""

    settings: DataSettings  # [tool.research-ci.data] of --config, else ./pyproject.toml
    dialect: Dialect  # the configured CSV dialect, the command line's on top
    beam: Beam


def _inputs(options: dict[str, Any]) -> _Inputs:
    """The settings, CSV dialect and Beam that ``options`` give.

    :func:`_beam` enters the data runtime (:func:`_data_runtime`): after this, the command
    imports :mod:`research_ci.data.commands`.
    """
    settings = _settings(options["config"])
    return _Inputs(settings, csv_dialect(options, settings.dialect), _beam(settings, options))


_ARGS = "research_ci.data.args"


class DataGroup(click.Group):
    """Keeps its arguments, for a re-run in the data environment."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Remember ``args`` (the subcommand and its options), then parse them."""
        ctx.meta[_ARGS] = list(args)
        return super().parse_args(ctx, args)


@click.group(name="data", cls=DataGroup)
def data() -> None:
    """Data validation with TensorFlow Data Validation (TFDV).

    Infer a schema from training data (environments, drift and skew comparators), validate
    data against it (anomalies, drift against --previous, distribution skew against
    --training), detect feature skew between examples joined on key columns, or run every
    validation configured in [tool.research-ci.data]. Exit codes: 0 clean, 1 anomalies,
    2 bad input.
    """


@data.command()
@click.option("--data", "data_path", required=True, metavar="FILE", help="Data file or glob.")
@click.option("--label", metavar="COL", help="The label column: not in the SERVING environment.")
@path_option(
    "--schema",
    "schema_path",
    "Where to write the schema (text proto).",
    default=DEFAULT_SCHEMA,
    show_default=True,
)
@click.option("--force", is_flag=True, help="Overwrite an existing schema.")
@dialect_options
@beam_options
def infer(data_path: str, label: str | None, schema_path: Path, force: bool, **options: Any) -> int:
    """Infer a schema from the statistics of training data."""
    inputs = _inputs(options)
    from research_ci.data import commands  # importable: _inputs entered the data runtime

    outcome = commands.run_infer(
        data=data_path,
        schema_path=schema_path,
        label=label or inputs.settings.label,
        force=force,
        dialect=inputs.dialect,
        thresholds=inputs.settings.thresholds,
        beam=inputs.beam,
    )
    click.echo(
        f"wrote {outcome.schema_path}: {outcome.features} features from {outcome.rows} rows "
        f"({outcome.seconds:.2f} s of statistics)"
    )
    return EXIT_OK


@data.command()
@path_option(
    "--schema", "schema_path", "The schema (text proto) to validate against.", required=True
)
@click.option("--data", "data_path", required=True, metavar="FILE", help="Data file or glob.")
@click.option(
    "--environment",
    type=click.Choice(ENVIRONMENTS),
    help="Schema environment: TRAINING (label expected) or SERVING (no label).",
)
@click.option("--previous", metavar="FILE", help="An earlier span: drift is measured against it.")
@click.option(
    "--training", metavar="FILE", help="Training data: distribution skew of --data against it."
)
@path_option("--report", "report", "Write the JSON report.")
@path_option(
    "--html", "html", "Write a self-contained HTML report: every feature, both datasets overlaid."
)
@path_option("--markdown", "markdown", "Write a Markdown section (job summary, PR comment).")
@dialect_options
@beam_options
def validate(
    schema_path: Path,
    data_path: str,
    environment: str | None,
    previous: str | None,
    training: str | None,
    report: Path | None,
    html: Path | None,
    markdown: Path | None,
    **options: Any,
) -> int:
    """Validate data against the schema: anomalies, drift and distribution skew."""
    inputs = _inputs(options)
    from research_ci.data import commands  # importable: _inputs entered the data runtime

    result = commands.run_validate(
        name=Path(data_path).stem or "data",
        data=data_path,
        schema_path=schema_path,
        environment=environment,
        previous=previous,
        training=training,
        dialect=inputs.dialect,
        thresholds=inputs.settings.thresholds,
        beam=inputs.beam,
        outputs=commands.Outputs(report=report, html=html, markdown=markdown),
    )
    _echo_result(result)
    return EXIT_FAILED if result.anomalies else EXIT_OK


@data.command()
@click.option("--training", required=True, metavar="FILE", help="Training data (file or glob).")
@click.option("--serving", required=True, metavar="FILE", help="Serving data (file or glob).")
@click.option(
    "--key",
    "keys",
    required=True,
    multiple=True,
    metavar="COL",
    help="Identifier column joining training and serving examples (repeatable).",
)
@click.option("--ignore", multiple=True, metavar="COL", help="Column not compared (repeatable).")
@click.option(
    "--float-round-ndigits",
    type=click.IntRange(min=0),
    help="Round floats to this many digits before comparing.",
)
@click.option(
    "--max-mismatch",
    type=click.FloatRange(0.0, 1.0),
    default=0.0,
    show_default=True,
    help="Largest fraction of joined pairs whose value may differ before a feature is skewed.",
)
@path_option(
    "--schema",
    "schema_path",
    "Schema: its types read the CSV columns and features it does not expect in SERVING "
    "(the label) are not compared. Default: the configured schema, when it exists.",
)
@path_option("--report", "report", "Write the JSON report.")
@path_option("--html", "html", "Write an HTML report.")
@dialect_options
@beam_options
def skew(
    training: str,
    serving: str,
    keys: tuple[str, ...],
    ignore: tuple[str, ...],
    float_round_ndigits: int | None,
    max_mismatch: float,
    schema_path: Path | None,
    report: Path | None,
    html: Path | None,
    **options: Any,
) -> int:
    """Feature skew: the same examples (joined on --key) with different values."""
    inputs = _inputs(options)
    from research_ci.data import commands  # importable: _inputs entered the data runtime

    if schema_path is None:
        schema_path = commands.configured_schema(inputs.settings)
    result = commands.run_skew(
        name=f"feature-skew-{Path(serving).stem}",
        training=training,
        serving=serving,
        join=SkewJoin(
            keys=keys,
            ignore=ignore,
            float_round_ndigits=float_round_ndigits,
            max_fraction=max_mismatch,
        ),
        dialect=inputs.dialect,
        beam=inputs.beam,
        outputs=commands.Outputs(report=report, html=html),
        schema_path=schema_path,
    )
    _echo_result(result)
    return EXIT_FAILED if result.anomalies else EXIT_OK


@data.command()
@project_argument
@path_option(
    "--report",
    "report",
    "JSON report of every dataset (default PATH/.research-ci/data/report.json).",
)
@path_option(
    "--html-dir",
    "html_dir",
    "Directory for the HTML reports (default PATH/.research-ci/data).",
    metavar="DIRECTORY",
)
@beam_options
def check(path: Path, report: Path | None, html_dir: Path | None, **options: Any) -> int:
    """Run every validation configured in PATH's [tool.research-ci.data]."""
    with _data_runtime():
        from research_ci.data import commands

    settings = load_data_settings(path / "pyproject.toml")
    output_dir = path.resolve() / DATA_OUTPUT_DIR
    results = commands.run_check(
        settings,
        report=report or output_dir / "report.json",
        html_dir=html_dir or output_dir,
        beam=_beam(settings, options),
    )
    for result in results:
        _echo_result(result)
    failed = any(result.status != "passed" for result in results)
    return EXIT_FAILED if failed else EXIT_OK


def _echo_result(result: DataResult) -> None:
    counts = ", ".join(f"{key} {value} rows" for key, value in result.examples.items())
    if result.error:
        click.echo(f"{result.name}: error: {result.error}")
        return
    over = [item for item in (*result.drift, *result.skew) if item.exceeded]
    click.echo(
        f"{result.name}: {result.status}: {len(result.anomalies)} anomalies, "
        f"{len(result.drift)} drift and {len(result.skew)} skew measures "
        f"({len(over)} over threshold); {counts}"
    )
    for item in result.anomalies[:50]:
        click.echo(f"  {item.feature}: {item.kind}: {item.description}")
    if len(result.anomalies) > 50:
        click.echo(f"  ... and {len(result.anomalies) - 50} more (see the JSON report)")
    for feature, reason in result.details.get("not_compared", {}).items():
        click.echo(f"  {feature}: not compared ({reason})")
    if result.html:
        click.echo(f"  HTML report: {result.html}")
