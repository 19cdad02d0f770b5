"""The data CLI contract on TFDV's own Chicago taxi train/eval/serving example (real TFDV).

One TFDV process runs every invocation (see data_driver.py): infer a schema from train,
validate eval (unseen payment_type "Prcard" -> anomaly) with drift against train, validate
serving (no ``tips`` label: clean in SERVING, an anomaly in TRAINING), distribution skew of
serving against train, and refuse to overwrite the schema without --force.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from data_helpers import TAXI, assert_usage_error, cli, run_steps
from research_ci.report import report_schema

pytestmark = [pytest.mark.data, pytest.mark.slow]


def _feature_block(schema_text: str, name: str) -> str:
    for block in schema_text.split("\nfeature {")[1:]:
        if re.search(rf'^\s*name: "{re.escape(name)}"$', block, flags=re.MULTILINE):
            return block.split("\n}\n")[0]
    raise AssertionError(f"feature {name} not in the schema")


def _features_with(schema_text: str, comparator: str) -> set[str]:
    names = set()
    for raw in schema_text.split("\nfeature {")[1:]:
        block = raw.split("\n}\n")[0]
        match = re.search(r'^\s*name: "([^"]+)"$', block, flags=re.MULTILINE)
        if match and f"{comparator} {{" in block:
            names.add(match.group(1))
    return names


def _valid_items(items: list[dict[str, Any]], definition: str) -> None:
    schema = {"$defs": report_schema()["$defs"], "$ref": f"#/$defs/{definition}"}
    for item in items:
        jsonschema.validate(item, schema)


@pytest.fixture(scope="module")
def taxi(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Any]]:
    work = tmp_path_factory.mktemp("taxi")
    schema = work / "schema.pbtxt"
    train, eval_csv, serving = TAXI / "train.csv", TAXI / "eval.csv", TAXI / "serving.csv"
    reviewed = (
        f"from pathlib import Path\np = Path({str(schema)!r})\n"
        "p.write_text(p.read_text() + '# reviewed\\n')\n"
    )

    def validate(data: Path, environment: str, *extra: str | Path) -> dict[str, Any]:
        return cli(
            "validate", "--schema", schema, "--data", data, "--environment", environment, *extra
        )

    steps = [
        cli("infer", "--data", train, "--label", "tips", "--schema", schema),
        validate(
            eval_csv,
            "TRAINING",
            "--previous",
            train,
            "--report",
            work / "eval.json",
            "--html",
            work / "eval.html",
            "--markdown",
            work / "eval.md",
        ),
        validate(serving, "SERVING", "--report", work / "serving.json"),
        validate(serving, "TRAINING", "--report", work / "serving-training.json"),
        validate(
            serving,
            "SERVING",
            "--training",
            train,
            "--report",
            work / "skew.json",
            "--html",
            work / "skew.html",
        ),
        {"exec": reviewed},
        cli("infer", "--data", train, "--label", "tips", "--schema", schema),
        validate(train, "TRAINING", "--report", work / "train.json"),
    ]
    return work, run_steps(steps, work)


def _report(work: Path, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((work / name).read_text(encoding="utf-8"))
    _valid_items(data["anomalies"], "anomaly")
    _valid_items(data["drift"] + data["skew"], "measurement")
    return data


def test_infer_writes_environments_and_comparators(taxi: tuple[Path, list[Any]]) -> None:
    work, outcomes = taxi
    assert outcomes[0]["code"] == 0, outcomes[0]
    assert "18 features from 3000 rows" in outcomes[0]["stdout"]
    text = (work / "schema.pbtxt").read_text(encoding="utf-8")
    assert 'default_environment: "TRAINING"' in text
    assert 'default_environment: "SERVING"' in text
    assert 'not_in_environment: "SERVING"' in _feature_block(text, "tips")
    payment = _feature_block(text, "payment_type")
    assert "infinity_norm {\n      threshold: 0.1" in payment
    assert payment.count("infinity_norm") == 2  # drift and skew
    fare = _feature_block(text, "fare")
    assert fare.count("kolmogorov_smirnov { threshold: 0.05 } }") == 2  # research-ci's own


def test_eval_has_prcard_anomaly_and_drift_for_every_feature(
    taxi: tuple[Path, list[Any]],
) -> None:
    work, outcomes = taxi
    assert outcomes[1]["code"] == 1, outcomes[1]
    report = _report(work, "eval.json")
    assert report["status"] == "failed"
    kinds = {(item["feature"], item["kind"]) for item in report["anomalies"]}
    assert ("payment_type", "ENUM_TYPE_UNEXPECTED_STRING_VALUES") in kinds
    assert ("company", "ENUM_TYPE_UNEXPECTED_STRING_VALUES") in kinds
    prcard = [item for item in report["anomalies"] if item["feature"] == "payment_type"]
    assert "Prcard" in prcard[0]["description"]
    schema_text = (work / "schema.pbtxt").read_text(encoding="utf-8")
    compared = {item["feature"] for item in report["drift"]}
    assert compared == _features_with(schema_text, "drift_comparator")
    for item in report["drift"]:
        assert 0 <= item["value"] <= 1
        if item["measure"] == "infinity_norm":
            assert item["threshold"] == 0.1
        else:  # at least the configured 0.05, more when the noise floor of the sizes is higher
            assert item["measure"] == "kolmogorov_smirnov"
            assert item["threshold"] >= 0.05
    assert any(not item["exceeded"] for item in report["drift"])  # under-threshold ones too
    drifted = {item["feature"] for item in report["drift"] if item["exceeded"]}
    drift_anomalies = {
        item["feature"] for item in report["anomalies"] if item["kind"].startswith("COMPARATOR_")
    }
    assert drifted == drift_anomalies
    assert report["examples"] == {"data": 3000, "previous": 3000}
    markdown = (work / "eval.md").read_text(encoding="utf-8")
    assert "| `payment_type` | ENUM_TYPE_UNEXPECTED_STRING_VALUES |" in markdown
    html = (work / "eval.html").read_text(encoding="utf-8")
    assert html.count('<section class="feature') == 18  # every feature, drifted or not
    numeric = {item["feature"] for item in report["drift"] if item["measure"] != "infinity_norm"}
    assert html.count("<svg") == len(numeric) > 0
    assert not re.search(r'(src|href)="(https?:)?//', html), "the HTML must render offline"


def test_serving_clean_in_serving_environment_anomaly_in_training(
    taxi: tuple[Path, list[Any]],
) -> None:
    work, outcomes = taxi
    assert outcomes[2]["code"] == 0, outcomes[2]
    assert _report(work, "serving.json")["anomalies"] == []
    assert outcomes[3]["code"] == 1, outcomes[3]
    anomalies = _report(work, "serving-training.json")["anomalies"]
    assert [(item["feature"], item["kind"]) for item in anomalies] == [
        ("tips", "SCHEMA_MISSING_COLUMN")
    ]


def test_distribution_skew_against_training(taxi: tuple[Path, list[Any]]) -> None:
    work, outcomes = taxi
    report = _report(work, "skew.json")
    assert outcomes[4]["code"] == (1 if report["anomalies"] else 0)
    compared = {item["feature"] for item in report["skew"]}
    schema_text = (work / "schema.pbtxt").read_text(encoding="utf-8")
    # Every feature with a skew comparator except the label, which SERVING does not have.
    assert compared == _features_with(schema_text, "skew_comparator") - {"tips"}
    skewed = {item["feature"] for item in report["skew"] if item["exceeded"]}
    assert skewed == {item["feature"] for item in report["anomalies"]}
    assert all(item["kind"].startswith("SKEW_COMPARATOR_") for item in report["anomalies"])
    html = (work / "skew.html").read_text(encoding="utf-8")
    assert html.count('<section class="feature') == 18  # the label too, absent in serving


def test_existing_schema_is_not_overwritten(taxi: tuple[Path, list[Any]]) -> None:
    work, outcomes = taxi
    assert_usage_error(outcomes[6], "schema.pbtxt exists; pass --force")
    assert (work / "schema.pbtxt").read_text(encoding="utf-8").endswith("# reviewed\n")


def test_training_data_is_valid_against_its_own_schema(taxi: tuple[Path, list[Any]]) -> None:
    work, outcomes = taxi
    assert outcomes[7]["code"] == 0, outcomes[7]
    assert _report(work, "train.json")["anomalies"] == []
