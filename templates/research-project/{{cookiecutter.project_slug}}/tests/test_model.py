from __future__ import annotations

import numpy as np
import pytest

from {{ cookiecutter.package_name }}.model import RidgeRegression, evaluate


def test_recovers_known_weights() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(500, 3))
    y = x @ np.array([2.0, -1.0, 0.5]) + 3.0
    model = RidgeRegression(alpha=1e-9).fit(x, y)
    assert model.weights is not None
    np.testing.assert_allclose(model.weights, [2.0, -1.0, 0.5], atol=1e-6)
    assert model.intercept == pytest.approx(3.0)
    assert evaluate(y, model.predict(x)).r2 == pytest.approx(1.0)


def test_penalty_shrinks_weights() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(50, 2))
    y = x @ np.array([1.0, 1.0]) + rng.normal(scale=0.1, size=50)
    loose = RidgeRegression(alpha=0.0).fit(x, y)
    tight = RidgeRegression(alpha=100.0).fit(x, y)
    assert loose.weights is not None
    assert tight.weights is not None
    assert np.linalg.norm(tight.weights) < np.linalg.norm(loose.weights)


def test_metrics_of_a_constant_prediction() -> None:
    y = np.array([1.0, 2.0, 3.0])
    metrics = evaluate(y, np.full(3, 2.0))
    assert metrics.r2 == pytest.approx(0.0)
    assert metrics.mae == pytest.approx(2 / 3)
    assert metrics.rmse == pytest.approx(np.sqrt(2 / 3))
    assert evaluate(np.ones(3), np.ones(3)).r2 == 0.0


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="alpha"):
        RidgeRegression(alpha=-1.0)
    with pytest.raises(ValueError, match="rows"):
        RidgeRegression().fit(np.ones((3, 2)), np.ones(2))
    with pytest.raises(RuntimeError, match="fit"):
        RidgeRegression().predict(np.ones((1, 2)))
