"""Helpers of the model-analysis tests: UCI Adult, a small logistic regression, the CLI.

The model is trained here, in the test process, with numpy (Newton's method on a ridge-
penalised logistic loss over one-hot categories and standardised numbers), so the tests need
no model file and no network. Predictions tables are written as CSV like a project would.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pytest

from data_helpers import ADULT, ADULT_COLUMNS
from research_ci.cli import main
from research_ci.data.settings import Dialect
from research_ci.model.table import read_table

ADULT_DIALECT = Dialect(
    delimiter=", ", column_names=tuple(ADULT_COLUMNS.split(",")), na_values=("?",)
)
ADULT_ARGS = ["--delimiter", ", ", "--column-names", ADULT_COLUMNS, "--na-value", "?"]
CATEGORICAL = (
    "workclass",
    "education",
    "marital-status",
    "occupation",
    "relationship",
    "race",
    "sex",
)
NUMERIC = ("age", "education-num", "capital-gain", "capital-loss", "hours-per-week")


def adult() -> Any:
    """The 5,000-row Adult sample as a pyarrow table."""
    return read_table(str(ADULT), ADULT_DIALECT).arrow


def design(table: Any, columns: Sequence[str] = CATEGORICAL + NUMERIC) -> Any:
    """One-hot categories and standardised numbers, plus an intercept."""
    parts = [np.ones((table.num_rows, 1))]
    for name in columns:
        values = table.column(name).to_pylist()
        if name in CATEGORICAL:
            levels = sorted({value for value in values if value is not None})
            parts.append(
                np.array([[value == level for level in levels] for value in values], float)
            )
        else:
            numbers = np.array(values, dtype=float)
            parts.append(((numbers - numbers.mean()) / (numbers.std() or 1.0))[:, None])
    return np.hstack(parts)


def fit_logistic(features: Any, label: Any, ridge: float = 1.0, steps: int = 25) -> Any:
    """Weights of a ridge-penalised logistic regression (Newton's method)."""
    weights = np.zeros(features.shape[1])
    for _ in range(steps):
        scores = 1 / (1 + np.exp(-features @ weights))
        gradient = features.T @ (scores - label) + ridge * weights
        hessian = (features * (scores * (1 - scores))[:, None]).T @ features
        weights -= np.linalg.solve(hessian + ridge * np.eye(len(weights)), gradient)
    return weights


def income(table: Any) -> Any:
    """The label: 1 for ">50K"."""
    return np.array([value == ">50K" for value in table.column("income").to_pylist()], float)


def adult_scores(table: Any | None = None, columns: Sequence[str] = CATEGORICAL + NUMERIC) -> Any:
    """A logistic model trained on the first half of the sample, scoring every row."""
    table = table if table is not None else adult()
    features = design(table, columns)
    label = income(table)
    half = table.num_rows // 2
    weights = fit_logistic(features[:half], label[:half])
    return 1 / (1 + np.exp(-features @ weights))


def write_predictions(path: Path, table: Any, **scores: Any) -> Path:
    """``table`` plus one column per keyword (the scores), as a CSV with a header."""
    for name, values in scores.items():
        table = table.append_column(name, pa.array(np.asarray(values, dtype=float)))
    pa_csv.write_csv(table, path)
    return path


def in_slice(table: Any, column: str, value: str) -> Any:
    """Boolean mask of the rows where ``column`` equals ``value``."""
    return np.array([item == value for item in table.column(column).to_pylist()])


def plant(scores: Any, mask: Any, seed: int = 3) -> Any:
    """The same scores, except that the rows of ``mask`` are shuffled among themselves.

    The slice keeps its score distribution (and its calibration in the mean) but loses
    its ranking: its AUC falls to about 0.5 while every other slice is untouched.
    """
    worse = np.array(scores, dtype=float)
    rows = np.flatnonzero(mask)
    worse[rows] = np.random.default_rng(seed).permutation(worse[rows])
    return worse


def planted_tables(folder: Path) -> dict[str, Path]:
    """The Adult sample scored by :func:`adult_scores`, as predictions tables in ``folder``.

    "baseline" and "same" hold the model's scores, "planted" the same scores with those of
    marital status Divorced shuffled (:func:`plant`), "both" the planted scores with the
    baseline's beside them (column ``score_v1``).
    """
    table = adult()
    scores = adult_scores(table)
    worse = plant(scores, in_slice(table, "marital-status", "Divorced"))
    return {
        "baseline": write_predictions(folder / "baseline.csv", table, score=scores),
        "same": write_predictions(folder / "same.csv", table, score=scores),
        "planted": write_predictions(folder / "planted.csv", table, score=worse),
        "both": write_predictions(folder / "both.csv", table, score=worse, score_v1=scores),
    }


def invoke(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``research-ci ARGS`` in this process: (exit code, stdout, stderr)."""
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err
