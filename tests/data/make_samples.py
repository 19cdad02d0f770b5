"""Regenerate the trimmed dataset samples of tests/data/ from the public originals.

Usage (from the repository root)::

    python3 tests/data/make_samples.py --source ../shared/data            # write the samples
    python3 tests/data/make_samples.py --source ../shared/data --check    # compare, exit 1 on drift

``--source`` is a folder laid out like ``../shared/data`` (see tests/data/PROVENANCE.md for
where each original comes from). Standard library only; deterministic: rows are picked with
``random.Random(f"{SEED}:{sample name}")`` (string seeds hash with SHA-512, stable across
Python versions and platforms) and written byte for byte as they are in the original (same
line endings, same float spelling), in their original order, after the original header.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

SEED = 20240611
HERE = Path(__file__).resolve().parent

#: A row predicate: which data rows must be kept whatever the random draw.
Keep = Callable[[list[dict[str, str]], list[dict[str, str]]], set[int]]


@dataclass(frozen=True)
class Sample:
    """One file of tests/data: where it comes from and how many data rows it keeps."""

    target: str
    source: str
    rows: int | None = None  # None: the whole file, byte for byte
    header: bool = True
    keep: Keep | None = None
    #: Another original the ``keep`` predicate compares against (e.g. train for eval).
    reference: str | None = None


def _covering_rows(rows: list[dict[str, str]], _: list[dict[str, str]]) -> set[int]:
    """The first row of every payment_type and company value: the sample keeps the full
    file's categorical domains, so a schema inferred from it has the same string domains."""
    keep: dict[tuple[str, str], int] = {}
    for index, row in enumerate(rows):
        for column in ("payment_type", "company"):
            keep.setdefault((column, row[column]), index)
    return set(keep.values())


def _unseen_rows(rows: list[dict[str, str]], train: list[dict[str, str]]) -> set[int]:
    """Every eval row whose payment_type or company the training file never has: the
    anomalies injected into TFDV's example (``Prcard``, fifteen new company names)."""
    known = {column: {row[column] for row in train} for column in ("payment_type", "company")}
    return {
        index
        for index, row in enumerate(rows)
        if any(row[column] not in values for column, values in known.items())
    }


TAXI = "tfdv_chicago_taxi"
EXTERNAL = "tfx_testdata_external"
PENGUIN = "tfx_penguin"
SAMPLES = (
    Sample("chicago_taxi/train.csv", f"{TAXI}/train.csv", 3000, keep=_covering_rows),
    Sample(
        "chicago_taxi/eval.csv",
        f"{TAXI}/eval.csv",
        3000,
        keep=_unseen_rows,
        reference=f"{TAXI}/train.csv",
    ),
    Sample("chicago_taxi/serving.csv", f"{TAXI}/serving.csv"),
    Sample("penguins/labelled.csv", f"{PENGUIN}/labelled_penguins_processed.csv"),
    Sample("penguins/skewed.csv", f"{PENGUIN}/skewed_penguins_processed.csv"),
    Sample("penguins/unlabelled.csv", f"{PENGUIN}/unlabelled_penguins.csv"),
    Sample("csv_edge_cases/empty_column.csv", f"{EXTERNAL}/csv_empty_data.csv"),
    Sample("csv_edge_cases/multi_line_string.csv", f"{EXTERNAL}/csv_multi_line_string_data.csv"),
    Sample("csv_edge_cases/float_ints.csv", f"{EXTERNAL}/csv_data.csv", 2000),
    Sample("csv_edge_cases/float_ints2.csv", f"{EXTERNAL}/csv_data2.csv", 1000),
    Sample("uci_adult/adult.data", "uci_adult/adult.data", 5000, header=False),
)


def _records(raw: bytes, *, header: bool) -> tuple[bytes, list[bytes]]:
    """Split a file into its header line and one line per record (line endings kept)."""
    lines = raw.splitlines(keepends=True)
    if b'"' in raw:  # a quoted field may span lines: sampling by line would break records
        raise ValueError("quoted fields: sample this file with a CSV-aware splitter")
    return (lines[0], lines[1:]) if header else (b"", lines)


def _dicts(raw: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(raw.decode("utf-8").splitlines()))


def build(sample: Sample, source: Path) -> bytes:
    """The bytes of ``sample`` made from the originals under ``source``."""
    raw = (source / sample.source).read_bytes()
    if sample.rows is None:
        return raw
    head, lines = _records(raw, header=sample.header)
    keep: set[int] = set()
    if sample.keep is not None:
        reference = _dicts((source / sample.reference).read_bytes()) if sample.reference else []
        keep = sample.keep(_dicts(raw), reference)
    if len(keep) > sample.rows:
        raise ValueError(f"{sample.target}: {len(keep)} rows must be kept, more than {sample.rows}")
    rest = [index for index in range(len(lines)) if index not in keep]
    rng = random.Random(f"{SEED}:{sample.target}")  # noqa: S311 (a reproducible sample)
    drawn = rng.sample(rest, sample.rows - len(keep))
    chosen = sorted(keep.union(drawn))
    body = b"".join(lines[index] for index in chosen)
    if not body.endswith(b"\n"):
        body += b"\n"  # the original's last line had no newline; every sample line ends
    return head + body


def main(argv: Sequence[str] | None = None) -> int:
    """Write (or ``--check``) every sample."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=HERE.parents[2] / "shared" / "data")
    parser.add_argument("--out", type=Path, default=HERE)
    parser.add_argument("--check", action="store_true", help="compare only; exit 1 on a change")
    args = parser.parse_args(argv)
    if not args.source.is_dir():
        parser.error(f"the original datasets are not at {args.source}")
    stale = []
    for sample in SAMPLES:
        data = build(sample, args.source)
        target = args.out / sample.target
        if args.check:
            if not target.is_file() or target.read_bytes() != data:
                stale.append(sample.target)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        sys.stdout.write(f"{target}: {len(data):,} bytes\n")
    if stale:
        sys.stderr.write(f"stale samples (rerun without --check): {', '.join(stale)}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
