"""The ``[tool.research-ci.data]`` table: which data to validate, how, and with which thresholds.

Pure Python (no TFDV, no pyarrow): the engine's ``research-ci check`` validates this table in its
own environment before it starts the TFDV environment, and ``research-ci data`` reads it again
there. Every problem is one :class:`~research_ci.errors.UsageError` line naming the key.

Example::

    [tool.research-ci.data]
    schema = "data/schema.pbtxt"     # written by `research-ci data infer`, reviewed like code
    train = "data/train.csv"         # training data: drift/skew baseline, validated in TRAINING
    label = "tips"                   # the label column: absent in the SERVING environment
    delimiter = ","                  # CSV dialect for every file (overridable per dataset)
    column-names = []                # names for CSV files without a header row
    na-values = []                   # more strings meaning "missing" (besides the empty field)
    categorical-threshold = 0.1      # L-infinity default of `data infer` (categorical features)
    numeric-measure = "kolmogorov_smirnov"   # or "jensen_shannon_divergence" (TFDV's)
    numeric-threshold = 0.05         # default of `data infer` for numeric features

    [tool.research-ci.data.thresholds]      # per-feature overrides (infer and validate)
    payment_type = 0.01                     # drift and skew
    trip_miles = { drift = 0.2, skew = 0.05, measure = "jensen_shannon_divergence" }
    company = { drift = false }             # no drift comparison for this feature

    jobs = 2                         # processes for in-process statistics (default: CPUs)

    [[tool.research-ci.data.validate]]
    path = "data/eval.csv"           # file or glob of shards
    environment = "TRAINING"         # TRAINING (default) or SERVING
    previous = "data/train.csv"      # drift against an earlier span

    [[tool.research-ci.data.validate]]
    path = "data/serving.csv"
    environment = "SERVING"
    training = "data/train.csv"      # distribution skew against the training data

    [[tool.research-ci.data.feature-skew]]
    training = "data/train.csv"
    serving = "data/serving.csv"
    keys = ["trip_id"]
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from research_ci.errors import UsageError
from research_ci.pyproject import read_toml, tool_table
from research_ci.toml_values import reject_unknown, string, strings

ENVIRONMENTS: tuple[str, ...] = ("TRAINING", "SERVING")
DEFAULT_SCHEMA = "data/schema.pbtxt"
KOLMOGOROV_SMIRNOV = "kolmogorov_smirnov"
#: Names of the comparator measures, as written in the configuration and the reports, and
#: the threshold ``data infer`` gives each by default.
DEFAULT_THRESHOLDS: dict[str, float] = {
    "infinity_norm": 0.1,
    "jensen_shannon_divergence": 0.1,
    KOLMOGOROV_SMIRNOV: 0.05,
}
MEASURES: tuple[str, ...] = tuple(DEFAULT_THRESHOLDS)
#: Measures for numeric features; the first is the default.
NUMERIC_MEASURES: tuple[str, ...] = (KOLMOGOROV_SMIRNOV, "jensen_shannon_divergence")
DEFAULT_CATEGORICAL_THRESHOLD = DEFAULT_THRESHOLDS["infinity_norm"]
FORMATS: tuple[str, ...] = ("csv", "parquet", "tfrecord")
Format = Literal["auto", "csv", "parquet", "tfrecord"]

#: The keys of a CSV dialect (:func:`parse_dialect`), also keys of the model table.
DIALECT_KEYS = frozenset({"delimiter", "column-names", "na-values", "encoding", "format"})
_TOP_KEYS = frozenset(
    {
        "schema",
        "train",
        "label",
        "categorical-threshold",
        "numeric-measure",
        "numeric-threshold",
        "thresholds",
        "validate",
        "feature-skew",
        "html",
        "runner",
        "beam-options",
        "jobs",
    }
    | DIALECT_KEYS
)
_VALIDATE_KEYS = frozenset({"path", "name", "environment", "previous", "training"} | DIALECT_KEYS)
_SKEW_KEYS = frozenset(
    {"training", "serving", "keys", "name", "float-round-ndigits"} | DIALECT_KEYS
)
_THRESHOLD_KEYS = frozenset({"drift", "skew", "measure"})


def parse_delimiter(value: str, *, source: str) -> str:
    r"""Accept ``","``, ``";"``, ``"\t"`` (or ``"tab"``), ``"|"``, and multi-character ``", "``."""
    aliases = {"\\t": "\t", "tab": "\t", "TAB": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}
    delimiter = aliases.get(value, value)
    if not delimiter:
        raise UsageError(f"{source}: the delimiter must not be empty")
    if any(char in delimiter for char in '\r\n"'):
        raise UsageError(f"{source}: the delimiter must not contain a quote or a line break")
    return delimiter


@dataclasses.dataclass(frozen=True, kw_only=True)
class Dialect:
    """How to read the input files: the CSV dialect and the format."""

    delimiter: str = ","
    column_names: tuple[str, ...] = ()
    na_values: tuple[str, ...] = ()
    encoding: str = "utf-8"
    format: Format = "auto"

    def cli_args(self) -> list[str]:
        """The same dialect as ``research-ci data`` command-line options."""
        args = ["--delimiter", self.delimiter, "--encoding", self.encoding]
        if self.column_names:
            args += ["--column-names", ",".join(self.column_names)]
        for value in self.na_values:
            args += ["--na-value", value]
        if self.format != "auto":
            args += ["--format", self.format]
        return args


@dataclasses.dataclass(frozen=True, kw_only=True)
class FeatureThreshold:
    """A per-feature override. ``None`` keeps the schema's value, ``False`` disables it."""

    drift: float | bool | None = None
    skew: float | bool | None = None
    measure: str | None = None


@dataclasses.dataclass(frozen=True, kw_only=True)
class Thresholds:
    """Default comparators for ``data infer`` and per-feature overrides.

    ``numeric`` None means the default threshold of ``numeric_measure``.
    """

    categorical: float = DEFAULT_CATEGORICAL_THRESHOLD
    numeric_measure: str = KOLMOGOROV_SMIRNOV
    numeric: float | None = None
    features: Mapping[str, FeatureThreshold] = dataclasses.field(default_factory=dict)

    @property
    def numeric_threshold(self) -> float:
        """The threshold of numeric features' comparators."""
        return (
            self.numeric if self.numeric is not None else DEFAULT_THRESHOLDS[self.numeric_measure]
        )

    def default_for(self, measure: str) -> float:
        """The configured (or default) threshold of ``measure``."""
        if measure == "infinity_norm":
            return self.categorical
        if measure == self.numeric_measure:
            return self.numeric_threshold
        return DEFAULT_THRESHOLDS[measure]


@dataclasses.dataclass(frozen=True, kw_only=True)
class ValidateEntry:
    """One ``[[tool.research-ci.data.validate]]`` entry: a dataset checked against the schema."""

    name: str
    path: str
    environment: str = "TRAINING"
    previous: str | None = None
    training: str | None = None
    dialect: Dialect = Dialect()


@dataclasses.dataclass(frozen=True, kw_only=True)
class FeatureSkewEntry:
    """One ``[[tool.research-ci.data.feature-skew]]`` entry: examples joined on key columns."""

    name: str
    training: str
    serving: str
    keys: tuple[str, ...]
    float_round_ndigits: int | None = None
    dialect: Dialect = Dialect()


@dataclasses.dataclass(frozen=True, kw_only=True)
class SkewJoin:
    """How feature skew joins training and serving examples, and when a feature is skewed."""

    keys: tuple[str, ...]  # the identifier columns
    ignore: tuple[str, ...] = ()  # columns not compared
    float_round_ndigits: int | None = None  # floats rounded to this many digits first
    max_fraction: float = 0.0  # the largest fraction of joined pairs that may differ


@dataclasses.dataclass(frozen=True, kw_only=True)
class DataSettings:
    """The validated ``[tool.research-ci.data]`` table; paths are relative to ``root``."""

    root: Path
    schema: str = DEFAULT_SCHEMA
    train: str | None = None
    label: str | None = None
    dialect: Dialect = Dialect()
    thresholds: Thresholds = Thresholds()
    validate: tuple[ValidateEntry, ...] = ()
    feature_skew: tuple[FeatureSkewEntry, ...] = ()
    html: bool = True
    runner: str | None = None
    beam_options: tuple[str, ...] = ()
    jobs: int | None = None

    def resolve(self, path: str) -> Path:
        """``path`` relative to the project root (globs are kept as text)."""
        candidate = Path(path).expanduser()
        return candidate if candidate.is_absolute() else self.root / candidate

    def beam_args(self) -> list[str]:
        """``--runner`` and ``--beam-option`` arguments for the data CLI."""
        args = ["--runner", self.runner] if self.runner else []
        for option in self.beam_options:
            args += ["--beam-option", option]
        if self.jobs is not None:
            args += ["--jobs", str(self.jobs)]
        return args


def _fraction(value: object, *, source: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise UsageError(f"{source}: expected a number from 0 to 1")
    number = float(value)
    if not (0.0 <= number <= 1.0) or math.isnan(number):
        raise UsageError(f"{source}: expected a number from 0 to 1, got {value}")
    return number


def parse_dialect(table: Mapping[str, Any], *, base: Dialect, source: str) -> Dialect:
    """The dialect keys of ``table`` on top of ``base``."""
    changes: dict[str, Any] = {}
    if "delimiter" in table:
        value = table["delimiter"]
        if not isinstance(value, str):
            raise UsageError(f'{source} delimiter: expected a string such as "," or "\\t"')
        changes["delimiter"] = parse_delimiter(value, source=f"{source} delimiter")
    if "column-names" in table:
        names = strings(table["column-names"], source=f"{source} column-names")
        if len(set(names)) != len(names):
            raise UsageError(f"{source} column-names: names must be unique")
        changes["column_names"] = names
    if "na-values" in table:
        changes["na_values"] = strings(table["na-values"], source=f"{source} na-values")
    if "encoding" in table:
        changes["encoding"] = string(table["encoding"], source=f"{source} encoding")
    if "format" in table:
        value = table["format"]
        if value not in (*FORMATS, "auto"):
            raise UsageError(f"{source} format: expected one of auto, {', '.join(FORMATS)}")
        changes["format"] = value
    return dataclasses.replace(base, **changes)


def parse_feature_threshold(value: object, *, source: str) -> FeatureThreshold:
    """``0.05`` (drift and skew), or ``{drift = 0.2, skew = false, measure = "..."}``."""
    if not isinstance(value, dict):
        number = _fraction(value, source=source)
        return FeatureThreshold(drift=number, skew=number)
    reject_unknown(value, _THRESHOLD_KEYS, source=source)
    parsed: dict[str, Any] = {}
    for key in ("drift", "skew"):
        if key not in value:
            continue
        item = value[key]
        if item is False:
            parsed[key] = False
        else:
            parsed[key] = _fraction(item, source=f"{source}.{key}")
    if "measure" in value:
        measure = value["measure"]
        if measure not in MEASURES:
            raise UsageError(f"{source}.measure: expected one of {', '.join(MEASURES)}")
        parsed["measure"] = measure
    return FeatureThreshold(**parsed)


def _parse_thresholds(table: Mapping[str, Any], *, source: str) -> Thresholds:
    features_table = table.get("thresholds", {})
    if not isinstance(features_table, dict):
        raise UsageError(f"{source}.thresholds: expected a table of feature = threshold")
    features = {
        str(name): parse_feature_threshold(value, source=f"{source}.thresholds.{name}")
        for name, value in features_table.items()
    }
    measure = table.get("numeric-measure", KOLMOGOROV_SMIRNOV)
    if measure not in NUMERIC_MEASURES:
        raise UsageError(f"{source} numeric-measure: expected one of {', '.join(NUMERIC_MEASURES)}")
    numeric = table.get("numeric-threshold")
    return Thresholds(
        categorical=_fraction(
            table.get("categorical-threshold", DEFAULT_CATEGORICAL_THRESHOLD),
            source=f"{source} categorical-threshold",
        ),
        numeric_measure=measure,
        numeric=(
            _fraction(numeric, source=f"{source} numeric-threshold")
            if numeric is not None
            else None
        ),
        features=features,
    )


def _entries(table: Mapping[str, Any], key: str, *, source: str) -> list[dict[str, Any]]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise UsageError(f"{source}: '{key}' must be an array of tables ([[{source}.{key}]])")
    return value


def _unique_name(name: str, seen: set[str], *, source: str) -> str:
    if name in seen:
        raise UsageError(f"{source}: two entries are named {name!r}; give each a unique name")
    seen.add(name)
    return name


def _parse_validate(
    table: Mapping[str, Any], *, dialect: Dialect, train: str | None, source: str
) -> tuple[ValidateEntry, ...]:
    entries: list[ValidateEntry] = []
    seen: set[str] = set()
    raw_entries = _entries(table, "validate", source=source)
    if not raw_entries and train is not None:
        raw_entries = [{"path": train, "name": "train", "environment": "TRAINING"}]
    for index, raw in enumerate(raw_entries, start=1):
        where = f"{source}.validate[{index}]"
        reject_unknown(raw, _VALIDATE_KEYS, source=where)
        if "path" not in raw:
            raise UsageError(f"{where}: 'path' is required (the data file or glob to validate)")
        path = string(raw["path"], source=f"{where}.path")
        environment = raw.get("environment", "TRAINING")
        if environment not in ENVIRONMENTS:
            raise UsageError(f"{where}.environment: expected {' or '.join(ENVIRONMENTS)}")
        optional = {
            key: string(raw[key], source=f"{where}.{key}")
            for key in ("previous", "training")
            if key in raw
        }
        default_name = Path(path).stem or f"dataset{index}"
        name = string(raw.get("name", default_name), source=f"{where}.name")
        entries.append(
            ValidateEntry(
                name=_unique_name(name, seen, source=where),
                path=path,
                environment=environment,
                dialect=parse_dialect(raw, base=dialect, source=where),
                **optional,
            )
        )
    return tuple(entries)


def _parse_feature_skew(
    table: Mapping[str, Any], *, dialect: Dialect, source: str
) -> tuple[FeatureSkewEntry, ...]:
    entries: list[FeatureSkewEntry] = []
    seen: set[str] = set()
    for index, raw in enumerate(_entries(table, "feature-skew", source=source), start=1):
        where = f"{source}.feature-skew[{index}]"
        reject_unknown(raw, _SKEW_KEYS, source=where)
        for key in ("training", "serving", "keys"):
            if key not in raw:
                raise UsageError(f"{where}: '{key}' is required")
        keys = strings(raw["keys"], source=f"{where}.keys")
        if not keys:
            raise UsageError(f"{where}.keys: name at least one identifier column")
        ndigits = raw.get("float-round-ndigits")
        if ndigits is not None and (
            isinstance(ndigits, bool) or not isinstance(ndigits, int) or ndigits < 0
        ):
            raise UsageError(f"{where}.float-round-ndigits: expected a non-negative integer")
        serving = string(raw["serving"], source=f"{where}.serving")
        name = string(raw.get("name", f"feature-skew-{Path(serving).stem}"), source=f"{where}.name")
        entries.append(
            FeatureSkewEntry(
                name=_unique_name(name, seen, source=where),
                training=string(raw["training"], source=f"{where}.training"),
                serving=serving,
                keys=keys,
                float_round_ndigits=ndigits,
                dialect=parse_dialect(raw, base=dialect, source=where),
            )
        )
    return tuple(entries)


def parse_data_settings(table: object, *, root: Path, source: str) -> DataSettings:
    """Validate the raw ``[tool.research-ci.data]`` table; paths stay relative to ``root``."""
    if not isinstance(table, dict):
        raise UsageError(f"{source}: expected a table")
    reject_unknown(table, _TOP_KEYS, source=source)
    schema = string(table.get("schema", DEFAULT_SCHEMA), source=f"{source} schema")
    train = string(table["train"], source=f"{source} train") if "train" in table else None
    label = string(table["label"], source=f"{source} label") if "label" in table else None
    dialect = parse_dialect(table, base=Dialect(), source=source)
    html = table.get("html", True)
    if not isinstance(html, bool):
        raise UsageError(f"{source} html: expected true or false")
    runner = string(table["runner"], source=f"{source} runner") if "runner" in table else None
    beam_options = strings(table.get("beam-options", []), source=f"{source} beam-options")
    for option in beam_options:
        parse_beam_option(option, source=f"{source} beam-options")
    jobs = table.get("jobs")
    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1):
        raise UsageError(f"{source} jobs: expected a positive integer")
    return DataSettings(
        root=root,
        schema=schema,
        train=train,
        label=label,
        dialect=dialect,
        thresholds=_parse_thresholds(table, source=source),
        validate=_parse_validate(table, dialect=dialect, train=train, source=source),
        feature_skew=_parse_feature_skew(table, dialect=dialect, source=source),
        html=html,
        runner=runner,
        beam_options=beam_options,
        jobs=jobs,
    )


def parse_beam_option(option: str, *, source: str) -> tuple[str, str]:
    """``KEY=VALUE`` (``--KEY=VALUE`` also accepted) -> ``(KEY, VALUE)``."""
    key, sep, value = option.removeprefix("--").partition("=")
    if not sep or not key or not key.replace("_", "").replace("-", "").isalnum():
        raise UsageError(f"{source}: expected KEY=VALUE, got {option!r}")
    return key, value


def load_data_settings(pyproject: Path) -> DataSettings:
    """Read ``[tool.research-ci.data]`` from a pyproject.toml (empty settings when absent)."""
    document = read_toml(pyproject, missing=f"config file not found: {pyproject}")
    table = tool_table(document, "research-ci").get("data", {})
    source = f"{pyproject} [tool.research-ci.data]"
    return parse_data_settings(table, root=pyproject.parent.resolve(), source=source)


def beam_option_args(options: Sequence[str], runner: str | None) -> list[str]:
    """Apache Beam ``PipelineOptions`` flags from ``--runner`` and ``KEY=VALUE`` pairs."""
    flags = [f"--runner={runner}"] if runner else []
    for option in options:
        key, value = parse_beam_option(option, source="--beam-option")
        flags.append(f"--{key}={value}")
    return flags
