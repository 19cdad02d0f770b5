"""``research-ci check``'s data check end to end: the engine (no TFDV) runs the TFDV
environment once for every dataset of ``[tool.research-ci.data]`` and folds the anomalies
into a schema-valid quality report.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from data_helpers import TAXI, data_python
from research_ci.checks import data as data_check
from research_ci.config import load_settings
from research_ci.grade import build_report
from research_ci.report import validate_report_dict

pytestmark = [pytest.mark.data, pytest.mark.slow]


def test_check_runs_every_configured_dataset(tmp_path: Path) -> None:
    python = data_python()
    train, eval_csv, serving = (TAXI / name for name in ("train.csv", "eval.csv", "serving.csv"))
    (tmp_path / "pyproject.toml").write_text(
        f"""[project]
name = "taxi"
version = "0.1.0"

[tool.research-ci.data]
schema = "data/schema.pbtxt"
train = "{train}"
label = "tips"

[tool.research-ci.data.thresholds]
payment_type = 0.01
company = {{ drift = false }}

[[tool.research-ci.data.validate]]
name = "eval"
path = "{eval_csv}"
previous = "{train}"

[[tool.research-ci.data.validate]]
name = "serving"
path = "{serving}"
environment = "SERVING"
training = "{train}"

[[tool.research-ci.data.validate]]
name = "lost"
path = "data/missing-*.csv"
""",
        encoding="utf-8",
    )
    # The console entry point, as a user runs it: thresholds come from ./pyproject.toml.
    infer = subprocess.run(
        [
            python,
            "-m",
            "research_ci",
            "data",
            "infer",
            "--data",
            str(train),
            "--schema",
            "data/schema.pbtxt",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert infer.returncode == 0, infer.stderr
    assert "Traceback" not in infer.stderr
    schema = (tmp_path / "data" / "schema.pbtxt").read_text(encoding="utf-8")
    payment = schema.split('name: "payment_type"')[1].split("\nfeature {")[0]
    assert payment.count("threshold: 0.01") == 2
    company = schema.split('name: "company"')[1].split("\nfeature {")[0]
    assert "drift_comparator" not in company
    assert "skew_comparator" in company
    assert 'not_in_environment: "SERVING"' in schema.split('name: "tips"')[1]

    result = data_check.run(load_settings(tmp_path))

    assert result.status == "error"  # one configured dataset is missing
    datasets = {item["name"]: item for item in result.metrics["datasets"]}
    assert datasets["eval"]["status"] == "failed"
    assert datasets["serving"]["status"] in ("passed", "failed")
    assert datasets["lost"]["status"] == "error"
    assert "no file matches" in result.summary
    kinds = {
        (item["dataset"], item["feature"], item["kind"]) for item in result.metrics["anomalies"]
    }
    assert ("eval", "payment_type", "ENUM_TYPE_UNEXPECTED_STRING_VALUES") in kinds
    assert not any(dataset == "serving" and feature == "tips" for dataset, feature, _ in kinds)
    drift_features = {item["feature"] for item in result.metrics["drift"]}
    assert "company" not in drift_features
    assert "fare" in drift_features
    assert {item["dataset"] for item in result.metrics["skew"]} == {"serving"}
    eval_findings = [f for f in result.findings if f.code == "ENUM_TYPE_UNEXPECTED_STRING_VALUES"]
    assert eval_findings
    assert eval_findings[0].file == str(eval_csv)
    assert eval_findings[0].line is None
    assert (tmp_path / ".research-ci" / "data" / "eval.html").exists()
    assert datasets["eval"]["html"] == ".research-ci/data/eval.html"

    report = build_report(
        project_name="taxi", checks={"data": result}, minimum_grade="C", coverage_threshold=80
    ).to_dict()
    validate_report_dict(report, source="data check")
    assert report["checks"]["data"]["status"] == "error"
