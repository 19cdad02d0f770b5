"""Read the sample dataset (CSV) into numpy arrays.

Numeric columns become float arrays, text columns stay string arrays, and the label column is
optional so that the same loader reads the serving split, which has no label.
"""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

import numpy as np
import numpy.typing as npt

NUMERIC_COLUMNS: tuple[str, ...] = ("temperature_c", "rainfall_mm", "soil_ph")
CATEGORICAL_COLUMNS: tuple[str, ...] = ("fertilizer",)
LABEL_COLUMN = "yield_t_ha"


@dataclasses.dataclass(frozen=True)
class Dataset:
    """One split of the sample data.

    Attributes
    ----------
    numeric
        Column name -> float values.
    categorical
        Column name -> string values.
    label
        The target values, or None for a split without labels (serving).
    """

    numeric: dict[str, npt.NDArray[np.float64]]
    categorical: dict[str, npt.NDArray[np.str_]]
    label: npt.NDArray[np.float64] | None

    def __len__(self) -> int:
        """Return the number of rows."""
        first = next(iter(self.numeric.values()))
        return int(first.shape[0])


def load_csv(path: Path) -> Dataset:
    """Load one split of the sample data.

    Parameters
    ----------
    path
        A CSV file with a header row holding the feature columns and, optionally, the label.

    Returns
    -------
    Dataset
        The columns as numpy arrays.

    Raises
    ------
    ValueError
        When a feature column is missing, a number cannot be parsed or the file has no rows.
    """
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        rows = list(reader)
    missing = [name for name in (*NUMERIC_COLUMNS, *CATEGORICAL_COLUMNS) if name not in header]
    if missing:
        raise ValueError(f"{path}: missing column(s) {', '.join(missing)}")
    if not rows:
        raise ValueError(f"{path}: no rows")
    try:
        numeric = {
            name: np.array([float(row[name]) for row in rows], dtype=np.float64)
            for name in NUMERIC_COLUMNS
        }
        label = (
            np.array([float(row[LABEL_COLUMN]) for row in rows], dtype=np.float64)
            if LABEL_COLUMN in header
            else None
        )
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from exc
    categorical = {name: np.array([row[name] for row in rows]) for name in CATEGORICAL_COLUMNS}
    return Dataset(numeric=numeric, categorical=categorical, label=label)
