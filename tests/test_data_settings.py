"""The pure-Python side of data validation, in the engine's environment (no TFDV needed):
``[tool.research-ci.data]`` parsing, the JSON results, their Markdown, the fold into the
check result, and the lazy imports that keep ``--help`` free of TensorFlow.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from fragments import assert_fragments
from refusals import refusal
from research_ci.checks import data as data_check
from research_ci.config import load_settings
from research_ci.data import provision
from research_ci.data.results import (
    Anomaly,
    DataResult,
    Measurement,
    format_number,
    load_results,
    results_markdown,
    results_to_json,
)
from research_ci.data.settings import (
    Dialect,
    FeatureThreshold,
    beam_option_args,
    load_data_settings,
    parse_data_settings,
    parse_delimiter,
)
from research_ci.errors import UsageError
from research_ci.grade import score_checks
from research_ci.report import validate_report_dict

SOURCE = "pyproject.toml [tool.research-ci.data]"


def parse(table: dict[str, Any]) -> Any:
    return parse_data_settings(table, root=Path("/project"), source=SOURCE)


def test_full_table_parses() -> None:
    settings = parse(
        {
            "schema": "data/schema.pbtxt",
            "train": "data/train.csv",
            "label": "tips",
            "delimiter": "tab",
            "column-names": ["a", "b"],
            "na-values": "?,NA",
            "categorical-threshold": 0.05,
            "numeric-threshold": 0.2,
            "thresholds": {
                "payment_type": 0.01,
                "fare": {"drift": 0.3, "skew": False, "measure": "jensen_shannon_divergence"},
            },
            "validate": [
                {"path": "data/eval.csv", "previous": "data/train.csv"},
                {
                    "path": "data/serving.csv",
                    "environment": "SERVING",
                    "training": "data/train.csv",
                    "delimiter": ",",
                    "name": "serve",
                },
            ],
            "feature-skew": [
                {"training": "t.csv", "serving": "s.csv", "keys": ["id"], "float-round-ndigits": 3}
            ],
            "runner": "DirectRunner",
            "beam-options": ["direct_num_workers=2"],
            "jobs": 1,
            "html": False,
        }
    )
    assert settings.label == "tips"
    assert settings.dialect == Dialect(
        delimiter="\t", column_names=("a", "b"), na_values=("?", "NA")
    )
    assert settings.thresholds.categorical == 0.05
    assert settings.thresholds.features["payment_type"] == FeatureThreshold(drift=0.01, skew=0.01)
    fare = settings.thresholds.features["fare"]
    assert (fare.drift, fare.skew, fare.measure) == (0.3, False, "jensen_shannon_divergence")
    first, second = settings.validate
    assert (first.name, first.environment, first.previous) == ("eval", "TRAINING", "data/train.csv")
    assert (second.name, second.environment, second.dialect.delimiter) == ("serve", "SERVING", ",")
    assert second.dialect.column_names == ("a", "b")  # inherited
    (skew,) = settings.feature_skew
    assert (skew.keys, skew.float_round_ndigits, skew.name) == (("id",), 3, "feature-skew-s")
    assert settings.resolve("data/x.csv") == Path("/project/data/x.csv")
    assert settings.resolve("/abs.csv") == Path("/abs.csv")
    assert settings.beam_args() == [
        "--runner",
        "DirectRunner",
        "--beam-option",
        "direct_num_workers=2",
        "--jobs",
        "1",
    ]
    assert not settings.html


def test_train_alone_validates_train_in_training() -> None:
    settings = parse({"train": "data/train.csv"})
    assert [(e.name, e.path, e.environment) for e in settings.validate] == [
        ("train", "data/train.csv", "TRAINING")
    ]
    assert parse({}).validate == ()


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"shema": "x"}, "unknown key shema"),
        ({"schema": ""}, "schema: expected a non-empty string"),
        ({"numeric-threshold": 2}, "expected a number from 0 to 1, got 2"),
        ({"numeric-threshold": True}, "expected a number from 0 to 1"),
        ({"thresholds": {"a": "high"}}, "thresholds.a: expected a number"),
        ({"thresholds": {"a": {"drift": 0.1, "size": 3}}}, "unknown key size"),
        ({"thresholds": {"a": {"measure": "kl"}}}, "measure: expected one of"),
        ({"thresholds": []}, "expected a table of feature = threshold"),
        ({"validate": {"path": "x"}}, "must be an array of tables"),
        ({"validate": [{"environment": "SERVING"}]}, "'path' is required"),
        ({"validate": [{"path": "x", "environment": "PROD"}]}, "expected TRAINING or SERVING"),
        ({"validate": [{"path": "a/x.csv"}, {"path": "b/x.csv"}]}, "two entries are named 'x'"),
        ({"feature-skew": [{"training": "t", "serving": "s"}]}, "'keys' is required"),
        ({"feature-skew": [{"training": "t", "serving": "s", "keys": []}]}, "at least one"),
        (
            {
                "feature-skew": [
                    {"training": "t", "serving": "s", "keys": "id", "float-round-ndigits": -1}
                ]
            },
            "non-negative integer",
        ),
        ({"delimiter": 3}, "delimiter: expected a string"),
        ({"delimiter": '"'}, "must not contain a quote"),
        ({"column-names": ["a", "a"]}, "names must be unique"),
        ({"column-names": [1]}, "expected a list of strings"),
        ({"format": "xls"}, "format: expected one of"),
        ({"html": "yes"}, "html: expected true or false"),
        ({"beam-options": ["nokey"]}, "expected KEY=VALUE"),
        ({"jobs": 0}, "jobs: expected a positive integer"),
    ],
)
def test_bad_tables_are_one_line_errors(table: dict[str, Any], message: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse(table)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_not_a_table() -> None:
    with pytest.raises(UsageError, match="expected a table"):
        parse_data_settings([], root=Path(), source=SOURCE)


def test_delimiters_and_dialect_args() -> None:
    assert parse_delimiter("\\t", source="x") == "\t"
    assert parse_delimiter(", ", source="x") == ", "
    with pytest.raises(UsageError, match="must not be empty"):
        parse_delimiter("", source="x")
    dialect = Dialect(delimiter=";", column_names=("a", "b"), na_values=("?",), format="csv")
    assert dialect.cli_args() == [
        "--delimiter",
        ";",
        "--encoding",
        "utf-8",
        "--column-names",
        "a,b",
        "--na-value",
        "?",
        "--format",
        "csv",
    ]
    assert beam_option_args(["project=p", "--region=r"], "DataflowRunner") == [
        "--runner=DataflowRunner",
        "--project=p",
        "--region=r",
    ]


def test_load_data_settings_from_pyproject(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[tool.research-ci.data]\ntrain = "t.csv"\n', encoding="utf-8")
    assert load_data_settings(pyproject).root == tmp_path.resolve()
    assert "invalid TOML" in refusal(load_data_settings, pyproject, "[tool.research-ci\n")
    assert "not UTF-8" in refusal(load_data_settings, pyproject, b"\xff")
    with pytest.raises(UsageError, match="config file not found"):
        load_data_settings(tmp_path / "nope.toml")
    pyproject.write_text("[project]\nname = 'x'\n", encoding="utf-8")
    assert load_data_settings(pyproject).validate == ()


def _result(**changes: Any) -> DataResult:
    base: dict[str, Any] = {
        "name": "eval",
        "data": "/project/data/eval.csv",
        "schema": "data/schema.pbtxt",
        "environment": "TRAINING",
        "examples": {"data": 5},
        "anomalies": [
            Anomaly(
                feature="payment_type",
                kind="ENUM_TYPE_UNEXPECTED_STRING_VALUES",
                description="Examples contain values missing from the schema: Prcard.",
            )
        ],
        "drift": [
            Measurement(
                feature="fare", measure="jensen_shannon_divergence", value=0.3, threshold=0.1
            ),
            Measurement(feature="company", measure="infinity_norm", value=0.01, threshold=0.1),
        ],
    }
    base.update(changes)
    return DataResult(**base)


def test_results_round_trip_and_markdown(tmp_path: Path) -> None:
    result = _result(previous="data/train.csv")
    path = tmp_path / "data.json"
    path.write_text(results_to_json([result]), encoding="utf-8")
    (loaded,) = load_results(path)
    assert loaded.to_dict() == result.to_dict()
    single = tmp_path / "single.json"
    single.write_text(json.dumps(result.to_dict()), encoding="utf-8")
    assert load_results(single)[0].status == "failed"
    markdown = results_markdown([result, _result(name="ok", anomalies=[], drift=[])])
    assert_fragments(
        markdown,
        "| `payment_type` | ENUM_TYPE_UNEXPECTED_STRING_VALUES | ERROR |",
        "| `fare` | jensen_shannon_divergence | 0.3 | 0.1 | over |",
        "| `company` | infinity_norm | 0.01 | 0.1 | ok |",
        "No anomalies.",
    )
    errored = results_markdown([_result(error="data file not found: x", anomalies=[])])
    assert "**Could not run:** data file not found: x" in errored
    assert format_number(1.23456e-7) == "1.235e-07"
    assert format_number("n/a") == "n/a"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "cannot read data report"),
        ("[]", "not a research-ci data report"),
        ('{"data_report_version": 99}', "newer than this research-ci"),
        ('{"data_report_version": 1, "results": [{"name": "x"}]}', "malformed data report"),
    ],
)
def test_bad_data_reports(tmp_path: Path, content: str, message: str) -> None:
    assert message in refusal(load_results, tmp_path / "r.json", content)
    with pytest.raises(UsageError, match="data report not found"):
        load_results(tmp_path / "missing.json")


def _full_report(check: Any) -> dict[str, Any]:
    from research_ci.grade import build_report  # noqa: PLC0415

    report = build_report(
        project_name="p", checks={"data": check}, minimum_grade="C", coverage_threshold=80
    )
    data = report.to_dict()
    validate_report_dict(data, source="test")
    return data


def test_fold_anomalies_into_a_failed_check() -> None:
    skew = Measurement(
        feature="fare", measure="jensen_shannon_divergence", value=0.05, threshold=0.1
    )
    results = [
        _result(html="/project/.research-ci/data/eval.html"),
        _result(name="serving", environment="SERVING", anomalies=[], drift=[], skew=[skew]),
    ]
    check = data_check.fold(results, root=Path("/project"), duration_s=1.5)
    assert check.status == "failed"
    assert check.summary == "1 anomaly in 2 datasets (1 drift/skew measures over threshold)"
    assert check.metrics["anomalies"][0]["dataset"] == "eval"
    assert len(check.metrics["drift"]) == 2
    assert len(check.metrics["skew"]) == 1
    assert check.metrics["datasets"][0]["html"] == ".research-ci/data/eval.html"
    (finding,) = check.findings
    assert (finding.file, finding.line, finding.code) == (
        "data/eval.csv",
        None,
        "ENUM_TYPE_UNEXPECTED_STRING_VALUES",
    )
    assert finding.message.startswith("payment_type: Examples contain")
    report = _full_report(check)
    assert report["checks"]["data"]["anomalies"][0]["feature"] == "payment_type"
    assert score_checks({"data": check}).grade == "B"  # anomalies cap the grade at B


def test_fold_clean_and_errors() -> None:
    clean = data_check.fold([_result(anomalies=[])], root=Path("/project"), duration_s=0.1)
    assert clean.status == "passed"
    assert clean.summary == "valid: 1 dataset, no anomalies (2 drift/skew measures)"
    _full_report(clean)
    warning = _result(
        anomalies=[Anomaly(feature="f", kind="K", description="d", severity="WARNING")]
    )
    assert data_check.fold([warning], root=Path("/p"), duration_s=0).findings[0].severity == (
        "warning"
    )
    errored = data_check.fold(
        [_result(anomalies=[], error="ragged row"), _result(name="b")],
        root=Path("/project"),
        duration_s=0.1,
    )
    assert errored.status == "error"
    assert errored.summary.startswith("1 of 2 datasets could not be validated: eval: ragged")
    assert errored.findings[0].code == "DATA_ERROR"
    _full_report(errored)


def _project(tmp_path: Path, data_table: str) -> Path:
    (tmp_path / "pyproject.toml").write_text(
        f'[project]\nname = "p"\nversion = "0"\n\n[tool.research-ci.data]\n{data_table}',
        encoding="utf-8",
    )
    return tmp_path


def test_run_with_a_missing_data_python_is_an_error_that_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = load_settings(_project(tmp_path, 'train = "train.csv"\n'))
    monkeypatch.setenv("RESEARCH_CI_DATA_PYTHON", str(tmp_path / "no-python"))
    result = data_check.run(settings)
    assert result.status == "error"
    assert "does not exist" in result.summary
    assert "make " not in result.summary, "no hint at a make target a project may not have"


def test_run_refuses_bad_or_empty_configuration(tmp_path: Path) -> None:
    settings = load_settings(_project(tmp_path, 'label = "y"\n'))
    with pytest.raises(UsageError, match="nothing to check"):
        data_check.run(settings)
    with pytest.raises(UsageError, match="'path' is required"):
        data_check.run(load_settings(_project(tmp_path, 'validate = [{ environment = "X" }]\n')))


def test_data_python_prefers_the_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RESEARCH_CI_DATA_PYTHON", sys.executable)
    assert provision.data_python().python == Path(sys.executable)
    assert provision.data_python().env() == {}
