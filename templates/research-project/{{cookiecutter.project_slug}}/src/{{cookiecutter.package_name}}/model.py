"""A ridge regression in closed form, and the metrics to judge it."""

from __future__ import annotations

import dataclasses

import numpy as np
import numpy.typing as npt


@dataclasses.dataclass(frozen=True)
class Metrics:
    """How far the predictions are from the truth.

    Attributes
    ----------
    rmse
        Root mean squared error.
    mae
        Mean absolute error.
    r2
        Coefficient of determination (1 is perfect, 0 is no better than the mean).
    """

    rmse: float
    mae: float
    r2: float


class RidgeRegression:
    """Linear regression with an L2 penalty, solved exactly with numpy.

    Parameters
    ----------
    alpha
        Strength of the penalty on the weights (not on the intercept).
    """

    def __init__(self, alpha: float = 1.0) -> None:
        """Create an unfitted model."""
        if alpha < 0:
            raise ValueError("alpha must not be negative")
        self.alpha = alpha
        self.weights: npt.NDArray[np.float64] | None = None
        self.intercept = 0.0

    def fit(self, x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]) -> RidgeRegression:
        """Fit the weights to a design matrix and its targets.

        Parameters
        ----------
        x
            Design matrix, one row per example.
        y
            Targets, one per row of ``x``.

        Returns
        -------
        RidgeRegression
            The model itself, fitted.
        """
        if x.shape[0] != y.shape[0]:
            raise ValueError(f"x has {x.shape[0]} rows but y has {y.shape[0]} values")
        x_mean = x.mean(axis=0)
        y_mean = float(y.mean())
        centred = x - x_mean
        gram = centred.T @ centred + self.alpha * np.eye(x.shape[1])
        self.weights = np.linalg.solve(gram, centred.T @ (y - y_mean))
        self.intercept = y_mean - float(x_mean @ self.weights)
        return self

    def predict(self, x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Predict the targets of a design matrix.

        Parameters
        ----------
        x
            Design matrix with the columns the model was fitted on.

        Returns
        -------
        numpy.ndarray
            One prediction per row.
        """
        if self.weights is None:
            raise RuntimeError("call fit() before predict()")
        predictions: npt.NDArray[np.float64] = x @ self.weights + self.intercept
        return predictions


def evaluate(y_true: npt.NDArray[np.float64], y_pred: npt.NDArray[np.float64]) -> Metrics:
    """Compare predictions with the truth.

    Parameters
    ----------
    y_true
        The observed values.
    y_pred
        The predicted values, in the same order.

    Returns
    -------
    Metrics
        RMSE, MAE and R squared.
    """
    errors = y_true - y_pred
    total = float(((y_true - y_true.mean()) ** 2).sum())
    residual = float((errors**2).sum())
    return Metrics(
        rmse=float(np.sqrt((errors**2).mean())),
        mae=float(np.abs(errors).mean()),
        r2=1.0 - residual / total if total > 0 else 0.0,
    )
