"""``data validate`` of a 1,000-row CSV end to end: today's research-ci against a baseline.

    python benchmarks/bench_data_import.py                    # baseline: BASELINE below
    python benchmarks/bench_data_import.py --baseline main --rounds 5

Each round runs ``python -m research_ci data validate --schema S --data 1000-rows.csv`` as a
whole process in the TFDV environment, once with the baseline's code (``git archive`` of its
``scripts/`` in a temporary directory, put first on PYTHONPATH) and once with this checkout's,
alternating, so that both see the same machine load. The baseline imports the whole
``tensorflow_data_validation`` package (TensorFlow and Apache Beam); this checkout imports only
the statistics and validation parts of TFDV (no TensorFlow). Target (issue 12): at most a
third of the baseline's time. It prints figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from tfdv_python import data_python

REPO = Path(__file__).resolve().parents[1]
#: The last commit before TFDV was imported without TensorFlow (main on 2026-12-01).
BASELINE = "b7a9f3c"
TARGET = 1 / 3
ROWS = 1000


def _extract(revision: str, target: Path) -> Path:
    """``scripts/`` of ``revision`` under ``target`` (git archive): the baseline's package."""
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", revision, "scripts"],
        capture_output=True,
        check=True,
    ).stdout
    tar_path = target / "baseline.tar"
    tar_path.write_bytes(archive)
    with tarfile.open(tar_path) as tar:
        tar.extractall(target, filter="data")
    return target / "scripts"


def _sample(source: Path, target: Path, rows: int) -> Path:
    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
    target.write_text("".join(lines[: rows + 1]), encoding="utf-8")
    return target


def _run(python: str, scripts: Path, *args: str) -> float:
    """Seconds of one ``python -m research_ci data ARGS`` process with ``scripts`` first."""
    env = {**os.environ, "PYTHONPATH": str(scripts), "CI": "1"}
    started = time.perf_counter()
    completed = subprocess.run(
        [python, "-m", "research_ci", "data", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if completed.returncode not in (0, 1):
        raise SystemExit(f"research-ci data {' '.join(args)} failed:\n{completed.stderr[-2000:]}")
    return seconds


def main() -> int:
    """Extract the baseline, time both, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default=BASELINE, help="git revision to compare against")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    python = data_python()
    taxi = REPO / "tests" / "data" / "chicago_taxi"
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        work = Path(tmp)
        versions = {"baseline": _extract(args.baseline, work), "this": REPO / "scripts"}
        data = _sample(taxi / "eval.csv", work / "eval-1000.csv", ROWS)
        schemas = {name: work / f"{name}.pbtxt" for name in versions}
        for name, scripts in versions.items():  # not timed
            _run(
                python,
                scripts,
                "infer",
                "--data",
                str(taxi / "train.csv"),
                "--label",
                "tips",
                "--schema",
                str(schemas[name]),
            )
        times: dict[str, list[float]] = {name: [] for name in versions}
        for _ in range(args.rounds):
            for name, scripts in versions.items():
                times[name].append(
                    _run(
                        python,
                        scripts,
                        "validate",
                        "--schema",
                        str(schemas[name]),
                        "--data",
                        str(data),
                        "--jobs",
                        "1",
                    )
                )
    print(
        f"research-ci data validate of a {ROWS:,}-row CSV (taxi eval), whole process, "
        f"{args.rounds} alternating rounds; load average {os.getloadavg()[0]:.1f}, "
        f"{os.cpu_count()} CPUs"
    )
    for name, label in (("baseline", f"baseline {args.baseline}"), ("this", "this checkout")):
        runs = times[name]
        print(
            f"  {label:<22} median {statistics.median(runs):6.2f} s   best {min(runs):6.2f} s   "
            f"runs {', '.join(f'{run:.2f}' for run in runs)}"
        )
    ratio = statistics.median(times["this"]) / statistics.median(times["baseline"])
    verdict = "met" if ratio <= TARGET else "NOT met"
    print(f"  this / baseline (medians): {ratio:.2f} (target <= {TARGET:.2f}: {verdict})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
