"""Drift on real data: research-ci's default measure against TFDV's Jensen-Shannon divergence.

    python benchmarks/bench_data_drift.py              # the cases, and the sizes up to 5M rows
    python benchmarks/bench_data_drift.py --skip-sizes

For each case of ``tests/drift_cases.py`` (no drift: taxi eval against train, random halves
of taxi and of UCI Adult; drift: a mean shift of 1/3 sd, a spread 1.25x as wide, a category
15 points more frequent) it infers a schema from the reference and validates the other file
against it twice - with the default comparators (Kolmogorov-Smirnov for numeric features,
TFDV's L-infinity for categorical ones) and with TFDV's Jensen-Shannon divergence - and
prints each measure's value, threshold and verdict side by side, as a Markdown table. Then
the same shift (normal data, mean + 1/3 sd) at 500 to 5,000,000 rows: a measure that means
the same at every size gives the same value. It runs in the TFDV environment (re-executing
itself with ``$RESEARCH_CI_DATA_PYTHON`` when needed). It prints figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tfdv_python import data_python

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import drift_cases  # the cases live beside the tests that use them

JSD = "jensen_shannon_divergence"
SIZES = (500, 5_000, 50_000, 500_000, 5_000_000)


def _validate(case: drift_cases.Case, workdir: Path, *, jsd: bool) -> Any:
    """The DataResult of ``case.current`` against ``case.reference`` (drift)."""
    from research_ci.data import commands  # noqa: PLC0415
    from research_ci.data.settings import Dialect, FeatureThreshold, Thresholds  # noqa: PLC0415

    thresholds = Thresholds()
    if jsd:
        overrides = (
            {"workclass": FeatureThreshold(measure=JSD)} if "workclass" in case.features else {}
        )
        thresholds = Thresholds(numeric_measure=JSD, features=overrides)
    schema = workdir / f"schema-{'jsd' if jsd else 'default'}-{abs(hash(case.reference))}.pbtxt"
    beam = commands.Beam(jobs=1)
    if not schema.exists():
        commands.run_infer(
            data=str(case.reference),
            schema_path=schema,
            label=None,
            force=False,
            dialect=Dialect(),
            thresholds=thresholds,
            beam=beam,
        )
    return commands.run_validate(
        name=case.name,
        data=str(case.current),
        schema_path=schema,
        environment=None,
        previous=str(case.reference),
        training=None,
        dialect=Dialect(),
        thresholds=thresholds,
        beam=beam,
        outputs=commands.Outputs(),
    )


def _cell(items: Sequence[Any]) -> tuple[str, str, str]:
    """(value, threshold, verdict) of one feature's measure, or of the largest of many."""
    if not items:
        return "-", "-", "-"
    top = max(items, key=lambda item: item.value / item.threshold if item.threshold else 0)
    found = sum(item.exceeded for item in items)
    if len(items) == 1:
        return f"{top.value:.3f}", f"{top.threshold:.3f}", "**found**" if found else "no"
    name = f" ({top.feature})"
    verdict = f"{found} of {len(items)} flagged"
    return f"max {top.value:.3f}{name}", f"{top.threshold:.3f}", verdict


def cases_table(workdir: Path) -> list[str]:
    """The Markdown table of every case, both measures side by side."""
    lines = [
        (
            "| case | feature | research-ci default | value | threshold | drift? "
            "| TFDV JSD | threshold | drift? |"
        ),
        "|---|---|---|---:|---:|---|---:|---:|---|",
    ]
    for case in drift_cases.build(workdir):
        default = _validate(case, workdir, jsd=False)
        jsd = _validate(case, workdir, jsd=True)
        features = case.features or tuple(
            item.feature for item in default.drift if item.measure == "kolmogorov_smirnov"
        )
        ours = [item for item in default.drift if item.feature in features]
        theirs = [item for item in jsd.drift if item.feature in features]
        measure = ours[0].measure if ours else "-"
        label = ", ".join(case.features) if case.features else f"{len(features)} numeric"
        value, threshold, verdict = _cell(ours)
        other = " | ".join(_cell(theirs))
        lines.append(
            f"| {case.name} | {label} | {measure} | {value} | {threshold} | {verdict} | {other} |"
        )
    return lines


def _normal_csv(path: Path, rows: int, shift: float, seed: int) -> Path:
    import numpy as np  # noqa: PLC0415
    import pyarrow as pa  # noqa: PLC0415
    import pyarrow.csv as pa_csv  # noqa: PLC0415

    values = np.random.default_rng(seed).normal(shift, 1.0, rows).round(4)
    pa_csv.write_csv(pa.table({"x": values}), str(path))
    return path


def sizes_table(workdir: Path, sizes: Sequence[int]) -> list[str]:
    """The same drift (N(0,1) against N(1/3,1)) measured at growing sizes."""
    lines = [
        "| rows per dataset | Kolmogorov-Smirnov | its threshold | TFDV JSD |",
        "|---:|---:|---:|---:|",
    ]
    for rows in sizes:
        case = drift_cases.Case(
            f"{rows} rows",
            _normal_csv(workdir / f"normal-{rows}-a.csv", rows, 0.0, 1),
            _normal_csv(workdir / f"normal-{rows}-b.csv", rows, 1 / 3, 2),
            drifted=("x",),
            features=("x",),
        )
        ours = _validate(case, workdir, jsd=False).drift[0]
        theirs = _validate(case, workdir, jsd=True).drift[0]
        lines.append(f"| {rows:,} | {ours.value:.3f} | {ours.threshold:.3f} | {theirs.value:.3f} |")
    lines.append("(exact KS distance of N(0,1) and N(1/3,1): 0.132)")
    return lines


def main() -> int:
    """Build the cases, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-sizes", action="store_true", help="only the real-data cases")
    parser.add_argument("--max-rows", type=int, default=SIZES[-1])
    args = parser.parse_args()
    python = data_python()
    if python != sys.executable:
        return subprocess.run([python, __file__, *sys.argv[1:]], check=False).returncode
    os.environ.setdefault("CI", "1")  # no progress bars
    with tempfile.TemporaryDirectory(prefix="bench-drift-") as tmp:
        print("\n".join(cases_table(Path(tmp))))
        if not args.skip_sizes:
            print()
            sizes = [rows for rows in SIZES if rows <= args.max_rows]
            print("\n".join(sizes_table(Path(tmp), sizes)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
