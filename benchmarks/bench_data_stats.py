"""Statistics of a large CSV: research-ci's chunked TFDV statistics, side by side in one run
with ``tfdv.generate_statistics_from_csv`` (Beam DirectRunner) and pyarrow's read of the file.

    python benchmarks/bench_data_stats.py                 # 1M rows x 6 columns (~40 MB)
    python benchmarks/bench_data_stats.py --large         # also a ~5 GB CSV: peak memory
    python benchmarks/bench_data_stats.py --rows 200000 --skip-beam

Each measurement runs in a fresh process of the TFDV environment (this script re-executes
itself with ``$RESEARCH_CI_DATA_PYTHON`` when the current Python has no TFDV), so its peak
resident memory is its own; the time excludes TensorFlow's import. Targets (issue 4):
statistics >= 40x faster than ``generate_statistics_from_csv``, within 3x of pyarrow's read,
peak memory < 1.5 GB on a 5 GB CSV. Not a timed test: it prints figures.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tfdv_python import data_python

TARGET_VS_BEAM = 40.0
TARGET_VS_PYARROW = 3.0
TARGET_PEAK_GB = 1.5
CHUNK_ROWS = 1_000_000


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _children_peak_mb() -> float:
    """Largest peak of the forked statistics workers (0 when there were none)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def generate(path: Path, rows: int) -> None:
    """A deterministic CSV: 2 int, 2 float and 2 string columns."""
    import numpy as np  # noqa: PLC0415
    import pyarrow as pa  # noqa: PLC0415
    import pyarrow.csv as pa_csv  # noqa: PLC0415

    rng = np.random.default_rng(4)
    cities = np.array([f"city_{i:02d}" for i in range(50)])
    kinds = np.array(["cash", "card", "mobile", "other"])
    writer = None
    try:
        for start in range(0, rows, CHUNK_ROWS):
            n = min(CHUNK_ROWS, rows - start)
            table = pa.table(
                {
                    "id": np.arange(start, start + n),
                    "count": rng.integers(0, 1000, n),
                    "price": rng.normal(100, 15, n).round(2),
                    "ratio": rng.random(n).round(4),
                    "city": cities[rng.integers(0, len(cities), n)],
                    "kind": kinds[rng.integers(0, len(kinds), n)],
                }
            )
            if writer is None:
                writer = pa_csv.CSVWriter(str(path), table.schema)
            writer.write_table(table)
    finally:
        if writer is not None:
            writer.close()


def measure(kind: str, path: str, repeat: int) -> dict[str, Any]:
    """One measurement in this process (called in a child process)."""
    from research_ci.data.runtime import load_tfdv  # noqa: PLC0415

    tfdv = load_tfdv()
    import pyarrow.csv as pa_csv  # noqa: PLC0415

    from research_ci.data import sources, stats  # noqa: PLC0415
    from research_ci.data.settings import Dialect  # noqa: PLC0415

    baseline = _rss_mb()
    timings = []
    for _ in range(1 if kind == "beam" else repeat):
        started = time.perf_counter()
        if kind == "pyarrow":
            rows = pa_csv.read_csv(path).num_rows
        elif kind == "research-ci":
            source = sources.resolve_source(path, Dialect())
            rows = stats.compute_statistics(source, progress=False).rows
        else:
            result = tfdv.generate_statistics_from_csv(path)
            rows = int(result.datasets[0].num_examples)
        timings.append(time.perf_counter() - started)
    seconds = min(timings)
    return {
        "kind": kind,
        "seconds": seconds,
        "runs": len(timings),
        "rows": rows,
        "baseline_mb": baseline,
        "peak_mb": _peak_mb(),
        "worker_peak_mb": _children_peak_mb(),
    }


def _child(python: str, kind: str, path: Path, repeat: int) -> dict[str, Any]:
    completed = subprocess.run(
        [python, __file__, "--measure", kind, str(path), "--repeat", str(repeat)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "CI": "1"},
    )
    if completed.returncode != 0:
        raise SystemExit(f"{kind} failed:\n{completed.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def _row(label: str, result: dict[str, Any]) -> str:
    rate = result["rows"] / result["seconds"] if result["seconds"] else float("inf")
    workers = (
        f", workers <= {result['worker_peak_mb']:.0f} MB each" if result["worker_peak_mb"] else ""
    )
    return (
        f"  {label:<38} {result['seconds']:>8.2f} s {rate / 1e6:>7.2f} M rows/s "
        f"{result['peak_mb']:>6.0f} MB peak ({result['baseline_mb']:.0f} MB after imports"
        f"{workers})"
    )


def _verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def run_size(python: str, path: Path, *, beam: bool, repeat: int) -> dict[str, dict[str, Any]]:
    """pyarrow, research-ci and (optionally) Beam on one file (best of ``repeat`` runs)."""
    results = {kind: _child(python, kind, path, repeat) for kind in ("pyarrow", "research-ci")}
    if beam:
        results["beam"] = _child(python, "beam", path, 1)
    size_mb = path.stat().st_size / 1e6
    print(
        f"\n{results['research-ci']['rows']:,} rows x 6 columns, {size_mb:,.1f} MB CSV "
        f"(best of {repeat} runs; Beam: 1 run; {os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.1f})"
    )
    print(_row("pyarrow.csv.read_csv (whole table)", results["pyarrow"]))
    print(_row("research-ci data statistics (chunked)", results["research-ci"]))
    if beam:
        print(_row("tfdv.generate_statistics_from_csv", results["beam"]))
    ours = results["research-ci"]["seconds"]
    vs_pyarrow = ours / results["pyarrow"]["seconds"]
    print(
        f"  research-ci / pyarrow read: {vs_pyarrow:.1f}x "
        f"(target within {TARGET_VS_PYARROW:g}x: {_verdict(vs_pyarrow <= TARGET_VS_PYARROW)})"
    )
    if beam:
        speedup = results["beam"]["seconds"] / ours
        print(
            f"  speed-up over generate_statistics_from_csv: {speedup:.1f}x "
            f"(target >= {TARGET_VS_BEAM:g}x: {_verdict(speedup >= TARGET_VS_BEAM)})"
        )
    return results


def main() -> int:
    """Generate the data, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--large", action="store_true", help="also a ~5 GB CSV (peak memory)")
    parser.add_argument("--size-gb", type=float, default=5.0)
    parser.add_argument("--skip-beam", action="store_true")
    parser.add_argument("--repeat", type=int, default=3, help="runs of the fast readers")
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--measure", nargs=2, metavar=("KIND", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        kind, path = args.measure
        print(json.dumps(measure(kind, path, repeat=args.repeat)))
        return 0
    python = data_python()
    with tempfile.TemporaryDirectory(prefix="bench-data-", dir=args.workdir) as tmp:
        small = Path(tmp) / "data.csv"
        subprocess.run([python, __file__, "--generate", str(small), str(args.rows)], check=True)
        run_size(python, small, beam=not args.skip_beam, repeat=args.repeat)
        if args.large:
            large = Path(tmp) / "large.csv"
            rows = int(args.size_gb * 1e9 / (small.stat().st_size / args.rows))
            started = time.perf_counter()
            subprocess.run([python, __file__, "--generate", str(large), str(rows)], check=True)
            seconds = time.perf_counter() - started
            size_gb = large.stat().st_size / 1e9
            print(f"\n(generated {size_gb:.2f} GB in {seconds:.0f} s; Beam skipped on it)")
            results = run_size(python, large, beam=False, repeat=1)
            ours = results["research-ci"]
            peak_gb = max(ours["peak_mb"], ours["worker_peak_mb"]) / 1024
            print(
                f"  research-ci peak memory of one process: {peak_gb:.2f} GB "
                f"(target < {TARGET_PEAK_GB:g} GB: {_verdict(peak_gb < TARGET_PEAK_GB)}); "
                f"forked workers share the parent's {ours['baseline_mb']:.0f} MB of imports"
            )
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--generate":
        generate(Path(sys.argv[2]), int(sys.argv[3]))
        sys.exit(0)
    sys.exit(main())
