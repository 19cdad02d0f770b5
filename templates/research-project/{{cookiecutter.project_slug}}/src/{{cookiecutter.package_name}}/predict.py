"""The model as a function of a table: what ``research-ci model`` scores.

The ``model`` check of research-ci (``[tool.research-ci.model]`` in pyproject.toml) calls
:func:`predict` in this project's environment with the held-out data as a pandas DataFrame,
then slices the predictions by fertilizer and by rainfall and gates on the errors of every
slice. Any table whose columns can be read by name works: a DataFrame, or a mapping of
column name to values.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from {{ cookiecutter.package_name }}.data import (
    CATEGORICAL_COLUMNS,
    NUMERIC_COLUMNS,
    Dataset,
    load_csv,
)
from {{ cookiecutter.package_name }}.features import FeatureBuilder
from {{ cookiecutter.package_name }}.model import RidgeRegression

#: The training split in the repository's data directory (the model is fitted on it).
TRAIN_CSV = Path(__file__).resolve().parents[2] / "data" / "train.csv"


class Table(Protocol):
    """Columns by name: a pandas DataFrame, or a dict of arrays."""

    def __getitem__(self, column: str, /) -> Any:
        """Return the values of one column."""


@cache
def fitted_model(train_csv: Path = TRAIN_CSV) -> tuple[FeatureBuilder, RidgeRegression]:
    """Fit the features and the model on the training split (once per process).

    Parameters
    ----------
    train_csv
        The labelled training split.

    Returns
    -------
    tuple of FeatureBuilder and RidgeRegression
        The fitted feature builder and model.

    Raises
    ------
    ValueError
        When the training split has no label.
    """
    train = load_csv(train_csv)
    if train.label is None:
        raise ValueError(f"{train_csv}: the training split needs the label column")
    builder = FeatureBuilder().fit(train)
    return builder, RidgeRegression().fit(builder.transform(train), train.label)


def predict(table: Table) -> npt.NDArray[np.float64]:
    """Predict the yield of every row of a table.

    Parameters
    ----------
    table
        The feature columns (extra columns, such as the label, are ignored).

    Returns
    -------
    numpy.ndarray
        One predicted yield (t/ha) per row.
    """
    numeric = {name: np.asarray(table[name], dtype=np.float64) for name in NUMERIC_COLUMNS}
    text = {name: np.asarray(table[name]).astype(np.str_) for name in CATEGORICAL_COLUMNS}
    dataset = Dataset(numeric=numeric, categorical=text, label=None)
    builder, model = fitted_model()
    return model.predict(builder.transform(dataset))
