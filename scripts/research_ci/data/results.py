"""What a data validation found, as plain data: anomalies, drift and skew measurements.

Pure Python, so that the engine (which has no TFDV) can read the JSON written by
``research-ci data validate --report`` / ``data check --report`` and fold it into the quality
report. The JSON fields match the report schema's ``checks.data`` items: anomalies are
``{feature, kind, description, severity}``, drift and skew are
``{feature, measure, value, threshold}``.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from research_ci import __version__
from research_ci.errors import UsageError
from research_ci.jsonfile import read_json
from research_ci.records import FlatRecord

if TYPE_CHECKING:
    import jinja2

#: Version of the data-report JSON written by ``research-ci data``.
DATA_REPORT_VERSION = 1
#: The feature name used for anomalies about the whole dataset (row counts...).
DATASET_FEATURE = "(dataset)"


@dataclasses.dataclass(frozen=True, kw_only=True)
class Anomaly(FlatRecord):
    """One reason TFDV (or the feature-skew detector) found the data wrong."""

    feature: str
    kind: str
    description: str
    severity: str = "ERROR"
    short_description: str = ""


@dataclasses.dataclass(frozen=True, kw_only=True)
class Measurement(FlatRecord):
    """A drift or skew measure of one feature, against its threshold.

    ``note`` says how the threshold came about when it is not the configured one (the
    Kolmogorov-Smirnov threshold raised to the noise floor of small samples).
    """

    feature: str
    measure: str
    value: float
    threshold: float
    note: str = ""

    @property
    def exceeded(self) -> bool:
        """True when the value is over the threshold (what TFDV reports as an anomaly)."""
        return self.value > self.threshold

    def to_dict(self) -> dict[str, Any]:
        """JSON form (with ``exceeded`` for readers that do not recompute it)."""
        data = {**dataclasses.asdict(self), "exceeded": self.exceeded}
        if not self.note:
            del data["note"]
        return data


@dataclasses.dataclass(kw_only=True)
class DataResult:
    """The outcome of one ``data validate`` or ``data skew`` run on one dataset."""

    name: str
    kind: str = "validate"
    data: str
    schema: str | None = None
    environment: str | None = None
    previous: str | None = None
    training: str | None = None
    examples: dict[str, int] = dataclasses.field(default_factory=dict)
    anomalies: list[Anomaly] = dataclasses.field(default_factory=list)
    drift: list[Measurement] = dataclasses.field(default_factory=list)
    skew: list[Measurement] = dataclasses.field(default_factory=list)
    details: dict[str, Any] = dataclasses.field(default_factory=dict)
    html: str | None = None
    error: str | None = None

    @property
    def status(self) -> str:
        """``error`` when it could not run, ``failed`` with anomalies, else ``passed``."""
        if self.error is not None:
            return "error"
        return "failed" if self.anomalies else "passed"

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of ``research-ci data validate --report``."""
        return {
            "data_report_version": DATA_REPORT_VERSION,
            "tool": {"name": "research-ci", "version": __version__},
            "name": self.name,
            "kind": self.kind,
            "status": self.status,
            "data": self.data,
            "schema": self.schema,
            "environment": self.environment,
            "previous": self.previous,
            "training": self.training,
            "examples": dict(self.examples),
            "anomalies": [item.to_dict() for item in self.anomalies],
            "drift": [item.to_dict() for item in self.drift],
            "skew": [item.to_dict() for item in self.skew],
            "details": self.details,
            "html": self.html,
            "error": self.error,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DataResult:
        """Inverse of :meth:`to_dict`."""
        return cls(
            name=str(data["name"]),
            kind=str(data.get("kind", "validate")),
            data=str(data["data"]),
            schema=data.get("schema"),
            environment=data.get("environment"),
            previous=data.get("previous"),
            training=data.get("training"),
            examples={str(k): int(v) for k, v in data.get("examples", {}).items()},
            anomalies=[Anomaly.from_dict(item) for item in data.get("anomalies", [])],
            drift=[Measurement.from_dict(item) for item in data.get("drift", [])],
            skew=[Measurement.from_dict(item) for item in data.get("skew", [])],
            details=dict(data.get("details", {})),
            html=data.get("html"),
            error=data.get("error"),
        )


def results_to_json(results: list[DataResult]) -> str:
    """The JSON of ``research-ci data check --report``: every dataset's result."""
    document = {
        "data_report_version": DATA_REPORT_VERSION,
        "tool": {"name": "research-ci", "version": __version__},
        "results": [result.to_dict() for result in results],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def load_results(path: Path) -> list[DataResult]:
    """Read a ``data check`` (list) or ``data validate`` (single) JSON report."""
    document = read_json(path, what="data report")
    if not isinstance(document, dict) or "data_report_version" not in document:
        raise UsageError(f"{path}: not a research-ci data report")
    version = document["data_report_version"]
    if not isinstance(version, int) or version > DATA_REPORT_VERSION:
        raise UsageError(f"{path}: data report version {version} is newer than this research-ci")
    try:
        if "results" in document:
            return [DataResult.from_dict(item) for item in document["results"]]
        return [DataResult.from_dict(document)]
    except (KeyError, TypeError, ValueError) as exc:
        raise UsageError(f"{path}: malformed data report: {exc}") from exc


def template_environment() -> jinja2.Environment:
    """Templates of the data reports (Markdown and HTML), shipped in this package."""
    # jinja2 only when rendering: every `research-ci check` imports this module.
    from research_ci.templating import environment  # noqa: PLC0415

    env = environment("research_ci.data")
    env.filters["num"] = format_number
    env.filters["pct"] = format_share
    return env


def markdown_template_environment() -> jinja2.Environment:
    """The data reports' Markdown: a dataset's names and values are shown as text."""
    from research_ci.templating import markdown_environment  # noqa: PLC0415

    env = markdown_environment("research_ci.data")
    env.filters["num"] = format_number
    env.filters["pct"] = format_share
    return env


def format_number(value: object) -> str:
    """Short, stable text for a measure or a threshold (``0.0123``, ``1.2e-05``)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return f"{value:.4g}"


def format_share(value: float) -> str:
    """A share as a percentage: ``12.3%``, ``<0.1%`` for a small but non-zero one."""
    if 0 < value < 0.0005:
        return "<0.1%"
    return f"{100 * value:.1f}%"


def results_markdown(results: list[DataResult]) -> str:
    """A Markdown section: anomaly table, drift and skew tables (value against threshold)."""
    return (
        markdown_template_environment().get_template("data_section.md.j2").render(results=results)
    )
