"""The gate: a planted change that makes one slice worse fails it, nothing else does.

UCI Adult (5,000 rows) and a logistic model trained in the test; the "candidate" is the same
model with the scores of one marital status shuffled among themselves (its ranking, hence
its AUC, is gone; every other slice keeps its scores). Generated data covers the gap rule's
significance test, per-slice and cross-slice rules and the minimum slice size.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pytest

from model_helpers import planted_tables
from research_ci.errors import UsageError
from research_ci.model.analysis import analyse
from research_ci.model.report import ModelReport
from research_ci.model.settings import parse_model_settings


@pytest.fixture(scope="module")
def adult_tables(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return planted_tables(tmp_path_factory.mktemp("adult"))


def _analyse(root: Path, **table: Any) -> ModelReport:
    base = {"label": "income", "positive": ">50K", "prediction": "score"}
    settings = parse_model_settings({**base, **table}, root=root, source="test")
    return analyse(settings).report


def _against_baseline(
    tables: dict[str, Path], candidate: str, root: Path, **rules: Any
) -> ModelReport:
    """The ``candidate`` table against the baseline model's, sliced by marital status and sex."""
    return _analyse(
        root,
        predictions=str(tables[candidate]),
        baseline=str(tables["baseline"]),
        slices=["marital-status", "sex"],
        **rules,
    )


def test_planted_drop_fails_on_its_slice(adult_tables: dict[str, Path], tmp_path: Path) -> None:
    report = _against_baseline(adult_tables, "planted", tmp_path, **{"max-drop": {"auc": 0.05}})
    failing = {failure.slice for failure in report.failures}
    assert "marital-status = Divorced" in failing
    divorced = next(item for item in report.slices if item.key == "marital-status = Divorced")
    auc = divorced.metrics["auc"]
    assert auc.baseline is not None
    assert auc.value is not None
    assert auc.change is not None
    assert auc.baseline > 0.8
    assert auc.value < 0.65
    assert auc.change < -0.15
    assert auc.change_upper is not None
    assert auc.change_upper < 0
    message = next(f.message for f in report.failures if f.slice == "marital-status = Divorced")
    assert message.startswith("auc on marital-status = Divorced fell from 0.8")
    assert "(max-drop 0.05)" in message
    for item in report.slices:
        drop = -(item.metrics["auc"].change or 0.0)
        if item.gated and item.key not in failing:
            assert drop <= 0.05, item.key
        if item.key in failing:
            assert drop > 0.05, item.key
    untouched = [i for i in report.slices if i.feature == "marital-status" and i.key not in failing]
    assert untouched
    assert all(abs(i.metrics["auc"].change or 0) < 1e-12 for i in untouched)
    assert not report.passed


def test_same_model_passes(adult_tables: dict[str, Path], tmp_path: Path) -> None:
    report = _against_baseline(
        adult_tables,
        "same",
        tmp_path,
        crosses=[["marital-status", "sex"]],
        **{
            "max-drop": {"auc": 0.02, "false_negative_rate": 0.02},
            "max-relative-drop": {"accuracy": 0.01},
        },
    )
    assert report.passed, [failure.message for failure in report.failures]
    assert report.rules == 3
    assert report.summary().endswith("gate passed (3 rules)")


def test_baseline_column_in_the_same_table(adult_tables: dict[str, Path], tmp_path: Path) -> None:
    report = _analyse(
        tmp_path,
        predictions=str(adult_tables["both"]),
        **{"baseline-prediction": "score_v1", "max-relative-drop": {"auc": 0.1}},
        slices=["marital-status"],
    )
    assert [failure.slice for failure in report.failures] == ["marital-status = Divorced"]
    assert report.failures[0].rule == "max-relative-drop"
    assert "%" in report.failures[0].message


def test_floor_skips_small_slices(adult_tables: dict[str, Path], tmp_path: Path) -> None:
    report = _analyse(
        tmp_path,
        predictions=str(adult_tables["planted"]),
        slices=["marital-status", "race"],
        min={"auc": 0.7},
    )
    small = [item for item in report.slices if item.count < 100]
    assert small
    assert all(not item.gated for item in small)
    assert not {f.slice for f in report.failures} & {item.key for item in small}
    assert {f.slice for f in report.failures} == {"marital-status = Divorced"}
    assert report.small_slices == len(small)


def _generated(path: Path, sizes: dict[str, int], recall: dict[str, float], seed: int = 0) -> Path:
    """Balanced labels; each group's positives are found with the given recall."""
    generator = np.random.default_rng(seed)
    groups, labels, scores = [], [], []
    for name, size in sizes.items():
        label = (np.arange(size) % 2).astype(float)
        found = generator.random(size) < recall[name]
        score = np.where(label == 1, np.where(found, 0.8, 0.3), 0.2)
        groups += [name] * size
        labels += label.tolist()
        scores += (score + generator.uniform(-0.05, 0.05, size)).tolist()
    table = pa.table({"group": groups, "y": labels, "p": scores})
    pa_csv.write_csv(table, path)
    return path


def _generated_report(path: Path, **table: Any) -> ModelReport:
    settings = parse_model_settings(
        {"predictions": str(path), "label": "y", "prediction": "p", "slices": ["group"], **table},
        root=path.parent,
        source="test",
    )
    return analyse(settings).report


def test_gap_counts_only_when_intervals_are_apart(tmp_path: Path) -> None:
    big = _generated(tmp_path / "big.csv", {"a": 4000, "b": 4000}, {"a": 0.9, "b": 0.7})
    report = _generated_report(big, **{"max-gap": {"false_negative_rate": 0.1}})
    assert [failure.rule for failure in report.failures] == ["max-gap"]
    gap = next(g for g in report.gaps if g.metric == "false_negative_rate")
    assert gap.significant
    assert gap.exceeded
    assert gap.gap > 0.15
    small = _generated(tmp_path / "small.csv", {"a": 120, "b": 120}, {"a": 0.9, "b": 0.7})
    noisy = _generated_report(small, **{"max-gap": {"false_negative_rate": 0.01}})
    gap = next(g for g in noisy.gaps if g.metric == "false_negative_rate")
    if gap.significant:  # the sampled gap may be real by chance: then it must fail
        assert not noisy.passed
    else:
        assert noisy.passed
        assert gap.gap > 0.01
        assert not gap.exceeded


def test_per_slice_and_cross_slice_rules(tmp_path: Path) -> None:
    path = _generated(
        tmp_path / "g.csv", {"a": 3000, "b": 3000, "c": 50}, {"a": 0.9, "b": 0.6, "c": 0.1}
    )
    report = _generated_report(
        path,
        **{
            "slice-thresholds": [{"slice": {"group": "b"}, "min": {"recall": 0.7}}],
            "cross-slice-thresholds": [
                {"baseline": {"group": "a"}, "comparison": {"group": "b"}, "max": {"recall": 0.2}},
                {
                    "baseline": {"group": "a"},
                    "comparisons": [{"group": "c"}],
                    "max-gap": {"recall": 0.1},
                },
            ],
        },
    )
    rules = sorted((failure.rule, failure.slice, failure.other) for failure in report.failures)
    assert rules == [("cross-slice max", "group = a", "group = b"), ("min", "group = b", None)]
    assert any("too small" in note for note in report.notes)  # group c has 50 rows
    message = next(f.message for f in report.failures if f.rule == "cross-slice max")
    assert message.startswith("recall: group = a (0.")
    assert message.endswith("outside the max 0.2")


def test_change_thresholds_need_a_baseline(adult_tables: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"change thresholds .* need a baseline"):
        _analyse(tmp_path, predictions=str(adult_tables["same"]), **{"max-drop": {"auc": 0.1}})


def test_threshold_on_a_metric_of_another_task(
    adult_tables: dict[str, Path], tmp_path: Path
) -> None:
    with pytest.raises(UsageError, match="the gate names rmse, which is not a binary metric"):
        _analyse(tmp_path, predictions=str(adult_tables["same"]), max={"rmse": 1.0})


def test_undefined_metrics_and_unmatched_rules_are_noted(tmp_path: Path) -> None:
    rows = 300
    groups = ["a"] * rows + ["b"] * rows
    labels = [float(index % 2) for index in range(rows)] + [0.0] * rows
    scores = [0.2 + 0.6 * (index % 2) for index in range(rows)] + [0.3] * rows
    path = tmp_path / "one_class.csv"
    pa_csv.write_csv(pa.table({"group": groups, "y": labels, "p": scores}), path)
    report = _generated_report(
        path,
        min={"auc": 0.9},
        **{
            "slice-thresholds": [{"slice": {"group": "zz"}, "min": {"recall": 0.5}}],
            "cross-slice-thresholds": [
                {"baseline": {"group": "a"}, "comparison": {"group": "b"}, "max-gap": {"auc": 0.1}}
            ],
        },
    )
    assert report.passed
    assert "auc is undefined on group = b: its min is not checked" in report.notes
    assert any("no slice of at least the minimum size matches" in note for note in report.notes)
    assert "auc is undefined on group = a or group = b" in report.notes
