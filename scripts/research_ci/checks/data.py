"""The data check of ``research-ci check``: TFDV validation of the configured datasets.

TFDV pins numpy<2, pandas<2 and TensorFlow 2.16, so it lives in its own environment
(from ``locks/data/requirements.txt``), never in the engine's or the
project's. This module validates ``[tool.research-ci.data]`` here, then runs
``<data python> -m research_ci data check PROJECT --report <tmp.json>`` once (one TensorFlow
start-up for every dataset; statistics shared between datasets) and folds its JSON into the
check result: status ``failed`` when there are anomalies, metrics ``anomalies``, ``drift``,
``skew`` (and ``datasets``), one finding per anomaly.

The data Python is ``$RESEARCH_CI_DATA_PYTHON`` (the action sets it), else this interpreter
when it has TFDV, else the environment :mod:`research_ci.data.provision` makes once in the
per-user cache; when none can be had, the check reports ``error`` with the one-line reason.
"""

from __future__ import annotations

import dataclasses
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from research_ci.checks.common import error_result, relative_path
from research_ci.checks.spec import (
    Badge,
    CapRule,
    CheckSpec,
    Metrics,
    PenaltyRule,
    SummarySection,
    badge,
)
from research_ci.data.results import DataResult, Measurement, format_number, load_results
from research_ci.errors import EXIT_USAGE, UsageError
from research_ci.process import ToolError, run_tool
from research_ci.report import DATA_OUTPUT_DIR, CheckResult, Finding, Report, Status
from research_ci.words import plural, shorten

if TYPE_CHECKING:
    from research_ci.config import Settings

NAME = "data"
#: The two comparisons of a dataset against another: against an earlier span, against training.
COMPARISONS: tuple[str, ...] = ("drift", "skew")
#: A description is cut to this many characters in the summary's table.
MAX_DESCRIPTION_CHARS = 300


def preflight(settings: Settings) -> None:
    """Refuse a data table with nothing to check, before any check starts."""
    if not settings.data.validate and not settings.data.feature_skew:
        source = f"{settings.root / 'pyproject.toml'} [tool.research-ci.data]"
        raise UsageError(
            f"{source}: nothing to check; set 'train' or add [[tool.research-ci.data.validate]]"
        )


def _text(item: Mapping[str, Any], key: str) -> str:
    value = item.get(key)
    return "" if value is None else str(value)


def _number(value: object) -> float:
    return float(value) if isinstance(value, (int, float)) else 0.0


def _items(result: CheckResult, key: str) -> list[Mapping[str, Any]]:
    value = result.metrics.get(key)
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


@dataclasses.dataclass(frozen=True, kw_only=True)
class AnomalyRow:
    """One anomaly of one dataset, as the report lists it."""

    feature: str
    kind: str
    description: str
    severity: str
    dataset: str | None = None


@dataclasses.dataclass(frozen=True, kw_only=True)
class MeasureRow:
    """A drift or skew measurement of one dataset; over its threshold is the measurement's call."""

    comparison: str
    measurement: Measurement
    dataset: str | None = None

    @property
    def over(self) -> bool:
        """The value is over the threshold (TFDV reports it as an anomaly)."""
        return self.measurement.exceeded

    def to_json(self) -> dict[str, Any]:
        """The report's form: the measurement, ``exceeded`` and the dataset."""
        return {**self.measurement.to_dict(), "dataset": self.dataset}


@dataclasses.dataclass(frozen=True)
class DataMetrics(Metrics):
    """Anomalies, drift and skew measurements, and the datasets they come from."""

    anomalies: tuple[AnomalyRow, ...] = ()
    drift: tuple[MeasureRow, ...] = ()
    skew: tuple[MeasureRow, ...] = ()
    datasets: tuple[Mapping[str, Any], ...] = ()

    @classmethod
    def of(cls, result: CheckResult) -> DataMetrics:
        """The figures of a data result (items that are not objects are left out)."""
        anomalies = tuple(
            AnomalyRow(
                feature=_text(item, "feature"),
                kind=_text(item, "kind"),
                description=_text(item, "description"),
                severity=_text(item, "severity"),
                dataset=item.get("dataset"),
            )
            for item in _items(result, "anomalies")
        )
        drift, skew = (
            tuple(
                MeasureRow(
                    comparison=comparison,
                    measurement=Measurement(
                        feature=_text(item, "feature"),
                        measure=_text(item, "measure"),
                        value=_number(item.get("value")),
                        threshold=_number(item.get("threshold")),
                        note=_text(item, "note"),
                    ),
                    dataset=item.get("dataset"),
                )
                for item in _items(result, comparison)
            )
            for comparison in COMPARISONS
        )
        return cls(anomalies, drift, skew, tuple(_items(result, "datasets")))

    @property
    def measurements(self) -> tuple[MeasureRow, ...]:
        """Drift, then skew."""
        return (*self.drift, *self.skew)

    def to_json(self) -> dict[str, Any]:
        """The report's form."""
        return {
            "anomalies": [dataclasses.asdict(item) for item in self.anomalies],
            "drift": [item.to_json() for item in self.drift],
            "skew": [item.to_json() for item in self.skew],
            "datasets": [dict(item) for item in self.datasets],
        }

    def sentence(self) -> str:
        """``"2 anomalies; drift 1/4 over threshold; skew 0/2 over threshold"``."""
        parts = [plural(len(self.anomalies), "anomaly", "anomalies")]
        for comparison, rows in zip(COMPARISONS, (self.drift, self.skew), strict=True):
            if rows:
                over = sum(1 for row in rows if row.over)
                parts.append(f"{comparison} {over}/{len(rows)} over threshold")
        return "; ".join(parts)


def data_badge(result: CheckResult, metrics: DataMetrics, _report: Report) -> Badge:
    """``data: valid`` (green), ``data: 3 anomalies`` (red) or ``data: drift`` (orange)."""
    if metrics.anomalies:
        return badge(NAME, plural(len(metrics.anomalies), "anomaly", "anomalies"), "red")
    over = [row.comparison for row in metrics.measurements if row.over]
    if over:
        return badge(NAME, " + ".join(sorted(set(over), key=COMPARISONS.index)), "orange")
    if result.status == "failed":
        return badge(NAME, "invalid", "red")
    return badge(NAME, "valid", "brightgreen")


def summary_section(metrics: DataMetrics) -> SummarySection:
    """The anomaly table, then the drift and skew measurements against their thresholds."""
    anomalies = [
        {
            "feature": row.feature,
            "kind": row.kind,
            "severity": row.severity,
            "description": shorten(row.description, MAX_DESCRIPTION_CHARS),
        }
        for row in metrics.anomalies
    ]
    measurements = [
        {
            "comparison": row.comparison,
            "feature": row.measurement.feature,
            "measure": row.measurement.measure,
            "value": format_number(row.measurement.value),
            "threshold": format_number(row.measurement.threshold),
            "over": row.over,
        }
        for row in metrics.measurements
    ]
    return SummarySection(
        template="summary_data.md.j2",
        noun="data",
        tables={"anomalies": anomalies, "measurements": measurements},
    )


def _severity(value: str) -> str:
    return "error" if value.upper() == "ERROR" else "warning"


def fold(results: list[DataResult], *, root: Path, duration_s: float) -> CheckResult:
    """One check result from the per-dataset results."""
    anomalies: list[AnomalyRow] = []
    measured: dict[str, list[MeasureRow]] = {comparison: [] for comparison in COMPARISONS}
    findings: list[Finding] = []
    errors: list[str] = []
    datasets: list[dict[str, Any]] = []
    for result in results:
        where = relative_path(result.data, root)
        datasets.append(
            {
                "name": result.name,
                "kind": result.kind,
                "data": where,
                "environment": result.environment,
                "status": result.status,
                "examples": result.examples,
                "html": relative_path(result.html, root) if result.html else None,
            }
        )
        if result.error is not None:
            errors.append(f"{result.name}: {result.error}")
            findings.append(
                Finding(check=NAME, file=where, line=None, code="DATA_ERROR", message=result.error)
            )
        for anomaly in result.anomalies:
            anomalies.append(
                AnomalyRow(
                    feature=anomaly.feature,
                    kind=anomaly.kind,
                    description=anomaly.description,
                    severity=anomaly.severity,
                    dataset=result.name,
                )
            )
            findings.append(
                Finding(
                    check=NAME,
                    file=where,
                    line=None,
                    code=anomaly.kind,
                    message=f"{anomaly.feature}: {anomaly.description}",
                    severity="error" if _severity(anomaly.severity) == "error" else "warning",
                )
            )
        for comparison, items in zip(COMPARISONS, (result.drift, result.skew), strict=True):
            measured[comparison].extend(
                MeasureRow(comparison=comparison, measurement=item, dataset=result.name)
                for item in items
            )
    metrics = DataMetrics(
        anomalies=tuple(anomalies),
        drift=tuple(measured["drift"]),
        skew=tuple(measured["skew"]),
        datasets=tuple(datasets),
    )
    over = sum(1 for row in metrics.measurements if row.over)
    checked = plural(len(results), "dataset")
    status: Status
    if errors:
        status = "error"
        summary = f"{len(errors)} of {checked} could not be validated: {errors[0]}"
    elif anomalies:
        status = "failed"
        summary = (
            f"{plural(len(anomalies), 'anomaly', 'anomalies')} in {checked}"
            f" ({over} drift/skew measures over threshold)"
        )
    else:
        status = "passed"
        summary = (
            f"valid: {checked}, no anomalies ({len(metrics.measurements)} drift/skew measures)"
        )
    return CheckResult(
        name=NAME,
        status=status,
        summary=summary,
        duration_s=duration_s,
        metrics=metrics.to_json(),
        findings=findings,
    )


def run(settings: Settings) -> CheckResult:
    """Validate the configured datasets in the TFDV environment."""
    started = time.perf_counter()
    preflight(settings)
    # Imported here: research-ci loads this module for every check, not only data runs.
    from research_ci.data.provision import ProvisionError, data_python  # noqa: PLC0415

    try:
        python = data_python()
    except ProvisionError as exc:
        return error_result(NAME, f"no data environment: {exc}", started)
    html_dir = settings.root / DATA_OUTPUT_DIR
    with tempfile.TemporaryDirectory(prefix="research-ci-data-") as workdir:
        report = Path(workdir) / "data.json"
        args = python.command(
            "data",
            "check",
            settings.root,
            "--report",
            report,
            "--html-dir",
            html_dir,
            *settings.data.beam_args(),
        )
        try:
            completed = run_tool(
                args,
                cwd=settings.root,
                timeout_s=settings.timeout_s,
                env=python.env(),
                own_code=True,
            )
        except ToolError as exc:
            return error_result(NAME, f"could not run the data validation: {exc}", started)
        if completed.returncode == EXIT_USAGE:
            # The table was validated before the check started: what is left is the data's.
            message = completed.tail(1).removeprefix("research-ci: error: ")
            refused = message or "the data validation refused its input"
            return error_result(NAME, refused, started)
        if completed.returncode not in (0, 1) or not report.exists():
            return error_result(
                NAME,
                f"the data validation crashed (exit {completed.returncode}): {completed.tail(3)}",
                started,
            )
        results = load_results(report)
    return fold(results, root=settings.root, duration_s=time.perf_counter() - started)


CHECK: CheckSpec[DataMetrics] = CheckSpec(
    name=NAME,
    metrics=DataMetrics.of,
    run=lambda inputs: run(inputs.settings),
    priority=3,
    start=2,
    default=False,
    table="data",
    badges={NAME: data_badge},
    badge_rank=4,
    penalties=(PenaltyRule(NAME, "data anomaly", 5, 20, lambda m: len(m.anomalies)),),
    caps=(CapRule(NAME, "the data has anomalies", "B", lambda m: len(m.anomalies) > 0),),
    summary=summary_section,
    preflight=preflight,
)
