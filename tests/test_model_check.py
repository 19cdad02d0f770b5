"""``research-ci check`` with a model check: findings, rubric, badge, summary, skip and refusal.

A throwaway project whose ``[tool.research-ci.model]`` points at a predictions table of UCI
Adult (a logistic model trained in the test, and the same model with one marital status'
scores shuffled as the candidate).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import read_valid_report
from fragments import assert_fragments
from model_helpers import planted_tables
from projects import run_cli, write_project
from research_ci.badge import report_badges
from research_ci.model.metrics import METRICS
from research_ci.report import load_report
from research_ci.summary import render_summary

MODEL_TABLE = """
[tool.research-ci.model]
predictions = "reports/predictions.csv"
baseline = "reports/baseline.csv"
label = "income"
positive = ">50K"
prediction = "score"
slices = ["marital-status", "sex"]
max-drop = {{ auc = {drop} }}
"""


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return planted_tables(tmp_path_factory.mktemp("scored"))


def _project(root: Path, scored: dict[str, Path], candidate: str, drop: float = 0.05) -> Path:
    write_project(root, extra_pyproject=MODEL_TABLE.format(drop=drop))
    (root / "reports").mkdir()
    (root / "reports" / "predictions.csv").write_bytes(scored[candidate].read_bytes())
    (root / "reports" / "baseline.csv").write_bytes(scored["baseline"].read_bytes())
    return root


def test_failed_threshold_is_a_finding_a_rubric_line_a_badge_and_a_section(
    tmp_path: Path, scored: dict[str, Path]
) -> None:
    root = _project(tmp_path / "project", scored, "planted")
    result = run_cli("check", str(root), "--only", "model", "--no-install", "--format", "json")
    assert result.returncode == 1, result.stderr
    data = read_valid_report(root / ".research-ci" / "report.json")
    model = data["checks"]["model"]
    assert model["status"] == "failed"
    assert model["failures"][0]["slice"] == "marital-status = Divorced"
    assert model["task"] == "binary"
    assert model["rules"] == 1
    assert model["html"] == ".research-ci/model/report.html"
    (finding,) = model["findings"]
    assert finding["file"] == "reports/predictions.csv"
    assert finding["code"] == "max-drop"
    assert "fell from" in finding["message"]
    assert {"check": "model", "points": 5, "reason": "1 x failed model threshold"} in data[
        "rubric"
    ]["deductions"]
    assert "model: a model threshold fails -> at most B" in data["rubric"]["caps"]
    assert any(reason.startswith("model failed (") for reason in data["gate"]["reasons"])
    report = load_report(root / ".research-ci" / "report.json")
    badges = {item.key: item for item in report_badges(report)}
    assert badges["model"].message == "1 failure"
    assert badges["model"].color == "red"
    summary = render_summary(report)
    assert_fragments(
        summary, "### Model", "| max-drop | auc | marital-status = Divorced |", "Worst slice by"
    )
    for name in ("report.json", "report.md", "report.html"):
        assert (root / ".research-ci" / "model" / name).is_file()
    page = (root / ".research-ci" / "model" / "report.html").read_text(encoding="utf-8")
    assert "Gate failed" in page


def test_same_model_passes(tmp_path: Path, scored: dict[str, Path]) -> None:
    root = _project(tmp_path / "project", scored, "baseline")
    result = run_cli("check", str(root), "--only", "model", "--no-install")
    assert result.returncode == 0, result.stdout + result.stderr
    data = json.loads((root / ".research-ci" / "report.json").read_text(encoding="utf-8"))
    assert data["checks"]["model"]["status"] == "passed"
    assert data["checks"]["model"]["summary"].endswith("gate passed (1 rules)")


def test_missing_predictions_skip_and_bad_tables_refuse(
    tmp_path: Path, scored: dict[str, Path]
) -> None:
    root = _project(tmp_path / "project", scored, "planted")
    (root / "reports" / "predictions.csv").unlink()
    result = run_cli("check", str(root), "--only", "model", "--no-install")
    assert result.returncode == 0, result.stderr
    data = json.loads((root / ".research-ci" / "report.json").read_text(encoding="utf-8"))
    assert data["checks"]["model"]["status"] == "skipped"
    assert "no predictions table at reports/predictions.csv" in data["checks"]["model"]["summary"]
    pyproject = root / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text(encoding="utf-8").replace(
            "max-drop = { auc = 0.05 }", "max-drop = { AUC = 0.05 }"
        ),
        encoding="utf-8",
    )
    before = (root / ".research-ci" / "report.json").read_bytes()
    result = run_cli("check", str(root), "--only", "model", "--no-install")
    assert result.returncode == 2
    table = f"{root.resolve() / 'pyproject.toml'} [tool.research-ci.model]"
    assert result.stderr.strip().splitlines() == [
        f"research-ci: error: {table} max-drop: unknown metric 'AUC'; metrics: {', '.join(METRICS)}"
    ]
    assert (root / ".research-ci" / "report.json").read_bytes() == before


def test_model_table_turns_the_check_on(tmp_path: Path, scored: dict[str, Path]) -> None:
    from research_ci.config import load_settings  # noqa: PLC0415

    root = _project(tmp_path / "project", scored, "planted")
    assert "model" in load_settings(root).checks


def test_badges_summary_and_settings_of_the_model_check(
    tmp_path: Path, scored: dict[str, Path]
) -> None:
    from research_ci.checks.model import (  # noqa: PLC0415
        CHECK,
        ModelMetrics,
        _missing_table,
        model_settings,
        summary_section,
    )
    from research_ci.config import load_settings  # noqa: PLC0415
    from research_ci.errors import UsageError  # noqa: PLC0415
    from research_ci.report import CheckResult  # noqa: PLC0415

    skipped = CheckResult(name="model", status="skipped", summary="no predictions table")
    assert summary_section(ModelMetrics.of(skipped)) is None
    ungated = CheckResult(name="model", status="passed", summary="", metrics={"task": "binary"})
    badge = CHECK.badges["model"](ungated, ModelMetrics.of(ungated), None)  # type: ignore[arg-type]
    assert (badge.message, badge.color) == ("not gated", "lightgrey")
    assert CHECK.figures(ModelMetrics.of(ungated)) == "binary, 0 slices; no thresholds set"
    failed = CheckResult(name="model", status="failed", summary="", metrics={"task": "binary"})
    assert CHECK.badges["model"](failed, ModelMetrics.of(failed), None).message == "failing"  # type: ignore[arg-type]
    root = _project(tmp_path / "project", scored, "planted")
    (root / "eval.pbtxt").write_text(
        'model_specs { label_key: "income" prediction_key: "score" }\n'
        "options { min_slice_size { value: 42 } }\n",
        encoding="utf-8",
    )
    pyproject = root / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    pyproject.write_text(
        text.replace(
            'prediction = "score"\n', 'prediction = "score"\neval-config = "eval.pbtxt"\n'
        ).replace('predictions = "reports/predictions.csv"', 'predictions = "reports/pred*.csv"'),
        encoding="utf-8",
    )
    parsed = model_settings(load_settings(root))
    assert parsed.min_slice_size == 42
    assert _missing_table(parsed) is None
    (root / "reports" / "predictions.csv").unlink()
    assert _missing_table(parsed) == "reports/pred*.csv"
    pyproject.write_text(
        '[project]\nname = "x"\n[tool.research-ci.model]\nlabel = "y"\n', encoding="utf-8"
    )
    with pytest.raises(UsageError, match="nothing to analyse"):
        model_settings(load_settings(root))
