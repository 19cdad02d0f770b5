"""Slices: the whole data, every value of a slice column, crosses of two columns.

A slice column becomes an integer code per row (:class:`Encoding`): text and boolean columns
and numeric columns with few distinct values by value, other numeric columns by quantile
bucket (``[17, 28)``...). The encoding is decided on the candidate's table and applied to
the baseline's, so both are cut at the same bucket edges and a slice means the same rows
of both. A missing value is its own slice, ``(missing)``.
"""

from __future__ import annotations

import dataclasses
import itertools
from typing import Any

import numpy as np

from research_ci.errors import UsageError
from research_ci.model.engine import Groups
from research_ci.model.specs import MISSING, SliceSpec, SliceValues
from research_ci.model.table import Column

#: Numeric columns with at most this many distinct values are sliced by value.
MAX_NUMERIC_VALUES = 10
#: More values than this in one slice column is not a slice any more (an identifier?).
MAX_SLICE_VALUES = 500


@dataclasses.dataclass(frozen=True)
class Encoding:
    """How one slice column is cut: labels in display order and how to code a column.

    Codes ``0 .. len(labels) - 1`` are the labels (``(missing)`` among them when the
    candidate has missing values); code ``len(labels)`` collects baseline values the
    candidate does not have, which are never reported.
    """

    column: str
    labels: tuple[str, ...]
    kind: str  # "category", "value" or "bucket"
    categories: tuple[str, ...] = ()
    values: tuple[float, ...] = ()
    edges: tuple[float, ...] = ()
    order: tuple[int, ...] = ()

    @property
    def size(self) -> int:
        """Number of codes, including the one for unmatched baseline values."""
        return len(self.labels) + 1

    def codes(self, column: Column) -> Any:
        """The code of every row of ``column`` (from the candidate's or the baseline's table)."""
        other = len(self.labels)
        missing_code = self.labels.index(MISSING) if MISSING in self.labels else other
        if self.kind == "category":
            if column.kind != "categorical":
                raise UsageError(
                    f"slice column {self.column!r} holds text in one table, numbers in the other"
                )
            index = {label: code for code, label in enumerate(self.categories)}
            lookup = np.array(
                [index.get(item, other) for item in column.categories] + [missing_code]
            )
            return lookup[np.where(column.values < 0, len(column.categories), column.values)]
        if column.kind != "numeric":
            raise UsageError(
                f"slice column {self.column!r} holds numbers in one table, text in the other"
            )
        values = column.values
        missing = np.isnan(values)
        if self.kind == "value":
            known = np.asarray(self.values)
            position = np.clip(np.searchsorted(known, values), 0, max(len(known) - 1, 0))
            found = known[position] == values if len(known) else np.zeros(len(values), bool)
            codes = np.where(found, position, other)
        else:
            inner = np.asarray(self.edges[1:-1])
            codes = np.searchsorted(inner, values, side="right")
            outside = (values < self.edges[0]) | (values > self.edges[-1])
            codes = np.where(outside, other, codes)
        return np.where(missing, missing_code, codes)


def _label_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else f"{value:.4g}"


def encode(column: Column, *, buckets: int) -> Encoding:
    """Decide how to cut ``column`` (the candidate's), from its values."""
    missing = bool(column.missing.any())
    if column.kind == "categorical":
        counts = np.bincount(column.values[column.values >= 0], minlength=len(column.categories))
        present = [code for code in np.argsort(-counts, kind="stable") if counts[code] > 0]
        if len(present) > MAX_SLICE_VALUES:
            raise UsageError(
                f"slice column {column.name!r} has {len(present)} distinct values (more than "
                f"{MAX_SLICE_VALUES}): slice by a column with fewer values"
            )
        categories = tuple(column.categories[code] for code in present)
        labels = categories + ((MISSING,) if missing else ())
        return Encoding(column.name, labels, "category", categories=categories)
    values = column.values[~np.isnan(column.values)]
    distinct = np.unique(values)
    if len(distinct) <= MAX_NUMERIC_VALUES:
        labels = tuple(_label_number(value) for value in distinct)
        labels += (MISSING,) if missing else ()
        return Encoding(column.name, labels, "value", values=tuple(float(v) for v in distinct))
    edges = np.unique(np.quantile(values, np.linspace(0.0, 1.0, buckets + 1)))
    if len(edges) < 2:  # pragma: no cover - more than 10 distinct values give two edges
        edges = np.array([distinct[0], distinct[-1]])
    labels = tuple(
        f"[{_label_number(low)}, {_label_number(high)}{']' if index == len(edges) - 2 else ')'}"
        for index, (low, high) in enumerate(itertools.pairwise(edges))
    )
    labels += (MISSING,) if missing else ()
    return Encoding(column.name, labels, "bucket", edges=tuple(float(edge) for edge in edges))


@dataclasses.dataclass(frozen=True)
class Slicing:
    """One spec applied to one table: the groups and the values of each group."""

    spec: SliceSpec
    groups: Groups
    values: tuple[SliceValues | None, ...]

    def reported(self, counts: Any) -> list[int]:
        """Codes of the slices to report: non-empty, kept by the spec, in display order."""
        return [
            code
            for code, values in enumerate(self.values)
            if counts[code] > 0 and values is not None and self.spec.keeps(values)
        ]


def build_slicing(
    spec: SliceSpec, encodings: dict[str, Encoding], columns: dict[str, Column], rows: int
) -> Slicing:
    """Group codes of ``spec`` over a table whose slice columns are ``columns``."""
    if not spec.columns:
        return Slicing(spec, Groups(np.zeros(rows, dtype=np.intp), 1), ((),))
    codes = np.zeros(rows, dtype=np.int64)
    size = 1
    for name in spec.columns:
        encoding = encodings[name]
        codes = codes * encoding.size + encoding.codes(columns[name])
        size *= encoding.size
    values: list[Any] = []
    for code in range(size):
        parts: list[tuple[str, str]] = []
        rest = code
        for name in reversed(spec.columns):
            encoding = encodings[name]
            rest, own = divmod(rest, encoding.size)
            if own == len(encoding.labels):
                parts = []
                break
            parts.insert(0, (name, encoding.labels[own]))
        values.append(tuple(parts) if parts else None)
    return Slicing(spec, Groups(codes.astype(np.intp, copy=False), size), tuple(values))
