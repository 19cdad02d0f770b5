"""The Kolmogorov-Smirnov distance from quantiles (research_ci.data.drift), pure Python.

The cumulative distribution read from a sketch's quantiles must give the exact two-sample KS
distance of the samples within one quantile step, with ties, spikes and outliers; the noise
floor must follow the KS test's critical value.
"""

from __future__ import annotations

import bisect
import math
import random
from collections.abc import Callable
from pathlib import Path

import pytest

from research_ci.data import drift
from research_ci.data.settings import Thresholds, parse_data_settings
from research_ci.errors import UsageError

POINTS = 200


def _quantiles(sample: list[float], points: int = POINTS) -> list[tuple[float, float]]:
    """What TFDV's sketch gives for a small sample: (value, count at or below) per level."""
    ordered = sorted(sample)
    pairs = []
    for level in range(points + 1):
        rank = max(1, math.ceil(level / points * len(ordered)))
        value = ordered[rank - 1]
        pairs.append((value, float(bisect.bisect_right(ordered, value))))
    return pairs


def _exact_ks(first: list[float], second: list[float]) -> float:
    a, b = sorted(first), sorted(second)
    return max(
        abs(bisect.bisect_right(a, x) / len(a) - bisect.bisect_right(b, x) / len(b))
        for x in (*a, *b)
    )


def _cdf(sample: list[float]) -> drift.Cdf:
    cdf = drift.Cdf.from_quantiles(_quantiles(sample))
    assert cdf is not None
    return cdf


Draw = Callable[[random.Random], float]
SAMPLES: dict[str, tuple[Draw, Draw]] = {
    "normal, shifted by 1/3 sd": (
        lambda r: r.gauss(0, 1),
        lambda r: r.gauss(1 / 3, 1),
    ),
    "integers with ties": (
        lambda r: float(r.randint(1, 12)),
        lambda r: float(r.randint(1, 12) + (r.random() < 0.2)),
    ),
    "a spike at zero and a long tail": (
        lambda r: 0.0 if r.random() < 0.4 else r.expovariate(0.2),
        lambda r: 0.0 if r.random() < 0.5 else r.expovariate(0.2),
    ),
    "the same distribution, far outliers in one": (
        lambda r: r.gauss(10, 2),
        lambda r: r.gauss(10, 2) if r.random() > 0.002 else 1e6,
    ),
}


@pytest.mark.parametrize("name", sorted(SAMPLES))
@pytest.mark.parametrize("size", [300, 4000])
def test_ks_from_quantiles_matches_the_exact_distance(name: str, size: int) -> None:
    draw_first, draw_second = SAMPLES[name]
    rng = random.Random(f"{name}:{size}")  # noqa: S311 (a reproducible sample)
    first = [draw_first(rng) for _ in range(size)]
    second = [draw_second(rng) for _ in range(size + 100)]
    distance = drift.ks_distance(_cdf(first), _cdf(second))
    assert distance.value == pytest.approx(_exact_ks(first, second), abs=1.5 / POINTS)
    reverse = drift.ks_distance(_cdf(second), _cdf(first))
    assert reverse.value == pytest.approx(distance.value, abs=1e-12)


def test_identical_samples_have_distance_zero_even_with_ties() -> None:
    sample = [float(value % 7) for value in range(1000)]
    assert drift.ks_distance(_cdf(sample), _cdf(list(sample))).value == 0


def test_outliers_move_the_distance_by_their_share_only() -> None:
    rng = random.Random("outliers")  # noqa: S311 (a reproducible sample)
    base = [rng.gauss(0, 1) for _ in range(5000)]
    stretched = [*base[:-10], *[1e9] * 10]  # 0.2 % far outliers
    assert drift.ks_distance(_cdf(base), _cdf(stretched)).value <= 0.002 + 1.5 / POINTS


def test_cdf_reads_point_masses_and_lines_between() -> None:
    sample = [0.0] * 300 + [float(value) for value in range(1, 701)]
    cdf = _cdf(sample)
    assert cdf.share_at(0.0) == pytest.approx(0.3)
    assert cdf.share_below(0.0) == 0.0
    assert cdf.share_at(350.0) == pytest.approx(0.65, abs=0.01)
    assert cdf.share_at(-1.0) == 0.0
    assert cdf.share_at(1e9) == 1.0
    assert cdf.share_below(1e9) == 1.0
    assert cdf.quantile(0.1) == 0.0  # inside the spike
    assert cdf.quantile(0.65) == pytest.approx(350, abs=5)
    assert cdf.quantile(1.0) == 700.0
    assert cdf.count == 1000


def test_degenerate_quantiles_give_no_distribution() -> None:
    assert drift.Cdf.from_quantiles([]) is None
    assert drift.Cdf.from_quantiles([(1.0, 5.0)]) is None
    assert drift.Cdf.from_quantiles([(float("nan"), 0.0), (1.0, 0.0)]) is None
    constant = drift.Cdf.from_quantiles([(4.0, 10.0), (4.0, 10.0), (4.0, 10.0)])
    assert constant is not None
    assert constant.share_below(4.0) == 0.0
    assert constant.share_at(4.0) == 1.0


def test_noise_floor_is_the_ks_critical_value_at_one_in_a_thousand() -> None:
    assert pytest.approx(1.949, abs=0.001) == drift.NOISE_FACTOR
    assert drift.noise_floor(500, 500) == pytest.approx(0.1233, abs=1e-4)
    assert drift.noise_floor(3000, 3000) == pytest.approx(0.0503, abs=1e-4)
    assert drift.noise_floor(5_000_000, 5_000_000) < 0.002
    assert drift.noise_floor(0, 10) == 1.0
    assert drift.noise_floor(1, 1) == 1.0  # capped: a distance is at most 1


def test_numeric_measure_and_its_default_threshold_in_the_configuration() -> None:
    def thresholds(table: dict[str, object]) -> Thresholds:
        return parse_data_settings(table, root=Path(), source="t").thresholds

    default = thresholds({})
    assert (default.numeric_measure, default.numeric_threshold) == ("kolmogorov_smirnov", 0.05)
    assert default.default_for("infinity_norm") == 0.1
    assert default.default_for("jensen_shannon_divergence") == 0.1
    jsd = thresholds({"numeric-measure": "jensen_shannon_divergence"})
    assert jsd.numeric_threshold == 0.1
    assert jsd.default_for("kolmogorov_smirnov") == 0.05
    tuned = thresholds({"numeric-threshold": 0.08})
    assert tuned.default_for("kolmogorov_smirnov") == 0.08
    feature = thresholds({"thresholds": {"fare": {"measure": "kolmogorov_smirnov"}}})
    assert feature.features["fare"].measure == "kolmogorov_smirnov"
    with pytest.raises(UsageError, match="numeric-measure: expected one of kolmogorov_smirnov"):
        thresholds({"numeric-measure": "infinity_norm"})
