"""The whole experiment: load the splits, build features, fit on train, evaluate on eval."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import numpy.typing as npt

from {{ cookiecutter.package_name }}.data import load_csv
from {{ cookiecutter.package_name }}.features import FeatureBuilder
from {{ cookiecutter.package_name }}.model import (
    Metrics,
    RidgeRegression,
    evaluate,
)


@dataclasses.dataclass(frozen=True)
class PipelineResult:
    """What one run of the experiment produced.

    Attributes
    ----------
    train
        Metrics on the training split.
    eval
        Metrics on the held-out evaluation split.
    weights
        Feature name -> fitted weight.
    serving_predictions
        Predictions for the serving split (which has no label).
    """

    train: Metrics
    eval: Metrics
    weights: dict[str, float]
    serving_predictions: npt.NDArray[np.float64]


def run_pipeline(data_dir: Path, alpha: float = 1.0) -> PipelineResult:
    """Run the experiment on ``train.csv``, ``eval.csv`` and ``serving.csv`` in ``data_dir``.

    Parameters
    ----------
    data_dir
        The directory holding the three splits.
    alpha
        Ridge penalty.

    Returns
    -------
    PipelineResult
        Metrics, weights and serving predictions.

    Raises
    ------
    ValueError
        When a labelled split has no label column.
    """
    train = load_csv(data_dir / "train.csv")
    held_out = load_csv(data_dir / "eval.csv")
    serving = load_csv(data_dir / "serving.csv")
    if train.label is None or held_out.label is None:
        raise ValueError("train.csv and eval.csv need the label column")

    builder = FeatureBuilder().fit(train)
    model = RidgeRegression(alpha=alpha).fit(builder.transform(train), train.label)
    assert model.weights is not None  # noqa: S101 - fit() always sets them
    return PipelineResult(
        train=evaluate(train.label, model.predict(builder.transform(train))),
        eval=evaluate(held_out.label, model.predict(builder.transform(held_out))),
        weights=dict(zip(builder.names, (float(w) for w in model.weights), strict=True)),
        serving_predictions=model.predict(builder.transform(serving)),
    )
