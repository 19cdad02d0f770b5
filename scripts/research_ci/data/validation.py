"""Anomalies, drift, distribution skew (``validate_statistics``) and feature skew.

* Anomalies: the data's statistics against the schema in an environment (TRAINING or SERVING).
  This is also the check for *schema skew*: serving data validated in SERVING against the
  schema inferred from training data. A column whose values no longer fit the schema's type
  (``unknown`` in an INT column) is read as text and reported by TFDV with the rest.
* Drift: ``validate_statistics(current, schema, previous_statistics=previous)`` with the
  schema's ``drift_comparator`` s, and research-ci's Kolmogorov-Smirnov comparators
  (:mod:`research_ci.data.drift`) on the numeric features that have them.
* Distribution skew: ``validate_statistics(training, schema, serving_statistics=serving)``
  with the ``skew_comparator`` s (and the Kolmogorov-Smirnov ones). Only the comparator
  reasons of that second call are kept: the training data's own anomalies are not the
  serving data's. Features absent in the environment (the label in SERVING) are not compared.
* Feature skew: TFDV's ``DetectFeatureSkew`` Beam transform joins training and serving
  examples on identifier columns and counts, per feature, the pairs whose values differ.
  Features that cannot be compared - absent in the SERVING environment of the schema, or a
  column of one side only - are listed as information, not as skew.

``validate_statistics`` is TFDV's C++ validation, called the way ``tfdv.validate_statistics``
calls it but without TensorFlow (see :func:`tfdv_validate`). Every compared feature's measure
is reported (``drift_skew_info``), also under the threshold.
"""

from __future__ import annotations

import dataclasses
import importlib
import tempfile
import uuid
from collections.abc import Sequence
from typing import Any

from research_ci.data import drift, schemas, sources
from research_ci.data.results import DATASET_FEATURE, Anomaly, Measurement
from research_ci.data.runtime import load_core, load_tensorflow, load_tfdv
from research_ci.data.settings import KOLMOGOROV_SMIRNOV, SkewJoin, beam_option_args
from research_ci.errors import UsageError

#: The anomaly kind of a numeric feature over its Kolmogorov-Smirnov threshold.
KS_ANOMALY = "COMPARATOR_KOLMOGOROV_SMIRNOV_HIGH"
_MEASURE_NAMES = {
    "L_INFTY": "infinity_norm",
    "JENSEN_SHANNON_DIVERGENCE": "jensen_shannon_divergence",
    "NORMALIZED_ABSOLUTE_DIFFERENCE": "normalized_abs_difference",
}
_COMPARATOR_KINDS = frozenset(
    {
        "COMPARATOR_L_INFTY_HIGH",
        "COMPARATOR_JENSEN_SHANNON_DIVERGENCE_HIGH",
        KS_ANOMALY,
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
    for feature in copy.feature:
        if schemas.absent_in(feature, environment):
            schemas.set_comparator(feature, "skew_comparator", None, 0.0)
    return copy


def tfdv_validate(
    statistics: Any,
    schema: Any,
    *,
    environment: str | None,
    previous: Any | None = None,
    serving: Any | None = None,
) -> Any:
    """``tfdv.validate_statistics(...)``: TFDV's C++ validation, without TensorFlow.

    TFDV's Python wrapper passes the serialized protos through ``tf.compat.as_bytes``, which
    imports TensorFlow (~11 s) to return the bytes it is given; this makes the same call
    (default slice, no validation options) with the bytes. The environment must be declared
    in the schema (:func:`research_ci.data.schemas.check_environment`).
    """

    def dataset(statistics_list: Any | None) -> bytes:
        if statistics_list is None:
            return b""
        serialized: bytes = statistics_list.datasets[0].SerializeToString()
        return serialized

    payload = load_core().validation.ValidateFeatureStatistics(
        dataset(statistics),
        schema.SerializeToString(),
        (environment or "").encode(),
        dataset(previous),
        dataset(serving),
        b"",  # previous version statistics
        b"",  # features needed
        b"",  # validation config
        False,  # noqa: FBT003 (C++, positional): enable_diff_regions
    )
    return _anomalies_pb2().Anomalies.FromString(payload)


def _feature_stats(statistics: Any, name: str) -> Any | None:
    for feature in statistics.datasets[0].features:
        if schemas.feature_name(feature) == name:
            return feature
    return None


def ks_comparisons(
    reference: Any,
    current: Any,
    schema: Any,
    *,
    field: str,
    labels: tuple[str, str],
    environment: str | None = None,
) -> tuple[list[Measurement], list[Anomaly]]:
    """Kolmogorov-Smirnov distances of the features with research-ci's comparator ``field``.

    ``reference`` and ``current`` are statistics lists (previous and current span for drift,
    training and serving for skew); ``labels`` name them in the descriptions.
    """
    found: list[Measurement] = []
    anomalies: list[Anomaly] = []
    for feature in schema.feature:
        spec = schemas.comparator(feature, field)
        if spec is None or spec[0] != KOLMOGOROV_SMIRNOV:
            continue
        if field == "skew_comparator" and schemas.absent_in(feature, environment):
            continue
        first = drift.feature_cdf(_feature_stats(reference, feature.name))
        second = drift.feature_cdf(_feature_stats(current, feature.name))
        if first is None or second is None:
            continue  # no numeric values on one side: TFDV reports the missing data
        distance = drift.ks_distance(first, second)
        floor = drift.noise_floor(first.count, second.count)
        threshold = max(spec[1], floor)
        note = ""
        if floor > spec[1]:
            note = (
                f"threshold {spec[1]:g} raised to {floor:.3g}, the noise floor of "
                f"{first.count:,.0f} and {second.count:,.0f} values"
            )
        measurement = Measurement(
            feature=feature.name,
            measure=KOLMOGOROV_SMIRNOV,
            value=distance.value,
            threshold=threshold,
            note=note,
        )
        found.append(measurement)
        if measurement.exceeded:
            anomalies.append(
                Anomaly(
                    feature=feature.name,
                    kind=KS_ANOMALY,
                    description=(
                        f"The Kolmogorov-Smirnov distance between {labels[0]} and {labels[1]} "
                        f"is {distance.value:.3g}, above the threshold {threshold:.3g}: "
                        f"{distance.reference:.1%} of {labels[0]} and {distance.current:.1%} "
                        f"of {labels[1]} are at or below {distance.x:.6g}."
                    ),
                    severity="ERROR",
                    short_description="High Kolmogorov-Smirnov distance",
                )
            )
    return found, anomalies


def validate(
    statistics: Any,
    schema: Any,
    *,
    environment: str | None,
    previous: Any | None = None,
    training: Any | None = None,
) -> Validation:
    """Anomalies of ``statistics`` in ``environment``, drift vs previous, skew vs training."""
    current = tfdv_validate(statistics, schema, environment=environment, previous=previous)
    anomalies = anomalies_from_proto(current)
    drift_measures = measurements(current, "drift_measurements")
    if previous is not None:
        found, over = ks_comparisons(
            previous, statistics, schema, field="drift_comparator", labels=("previous", "current")
        )
        drift_measures = sorted([*drift_measures, *found], key=_by_feature)
        anomalies += over
    skew: list[Measurement] = []
    if training is not None:
        skew_schema = _without_absent_features(schema, environment)
        compared = tfdv_validate(training, skew_schema, environment="TRAINING", serving=statistics)
        skewed = anomalies_from_proto(compared, only_comparators=True)
        found, over = ks_comparisons(
            training,
            statistics,
            schema,
            field="skew_comparator",
            labels=("training", "serving"),
            environment=environment,
        )
        skew = sorted([*measurements(compared, "skew_measurements"), *found], key=_by_feature)
        anomalies += [
            (
                dataclasses.replace(item, kind=f"SKEW_{item.kind}")
                if not item.kind.startswith("SKEW_")
                else item
            )
            for item in [*skewed, *over]
        ]
    return Validation(anomalies=anomalies, drift=drift_measures, skew=skew)


def _by_feature(item: Measurement) -> tuple[str, str]:
    return item.feature, item.measure


# ------------------------------------------------------------------------------ feature skew


@dataclasses.dataclass
class FeatureSkewOutcome:
    """Per-feature counts of TFDV's feature-skew detector and the match statistics.

    ``not_compared`` maps the features left out to why (information, not skew).
    """

    features: list[dict[str, Any]]
    match_stats: dict[str, int]
    skew: list[Measurement]
    anomalies: list[Anomaly]
    not_compared: dict[str, str] = dataclasses.field(default_factory=dict)


def example_batch(batch: Any) -> Any:
    """``batch`` in the types ``tf.Example`` has: lists of int64, float32 and bytes."""
    import pyarrow as pa  # noqa: PLC0415

    canonical = load_core().table_util.CanonicalizeRecordBatch(batch)
    arrays = []
    for column in canonical.columns:
        inner = column.type.value_type
        if pa.types.is_floating(inner) and not pa.types.is_float32(inner):
            column = column.cast(pa.large_list(pa.float32()))  # noqa: PLW2901
        elif pa.types.is_string(inner) or pa.types.is_large_string(inner):
            column = column.cast(pa.large_list(pa.large_binary()))  # noqa: PLW2901
        arrays.append(column)
    return pa.RecordBatch.from_arrays(arrays, canonical.schema.names)


def write_examples(source: sources.Source, schema: Any | None, path: str) -> int:
    """Write ``source`` as a TFRecord file of ``tf.Example``, batch by batch; the count.

    Memory holds one batch at a time whatever the size of the source (the Beam pipeline
    then reads the file), and ``path`` may be remote (``gs://`` under ``temp_location``).
    """
    tf = load_tensorflow()
    example_coder = importlib.import_module("tfx_bsl.coders.example_coder")
    encoder = example_coder.RecordBatchToExamplesEncoder()

    def write(types: dict[str, str]) -> int:
        count = 0
        with tf.io.TFRecordWriter(path) as writer:
            for batch in sources.open_reader(source, type_hints=types).batches():
                for record in encoder.encode(example_batch(batch)):
                    writer.write(record)
                    count += 1
        return count

    hints = schemas.type_hints(schema) if schema is not None else None
    return sources.read_widening(write, hints)[0]


def _not_compared(
    training: list[str], serving: list[str], schema: Any | None, keys: Sequence[str]
) -> dict[str, str]:
    """Features that cannot be compared: absent in SERVING, or a column of one side only."""
    reasons: dict[str, str] = {}
    if schema is not None:
        for feature in schema.feature:
            if feature.name not in keys and schemas.absent_in(feature, "SERVING"):
                reasons[feature.name] = "not in the schema's SERVING environment"
    for name in training:
        if name not in serving:
            reasons.setdefault(name, "a column of the training data only")
    for name in serving:
        if name not in training:
            reasons.setdefault(name, "a column of the serving data only")
    return reasons


def feature_skew(
    training: sources.Source,
    serving: sources.Source,
    *,
    join: SkewJoin,
    runner: str | None = None,
    beam_options: Sequence[str] = (),
    schema: Any | None = None,
) -> FeatureSkewOutcome:
    """Run ``tfdv.DetectFeatureSkew`` on the two datasets joined as ``join`` says."""
    load_tfdv()
    import apache_beam as beam  # noqa: PLC0415
    from apache_beam.options.pipeline_options import PipelineOptions  # noqa: PLC0415
    from tensorflow_data_validation.skew import feature_skew_detector  # noqa: PLC0415
    from tensorflow_data_validation.skew.protos import feature_skew_results_pb2  # noqa: PLC0415

    columns: dict[str, list[str]] = {}
    for source, label in ((training, "training"), (serving, "serving")):
        names = columns[label] = sources.column_names(source)
        missing = [key for key in join.keys if key not in names]
        if missing:
            raise UsageError(
                f"{source.pattern}: key column {', '.join(missing)} not in the {label} data; "
                f"columns: {', '.join(names)}"
            )
    not_compared = _not_compared(columns["training"], columns["serving"], schema, join.keys)
    flags = beam_option_args(beam_options, runner or "DirectRunner")
    with tempfile.TemporaryDirectory(prefix="research-ci-skew-") as workdir:
        prefix = _output_prefix(beam_options, workdir)
        write_examples(training, schema, f"{prefix}/training.tfrecord")
        write_examples(serving, schema, f"{prefix}/serving.tfrecord")
        with beam.Pipeline(options=PipelineOptions(flags)) as pipeline:
            decode = beam.Map(_parse_example)
            base_examples = (
                pipeline
                | "Training" >> beam.io.ReadFromTFRecord(f"{prefix}/training.tfrecord")
                | "ParseBase" >> decode
            )
            test_examples = (
                pipeline
                | "Serving" >> beam.io.ReadFromTFRecord(f"{prefix}/serving.tfrecord")
                | "ParseTest" >> decode
            )
            outputs = (base_examples, test_examples) | "DetectFeatureSkew" >> (
                feature_skew_detector.DetectFeatureSkewImpl(
                    identifier_features=list(join.keys),
                    features_to_ignore=sorted({*join.ignore, *not_compared}) or None,
                    sample_size=0,
                    float_round_ndigits=join.float_round_ndigits,
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
    outcome = _skew_outcome(results, match, join.max_fraction)
    outcome.not_compared = dict(sorted(not_compared.items()))
    return outcome


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
    tf = load_tensorflow()
    if not tf.io.gfile.exists(path):
        return []
    return [
        message.FromString(record) for record in tf.data.TFRecordDataset([path]).as_numpy_iterator()
    ]


def _parse_example(serialized: bytes) -> Any:
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
