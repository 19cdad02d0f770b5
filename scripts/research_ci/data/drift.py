"""Numeric drift and skew: the Kolmogorov-Smirnov distance from TFDV's quantile sketches.

The measure is the two-sample Kolmogorov-Smirnov (KS) distance: the largest difference, over
all values ``x``, between the shares of the two datasets at or below ``x``. It reads as a
share of the data (0.1: somewhere, 10 % more of one dataset than of the other lies below the
same value), it does not change when a feature is rescaled or transformed monotonically, a
few far outliers move it by no more than their own share (TFDV's default Jensen-Shannon
divergence compares ten equal-width buckets that one outlier can stretch over the whole
range), and its value means the same at 500 rows as at 5 million. Ties (integer features,
a spike at zero) are exact: the distributions are compared at the values themselves.

The distributions come from TFDV's quantile sketch of each numeric feature (merged across
worker processes like the rest of TFDV's statistics), read as a cumulative distribution
function (:class:`Cdf`): exact at the sketch's quantile values, linear between them, with a
point mass where a value fills several quantiles. On a Beam runner the same is read from
TFDV's ``QUANTILES`` histogram. The approximation error is below 1 / :data:`QUANTILE_POINTS`
plus the sketch's rank error (TFDV's ``epsilon``, 0.01, reached only on large data).

Two random samples of the same data still differ by chance, the more so the smaller they
are, so a distance is reported over its threshold only when it is also above the
:func:`noise_floor`: the distance that chance alone exceeds in one comparison in a thousand
(1.95 x sqrt(1/n + 1/m); 0.12 for 500 against 500 values, 0.05 for 3,000 against 3,000,
0.004 for 500,000 against 500,000). The threshold reported is the larger of the two.
"""

from __future__ import annotations

import bisect
import dataclasses
import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from research_ci.data.settings import KOLMOGOROV_SMIRNOV

__all__ = ["KOLMOGOROV_SMIRNOV", "Cdf", "Distance", "ks_distance", "noise_floor"]
#: Name of the custom statistic holding the sketch's quantiles of a numeric feature.
QUANTILES_STAT = "research-ci/quantiles"
#: Quantiles read from each numeric feature's sketch.
QUANTILE_POINTS = 200
#: Chance alone exceeds the noise floor in one comparison in this many.
NOISE_ODDS = 1000
#: c(alpha) of the two-sample KS test for alpha = 1 / NOISE_ODDS (1.95).
NOISE_FACTOR = math.sqrt(-math.log(0.5 / NOISE_ODDS) / 2)


@dataclasses.dataclass(frozen=True)
class Cdf:
    """The cumulative distribution of a numeric feature, from its quantiles.

    ``values`` are the distinct quantile values in increasing order; ``at[i]`` is the share of
    the data at or below ``values[i]`` and ``below[i]`` the share strictly below it (they
    differ by the point mass at ``values[i]``). Between two values the function is linear.
    """

    values: tuple[float, ...]
    below: tuple[float, ...]
    at: tuple[float, ...]
    count: float

    @classmethod
    def from_quantiles(cls, points: Sequence[tuple[float, float]]) -> Cdf | None:
        """From ``(value, cumulative count)`` at equally spaced quantile levels 0..1.

        A value repeated at levels ``i..j`` has ``at`` = its cumulative count (exact) and
        ``below`` = at most level ``i`` (the quantile function first reaches it there).
        """
        finite = [(value, weight) for value, weight in points if math.isfinite(value)]
        if len(finite) < 2 or finite[-1][1] <= 0:
            return None
        total = finite[-1][1]
        levels = len(finite) - 1
        values: list[float] = []
        below: list[float] = []
        at: list[float] = []
        for index, (value, weight) in enumerate(finite):
            share = min(max(weight / total, 0.0), 1.0)
            if values and value == values[-1]:
                at[-1] = max(at[-1], share)
                continue
            if values and value < values[-1]:
                continue  # a sketch never does this; keep the function increasing
            previous = at[-1] if at else 0.0
            at.append(max(share, previous))
            below.append(max(previous, min(at[-1], index / levels)))
            values.append(value)
        below[0] = 0.0
        return cls(tuple(values), tuple(below), tuple(at), float(total))

    def share_at(self, x: float) -> float:
        """Share of the data at or below ``x``."""
        index = bisect.bisect_right(self.values, x) - 1
        if index < 0:
            return 0.0
        if index == len(self.values) - 1 or self.values[index] == x:
            return self.at[index]
        return self._between(index, x)

    def share_below(self, x: float) -> float:
        """Share of the data strictly below ``x``."""
        index = bisect.bisect_left(self.values, x)
        if index < len(self.values) and self.values[index] == x:
            return self.below[index]
        if index == 0:
            return 0.0
        if index == len(self.values):
            return 1.0
        return self._between(index - 1, x)

    def _between(self, index: int, x: float) -> float:
        low, high = self.values[index], self.values[index + 1]
        start, end = self.at[index], self.below[index + 1]
        return start + (end - start) * (x - low) / (high - low)

    def quantile(self, share: float) -> float:
        """The smallest value with at least ``share`` of the data at or below it."""
        for index, value in enumerate(self.values):
            if self.at[index] >= share:
                if self.below[index] >= share and index > 0:
                    low, start, end = self.values[index - 1], self.at[index - 1], self.below[index]
                    if end > start:
                        return low + (value - low) * (share - start) / (end - start)
                return value
        return self.values[-1]


@dataclasses.dataclass(frozen=True)
class Distance:
    """A KS distance and where it is: ``x`` and the two shares at or below it."""

    value: float
    x: float
    reference: float
    current: float


def ks_distance(reference: Cdf, current: Cdf) -> Distance:
    """The largest difference between the two cumulative distributions."""
    best = Distance(0.0, reference.values[0], 0.0, 0.0)
    for x in sorted({*reference.values, *current.values}):
        for first, second in (
            (reference.share_at(x), current.share_at(x)),
            (reference.share_below(x), current.share_below(x)),
        ):
            if abs(first - second) > best.value:
                best = Distance(abs(first - second), x, first, second)
    return best


def noise_floor(first: float, second: float) -> float:
    """The KS distance that chance exceeds once in :data:`NOISE_ODDS` for these sizes."""
    if first <= 0 or second <= 0:
        return 1.0
    return min(1.0, NOISE_FACTOR * math.sqrt((first + second) / (first * second)))


def _histogram_points(histogram: Any) -> list[tuple[float, float]]:
    """``(value, cumulative count)`` of a QUANTILES histogram (TFDV's or research-ci's)."""
    buckets = list(histogram.buckets)
    if not buckets:
        return []
    points = [(float(buckets[0].low_value), 0.0)]
    total = 0.0
    for bucket in buckets:
        total += float(bucket.sample_count)
        points.append((float(bucket.high_value), total))
    return points


def feature_cdf(feature: Any) -> Cdf | None:
    """The :class:`Cdf` of a numeric feature's statistics (None for other features)."""
    if feature is None or feature.WhichOneof("stats") != "num_stats":
        return None
    for custom in feature.custom_stats:
        if custom.name == QUANTILES_STAT and custom.HasField("histogram"):
            return Cdf.from_quantiles(_histogram_points(custom.histogram))
    for histogram in feature.num_stats.histograms:
        if histogram.type == histogram.QUANTILES and histogram.buckets:
            return Cdf.from_quantiles(_histogram_points(histogram))
    return None


def sketch_quantiles(
    generators: Iterable[Any], accumulators: Iterable[Any], points: int = QUANTILE_POINTS
) -> dict[tuple[str, ...], list[tuple[float, float]]]:
    """``(value, cumulative count)`` of every numeric feature's sketch in TFDV's accumulators.

    TFDV's ``BasicStatsGenerator`` keeps a quantile sketch per numeric feature
    (``numeric_stats.quantiles_summary``); when a TFDV version keeps it elsewhere, nothing is
    found and :func:`feature_cdf` falls back to TFDV's ``QUANTILES`` histogram.
    """
    found: dict[tuple[str, ...], list[tuple[float, float]]] = {}
    for generator, accumulator in zip(generators, accumulators, strict=True):
        if type(generator).__name__ != "BasicStatsGenerator" or not isinstance(
            accumulator, Mapping
        ):
            continue
        for path, partial in accumulator.items():
            summary = getattr(getattr(partial, "numeric_stats", None), "quantiles_summary", None)
            if summary is None or not hasattr(summary, "GetQuantilesAndCumulativeWeights"):
                continue
            values, weights = summary.GetQuantilesAndCumulativeWeights(points)
            pairs = list(
                zip(values.flatten().to_pylist(), weights.flatten().to_pylist(), strict=True)
            )
            if pairs and pairs[-1][1]:
                found[tuple(getattr(path, "steps", lambda: ())())] = pairs
    return found


def attach_quantiles(
    dataset: Any, quantiles: Mapping[tuple[str, ...], Sequence[tuple[float, float]]]
) -> None:
    """Add each feature's sketch quantiles as the custom statistic :data:`QUANTILES_STAT`.

    They are written as a ``QUANTILES`` histogram whose buckets hold exact counts (bucket
    ``i`` runs from quantile ``i`` to ``i + 1``; the first also holds the minimum).
    """
    for feature in dataset.features:
        pairs = quantiles.get(tuple(feature.path.step))
        if not pairs or feature.WhichOneof("stats") != "num_stats":
            continue
        custom = feature.custom_stats.add(name=QUANTILES_STAT)
        histogram = custom.histogram
        histogram.type = histogram.QUANTILES
        for (low, before), (high, weight) in itertools.pairwise(pairs):
            count = weight if not histogram.buckets else weight - before
            histogram.buckets.add(low_value=low, high_value=high, sample_count=max(count, 0.0))
