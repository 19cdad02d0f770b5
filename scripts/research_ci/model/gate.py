"""The gate: thresholds applied to the slices, in TFMA's vocabulary.

Pure functions of the slice results and the thresholds. Only slices with at least the
minimum number of rows are judged; a metric that is undefined on a slice (AUC with one
class) is skipped there and said so in the notes.

* ``min`` / ``max`` (TFMA's value threshold): the estimate must lie within, on every slice;
* ``max-drop`` / ``max-relative-drop`` (change threshold): the metric may not be worse than
  the baseline's on the same slice by more than the bound; "worse" follows the metric's
  direction, and the relative change is divided by the baseline, as TFMA does;
* ``max-gap``: within one slice feature, two slices whose 95 % intervals do not overlap may
  not differ by more than the bound (one failure per feature and metric: the widest pair);
* per-slice rules: the same bounds on the selected slices only;
* cross-slice rules (TFMA's cross-slice threshold): ``min``/``max`` bound the difference
  baseline slice - comparison slice, ``max-gap`` its absolute value.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence

from research_ci.model.metrics import METRICS
from research_ci.model.report import Failure, Gap, SliceResult, Value
from research_ci.model.settings import Bounds, CrossSliceThreshold, Thresholds, selects


def fmt(value: float) -> str:
    """A metric value for messages: four significant digits."""
    return f"{value:.4g}"


@dataclasses.dataclass
class _Verdict:
    failures: list[Failure] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)


@dataclasses.dataclass(frozen=True)
class _Bound:
    """One bound of a rule on a metric, and where it was set (the table or a per-slice rule)."""

    rule: str
    metric: str
    bound: float
    source: str

    def failure(self, item: SliceResult, value: float, message: str) -> Failure:
        """This bound fails on ``item``, where the rule measured ``value``."""
        return Failure(
            rule=self.rule,
            metric=self.metric,
            slice=item.key,
            value=value,
            bound=self.bound,
            source=self.source,
            message=message,
        )


def _bounds(
    slices: Iterable[SliceResult],
    tables: Sequence[tuple[str, Mapping[str, float]]],
    source: str,
) -> Iterator[tuple[SliceResult, _Bound]]:
    """Each slice with each bound of each rule's table (rule name, metric -> bound)."""
    for item in slices:
        for rule, table in tables:
            for metric, bound in table.items():
                yield item, _Bound(rule, metric, bound, source)


def _value_bounds(
    verdict: _Verdict, slices: Iterable[SliceResult], bounds: Bounds, source: str
) -> None:
    for item, check in _bounds(slices, (("min", bounds.min), ("max", bounds.max)), source):
        metric, rule, bound = check.metric, check.rule, check.bound
        value = item.value(metric)
        if value is None:
            verdict.note(f"{metric} is undefined on {item.key}: its {rule} is not checked")
            continue
        if (rule == "min" and value < bound) or (rule == "max" and value > bound):
            side = "under the minimum" if rule == "min" else "over the maximum"
            message = f"{metric} on {item.key} is {fmt(value)}, {side} {fmt(bound)}"
            verdict.failures.append(check.failure(item, value, message))


def worsening(metric: str, value: float, baseline: float) -> float:
    """How much worse ``value`` is than ``baseline`` in the metric's direction (< 0: better)."""
    return baseline - value if METRICS[metric].direction == "higher" else value - baseline


def _change_bounds(
    verdict: _Verdict, slices: Iterable[SliceResult], bounds: Bounds, source: str
) -> None:
    tables = (("max-drop", bounds.max_drop), ("max-relative-drop", bounds.max_relative_drop))
    for item, check in _bounds(slices, tables, source):
        metric, relative = check.metric, check.rule == "max-relative-drop"
        value, metric_value = item.value(metric), item.metrics.get(metric)
        baseline = metric_value.baseline if metric_value is not None else None
        if value is None or baseline is None:
            verdict.note(f"{metric} has no baseline to compare on {item.key}")
            continue
        loss = worsening(metric, value, baseline)
        if relative:
            if baseline == 0:
                verdict.note(f"{metric} is 0 on the baseline of {item.key}: no relative change")
                continue
            loss /= abs(baseline)
        if loss > check.bound:
            verb = "fell" if METRICS[metric].direction == "higher" else "rose"
            limit = f"{fmt(check.bound * 100)} %" if relative else fmt(check.bound)
            message = (
                f"{metric} on {item.key} {verb} from {fmt(baseline)} to "
                f"{fmt(value)} ({check.rule} {limit})"
            )
            verdict.failures.append(check.failure(item, loss, message))


def _apart(first: Value, second: Value) -> bool:
    """True when two 95 % intervals do not overlap."""
    if first.lower is None or first.upper is None or second.lower is None or second.upper is None:
        return False
    return first.lower > second.upper or second.lower > first.upper


def widest_gap(slices: Sequence[SliceResult], metric: str) -> Gap | None:
    """The widest gap whose intervals are apart, else the widest gap (not significant)."""
    valued = [
        (item, value)
        for item in slices
        if (value := item.metrics.get(metric)) is not None and value.value is not None
    ]
    if len(valued) < 2:
        return None
    best: tuple[bool, float, SliceResult, SliceResult] | None = None
    for (first, a), (second, b) in itertools.combinations(valued, 2):
        assert a.value is not None and b.value is not None  # noqa: S101, PT018 (narrowing)
        high, low = (first, second) if a.value >= b.value else (second, first)
        candidate = (_apart(a, b), abs(a.value - b.value), high, low)
        if best is None or candidate[:2] > best[:2]:
            best = candidate
    assert best is not None  # noqa: S101 (two valued slices make one pair)
    significant, gap, high, low = best
    return Gap(
        feature=high.feature,
        metric=metric,
        high=high.key,
        low=low.key,
        gap=gap,
        significant=significant,
    )


def gaps(
    slices: Sequence[SliceResult], metrics: Sequence[str], bounds: dict[str, float]
) -> list[Gap]:
    """The widest gap of each metric within each slice feature (gated slices only)."""
    found: list[Gap] = []
    features = list(dict.fromkeys(item.feature for item in slices if item.values))
    for feature in features:
        members = [item for item in slices if item.feature == feature and item.gated]
        for metric in dict.fromkeys([*metrics, *bounds]):
            gap = widest_gap(members, metric)
            if gap is not None:
                found.append(dataclasses.replace(gap, bound=bounds.get(metric)))
    return found


def _cross_slice(
    verdict: _Verdict, slices: Sequence[SliceResult], rule: CrossSliceThreshold
) -> None:
    bases = [item for item in slices if selects(rule.baseline, item.values)]
    comparisons = [
        item
        for item in slices
        if any(selects(selector, item.values) for selector in rule.comparisons)
    ]
    for base, other in itertools.product(bases, comparisons):
        if base.key == other.key:
            continue
        if not (base.gated and other.gated):
            verdict.note(f"{rule.source}: {base.key} or {other.key} is too small to compare")
            continue
        for metric in rule.metric_names():
            high, low = base.value(metric), other.value(metric)
            if high is None or low is None:
                verdict.note(f"{metric} is undefined on {base.key} or {other.key}")
                continue
            difference = high - low
            checks = (
                (
                    "cross-slice min",
                    difference,
                    rule.min.get(metric),
                    difference < rule.min.get(metric, -float("inf")),
                ),
                (
                    "cross-slice max",
                    difference,
                    rule.max.get(metric),
                    difference > rule.max.get(metric, float("inf")),
                ),
                (
                    "cross-slice max-gap",
                    abs(difference),
                    rule.max_gap.get(metric),
                    abs(difference) > rule.max_gap.get(metric, float("inf")),
                ),
            )
            for name, measured, bound, failed in checks:
                if bound is None or not failed:
                    continue
                verdict.failures.append(
                    Failure(
                        rule=name,
                        metric=metric,
                        slice=base.key,
                        other=other.key,
                        value=measured,
                        bound=bound,
                        source=rule.source,
                        message=(
                            f"{metric}: {base.key} ({fmt(high)}) - {other.key} ({fmt(low)}) = "
                            f"{fmt(difference)}, outside the {name.removeprefix('cross-slice ')} "
                            f"{fmt(bound)}"
                        ),
                    )
                )


def evaluate(
    slices: Sequence[SliceResult], thresholds: Thresholds, *, shown: Sequence[str]
) -> tuple[list[Failure], list[Gap], list[str]]:
    """Failures (most important first), the gaps of the ``shown`` metrics, and notes."""
    verdict = _Verdict()
    gated = [item for item in slices if item.gated]
    _value_bounds(verdict, gated, thresholds.bounds, "min/max")
    _change_bounds(verdict, gated, thresholds.bounds, "max-drop")
    for rule in thresholds.per_slice:
        chosen = [
            item
            for item in gated
            if any(selects(selector, item.values) for selector in rule.selectors)
        ]
        if not chosen:
            verdict.note(f"{rule.source}: no slice of at least the minimum size matches")
        _value_bounds(verdict, chosen, rule.bounds, rule.source)
        _change_bounds(verdict, chosen, rule.bounds, rule.source)
    found_gaps = gaps(slices, shown, dict(thresholds.max_gap))
    for gap in found_gaps:
        if gap.exceeded:
            assert gap.bound is not None  # noqa: S101
            verdict.failures.append(
                Failure(
                    rule="max-gap",
                    metric=gap.metric,
                    slice=gap.high,
                    other=gap.low,
                    value=gap.gap,
                    bound=gap.bound,
                    source="max-gap",
                    message=(
                        f"{gap.metric} differs by {fmt(gap.gap)} between {gap.high} and "
                        f"{gap.low} (intervals apart; max-gap {fmt(gap.bound)})"
                    ),
                )
            )
    for cross in thresholds.cross_slice:
        _cross_slice(verdict, slices, cross)
    return verdict.failures, found_gaps, verdict.notes
