"""Shared fixtures: the sample data that ships with the project."""

from __future__ import annotations

from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.data import Dataset, load_csv

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The directory with train.csv, eval.csv and serving.csv."""
    return ROOT / "data"


@pytest.fixture(scope="session")
def train(data_dir: Path) -> Dataset:
    """The training split."""
    return load_csv(data_dir / "train.csv")
