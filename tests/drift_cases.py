"""Drift cases on real data, for the drift tests and ``benchmarks/bench_data_drift.py``.

No drift: the taxi eval split against the train split (both 3,000 random rows of TFDV's
example), two disjoint random halves of the taxi train split, and two of UCI Adult. Drift:
in the second half of Adult, one numeric feature shifted by a third of the first half's
standard deviation, one made a quarter wider around its mean, and one category's share raised
by 15 points. Standard library only; deterministic (string seeds).
"""

from __future__ import annotations

import csv
import dataclasses
import random
import statistics
from collections.abc import Callable, Sequence
from pathlib import Path

TESTS = Path(__file__).resolve().parent
TAXI = TESTS / "data" / "chicago_taxi"
ADULT = TESTS / "data" / "uci_adult" / "adult.data"
ADULT_COLUMNS = [
    *("age", "workclass", "fnlwgt", "education", "education-num", "marital-status"),
    *("occupation", "relationship", "race", "sex", "capital-gain", "capital-loss"),
    *("hours-per-week", "native-country", "income"),
]
ADULT_NUMERIC = ("age", "fnlwgt", "education-num", "capital-gain", "capital-loss", "hours-per-week")

Rows = list[list[str]]


@dataclasses.dataclass(frozen=True)
class Case:
    """Two CSV files to compare and the features whose drift must be found (none: no drift)."""

    name: str
    reference: Path
    current: Path
    drifted: tuple[str, ...] = ()
    features: tuple[str, ...] = ()  # the features the case is about (empty: all)


def read_csv(path: Path) -> tuple[list[str], Rows]:
    """Header and rows of a CSV file with a header."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


def write_csv(path: Path, header: Sequence[str], rows: Rows) -> Path:
    """Write a CSV file with a header; returns ``path``."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def read_adult() -> Rows:
    """UCI Adult's rows: ``?`` becomes empty (missing), numbers are written as floats.

    Floats in both halves: a shifted integer feature stays the type the schema expects.
    """
    numeric = {ADULT_COLUMNS.index(name) for name in ADULT_NUMERIC}
    rows = []
    for line in ADULT.read_text(encoding="utf-8").splitlines():
        fields = line.split(", ")
        if len(fields) != len(ADULT_COLUMNS):
            continue
        rows.append(
            [
                "" if value == "?" else f"{float(value):.1f}" if index in numeric else value
                for index, value in enumerate(fields)
            ]
        )
    return rows


def halves(rows: Rows, seed: str) -> tuple[Rows, Rows]:
    """Two disjoint random halves."""
    order = list(range(len(rows)))
    random.Random(seed).shuffle(order)  # noqa: S311 (a reproducible sample)
    middle = len(order) // 2
    return [rows[i] for i in order[:middle]], [rows[i] for i in order[middle:]]


def _column(header: Sequence[str], rows: Rows, name: str) -> tuple[int, list[float]]:
    index = list(header).index(name)
    return index, [float(row[index]) for row in rows if row[index]]


def shifted(header: Sequence[str], reference: Rows, rows: Rows, name: str, sds: float) -> Rows:
    """``rows`` with ``name`` moved by ``sds`` standard deviations of the reference."""
    index, values = _column(header, reference, name)
    step = sds * statistics.pstdev(values)
    return [_replace(row, index, lambda value: value + step) for row in rows]


def widened(header: Sequence[str], rows: Rows, name: str, factor: float) -> Rows:
    """``rows`` with ``name`` spread ``factor`` times as wide around its mean."""
    index, values = _column(header, rows, name)
    mean = statistics.fmean(values)
    return [_replace(row, index, lambda value: mean + factor * (value - mean)) for row in rows]


def _replace(row: list[str], index: int, change: Callable[[float], float]) -> list[str]:
    if not row[index]:
        return row
    copy = list(row)
    copy[index] = f"{change(float(row[index])):.4f}"
    return copy


def more_of(
    header: Sequence[str], rows: Rows, name: str, value: str, points: float, seed: str
) -> Rows:
    """``rows`` where ``points`` (0.15: 15 points) more of the rows have ``name == value``."""
    index = list(header).index(name)
    others = [number for number, row in enumerate(rows) if row[index] not in (value, "")]
    rng = random.Random(seed)  # noqa: S311 (a reproducible sample)
    chosen = set(rng.sample(others, round(points * len(rows))))
    return [
        [*row[:index], value, *row[index + 1 :]] if number in chosen else row
        for number, row in enumerate(rows)
    ]


def share(header: Sequence[str], rows: Rows, name: str, value: str) -> float:
    """The share of rows with ``name == value``."""
    index = list(header).index(name)
    return sum(row[index] == value for row in rows) / len(rows)


def build(workdir: Path) -> list[Case]:
    """Write every case's files under ``workdir``."""
    cases = [Case("taxi eval against train", TAXI / "train.csv", TAXI / "eval.csv")]
    header, taxi = read_csv(TAXI / "train.csv")
    first, second = halves(taxi, "taxi-halves")
    cases.append(
        Case(
            "taxi train: two random halves",
            write_csv(workdir / "taxi-a.csv", header, first),
            write_csv(workdir / "taxi-b.csv", header, second),
        )
    )
    first, second = halves(read_adult(), "adult-halves")
    reference = write_csv(workdir / "adult-a.csv", ADULT_COLUMNS, first)
    cases.append(
        Case(
            "adult: two random halves",
            reference,
            write_csv(workdir / "adult-b.csv", ADULT_COLUMNS, second),
        )
    )

    def adult_drift(title: str, stem: str, rows: Rows, name: str) -> Case:
        """The Adult reference against ``rows`` (written to ``stem``.csv), drifted in ``name``."""
        current = write_csv(workdir / f"{stem}.csv", ADULT_COLUMNS, rows)
        return Case(title, reference, current, drifted=(name,), features=(name,))

    cases += [
        adult_drift(
            f"adult: {name} mean + 1/3 sd",
            f"adult-shift-{name}",
            shifted(ADULT_COLUMNS, first, second, name, 1 / 3),
            name,
        )
        for name in ("age", "fnlwgt")
    ]
    cases += [
        adult_drift(
            f"adult: {name} spread x 1.25",
            f"adult-wide-{name}",
            widened(ADULT_COLUMNS, second, name, 1.25),
            name,
        )
        for name in ("age", "fnlwgt", "hours-per-week")
    ]
    more = more_of(ADULT_COLUMNS, second, "workclass", "Private", 0.15, "adult-private")
    cases.append(
        adult_drift("adult: workclass Private + 15 points", "adult-private", more, "workclass")
    )
    return cases
