from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from {{ cookiecutter.package_name }}.pipeline import run_pipeline
from {{ cookiecutter.package_name }}.predict import fitted_model, predict


def test_predict_scores_a_table_like_the_pipeline(data_dir: Path) -> None:
    with (data_dir / "eval.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    table = {name: np.array([row[name] for row in rows]) for name in rows[0]}
    predictions = predict(table)
    assert predictions.shape == (160,)
    label = table["yield_t_ha"].astype(np.float64)
    mae = float(np.abs(label - predictions).mean())
    assert mae == pytest.approx(run_pipeline(data_dir).eval.mae)


def test_unlabelled_training_data_is_refused(data_dir: Path) -> None:
    with pytest.raises(ValueError, match="label"):
        fitted_model(data_dir / "serving.csv")
