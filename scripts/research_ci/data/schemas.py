"""The schema: inferred by TFDV, with environments and drift/skew comparators, kept as text.

``research-ci data infer`` writes a ``schema.pbtxt`` that a team reviews like code:

* ``default_environment: "TRAINING"`` and ``"SERVING"``; the label has
  ``not_in_environment: "SERVING"`` (serving data has no label);
* a ``drift_comparator`` and a ``skew_comparator`` on every feature: L-infinity distance for
  categorical features (strings, and integers TFDV marks categorical), Jensen-Shannon
  divergence for numeric ones, with the thresholds of ``[tool.research-ci.data]``.

Per-feature overrides from the configuration are applied again at validation time, so a
threshold can be tuned in pyproject.toml without re-inferring the schema.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from research_ci.data.runtime import load_tfdv
from research_ci.data.settings import ENVIRONMENTS, FeatureThreshold, Thresholds
from research_ci.errors import UsageError
from research_ci.fsutil import atomic_write_text


def _schema_pb2() -> Any:
    # tensorflow_metadata is plain protobuf: reading a schema does not start TensorFlow.
    from tensorflow_metadata.proto.v0 import schema_pb2  # noqa: PLC0415

    return schema_pb2


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


def _set_comparator(comparator: Any, measure: str, threshold: float) -> None:
    comparator.Clear()
    if measure == "infinity_norm":
        comparator.infinity_norm.threshold = threshold
    else:
        comparator.jensen_shannon_divergence.threshold = threshold


def _current_measure(comparator: Any) -> str | None:
    if comparator.HasField("infinity_norm"):
        return "infinity_norm"
    if comparator.HasField("jensen_shannon_divergence"):
        return "jensen_shannon_divergence"
    return None


def _default_measure(feature: Any) -> str:
    return "infinity_norm" if is_categorical(feature) else "jensen_shannon_divergence"


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
            measure = _default_measure(feature)
            value = thresholds.categorical if is_categorical(feature) else thresholds.numeric
            _set_comparator(feature.drift_comparator, measure, value)
            _set_comparator(feature.skew_comparator, measure, value)
        override = thresholds.features.get(feature.name)
        if override is not None:
            _apply_override(feature, override)


def _apply_override(feature: Any, override: FeatureThreshold) -> None:
    if override.measure == "infinity_norm" and not is_categorical(feature):
        raise UsageError(
            f"[tool.research-ci.data.thresholds] {feature.name}: infinity_norm works on "
            "categorical features only; use jensen_shannon_divergence"
        )
    for field, value in (("drift_comparator", override.drift), ("skew_comparator", override.skew)):
        comparator = getattr(feature, field)
        if value is None and override.measure is None:
            continue
        if value is False:
            feature.ClearField(field)
            continue
        measure = override.measure or _current_measure(comparator) or _default_measure(feature)
        threshold = float(value) if value is not None else _current_threshold(comparator)
        _set_comparator(comparator, measure, threshold)


def _current_threshold(comparator: Any) -> float:
    if comparator.HasField("infinity_norm"):
        return float(comparator.infinity_norm.threshold)
    if comparator.HasField("jensen_shannon_divergence"):
        return float(comparator.jensen_shannon_divergence.threshold)
    return 0.1


def infer_schema(statistics: Any, *, label: str | None, thresholds: Thresholds) -> Any:
    """TFDV's inferred schema plus environments and comparators."""
    tfdv = load_tfdv()
    schema = tfdv.infer_schema(statistics)
    del schema.default_environment[:]
    schema.default_environment.extend(ENVIRONMENTS)
    if label is not None:
        names = [feature.name for feature in schema.feature]
        if label not in names:
            raise UsageError(f"label {label!r} is not a column; columns: {', '.join(names)}")
        label_feature = tfdv.get_feature(schema, label)
        label_feature.not_in_environment.append("SERVING")
    apply_thresholds(schema, thresholds, defaults=True)
    for feature in schema.feature:
        if feature.name in _empty_features(statistics):
            # No value to compare: a comparator here would never measure anything.
            feature.ClearField("drift_comparator")
            feature.ClearField("skew_comparator")
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
        "# (training vs serving) on every feature.\n"
    )
    return header + str(text_format.MessageToString(schema, as_utf8=True))


def write_schema(schema: Any, path: Path) -> None:
    """Write the schema atomically."""
    atomic_write_text(path, schema_text(schema))


def load_schema(path: Path) -> Any:
    """Read a text-proto schema; a one-line error for a missing, unreadable or invalid file."""
    from google.protobuf import text_format  # noqa: PLC0415

    schema_pb2 = _schema_pb2()
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError as exc:
        raise UsageError(
            f"schema not found: {path} (write one with `research-ci data infer --schema {path}`)"
        ) from exc
    except IsADirectoryError as exc:
        raise UsageError(f"schema {path} is a directory") from exc
    except OSError as exc:
        raise UsageError(f"cannot read schema {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}: schema is not UTF-8 text (byte {exc.start})") from exc
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
    return schema


def type_hints(schema: Any) -> dict[str, str]:
    """Column types for the CSV reader from the schema (``int``, ``float``, ``string``)."""
    schema_pb2 = _schema_pb2()
    kinds = {schema_pb2.INT: "int", schema_pb2.FLOAT: "float", schema_pb2.BYTES: "string"}
    return {
        feature.name: kinds[feature.type] for feature in schema.feature if feature.type in kinds
    }


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
