"""The metrics engine agrees with scikit-learn on every slice, and its intervals cover.

scikit-learn (dev group) is the reference: AUC, log loss, accuracy, precision, recall, the
error rates, macro F1, MAE, RMSE and R² must agree to 1e-9 on every slice of UCI Adult
(a logistic model trained here) and of generated data with heavy ties, one-class slices
and tiny slices. DeLong's variance is checked against its O(n^2) definition, and the
intervals against their promise: about 95 % of them cover the true value in simulations.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    log_loss,
    mean_absolute_error,
    precision_score,
    r2_score,
    recall_score,
    roc_auc_score,
)

from model_helpers import adult, adult_scores, income, write_predictions
from research_ci.model.analysis import analyse
from research_ci.model.engine import (
    Groups,
    auc_estimate,
    binary_metrics,
    multiclass_metrics,
    regression_metrics,
    wilson,
)
from research_ci.model.metrics import Z95
from research_ci.model.settings import parse_model_settings

TOLERANCE = 1e-9


def _masks(table: Any, column: str) -> dict[str, Any]:
    values = np.array([str(item) for item in table.column(column).to_pylist()], dtype=object)
    return {value: values == value for value in sorted(set(values))}


def _reference(label: Any, score: Any, threshold: float = 0.5) -> dict[str, float | None]:
    predicted = (score > threshold).astype(int)
    both = len(set(label.tolist())) == 2
    positives, negatives = label.sum(), (1 - label).sum()
    return {
        "auc": roc_auc_score(label, score) if both else None,
        "log_loss": log_loss(label, score, labels=[0, 1]),
        "accuracy": accuracy_score(label, predicted),
        "precision": (
            precision_score(label, predicted, zero_division=np.nan) if predicted.sum() else None
        ),
        "recall": recall_score(label, predicted) if positives else None,
        "false_positive_rate": (
            ((predicted == 1) & (label == 0)).sum() / negatives if negatives else None
        ),
        "false_negative_rate": (
            ((predicted == 0) & (label == 1)).sum() / positives if positives else None
        ),
        "mean_prediction": float(score.mean()),
        "calibration": float(score.sum() / label.sum()) if positives else None,
    }


def _close(ours: float | None, theirs: float | None) -> bool:
    if theirs is None or (isinstance(theirs, float) and math.isnan(theirs)):
        return ours is None
    return ours is not None and abs(ours - theirs) <= TOLERANCE


def test_adult_every_slice_agrees_with_scikit_learn(tmp_path: Path) -> None:
    table = adult()
    scores = adult_scores(table)
    path = write_predictions(tmp_path / "predictions.csv", table, score=scores)
    settings = parse_model_settings(
        {
            "predictions": str(path),
            "label": "income",
            "positive": ">50K",
            "prediction": "score",
            "slices": ["marital-status", "sex", "race"],
            "crosses": [["marital-status", "sex"]],
            "min-slice-size": 1,
        },
        root=tmp_path,
        source="test",
    )
    report = analyse(settings).report
    label = income(table)
    masks = {"Overall": np.ones(table.num_rows, bool)}
    for column in ("marital-status", "sex", "race"):
        masks |= {f"{column} = {value}": mask for value, mask in _masks(table, column).items()}
    marital, sex = _masks(table, "marital-status"), _masks(table, "sex")
    for m_value, m_mask in marital.items():
        for s_value, s_mask in sex.items():
            if (m_mask & s_mask).any():
                masks[f"marital-status = {m_value}, sex = {s_value}"] = m_mask & s_mask
    assert {item.key for item in report.slices} == set(masks)
    checked = 0
    for item in report.slices:
        mask = masks[item.key]
        assert item.count == mask.sum()
        expected = _reference(label[mask], scores[mask])
        for name, theirs in expected.items():
            assert _close(item.value(name), theirs), (item.key, name, item.value(name), theirs)
            checked += 1
    assert checked > 200


def _tied_data(seed: int, rows: int = 6000, groups: int = 9) -> tuple[Any, Any, Any]:
    generator = np.random.default_rng(seed)
    codes = generator.integers(0, groups, rows)
    label = (generator.random(rows) < 0.1 + 0.08 * codes).astype(float)
    score = np.round(np.clip(0.3 + 0.25 * label + generator.normal(0, 0.25, rows), 0, 1), 1)
    codes[:40] = groups  # a slice of 40 negatives only: AUC undefined
    label[:40] = 0.0
    return codes, label, score


def test_heavy_ties_and_one_class_slices() -> None:
    codes, label, score = _tied_data(5)
    groups = Groups(codes, int(codes.max()) + 2)  # the last group is empty
    metrics = binary_metrics(groups, label, score, 0.5, np.argsort(score, kind="stable"))
    for code in range(groups.size - 1):
        mask = codes == code
        expected = _reference(label[mask], score[mask])
        for name, theirs in expected.items():
            value = metrics[name].value[code]
            ours = None if math.isnan(value) else float(value)
            assert _close(ours, theirs), (code, name, ours, theirs)
    empty = groups.size - 1
    assert metrics["example_count"].value[empty] == 0
    assert math.isnan(metrics["auc"].value[empty])
    assert math.isnan(metrics["accuracy"].lower[empty])


def test_threshold_convention_is_strictly_above() -> None:
    label = np.array([0.0, 1.0, 1.0, 0.0])
    score = np.array([0.5, 0.5, 0.9, 0.1])
    metrics = binary_metrics(Groups(np.zeros(4, int), 1), label, score, 0.5, np.argsort(score))
    # 0.5 is not above 0.5: only the 0.9 row is predicted positive.
    assert metrics["positive_rate"].value[0] == 0.25
    assert metrics["precision"].value[0] == 1.0
    assert metrics["recall"].value[0] == 0.5


def _delong_brute(label: Any, score: Any) -> float:
    positives, negatives = score[label == 1], score[label == 0]
    psi = (positives[:, None] > negatives[None, :]) + 0.5 * (
        positives[:, None] == negatives[None, :]
    )
    v10, v01 = psi.mean(axis=1), psi.mean(axis=0)
    return float(np.sqrt(v10.var(ddof=1) / len(positives) + v01.var(ddof=1) / len(negatives)))


def test_delong_standard_error_matches_its_definition() -> None:
    codes, label, score = _tied_data(11, rows=900, groups=3)
    score = np.round(score + np.random.default_rng(1).normal(0, 0.1, len(score)), 2)
    score = np.clip(score, 0, 1)
    groups = Groups(codes, 4)
    estimate = auc_estimate(groups, label, score, np.argsort(score, kind="stable"))
    for code in range(3):
        mask = codes == code
        expected = _delong_brute(label[mask], score[mask])
        ours = (estimate.upper[code] - estimate.lower[code]) / (2 * Z95)
        assert abs(ours - expected) < 1e-12, (code, ours, expected)


def test_wilson_interval_known_values() -> None:
    estimate = wilson(np.array([0.0, 5.0, 50.0]), np.array([10.0, 10.0, 100.0]))
    assert estimate.lower[0] == 0.0
    assert estimate.upper[0] == pytest.approx(0.2775, abs=1e-4)
    assert (estimate.lower[1], estimate.upper[1]) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    assert (estimate.lower[2], estimate.upper[2]) == pytest.approx((0.4038, 0.5962), abs=1e-4)


def test_intervals_cover_the_true_value_95_percent_of_the_time() -> None:
    """400 simulated datasets (one group each) of a binormal model with known truth."""
    simulations, rows = 400, 300
    generator = np.random.default_rng(2024)
    codes = np.repeat(np.arange(simulations), rows)
    label = (generator.random(simulations * rows) < 0.5).astype(float)
    latent = generator.normal(label, 1.0)
    score = 1 / (1 + np.exp(-latent))
    metrics = binary_metrics(
        Groups(codes, simulations), label, score, 0.5, np.argsort(score, kind="stable")
    )
    normal_cdf = 0.5 * (1 + math.erf(1 / math.sqrt(2)))
    truths = {
        "auc": 0.5 * (1 + math.erf(0.5)),  # Phi(1 / sqrt(2))
        "accuracy": 0.5 * normal_cdf + 0.25,
        "recall": normal_cdf,
        "mean_label": 0.5,
    }
    for name, truth in truths.items():
        estimate = metrics[name]
        covered = np.mean((estimate.lower <= truth) & (truth <= estimate.upper))
        assert 0.91 <= covered <= 0.985, (name, covered)


def test_multiclass_accuracy_and_macro_f1_agree() -> None:
    generator = np.random.default_rng(3)
    rows = 3000
    codes = generator.integers(0, 4, rows)
    label = generator.integers(0, 5, rows)
    prediction = np.where(generator.random(rows) < 0.6, label, generator.integers(0, 5, rows))
    prediction[codes == 3] = 0  # one slice predicts a single class
    metrics = multiclass_metrics(Groups(codes, 4), label, prediction, 5)
    for code in range(4):
        mask = codes == code
        assert (
            abs(metrics["accuracy"].value[code] - accuracy_score(label[mask], prediction[mask]))
            < TOLERANCE
        )
        expected = f1_score(label[mask], prediction[mask], average="macro", zero_division=0)
        assert abs(metrics["macro_f1"].value[code] - expected) < TOLERANCE
        assert metrics["macro_f1"].lower[code] <= expected <= metrics["macro_f1"].upper[code]
    again = multiclass_metrics(Groups(codes, 4), label, prediction, 5)
    assert np.array_equal(again["macro_f1"].lower, metrics["macro_f1"].lower)  # seeded


def test_regression_metrics_agree() -> None:
    generator = np.random.default_rng(4)
    rows = 4000
    codes = generator.integers(0, 3, rows)
    label = generator.normal(10, 3, rows) + codes
    prediction = label + generator.normal(0.5 * codes, 1.0 + codes, rows)
    metrics = regression_metrics(Groups(codes, 3), label, prediction)
    for code in range(3):
        mask = codes == code
        truth, guess = label[mask], prediction[mask]
        assert abs(metrics["mae"].value[code] - mean_absolute_error(truth, guess)) < TOLERANCE
        rmse = math.sqrt(np.mean((truth - guess) ** 2))
        assert abs(metrics["rmse"].value[code] - rmse) < TOLERANCE
        assert abs(metrics["r2"].value[code] - r2_score(truth, guess)) < TOLERANCE
        assert abs(metrics["mean_residual"].value[code] - np.mean(truth - guess)) < TOLERANCE
        for name in ("mae", "rmse", "r2", "mean_residual"):
            assert metrics[name].lower[code] < metrics[name].value[code] < metrics[name].upper[code]
