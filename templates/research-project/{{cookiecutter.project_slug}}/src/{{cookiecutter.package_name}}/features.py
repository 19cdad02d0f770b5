"""Turn a dataset into a design matrix: scaled numbers, one engineered feature, one-hot text.

The builder learns everything it needs (means, spreads, categories) from the training split
only, then applies the same transformation to the other splits, so nothing leaks from the
evaluation data into the model.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from {{ cookiecutter.package_name }}.data import (
    CATEGORICAL_COLUMNS,
    NUMERIC_COLUMNS,
    Dataset,
)

#: Crops grow best near neutral soil; the distance from it is more telling than the pH itself.
OPTIMAL_SOIL_PH = 6.5


class FeatureBuilder:
    """Standardise numeric columns, add the soil-pH distance, one-hot encode categories."""

    def __init__(self) -> None:
        """Create an unfitted builder."""
        self.means: npt.NDArray[np.float64] | None = None
        self.scales: npt.NDArray[np.float64] | None = None
        self.categories: dict[str, list[str]] = {}

    @property
    def names(self) -> list[str]:
        """Names of the columns of the design matrix, in order."""
        one_hot = [
            f"{column}={value}"
            for column in CATEGORICAL_COLUMNS
            for value in self.categories[column]
        ]
        return [*NUMERIC_COLUMNS, "soil_ph_distance", *one_hot]

    def _numeric(self, dataset: Dataset) -> npt.NDArray[np.float64]:
        columns = [dataset.numeric[name] for name in NUMERIC_COLUMNS]
        columns.append(np.abs(dataset.numeric["soil_ph"] - OPTIMAL_SOIL_PH))
        return np.column_stack(columns)

    def fit(self, dataset: Dataset) -> FeatureBuilder:
        """Learn the scaling and the categories from the training split.

        Parameters
        ----------
        dataset
            The training split.

        Returns
        -------
        FeatureBuilder
            The builder itself, fitted.
        """
        numeric = self._numeric(dataset)
        self.means = numeric.mean(axis=0)
        scales = numeric.std(axis=0)
        self.scales = np.where(scales > 0, scales, 1.0)
        self.categories = {
            name: sorted({str(value) for value in dataset.categorical[name]})
            for name in CATEGORICAL_COLUMNS
        }
        return self

    def transform(self, dataset: Dataset) -> npt.NDArray[np.float64]:
        """Build the design matrix of a split with what ``fit`` learned.

        Parameters
        ----------
        dataset
            Any split (training, evaluation or serving).

        Returns
        -------
        numpy.ndarray
            One row per example, one column per name in ``names``. A category not seen in
            training encodes as all zeros.

        Raises
        ------
        RuntimeError
            When called before ``fit``.
        """
        if self.means is None or self.scales is None:
            raise RuntimeError("call fit() before transform()")
        scaled = (self._numeric(dataset) - self.means) / self.scales
        blocks = [scaled]
        for name in CATEGORICAL_COLUMNS:
            values = dataset.categorical[name]
            blocks.append(
                np.column_stack(
                    [(values == category).astype(np.float64) for category in self.categories[name]]
                )
            )
        return np.hstack(blocks)
