"""TFMA 0.47.1 ``analyze_raw_data`` on an Adult predictions table (throwaway environment).

    python tfma_analyze.py TABLE.csv SLICE,SLICE,... A,B

Prints JSON like fairlearn_metricframe.py: ``compute_s`` (analyze_raw_data, Beam's
DirectRunner), ``total_s`` (with TensorFlow's import) and ``metrics`` under research-ci's
names (TFMA's AUC is bucketed; its thresholded metrics are exact).
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

STARTED = time.perf_counter()

import pandas as pd  # noqa: E402
import tensorflow_model_analysis as tfma  # noqa: E402
from google.protobuf import text_format  # noqa: E402

METRICS = (
    "ExampleCount",
    "AUC",
    "BinaryAccuracy",
    "Precision",
    "Recall",
    "FallOut",
    "MissRate",
    "Calibration",
    "MeanLabel",
    "MeanPrediction",
)
NAMES = {
    "example_count": "example_count",
    "auc": "auc",
    "binary_accuracy": "accuracy",
    "precision": "precision",
    "recall": "recall",
    "fall_out": "false_positive_rate",
    "miss_rate": "false_negative_rate",
    "calibration": "calibration",
    "mean_label": "mean_label",
    "mean_prediction": "mean_prediction",
}


def eval_config(slices: list[str], cross: list[str]) -> Any:
    """The EvalConfig: label, prediction, the slices and the metrics."""
    specs = ["slicing_specs {}"]
    specs += [f'slicing_specs {{ feature_keys: ["{name}"] }}' for name in slices]
    specs.append(
        "slicing_specs {{ feature_keys: [{}] }}".format(", ".join(f'"{n}"' for n in cross))
    )
    metrics = " ".join(f'metrics {{ class_name: "{name}" }}' for name in METRICS)
    text = 'model_specs { label_key: "label" prediction_key: "score" }\n'
    text += "\n".join(specs) + f"\nmetrics_specs {{ {metrics} }}\n"
    return text_format.Parse(text, tfma.EvalConfig())


def main(path: str, slices: list[str], cross: list[str]) -> dict[str, Any]:
    """Run analyze_raw_data and collect its metrics per slice."""
    frame = pd.read_csv(path)
    frame["label"] = (frame["income"] == ">50K").astype(float)
    config = eval_config(slices, cross)
    compute = time.perf_counter()
    result = tfma.analyze_raw_data(frame, config)
    done = time.perf_counter()
    found: dict[str, dict[str, float | None]] = {}
    for key, metrics in result.slicing_metrics:
        name = ", ".join(f"{f} = {v}" for f, v in key) or "Overall"
        for metric, value in metrics[""][""].items():
            if metric in NAMES:
                number = value.get("doubleValue", value.get("int64Value"))
                found.setdefault(name, {})[NAMES[metric]] = (
                    None if number is None else float(number)
                )
    return {"compute_s": done - compute, "total_s": done - STARTED, "metrics": found}


if __name__ == "__main__":
    json.dump(main(sys.argv[1], sys.argv[2].split(","), sys.argv[3].split(",")), sys.stdout)
