"""Configuration: ``[tool.research-ci.model]``, the text-proto reader and TFMA's EvalConfig.

What maps is mapped to the same gate as the TOML table; what does not map is refused with
one line that names the file, the line and the field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from model_helpers import adult, adult_scores, in_slice, invoke, plant, write_predictions
from refusals import refusal
from research_ci.errors import UsageError
from research_ci.model.evalconfig import apply_eval_config
from research_ci.model.settings import (
    ModelSettings,
    load_model_settings,
    parse_model_settings,
    selects,
)
from research_ci.model.specs import SliceSpec
from research_ci.model.textproto import Identifier, Message, parse


def _settings(table: dict[str, Any]) -> ModelSettings:
    return parse_model_settings(table, root=Path("/project"), source="[tool.research-ci.model]")


def test_full_table() -> None:
    settings = _settings(
        {
            "predictions": "reports/p.csv",
            "label": "income",
            "positive": 1,
            "prediction": "score",
            "baseline-prediction": "score_v1",
            "slices": "marital-status, sex",
            "crosses": [["marital-status", "sex"]],
            "min-slice-size": 30,
            "threshold": 0.4,
            "buckets": 5,
            "task": "binary",
            "delimiter": ", ",
            "na-values": ["?"],
            "min": {"auc": 0.8},
            "max": {"false_positive_rate": 0.2},
            "max-gap": {"false_negative_rate": 0.1},
            "max-drop": {"auc": 0.02},
            "slice-thresholds": [{"slices": ["sex", {"race": "White"}], "min": {"recall": 0.5}}],
            "cross-slice-thresholds": [
                {
                    "baseline": "Overall",
                    "comparison": {"sex": "Female", "race": "*"},
                    "max-gap": {"auc": 0.1},
                }
            ],
        }
    )
    assert settings.positive == "1"
    assert settings.threshold == 0.4
    assert settings.dialect.delimiter == ", "
    assert settings.resolve("reports/p.csv") == Path("/project/reports/p.csv")
    assert settings.thresholds.count() == 6
    assert settings.thresholds.needs_baseline
    columns = [spec.columns for spec in settings.specs()]
    assert columns == [
        (),
        ("marital-status",),
        ("sex",),
        ("marital-status", "sex"),
        ("race",),
        ("sex", "race"),
    ]
    cross = settings.thresholds.cross_slice[0]
    assert cross.baseline == SliceSpec()
    assert cross.comparisons == (SliceSpec(("sex", "race"), (("sex", "Female"),)),)
    assert selects(cross.comparisons[0], (("sex", "Female"), ("race", "Black")))
    assert not selects(cross.comparisons[0], (("sex", "Male"), ("race", "Black")))
    assert not selects(cross.comparisons[0], (("sex", "Female"),))


@pytest.mark.parametrize(
    ("table", "fragment"),
    [
        ({"slice": ["sex"]}, "unknown key slice"),
        ({"min": {"AUC": 0.8}}, "unknown metric 'AUC'"),
        ({"min": {"auc": "high"}}, "expected a number"),
        ({"min": 0.8}, "expected a table of metric = number"),
        ({"max-drop": {"mean_label": 0.1}}, "mean_label has no better direction"),
        ({"max-gap": {"auc": -0.1}}, "a gap is a distance"),
        ({"max-gap": {"example_count": 10}}, "example_count can only have min and max bounds"),
        ({"threshold": 2}, "expected a number from 0 to 1"),
        ({"min-slice-size": 0}, "expected an integer >= 1"),
        ({"buckets": 1}, "expected an integer >= 2"),
        ({"task": "ranking"}, "expected one of auto, binary, multiclass, regression"),
        ({"crosses": [["a"]]}, "a cross names two different columns"),
        ({"crosses": "a,b"}, "expected a list of pairs"),
        ({"model": "pkg.model"}, "expected module:function"),
        ({"model": "pkg-x:predict"}, "is not a module name"),
        ({"predictions": "p.csv", "data": "d.csv", "model": "m:f"}, "either predictions or data"),
        ({"data": "d.csv"}, "data needs a model"),
        ({"model": "m:f"}, "model needs data"),
        (
            {"baseline": "b.csv", "baseline-prediction": "s"},
            "give one of baseline, baseline-prediction",
        ),
        ({"slice-thresholds": [{"min": {"auc": 0.5}}]}, "'slice' is required"),
        ({"slice-thresholds": [{"slice": "sex"}]}, "no bound"),
        ({"slice-thresholds": {"slice": "sex"}}, "must be an array of tables"),
        (
            {"slice-thresholds": [{"slice": ["a", "b", "c"], "min": {"auc": 0.5}}]},
            "one column or a cross of two",
        ),
        (
            {"slice-thresholds": [{"slice": {"sex": True}, "min": {"auc": 0.5}}]},
            "expected the slice's value",
        ),
        (
            {"cross-slice-thresholds": [{"comparison": "sex", "max-gap": {"auc": 0.1}}]},
            "'baseline' is required",
        ),
        ({"cross-slice-thresholds": [{"baseline": "sex", "comparison": "sex"}]}, "no bound"),
        ({"html": "yes"}, "html: expected true or false"),
        ({"positive": True}, "expected the positive label value"),
        ({"label": ""}, "expected a non-empty string"),
    ],
)
def test_bad_tables(table: dict[str, Any], fragment: str) -> None:
    with pytest.raises(UsageError, match=None) as caught:
        _settings(table)
    assert fragment in str(caught.value)
    assert "\n" not in str(caught.value)


def test_pyproject_reading(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project]\nname = "x"\n', encoding="utf-8")
    assert not load_model_settings(pyproject).configured
    not_a_table = '[tool.research-ci]\nmodel = "x"\n'
    assert "expected a table" in refusal(load_model_settings, pyproject, not_a_table)
    assert "invalid TOML" in refusal(load_model_settings, pyproject, "[tool.research-ci.model\n")
    latin1 = b'[tool.research-ci.model]\nlabel = "caf\xe9"\n'
    assert "not UTF-8" in refusal(load_model_settings, pyproject, latin1)


# ------------------------------------------------------------------------------ text proto


def test_text_format_reader() -> None:
    message = parse(
        """
        # a comment
        name: "a" 'b' "\\x41\\101\\n"  # joined strings and escapes
        number: -1.5e2 count: 0x1F  plain: 7 ratio: .5f
        flag: true direction: HIGHER_IS_BETTER big: inf
        list: [1, 2.5, "three"]
        child { inner: 1 } child: < inner: 2 >, other: { }
        items: [{ key: "k" }, { key: "l" }];
        """,
        source="x.pbtxt",
    )
    assert message.all("name") == ["abAA\n"]
    assert message.all("number") == [-150.0]
    assert message.all("count") == [31]
    assert message.all("plain") == [7]
    assert message.all("ratio") == [0.5]
    assert message.all("big") == [float("inf")]
    assert message.all("flag") == [Identifier("true")]
    assert message.all("direction") == [Identifier("HIGHER_IS_BETTER")]
    assert message.all("list") == [1, 2.5, "three"]
    children = message.all("child")
    assert [child.all("inner") for child in children] == [[1], [2]]
    assert isinstance(message.all("other")[0], Message)
    assert message.all("missing") == []
    assert [item.all("key") for item in message.all("items")] == [["k"], ["l"]]
    assert message.line_of("child") == 7
    assert message.names()[0] == "name"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('name: "open', "x.pbtxt:1: cannot read"),
        ("a {\n b: 1\n", "unexpected end of file, expected '}'"),
        ("a { b: 1 } }", "x.pbtxt:1: expected a field name, found '}'"),
        ("[ext.field]: 1", "extensions and Any fields are not supported"),
        ("a:", "unexpected end of file after 'a'"),
        ('a: "\\q"', "unknown escape \\q"),
        ("a: }", "unexpected '}'"),
    ],
)
def test_text_format_errors(text: str, fragment: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse(text, source="x.pbtxt")
    assert fragment in str(caught.value)


# ------------------------------------------------------------------------------ EvalConfig

EVAL_CONFIG = """
## TFMA's EvalConfig for UCI Adult, as a team would keep it next to its model.
model_specs {
  name: "candidate" label_key: "label" prediction_key: "score" signature_name: "serving_default"
}
model_specs { name: "baseline" prediction_key: "score_v1" is_baseline: true }
slicing_specs {}
slicing_specs { feature_keys: ["marital-status"] }
slicing_specs { feature_keys: ["marital-status", "sex"] }
slicing_specs { feature_values: { key: "race" value: "White" } }
metrics_specs {
  metrics { class_name: "ExampleCount" }
  metrics {
    class_name: "AUC"
    config: '"num_thresholds": 10000'
    threshold {
      value_threshold { lower_bound { value: 0.5 } }
      change_threshold { direction: HIGHER_IS_BETTER absolute { value: -0.05 } }
    }
  }
  metrics { class_name: "BinaryAccuracy" config: '"name": "acc", "thresholds": 0.5' }
  metrics { class_name: "FairnessIndicators" config: '{"thresholds": [0.5]}' }
  metrics { class_name: "CalibrationPlot" }
  thresholds {
    key: "fairness_indicators_metrics/false_negative_rate@0.5"
    value { value_threshold { upper_bound { value: 0.95 } } }
  }
  thresholds {
    key: "acc"
    value { change_threshold { direction: HIGHER_IS_BETTER relative { value: -0.5 } } }
  }
  per_slice_thresholds {
    key: "auc"
    value {
      thresholds {
        slicing_specs { feature_values { key: "sex" value: "Female" } }
        threshold { value_threshold { lower_bound { value: 0.6 } } }
      }
    }
  }
  cross_slice_thresholds {
    key: "recall"
    value {
      thresholds {
        cross_slicing_specs {
          baseline_spec { feature_values { key: "sex" value: "Male" } }
          slicing_specs { feature_values { key: "sex" value: "Female" } }
        }
        threshold { value_threshold { upper_bound { value: 0.5 } lower_bound { value: -0.5 } } }
      }
    }
  }
}
options { min_slice_size { value: 50 } compute_confidence_intervals { value: true } }
"""


def test_eval_config_maps_onto_the_gate(tmp_path: Path) -> None:
    path = tmp_path / "eval_config.pbtxt"
    path.write_text(EVAL_CONFIG, encoding="utf-8")
    settings = apply_eval_config(_settings({"slices": ["sex"]}), path)
    assert (settings.label, settings.prediction, settings.baseline_prediction) == (
        "label",
        "score",
        "score_v1",
    )
    assert settings.slices == ("sex", "marital-status")
    assert settings.crosses == (("marital-status", "sex"),)
    assert settings.extra_specs == (SliceSpec(("race",), (("race", "White"),)),)
    assert settings.min_slice_size == 50
    assert settings.threshold == 0.5
    bounds = settings.thresholds.bounds
    assert bounds.min == {"auc": 0.5}
    assert bounds.max == {"false_negative_rate": 0.95}
    assert bounds.max_drop == {"auc": 0.05}
    assert bounds.max_relative_drop == {"accuracy": 0.5}
    (per_slice,) = settings.thresholds.per_slice
    assert per_slice.selectors == (SliceSpec(("sex",), (("sex", "Female"),)),)
    assert per_slice.bounds.min == {"auc": 0.6}
    (cross,) = settings.thresholds.cross_slice
    assert cross.baseline == SliceSpec(("sex",), (("sex", "Male"),))
    assert (cross.min, cross.max) == ({"recall": -0.5}, {"recall": 0.5})
    assert cross.source == f"{path}:45"


def test_eval_config_end_to_end_fails_on_the_planted_slice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = adult()
    scores = adult_scores(table)
    worse = plant(scores, in_slice(table, "marital-status", "Divorced"))
    label = [1.0 if value == ">50K" else 0.0 for value in table.column("income").to_pylist()]
    import pyarrow as pa  # noqa: PLC0415

    table = table.append_column("label", pa.array(label))
    predictions = write_predictions(tmp_path / "p.csv", table, score=worse, score_v1=scores)
    config = tmp_path / "eval_config.pbtxt"
    config.write_text(EVAL_CONFIG, encoding="utf-8")
    code, out, err = invoke(
        capsys,
        "model",
        "analyze",
        "--predictions",
        str(predictions),
        "--eval-config",
        str(config),
        "--report",
        str(tmp_path / "r.json"),
    )
    assert code == 1, err
    assert "auc on marital-status = Divorced fell from" in out
    assert "model: binary, 5,000 rows" in out


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (
            'model_specs { label_key: "y" example_weight_key: "w" }',
            ":1: model_specs.example_weight_key does not map",
        ),
        ("slicing_specs { slice_keys_sql: 'SELECT 1' }", "SQL slices do not map"),
        ('slicing_specs { feature_keys: ["a", "b", "c"] }', "a slice of 3 columns"),
        ('metrics_specs { metrics { class_name: "NDCG" } }', "metric class 'NDCG' does not map"),
        (
            'metrics_specs { metrics { class_name: "AUC" module: "my.metrics" } }',
            "custom metric module 'my.metrics'",
        ),
        (
            'metrics_specs { metrics { class_name: "AUC" config: \'"curve": "PR"\' } }',
            "AUC option 'curve' does not map",
        ),
        ("metrics_specs { metrics { class_name: \"AUC\" config: '{bad' } }", "config is not JSON"),
        (
            (
                'metrics_specs { metrics { class_name: "AUC" threshold { change_threshold {'
                " direction: LOWER_IS_BETTER absolute { value: 0.1 } } } } }"
            ),
            "direction LOWER_IS_BETTER on auc",
        ),
        (
            (
                'metrics_specs { metrics { class_name: "Calibration" threshold { change_threshold {'
                " direction: HIGHER_IS_BETTER absolute { value: 0.1 } } } } }"
            ),
            "calibration has no better direction",
        ),
        (
            (
                'metrics_specs { thresholds { key: "mean_squared_error"'
                " value { value_threshold { upper_bound { value: 1 } } } } }"
            ),
            "metric 'mean_squared_error' does not map",
        ),
        (
            (
                "metrics_specs { thresholds {"
                ' key: "fairness_indicators_metrics/false_discovery_rate@0.5"'
                " value { value_threshold { upper_bound { value: 1 } } } } }"
            ),
            "does not map onto a research-ci metric",
        ),
        (
            "metrics_specs { binarize { class_ids { values: [1] } } }",
            "metrics_specs.binarize does not map",
        ),
        ('metrics_specs { query_key: "q" }', "metrics_specs.query_key does not map"),
        ("metrics_specs { example_weights { weighted: true } }", "weighted metrics do not map"),
        (
            'metrics_specs { metrics { class_name: "CalibrationPlot" threshold { } } }',
            "has no one value to bound",
        ),
        ("options { min_slice_size { value: 0 } }", "min_slice_size must be a positive integer"),
        ("options { sampling { } }", "options.sampling does not map"),
        ("model_specs { } model_specs { } model_specs { }", "more than a candidate and a baseline"),
        ("model_specs { is_baseline: true }", "the baseline model spec needs a prediction_key"),
        ("eval_shared_model { }", "EvalConfig.eval_shared_model does not map"),
    ],
)
def test_eval_config_refuses_what_does_not_map(tmp_path: Path, text: str, fragment: str) -> None:
    path = tmp_path / "eval.pbtxt"
    message = refusal(lambda path: apply_eval_config(_settings({}), path), path, text + "\n")
    assert fragment in message, message
    assert message.startswith(str(path)), message


def test_eval_config_threshold_mismatch(tmp_path: Path) -> None:
    path = tmp_path / "eval.pbtxt"
    path.write_text(
        "metrics_specs {\n"
        '  thresholds { key: "fairness_indicators_metrics/false_positive_rate@0.3"\n'
        "    value { value_threshold { upper_bound { value: 0.2 } } } }\n"
        '  thresholds { key: "fairness_indicators_metrics/false_negative_rate@0.5"\n'
        "    value { value_threshold { upper_bound { value: 0.2 } } } }\n"
        "}\n",
        encoding="utf-8",
    )
    with pytest.raises(UsageError, match=r"is at threshold 0.3, and research-ci gates at one"):
        apply_eval_config(_settings({}), path)
    missing = tmp_path / "absent.pbtxt"
    with pytest.raises(UsageError, match="EvalConfig not found"):
        apply_eval_config(_settings({}), missing)
