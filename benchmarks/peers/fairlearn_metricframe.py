"""fairlearn's MetricFrame on an Adult predictions table (run in a throwaway environment).

    python fairlearn_metricframe.py TABLE.csv SLICE,SLICE,... A,B

Prints JSON: ``compute_s`` (the MetricFrames), ``total_s`` (with imports and the read) and
``metrics`` (slice key -> metric -> value, keys as research-ci writes them).
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

STARTED = time.perf_counter()

import pandas as pd  # noqa: E402
from fairlearn.metrics import (  # noqa: E402
    MetricFrame,
    false_negative_rate,
    false_positive_rate,
    selection_rate,
)
from sklearn.metrics import (  # noqa: E402
    accuracy_score,
    log_loss,
    precision_score,
    recall_score,
    roc_auc_score,
)


def auc(truth: Any, score: Any) -> float:
    """AUC, or NaN for a slice with one class (scikit-learn raises there)."""
    return float(roc_auc_score(truth, score)) if len(set(truth)) == 2 else float("nan")


def loss(truth: Any, score: Any) -> float:
    """Log loss with both classes declared (a slice may have one)."""
    return float(log_loss(truth, score, labels=[0, 1]))


HARD = {
    "accuracy": accuracy_score,
    "precision": precision_score,
    "recall": recall_score,
    "false_positive_rate": false_positive_rate,
    "false_negative_rate": false_negative_rate,
    "positive_rate": selection_rate,
}
SOFT = {"auc": auc, "log_loss": loss}


def main(path: str, slices: list[str], cross: list[str]) -> dict[str, Any]:
    """Every metric by group for each slice column and the cross."""
    frame = pd.read_csv(path)
    label = (frame["income"] == ">50K").astype(int)
    score = frame["score"]
    found: dict[str, dict[str, float | None]] = {}
    compute = time.perf_counter()
    for features in [[name] for name in slices] + [cross]:
        sensitive = frame[features]
        hard = MetricFrame(
            metrics=HARD,
            y_true=label,
            y_pred=(score > 0.5).astype(int),
            sensitive_features=sensitive,
        )
        soft = MetricFrame(metrics=SOFT, y_true=label, y_pred=score, sensitive_features=sensitive)
        for table in (hard.by_group, soft.by_group):
            for key, row in table.iterrows():
                values = key if isinstance(key, tuple) else (key,)
                name = ", ".join(f"{f} = {v}" for f, v in zip(features, values, strict=True))
                for metric, value in row.items():
                    found.setdefault(name, {})[str(metric)] = (
                        None if pd.isna(value) else float(value)
                    )
    done = time.perf_counter()
    return {"compute_s": done - compute, "total_s": done - STARTED, "metrics": found}


if __name__ == "__main__":
    json.dump(main(sys.argv[1], sys.argv[2].split(","), sys.argv[3].split(",")), sys.stdout)
