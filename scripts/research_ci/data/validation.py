"""Anomalies, drift, distribution skew (``validate_statistics``) and feature skew.

* Anomalies: the data's statistics against the schema in an environment (TRAINING or SERVING).
  This is also the check for *schema skew*: serving data validated in SERVING against the
  schema inferred from training data.
* Drift: ``validate_statistics(current, schema, previous_statistics=previous)`` with the
  schema's ``drift_comparator`` s.
* Distribution skew: ``validate_statistics(training, schema, serving_statistics=serving)``
  with the ``skew_comparator`` s. Only the comparator reasons of that second call are kept:
  the training data's own anomalies are not the serving data's.
* Feature skew: TFDV's ``DetectFeatureSkew`` Beam transform joins training and serving
  examples on identifier columns and counts, per feature, the pairs whose values differ.

Every compared feature's measure is reported (``drift_skew_info``), also under the threshold.
"""

from __future__ import annotations

import dataclasses
import importlib
import tempfile
import uuid
from collections.abc import Sequence
from typing import Any

from research_ci.data import sources
from research_ci.data.results import DATASET_FEATURE, Anomaly, Measurement
from research_ci.data.runtime import load_tfdv, quiet
from research_ci.data.settings import beam_option_args
from research_ci.errors import UsageError

_MEASURE_NAMES = {
    "L_INFTY": "infinity_norm",
    "JENSEN_SHANNON_DIVERGENCE": "jensen_shannon_divergence",
    "NORMALIZED_ABSOLUTE_DIFFERENCE": "normalized_abs_difference",
}
_COMPARATOR_KINDS = frozenset(
    {
        "COMPARATOR_L_INFTY_HIGH",
        "COMPARATOR_JENSEN_SHANNON_DIVERGENCE_HIGH",
        "COMPARATOR_NORMALIZED_ABSOLUTE_DIFFERENCE_HIGH",
        "COMPARATOR_CONTROL_DATA_MISSING",
        "COMPARATOR_TREATMENT_DATA_MISSING",
        "COMPARATOR_LOW_NUM_EXAMPLES",
        "COMPARATOR_HIGH_NUM_EXAMPLES",
    }
)


@dataclasses.dataclass
class Validation:
    """Anomalies and measurements of one dataset."""

    anomalies: list[Anomaly]
    drift: list[Measurement]
    skew: list[Measurement]


def _anomalies_pb2() -> Any:
    load_tfdv()
    from tensorflow_metadata.proto.v0 import anomalies_pb2  # noqa: PLC0415

    return anomalies_pb2


def _path_name(path: Any) -> str:
    return ".".join(path.step) if path.step else DATASET_FEATURE


def anomalies_from_proto(proto: Any, *, only_comparators: bool = False) -> list[Anomaly]:
    """One :class:`Anomaly` per reason of each feature (and of the dataset)."""
    anomalies_pb2 = _anomalies_pb2()
    type_name = anomalies_pb2.AnomalyInfo.Type.Name
    severity_name = anomalies_pb2.AnomalyInfo.Severity.Name
    found: list[Anomaly] = []
    items = [(name, info) for name, info in sorted(proto.anomaly_info.items())]
    if proto.dataset_anomaly_info.reason:
        items.append((DATASET_FEATURE, proto.dataset_anomaly_info))
    for name, info in items:
        for reason in info.reason:
            kind = type_name(reason.type)
            if only_comparators and kind not in _COMPARATOR_KINDS:
                continue
            found.append(
                Anomaly(
                    feature=name,
                    kind=kind,
                    description=reason.description or info.description,
                    severity=severity_name(info.severity),
                    short_description=reason.short_description or info.short_description,
                )
            )
    return found


def measurements(proto: Any, field: str) -> list[Measurement]:
    """``drift_measurements`` or ``skew_measurements`` of ``drift_skew_info``."""
    anomalies_pb2 = _anomalies_pb2()
    type_name = anomalies_pb2.DriftSkewInfo.Measurement.Type.Name
    found = [
        Measurement(
            feature=_path_name(info.path),
            measure=_MEASURE_NAMES.get(type_name(item.type), type_name(item.type).lower()),
            value=float(item.value),
            threshold=float(item.threshold),
        )
        for info in proto.drift_skew_info
        for item in getattr(info, field)
    ]
    return sorted(found, key=lambda item: (item.feature, item.measure))


def _without_absent_features(schema: Any, environment: str | None) -> Any:
    """A copy of ``schema`` without skew comparators on features absent in ``environment``.

    The label is not in SERVING: comparing its training distribution with serving data that
    cannot have it would report a missing-data "skew" that the environment already allows.
    """
    copy = type(schema)()
    copy.CopyFrom(schema)
    if environment is None:
        return copy
    for feature in copy.feature:
        absent = environment in feature.not_in_environment or (
            len(feature.in_environment) > 0 and environment not in feature.in_environment
        )
        if absent:
            feature.ClearField("skew_comparator")
    return copy


def validate(
    statistics: Any,
    schema: Any,
    *,
    environment: str | None,
    previous: Any | None = None,
    training: Any | None = None,
) -> Validation:
    """Anomalies of ``statistics`` in ``environment``, drift vs previous, skew vs training."""
    tfdv = load_tfdv()
    with quiet():
        current = tfdv.validate_statistics(
            statistics, schema, environment=environment, previous_statistics=previous
        )
    anomalies = anomalies_from_proto(current)
    drift = measurements(current, "drift_measurements")
    skew: list[Measurement] = []
    if training is not None:
        skew_schema = _without_absent_features(schema, environment)
        with quiet():
            compared = tfdv.validate_statistics(
                training, skew_schema, environment="TRAINING", serving_statistics=statistics
            )
        skew = measurements(compared, "skew_measurements")
        skewed = anomalies_from_proto(compared, only_comparators=True)
        anomalies += [
            (
                dataclasses.replace(item, kind=f"SKEW_{item.kind}")
                if not item.kind.startswith("SKEW_")
                else item
            )
            for item in skewed
        ]
    return Validation(anomalies=anomalies, drift=drift, skew=skew)


# ------------------------------------------------------------------------------ feature skew


@dataclasses.dataclass
class FeatureSkewOutcome:
    """Per-feature counts of TFDV's feature-skew detector and the match statistics."""

    features: list[dict[str, Any]]
    match_stats: dict[str, int]
    skew: list[Measurement]
    anomalies: list[Anomaly]


def example_batch(batch: Any) -> Any:
    """``batch`` in the types ``tf.Example`` has: lists of int64, float32 and bytes."""
    import pyarrow as pa  # noqa: PLC0415

    table_util = importlib.import_module("tfx_bsl.arrow.table_util")
    canonical = table_util.CanonicalizeRecordBatch(batch)
    arrays = []
    for column in canonical.columns:
        inner = column.type.value_type
        if pa.types.is_floating(inner) and not pa.types.is_float32(inner):
            column = column.cast(pa.large_list(pa.float32()))  # noqa: PLW2901
        elif pa.types.is_string(inner) or pa.types.is_large_string(inner):
            column = column.cast(pa.large_list(pa.large_binary()))  # noqa: PLW2901
        arrays.append(column)
    return pa.RecordBatch.from_arrays(arrays, canonical.schema.names)


def _examples(source: sources.Source, schema: Any | None) -> list[bytes]:
    from research_ci.data.schemas import type_hints  # noqa: PLC0415

    example_coder = importlib.import_module("tfx_bsl.coders.example_coder")
    hints = type_hints(schema) if schema is not None else None
    while True:
        reader = sources.open_reader(source, type_hints=hints)
        encoder = example_coder.RecordBatchToExamplesEncoder()
        examples: list[bytes] = []
        try:
            for batch in reader.batches():
                examples.extend(encoder.encode(example_batch(batch)))
        except sources.TypesChanged:
            hints = dict(getattr(reader, "types", {}))
            continue
        return examples


def feature_skew(
    training: sources.Source,
    serving: sources.Source,
    *,
    keys: Sequence[str],
    ignore: Sequence[str] = (),
    float_round_ndigits: int | None = None,
    max_fraction: float = 0.0,
    runner: str | None = None,
    beam_options: Sequence[str] = (),
    schema: Any | None = None,
) -> FeatureSkewOutcome:
    """Run ``tfdv.DetectFeatureSkew`` on the two datasets joined on ``keys``."""
    tfdv = load_tfdv()
    import apache_beam as beam  # noqa: PLC0415
    from apache_beam.options.pipeline_options import PipelineOptions  # noqa: PLC0415
    from tensorflow_data_validation.skew import feature_skew_detector  # noqa: PLC0415
    from tensorflow_data_validation.skew.protos import feature_skew_results_pb2  # noqa: PLC0415

    for source, label in ((training, "training"), (serving, "serving")):
        names = sources.column_names(source)
        missing = [key for key in keys if key not in names]
        if missing:
            raise UsageError(
                f"{source.pattern}: key column {', '.join(missing)} not in the {label} data; "
                f"columns: {', '.join(names)}"
            )
    base = _examples(training, schema)
    test = _examples(serving, schema)
    flags = beam_option_args(beam_options, runner or "DirectRunner")
    with tempfile.TemporaryDirectory(prefix="research-ci-skew-") as workdir:
        prefix = _output_prefix(beam_options, workdir)
        with beam.Pipeline(options=PipelineOptions(flags)) as pipeline:
            decode = beam.Map(_parse_example)
            base_examples = pipeline | "Training" >> beam.Create(base) | "ParseBase" >> decode
            test_examples = pipeline | "Serving" >> beam.Create(test) | "ParseTest" >> decode
            outputs = (base_examples, test_examples) | "DetectFeatureSkew" >> (
                feature_skew_detector.DetectFeatureSkewImpl(
                    identifier_features=list(keys),
                    features_to_ignore=list(ignore) or None,
                    sample_size=0,
                    float_round_ndigits=float_round_ndigits,
                    allow_duplicate_identifiers=False,
                )
            )
            for key, name in (
                (feature_skew_detector.SKEW_RESULTS_KEY, "results"),
                (feature_skew_detector.MATCH_STATS_KEY, "match"),
            ):
                _ = outputs[key] | f"Write-{name}" >> beam.io.WriteToTFRecord(
                    f"{prefix}/{name}",
                    coder=beam.coders.ProtoCoder(type(_proto(key))),
                    shard_name_template="",
                )
        results = _read_protos(f"{prefix}/results", feature_skew_results_pb2.FeatureSkew)
        match = _read_protos(f"{prefix}/match", feature_skew_results_pb2.MatchStats)
    del tfdv
    return _skew_outcome(results, match, max_fraction)


def _proto(key: str) -> Any:
    from tensorflow_data_validation.skew import feature_skew_detector  # noqa: PLC0415
    from tensorflow_data_validation.skew.protos import feature_skew_results_pb2  # noqa: PLC0415

    if key == feature_skew_detector.SKEW_RESULTS_KEY:
        return feature_skew_results_pb2.FeatureSkew()
    return feature_skew_results_pb2.MatchStats()


def _output_prefix(beam_options: Sequence[str], workdir: str) -> str:
    for option in beam_options:
        key, _, value = option.removeprefix("--").partition("=")
        if key == "temp_location" and value:
            return f"{value.rstrip('/')}/research-ci-skew-{uuid.uuid4().hex}"
    return workdir


def _read_protos(path: str, message: Any) -> list[Any]:
    from research_ci.data.runtime import load_tensorflow  # noqa: PLC0415

    tf = load_tensorflow()
    if not tf.io.gfile.exists(path):
        return []
    return [
        message.FromString(record) for record in tf.data.TFRecordDataset([path]).as_numpy_iterator()
    ]


def _parse_example(serialized: bytes) -> Any:
    from research_ci.data.runtime import load_tensorflow  # noqa: PLC0415

    tf = load_tensorflow()
    return tf.train.Example.FromString(serialized)


def _skew_outcome(results: list[Any], match: list[Any], max_fraction: float) -> FeatureSkewOutcome:
    features: list[dict[str, Any]] = []
    skew: list[Measurement] = []
    anomalies: list[Anomaly] = []
    for item in sorted(results, key=lambda result: result.feature_name):
        row = {
            "feature": item.feature_name,
            "base_count": int(item.base_count),
            "test_count": int(item.test_count),
            "match_count": int(item.match_count),
            "base_only": int(item.base_only),
            "test_only": int(item.test_only),
            "mismatch_count": int(item.mismatch_count),
            "diff_count": int(item.diff_count),
        }
        features.append(row)
        compared = row["match_count"] + row["diff_count"]
        value = row["diff_count"] / compared if compared else 0.0
        measurement = Measurement(
            feature=item.feature_name,
            measure="mismatch_fraction",
            value=value,
            threshold=max_fraction,
        )
        skew.append(measurement)
        if measurement.exceeded:
            anomalies.append(
                Anomaly(
                    feature=item.feature_name,
                    kind="FEATURE_SKEW",
                    description=(
                        f"{row['diff_count']} of {compared} joined example pairs differ "
                        f"({row['mismatch_count']} different values, {row['base_only']} only in "
                        f"training, {row['test_only']} only in serving); fraction {value:.4g} "
                        f"above {max_fraction:g}"
                    ),
                    severity="ERROR",
                    short_description="Feature skew",
                )
            )
    stats: dict[str, int] = {}
    if match:
        proto = match[0]
        stats = {field.name: int(value) for field, value in proto.ListFields()}
    return FeatureSkewOutcome(features=features, match_stats=stats, skew=skew, anomalies=anomalies)
