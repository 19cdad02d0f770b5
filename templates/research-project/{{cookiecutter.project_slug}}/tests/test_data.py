from __future__ import annotations

from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.data import (
    LABEL_COLUMN,
    NUMERIC_COLUMNS,
    Dataset,
    load_csv,
)


def test_train_split_has_features_and_label(train: Dataset) -> None:
    assert len(train) == 400
    assert set(train.numeric) == set(NUMERIC_COLUMNS)
    assert train.label is not None
    assert train.label.shape == (400,)
    assert set(train.categorical["fertilizer"]) == {"none", "organic", "synthetic"}


def test_serving_split_has_no_label(data_dir: Path) -> None:
    serving = load_csv(data_dir / "serving.csv")
    assert serving.label is None
    assert len(serving) == 160


def test_missing_column_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "broken.csv"
    path.write_text("temperature_c,soil_ph\n20,6.5\n", encoding="utf-8")
    with pytest.raises(ValueError, match="missing column"):
        load_csv(path)


def test_empty_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("temperature_c,rainfall_mm,soil_ph,fertilizer\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no rows"):
        load_csv(path)


def test_bad_number_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        f"temperature_c,rainfall_mm,soil_ph,fertilizer,{LABEL_COLUMN}\nwarm,1,6.5,none,2\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match=r"bad\.csv"):
        load_csv(path)
