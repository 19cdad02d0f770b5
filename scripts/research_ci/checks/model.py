"""The model check of ``research-ci check``: model performance per slice, and its gate.

The project's ``[tool.research-ci.model]`` table says which predictions table to analyse (or
which data and model function), how to slice it and which thresholds gate it. The analysis
runs in this process (numpy and pyarrow are research-ci's own dependencies); a ``model``
function runs in the project's Python, the one the tests check uses. The check writes
``.research-ci/model/`` (``report.json``, ``report.md`` and, unless ``html = false``,
``report.html``) and folds the model report into its result: status ``failed`` when a
threshold fails, one finding per failed threshold. When the configured predictions table is
not there (nothing wrote it in this job), the check is skipped and says so.
"""

from __future__ import annotations

import dataclasses
import glob
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from research_ci.checks.common import error_result, relative_path
from research_ci.checks.spec import (
    Badge,
    CapRule,
    CheckInputs,
    CheckSpec,
    MergeRule,
    PenaltyRule,
    SummarySection,
    badge,
)
from research_ci.errors import UsageError
from research_ci.model.metrics import KEY_METRICS, METRICS
from research_ci.model.report import Failure
from research_ci.model.settings import ModelSettings
from research_ci.report import CheckResult, Finding, Report, Status
from research_ci.words import plural

if TYPE_CHECKING:
    from research_ci.config import Settings
    from research_ci.model.report import ModelReport

NAME = "model"
#: Where the check writes its reports, under the project root.
OUTPUT_DIR = Path(".research-ci") / "model"


def model_settings(settings: Settings) -> ModelSettings:
    """The validated ``[tool.research-ci.model]`` table, with its EvalConfig applied."""
    source = f"{settings.root / 'pyproject.toml'} [tool.research-ci.model]"
    parsed = settings.model
    if parsed.eval_config:
        from research_ci.model.evalconfig import apply_eval_config  # noqa: PLC0415

        parsed = apply_eval_config(parsed, parsed.resolve(parsed.eval_config))
    if not parsed.configured:
        raise UsageError(
            f"{source}: nothing to analyse; set predictions (a table the project writes) "
            "or data and model (module:function)"
        )
    return parsed


def preflight(settings: Settings) -> None:
    """Refuse a bad model table (or EvalConfig) before any check starts."""
    model_settings(settings)


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


@dataclasses.dataclass(frozen=True)
class ModelMetrics:
    """The model check's figures: what was analysed, the gate, the key overall metrics."""

    task: str = ""
    rows: int = 0
    slices: int = 0
    small_slices: int = 0
    rules: int = 0
    failures: tuple[Failure, ...] = ()
    overall: Mapping[str, Mapping[str, float | None]] = dataclasses.field(default_factory=dict)
    worst: tuple[Mapping[str, Any], ...] = ()
    flips: tuple[Mapping[str, Any], ...] = ()
    html: str | None = None

    @classmethod
    def of(cls, result: CheckResult) -> ModelMetrics:
        """The figures of a model result (absent figures are empty)."""
        metrics = result.metrics
        failures = tuple(
            Failure(
                rule=str(item.get("rule", "")),
                metric=str(item.get("metric", "")),
                slice=str(item.get("slice", "")),
                value=_number(item.get("value")) or 0.0,
                bound=_number(item.get("bound")) or 0.0,
                message=str(item.get("message", "")),
                other=item.get("other"),
            )
            for item in metrics.get("failures", [])
            if isinstance(item, dict)
        )
        overall = metrics.get("overall", {})
        return cls(
            task=str(metrics.get("task", "")),
            rows=int(_number(metrics.get("rows")) or 0),
            slices=int(_number(metrics.get("slices")) or 0),
            small_slices=int(_number(metrics.get("small_slices")) or 0),
            rules=int(_number(metrics.get("rules")) or 0),
            failures=failures,
            overall=overall if isinstance(overall, dict) else {},
            worst=tuple(item for item in metrics.get("worst", []) if isinstance(item, dict)),
            flips=tuple(item for item in metrics.get("flips", []) if isinstance(item, dict)),
            html=metrics.get("html") if isinstance(metrics.get("html"), str) else None,
        )

    def to_json(self) -> dict[str, Any]:
        """The report's form."""
        return {
            "task": self.task,
            "rows": self.rows,
            "slices": self.slices,
            "small_slices": self.small_slices,
            "rules": self.rules,
            # Where a rule comes from (pyproject, EvalConfig) stays in the model report.
            "failures": [
                {key: value for key, value in item.to_dict().items() if key != "source"}
                for item in self.failures
            ],
            "overall": {name: dict(value) for name, value in self.overall.items()},
            "worst": [dict(item) for item in self.worst],
            "flips": [dict(item) for item in self.flips],
            "html": self.html,
        }

    def sentence(self) -> str:
        """``"binary, 24 slices; 2 of 5 thresholds failed"``."""
        head = f"{self.task}, {plural(self.slices, 'slice')}"
        if self.failures:
            return f"{head}; {plural(len(self.failures), 'failed threshold')} ({self.rules} rules)"
        if self.rules:
            return f"{head}; gate passed ({plural(self.rules, 'rule')})"
        return f"{head}; no thresholds set"


def model_badge(result: CheckResult, metrics: ModelMetrics, _report: Report) -> Badge:
    """``model: passing`` (green), ``model: 2 failures`` (red), ``model: not gated`` (grey)."""
    if metrics.failures:
        return badge(NAME, plural(len(metrics.failures), "failure"), "red")
    if result.status == "failed":
        return badge(NAME, "failing", "red")
    if not metrics.rules:
        return badge(NAME, "not gated", "lightgrey")
    return badge(NAME, "passing", "brightgreen")


def _value_text(value: Mapping[str, float | None]) -> str:
    from research_ci.model.render import interval, signed  # noqa: PLC0415

    text = interval(_Value(value))
    if value.get("change") is not None:
        text += f" ({signed(value.get('change'))})"
    return text


@dataclasses.dataclass(frozen=True)
class _Value:
    """Attribute access to a metric's JSON form, for the shared number formatting."""

    data: Mapping[str, float | None]

    def __getattr__(self, name: str) -> float | None:
        return self.data.get(name)


def summary_section(metrics: ModelMetrics) -> SummarySection | None:
    """The failed thresholds, the overall key metrics, the worst slices."""
    from research_ci.model.render import number  # noqa: PLC0415

    if not metrics.task:
        return None
    failures = [
        {
            "rule": item.rule,
            "metric": item.metric,
            "slice": item.slice + (f" vs {item.other}" if item.other else ""),
            "value": number(item.value),
            "bound": number(item.bound),
        }
        for item in metrics.failures
    ]
    overall = [
        {"metric": METRICS[name].title if name in METRICS else name, "value": _value_text(value)}
        for name, value in metrics.overall.items()
    ]
    worst = [
        {
            "metric": METRICS[str(item["metric"])].title if item.get("metric") in METRICS else "",
            "slice": str(item.get("slice", "")),
            "value": _value_text(item.get("value", {})),
        }
        for item in metrics.worst
    ]
    return SummarySection(
        template="summary_model.md.j2",
        noun="model",
        tables={"failures": failures, "overall": overall, "worst": worst},
    )


def _worst(report: ModelReport) -> list[dict[str, Any]]:
    """For each key metric with a direction, the gated slice where it is worst."""
    rows = []
    for name in KEY_METRICS[report.task]:  # type: ignore[index]
        direction = METRICS[name].direction
        valued = [
            item
            for item in report.slices
            if item.gated and item.values and item.value(name) is not None
        ]
        if direction == "none" or not valued:
            continue
        pick = min if direction == "higher" else max
        item = pick(valued, key=lambda entry: entry.value(name))  # type: ignore[arg-type,return-value]
        rows.append({"metric": name, "slice": item.key, "value": item.metrics[name].to_dict()})
    return rows


def fold(
    report: ModelReport, *, root: Path, source: Path, html: Path | None, duration_s: float
) -> CheckResult:
    """One check result from the model report."""
    where = relative_path(str(source), root)
    overall = report.slices[0] if report.slices else None
    metrics = ModelMetrics(
        task=report.task,
        rows=report.rows,
        slices=len(report.slices),
        small_slices=report.small_slices,
        rules=report.rules,
        failures=tuple(report.failures),
        overall={
            name: overall.metrics[name].to_dict()
            for name in KEY_METRICS[report.task]  # type: ignore[index]
            if overall is not None and name in overall.metrics
        },
        worst=tuple(_worst(report)),
        flips=tuple(report.flips),
        html=relative_path(str(html), root) if html is not None else None,
    )
    findings = [
        Finding(check=NAME, file=where, line=None, code=item.rule, message=item.message)
        for item in report.failures
    ]
    status: Status = "failed" if report.failures else "passed"
    return CheckResult(
        name=NAME,
        status=status,
        summary=report.summary(),
        duration_s=duration_s,
        metrics=metrics.to_json(),
        findings=findings,
    )


def _missing_table(parsed: ModelSettings) -> str | None:
    """The configured predictions table when it does not exist (yet)."""
    if not parsed.predictions:
        return None
    path = parsed.resolve(parsed.predictions)
    if glob.has_magic(str(path)):
        matches = glob.glob(str(path))  # noqa: PTH207 (absolute or relative patterns alike)
        return None if matches else parsed.predictions
    return None if path.exists() else parsed.predictions


def run(inputs: CheckInputs) -> CheckResult:
    """Analyse the configured predictions (or data and model) and apply the gate."""
    from research_ci.environment import EnvironmentSetupError  # noqa: PLC0415
    from research_ci.model import analysis  # noqa: PLC0415 (numpy, pyarrow: when it runs)

    started = time.perf_counter()
    settings = inputs.settings
    parsed = model_settings(settings)
    missing = _missing_table(parsed)
    if missing is not None:
        return CheckResult(
            name=NAME,
            status="skipped",
            summary=f"no predictions table at {missing} (write it before research-ci check)",
            duration_s=time.perf_counter() - started,
        )
    if parsed.model and not parsed.python:
        try:
            parsed = dataclasses.replace(parsed, python=str(inputs.project_python()))
        except EnvironmentSetupError as exc:
            return error_result(
                NAME, f"the project's environment could not be made: {exc}", started
            )
    folder = settings.root / OUTPUT_DIR
    html = folder / "report.html" if parsed.html else None
    outputs = analysis.Outputs(
        report=folder / "report.json", markdown=folder / "report.md", html=html
    )
    result = analysis.run(parsed, outputs)
    source = parsed.resolve(parsed.predictions or parsed.data or "")
    return fold(
        result.report,
        root=settings.root,
        source=source,
        html=html,
        duration_s=time.perf_counter() - started,
    )


CHECK: CheckSpec[ModelMetrics] = CheckSpec(
    name=NAME,
    metrics=ModelMetrics.of,
    run=run,
    priority=4,  # a failing model gate is named before the findings of lint and format
    start=3,
    default=False,
    table=NAME,
    badges={NAME: model_badge},
    badge_rank=6,
    penalties=(PenaltyRule(NAME, "failed model threshold", 5, 20, lambda m: len(m.failures)),),
    caps=(CapRule(NAME, "a model threshold fails", "B", lambda m: len(m.failures) > 0),),
    merge=MergeRule(),
    summary=summary_section,
    preflight=preflight,
)
