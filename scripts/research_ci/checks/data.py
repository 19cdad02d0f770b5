"""The data check of ``research-ci check``: TFDV validation of the configured datasets.

TFDV pins numpy<2, pandas<2 and TensorFlow 2.16, so it lives in its own environment
(``.venv-data``, from ``locks/data/requirements.txt``), never in the engine's or the
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

import tempfile
import time
from pathlib import Path
from typing import Any

from research_ci.checks.common import error_result, plural, relative_path
from research_ci.config import Settings
from research_ci.data.provision import ProvisionError, data_python
from research_ci.data.results import DataResult, load_results
from research_ci.data.settings import DataSettings, parse_data_settings
from research_ci.errors import EXIT_USAGE, UsageError
from research_ci.process import ToolError, run_tool
from research_ci.report import CheckResult, Finding, Status

NAME = "data"


def data_settings(settings: Settings) -> DataSettings:
    """The validated ``[tool.research-ci.data]`` table (a one-line UsageError otherwise)."""
    source = f"{settings.root / 'pyproject.toml'} [tool.research-ci.data]"
    parsed = parse_data_settings(settings.data, root=settings.root, source=source)
    if not parsed.validate and not parsed.feature_skew:
        raise UsageError(
            f"{source}: nothing to check; set 'train' or add [[tool.research-ci.data.validate]]"
        )
    return parsed


def _severity(value: str) -> str:
    return "error" if value.upper() == "ERROR" else "warning"


def fold(results: list[DataResult], *, root: Path, duration_s: float) -> CheckResult:
    """One check result from the per-dataset results."""
    anomalies: list[dict[str, Any]] = []
    drift: list[dict[str, Any]] = []
    skew: list[dict[str, Any]] = []
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
                {
                    "feature": anomaly.feature,
                    "kind": anomaly.kind,
                    "description": anomaly.description,
                    "severity": anomaly.severity,
                    "dataset": result.name,
                }
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
        for target, items in ((drift, result.drift), (skew, result.skew)):
            target.extend({**item.to_dict(), "dataset": result.name} for item in items)
    over = sum(1 for item in (*drift, *skew) if item["exceeded"])
    checked = plural(len(results), "dataset")
    status: Status
    if errors:
        status = "error"
        summary = f"{len(errors)} of {checked} could not be validated: {errors[0]}"
    elif anomalies:
        status = "failed"
        summary = (
            f"{len(anomalies)} anomal{'y' if len(anomalies) == 1 else 'ies'} in {checked}"
            f" ({over} drift/skew measures over threshold)"
        )
    else:
        status = "passed"
        summary = f"valid: {checked}, no anomalies ({len(drift) + len(skew)} drift/skew measures)"
    return CheckResult(
        name=NAME,
        status=status,
        summary=summary,
        duration_s=duration_s,
        metrics={"anomalies": anomalies, "drift": drift, "skew": skew, "datasets": datasets},
        findings=findings,
    )


def run(settings: Settings) -> CheckResult:
    """Validate the configured datasets in the TFDV environment."""
    started = time.perf_counter()
    parsed = data_settings(settings)
    try:
        python = data_python()
    except ProvisionError as exc:
        return error_result(NAME, f"no data environment: {exc}", started)
    html_dir = settings.root / ".research-ci" / "data"
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
            *parsed.beam_args(),
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
            message = completed.tail(1).removeprefix("research-ci: error: ")
            raise UsageError(message or "the data validation refused its input")
        if completed.returncode not in (0, 1) or not report.exists():
            return error_result(
                NAME,
                f"the data validation crashed (exit {completed.returncode}): {completed.tail(3)}",
                started,
            )
        results = load_results(report)
    return fold(results, root=settings.root, duration_s=time.perf_counter() - started)
