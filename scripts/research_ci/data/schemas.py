"""The schema: inferred by TFDV, with environments and drift/skew comparators, kept as text.

``research-ci data infer`` writes a ``schema.pbtxt`` that a team reviews like code:

* ``default_environment: "TRAINING"`` and ``"SERVING"``; the label has
  ``not_in_environment: "SERVING"`` (serving data has no label);
* a drift and a skew comparator on every feature, with the thresholds of
  ``[tool.research-ci.data]``: TFDV's L-infinity distance (``infinity_norm``) for categorical
  features (strings, and integers TFDV marks categorical), and for numeric features the
  Kolmogorov-Smirnov distance (:mod:`research_ci.data.drift`), or TFDV's Jensen-Shannon
  divergence when the configuration asks for it.

TFDV's comparators are its own schema fields (``drift_comparator``, ``skew_comparator``). TFDV
has no Kolmogorov-Smirnov comparator, so research-ci's are written as annotation tags of the
feature, in the same words::

    annotation {
      tag: "research-ci drift_comparator { kolmogorov_smirnov { threshold: 0.05 } }"
      tag: "research-ci skew_comparator { kolmogorov_smirnov { threshold: 0.05 } }"
    }

TFDV ignores annotations; research-ci measures them. Per-feature overrides from the
configuration are applied again at validation time, so a threshold can be tuned in
pyproject.toml without re-inferring the schema.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from research_ci.data.runtime import load_core
from research_ci.data.settings import (
    ENVIRONMENTS,
    KOLMOGOROV_SMIRNOV,
    FeatureThreshold,
    Thresholds,
)
from research_ci.errors import UsageError
from research_ci.fsutil import atomic_write_text, boundary, read_errors, read_text

#: The two comparator fields of a feature (TFDV's names).
COMPARATORS = ("drift_comparator", "skew_comparator")
#: TFDV's comparator messages, by the measure names research-ci uses.
_TFDV_MEASURES = ("infinity_norm", "jensen_shannon_divergence")
_TAG = re.compile(
    r"^research-ci (?P<field>drift_comparator|skew_comparator) "
    r"\{ (?P<measure>\w+) \{ threshold: (?P<threshold>[^ ]+) \} \}$"
)


def _schema_pb2() -> Any:
    # tensorflow_metadata is plain protobuf: reading a schema does not start TensorFlow.
    from tensorflow_metadata.proto.v0 import schema_pb2  # noqa: PLC0415

    return schema_pb2


def feature_name(feature: Any) -> str:
    """A statistics feature's name: its path joined with dots (or its plain name)."""
    return ".".join(feature.path.step) if feature.path.step else str(feature.name)


def is_categorical(feature: Any) -> bool:
    """True for string features and integer features with a categorical domain."""
    schema_pb2 = _schema_pb2()
    if feature.type == schema_pb2.BYTES:
        return True
    if feature.type == schema_pb2.INT:
        return bool(
            feature.HasField("bool_domain")
            or (feature.HasField("int_domain") and feature.int_domain.is_categorical)
            or feature.HasField("domain")
            or feature.HasField("string_domain")
        )
    return False


def _has_type(feature: Any) -> bool:
    schema_pb2 = _schema_pb2()
    return bool(feature.type in (schema_pb2.BYTES, schema_pb2.INT, schema_pb2.FLOAT))


def _tags(feature: Any, field: str) -> list[str]:
    return [tag for tag in feature.annotation.tag if tag.startswith(f"research-ci {field} ")]


def comparator(feature: Any, field: str) -> tuple[str, float] | None:
    """The measure and threshold of a feature's drift or skew comparator (None: none)."""
    message = getattr(feature, field)
    found = [
        (measure, float(getattr(message, measure).threshold))
        for measure in _TFDV_MEASURES
        if message.HasField(measure)
    ]
    found += [_read_tag(feature, field, tag) for tag in _tags(feature, field)]
    if len(found) > 1:
        measures = " and ".join(measure for measure, _ in found)
        raise UsageError(f"feature {feature.name} has two {field}s ({measures}); keep one")
    return found[0] if found else None


def _read_tag(feature: Any, field: str, tag: str) -> tuple[str, float]:
    """``(kolmogorov_smirnov, threshold)`` from a tag; a one-line error when unreadable."""
    match = _TAG.match(tag)
    if match is None:
        raise UsageError(
            f"feature {feature.name}: unreadable annotation tag {tag!r}; expected "
            f'"research-ci {field} {{ {KOLMOGOROV_SMIRNOV} {{ threshold: 0.05 }} }}"'
        )
    try:
        threshold = float(match["threshold"])
    except ValueError:
        threshold = -1.0
    if match["measure"] != KOLMOGOROV_SMIRNOV or not 0 <= threshold <= 1:
        raise UsageError(
            f"feature {feature.name}: annotation tag {tag!r}: expected the measure "
            f"{KOLMOGOROV_SMIRNOV} and a threshold from 0 to 1"
        )
    return KOLMOGOROV_SMIRNOV, threshold


def set_comparator(feature: Any, field: str, measure: str | None, threshold: float) -> None:
    """Make ``measure`` (None: no comparison) the feature's ``field`` comparator."""
    feature.ClearField(field)
    kept = [tag for tag in feature.annotation.tag if tag not in _tags(feature, field)]
    del feature.annotation.tag[:]
    feature.annotation.tag.extend(kept)
    if measure == KOLMOGOROV_SMIRNOV:
        feature.annotation.tag.append(
            f"research-ci {field} {{ {KOLMOGOROV_SMIRNOV} {{ threshold: {threshold:g} }} }}"
        )
    elif measure is not None:
        getattr(getattr(feature, field), measure).threshold = threshold
    if not feature.annotation.ListFields():
        feature.ClearField("annotation")


def _default_measure(feature: Any, thresholds: Thresholds) -> str:
    return "infinity_norm" if is_categorical(feature) else thresholds.numeric_measure


def apply_thresholds(schema: Any, thresholds: Thresholds, *, defaults: bool) -> None:
    """Set comparators: defaults on every typed feature (when asked), then the overrides."""
    names = {feature.name for feature in schema.feature}
    unknown = sorted(set(thresholds.features) - names)
    if unknown:
        raise UsageError(
            f"[tool.research-ci.data.thresholds]: {', '.join(unknown)} not in the schema; "
            f"features: {', '.join(sorted(names))}"
        )
    for feature in schema.feature:
        if not _has_type(feature):
            continue
        if defaults:
            measure = _default_measure(feature, thresholds)
            value = (
                thresholds.categorical if is_categorical(feature) else thresholds.numeric_threshold
            )
            for field in COMPARATORS:
                set_comparator(feature, field, measure, value)
        override = thresholds.features.get(feature.name)
        if override is not None:
            _apply_override(feature, override, thresholds)


def _apply_override(feature: Any, override: FeatureThreshold, thresholds: Thresholds) -> None:
    categorical = is_categorical(feature)
    if override.measure == "infinity_norm" and not categorical:
        raise UsageError(
            f"[tool.research-ci.data.thresholds] {feature.name}: infinity_norm works on "
            f"categorical features only; use {KOLMOGOROV_SMIRNOV} or jensen_shannon_divergence"
        )
    if override.measure == KOLMOGOROV_SMIRNOV and categorical:
        raise UsageError(
            f"[tool.research-ci.data.thresholds] {feature.name}: {KOLMOGOROV_SMIRNOV} works on "
            "numeric features only; use infinity_norm or jensen_shannon_divergence"
        )
    for field, value in (("drift_comparator", override.drift), ("skew_comparator", override.skew)):
        if value is None and override.measure is None:
            continue
        if value is False:
            set_comparator(feature, field, None, 0.0)
            continue
        current = comparator(feature, field)
        measure = override.measure or (
            current[0] if current else _default_measure(feature, thresholds)
        )
        if value is not None:
            threshold = float(value)
        elif current is not None and current[0] == measure:
            threshold = current[1]
        else:
            threshold = thresholds.default_for(measure)
        set_comparator(feature, field, measure, threshold)


#: TFDV's default: string features with at most this many values get a categorical domain.
MAX_STRING_DOMAIN_SIZE = 100


def tfdv_infer_schema(statistics: Any) -> Any:
    """``tfdv.infer_schema(statistics)``, without importing TensorFlow.

    TFDV's Python wrapper passes already-serialized protos through ``tf.compat.as_bytes``,
    which imports TensorFlow (~11 s) for nothing; this calls the same C++ function the same
    way: the default dataset, features without common statistics removed, shapes inferred.
    """
    schema_pb2 = _schema_pb2()
    dataset = type(statistics.datasets[0])()
    dataset.CopyFrom(statistics.datasets[0])
    kept = [feature for feature in dataset.features if feature.WhichOneof("stats") in _COMMON]
    del dataset.features[:]
    dataset.features.extend(kept)
    serialized = load_core().validation.InferSchema(
        dataset.SerializeToString(), MAX_STRING_DOMAIN_SIZE, True  # noqa: FBT003 (C++, positional)
    )
    schema = schema_pb2.Schema.FromString(serialized)
    if hasattr(schema, "generate_legacy_feature_spec"):
        schema.generate_legacy_feature_spec = False
    return schema


def infer_schema(statistics: Any, *, label: str | None, thresholds: Thresholds) -> Any:
    """TFDV's inferred schema plus environments and comparators."""
    schema = tfdv_infer_schema(statistics)
    del schema.default_environment[:]
    schema.default_environment.extend(ENVIRONMENTS)
    if label is not None:
        by_name = {feature.name: feature for feature in schema.feature}
        if label not in by_name:
            raise UsageError(f"label {label!r} is not a column; columns: {', '.join(by_name)}")
        by_name[label].not_in_environment.append("SERVING")
    apply_thresholds(schema, thresholds, defaults=True)
    for feature in schema.feature:
        if feature.name in _empty_features(statistics):
            # No value to compare: a comparator here would never measure anything.
            for field in COMPARATORS:
                set_comparator(feature, field, None, 0.0)
    return schema


def _empty_features(statistics: Any) -> set[str]:
    empty = set()
    for feature in statistics.datasets[0].features:
        kind = feature.WhichOneof("stats")
        common = getattr(feature, kind).common_stats if kind in _COMMON else None
        if common is None or common.num_non_missing == 0:
            empty.add(".".join(feature.path.step) or feature.name)
    return empty


_COMMON = ("num_stats", "string_stats", "bytes_stats", "struct_stats")


def schema_text(schema: Any) -> str:
    """The schema as text proto, as reviewed in a pull request."""
    from google.protobuf import text_format  # noqa: PLC0415

    header = (
        "# Data schema for TensorFlow Data Validation, written by `research-ci data infer`.\n"
        "# Review changes like code. Environments: TRAINING, SERVING (the label is not in\n"
        "# SERVING). Comparators: drift_comparator (between spans) and skew_comparator\n"
        "# (training vs serving) on every feature; research-ci's own (kolmogorov_smirnov)\n"
        "# are annotation tags, which TFDV ignores.\n"
    )
    return header + str(text_format.MessageToString(schema, as_utf8=True))


def write_schema(schema: Any, path: Path) -> None:
    """Write the schema atomically."""
    atomic_write_text(path, schema_text(schema))


def load_schema(path: Path) -> Any:
    """Read a text-proto schema; a one-line error for a missing, unreadable or invalid file."""
    from google.protobuf import text_format  # noqa: PLC0415

    schema_pb2 = _schema_pb2()
    with read_errors(
        path, "schema", hint=f"write one with `research-ci data infer --schema {path}`"
    ):
        text = read_text(path, within=boundary(path))
    schema = schema_pb2.Schema()
    try:
        text_format.Parse(text, schema)
    except text_format.ParseError as exc:
        line = exc.GetLine() if hasattr(exc, "GetLine") else None
        detail = str(exc).split(" : ", 1)[-1] if " : " in str(exc) else str(exc)
        where = f"{path}:{line}" if line else str(path)
        raise UsageError(f"{where}: invalid schema: {detail}") from exc
    if not schema.feature:
        raise UsageError(f"{path}: invalid schema: it has no features")
    try:
        for feature in schema.feature:
            for field in COMPARATORS:
                comparator(feature, field)  # research-ci's tags are readable
    except UsageError as exc:
        raise UsageError(f"{path}: invalid schema: {exc}") from exc
    return schema


def type_hints(schema: Any) -> dict[str, str]:
    """Column types for the CSV reader from the schema (``int``, ``float``, ``string``)."""
    schema_pb2 = _schema_pb2()
    kinds = {schema_pb2.INT: "int", schema_pb2.FLOAT: "float", schema_pb2.BYTES: "string"}
    return {
        feature.name: kinds[feature.type] for feature in schema.feature if feature.type in kinds
    }


def absent_in(feature: Any, environment: str | None) -> bool:
    """True when the schema does not expect ``feature`` in ``environment`` (label, SERVING)."""
    if environment is None:
        return False
    return environment in feature.not_in_environment or (
        len(feature.in_environment) > 0 and environment not in feature.in_environment
    )


def check_environment(schema: Any, environment: str | None, path: Path) -> None:
    """Refuse an environment the schema does not declare."""
    if environment is None:
        return
    declared = list(schema.default_environment)
    if declared and environment not in declared:
        raise UsageError(
            f"{path}: environment {environment} is not declared in the schema "
            f"(default_environment: {', '.join(declared)})"
        )
