from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from {{ cookiecutter.package_name }}.data import Dataset, load_csv
from {{ cookiecutter.package_name }}.features import FeatureBuilder


def test_training_features_are_standardised(train: Dataset) -> None:
    builder = FeatureBuilder().fit(train)
    matrix = builder.transform(train)
    assert matrix.shape == (len(train), len(builder.names))
    numeric = matrix[:, :4]
    np.testing.assert_allclose(numeric.mean(axis=0), 0.0, atol=1e-9)
    np.testing.assert_allclose(numeric.std(axis=0), 1.0, atol=1e-9)


def test_one_hot_columns_sum_to_one(train: Dataset) -> None:
    builder = FeatureBuilder().fit(train)
    one_hot = builder.transform(train)[:, 4:]
    assert builder.names[4:] == [
        "fertilizer=none",
        "fertilizer=organic",
        "fertilizer=synthetic",
    ]
    np.testing.assert_array_equal(one_hot.sum(axis=1), 1.0)


def test_unseen_category_encodes_as_zeros(train: Dataset, tmp_path: Path) -> None:
    path = tmp_path / "new.csv"
    path.write_text(
        "temperature_c,rainfall_mm,soil_ph,fertilizer\n20,500,6.5,compost\n", encoding="utf-8"
    )
    matrix = FeatureBuilder().fit(train).transform(load_csv(path))
    np.testing.assert_array_equal(matrix[0, 4:], 0.0)


def test_constant_column_does_not_divide_by_zero(tmp_path: Path) -> None:
    path = tmp_path / "constant.csv"
    path.write_text(
        "temperature_c,rainfall_mm,soil_ph,fertilizer\n20,500,6.5,none\n20,500,6.5,none\n",
        encoding="utf-8",
    )
    dataset = load_csv(path)
    matrix = FeatureBuilder().fit(dataset).transform(dataset)
    assert np.isfinite(matrix).all()


def test_transform_before_fit_is_an_error(train: Dataset) -> None:
    with pytest.raises(RuntimeError, match="fit"):
        FeatureBuilder().transform(train)
