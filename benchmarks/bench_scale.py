"""Do big reports cost linear time? Merging anomalies, and loading and summarising findings.

Issue 11 (item 13) measured merging 2 x 10,000 anomalies at 17.7 s (a list search: quadratic)
and a 200,000-finding report at 36 s and about 230 MB in ``summary``. This runs the merge at a
size N and at 4 N in the same process and prints both times and their ratio (about 4 is
linear, about 16 quadratic); then ``research-ci summary`` of a report of N and 4 N findings,
each in its own process, with its wall time and peak memory (the child's maximum RSS). With
``--before REF`` the same commands also run with the package as it was at the git commit
REF (its ``scripts/`` exported to a temporary directory), side by side.
Run: ``.venv/bin/python benchmarks/bench_scale.py [--findings 50000] [--before REF]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from io import BytesIO
from pathlib import Path
from typing import Any

from research_ci.grade import build_report
from research_ci.merge import merge_check
from research_ci.report import CheckResult, Finding, save_report


def data_result(prefix: str, count: int) -> CheckResult:
    anomalies = [
        {"feature": f"{prefix}{index}", "kind": "K", "severity": "ERROR", "description": "d"}
        for index in range(count)
    ]
    return CheckResult(
        name="data", status="failed", summary="", metrics={"anomalies": anomalies, "drift": []}
    )


def merge_seconds(count: int) -> float:
    results = [data_result("a", count), data_result("b", count)]
    started = time.perf_counter()
    merged = merge_check(results)
    elapsed = time.perf_counter() - started
    if len(merged.metrics["anomalies"]) != 2 * count:
        raise SystemExit("merge lost anomalies")
    return elapsed


def write_report(count: int, path: Path) -> None:
    """A report whose lint check has ``count`` findings."""
    findings = [
        Finding(check="lint", file="src/m.py", line=index + 1, code="E1", message=f"p{index}")
        for index in range(count)
    ]
    lint = CheckResult(
        name="lint",
        status="failed",
        summary=f"{count} violations",
        metrics={"violations": count},
        findings=findings,
    )
    report = build_report(
        project_name="big", checks={"lint": lint}, minimum_grade="C", coverage_threshold=80.0
    )
    save_report(report, path)


def summary_run(report: Path, scripts: Path | None) -> tuple[float, float, float]:
    """Wall and CPU seconds, peak RSS (MB) of ``research-ci summary`` in a process of its own.

    ``scripts``: the ``scripts/`` directory of another version of the package, found first.
    """
    env = dict(os.environ)
    if scripts is not None:
        env["PYTHONPATH"] = str(scripts)
    command = [sys.executable, "-m", "research_ci", "summary", "--report", str(report)]
    started = time.perf_counter()
    child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"summary exited {child.returncode} on {report}")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def export_scripts(ref: str, into: Path) -> Path:
    """The package's ``scripts/`` directory as it was at the git commit ``ref``."""
    archive = subprocess.run(
        ["git", "archive", "--format=tar", ref, "scripts"],
        capture_output=True,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into / "scripts"


def summary_table(size: int, before: str | None) -> None:
    """``summary`` of N and 4 N findings: wall and peak memory, before and after."""
    with tempfile.TemporaryDirectory() as tmp:
        old = export_scripts(before, Path(tmp) / "before") if before else None
        versions: list[tuple[str, Path | None]] = [("this tree", None)]
        if old is not None:
            versions.insert(0, (f"at {before}", old))
        print(f"\n{'summary of N findings':<22} {'N':>8} {'wall s':>8} {'CPU s':>8} {'peak MB':>8}")
        for label, scripts in versions:
            cpus = []
            for count in (size, 4 * size):
                path = Path(tmp) / f"report-{count}.json"
                if not path.exists():
                    # In a process of its own: a child's peak memory counts its parent's
                    # at the fork (Linux), so this one stays small.
                    subprocess.run(
                        [sys.executable, __file__, "--write", str(count), str(path)], check=True
                    )
                wall, cpu, peak = summary_run(path, scripts)
                cpus.append(cpu)
                print(f"{label:<22} {count:>8,} {wall:>8.2f} {cpu:>8.2f} {peak:>8.0f}")
            print(f"{label:<22} {'4N/N':>8} {'':>8} {cpus[1] / cpus[0]:>8.1f}")


def row(name: str, measure: Callable[[int], float], size: int) -> dict[str, Any]:
    small = min(measure(size) for _ in range(3))
    large = min(measure(4 * size) for _ in range(3))
    return {"name": name, "n": size, "small": small, "large": large, "ratio": large / small}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--anomalies", type=int, default=5_000, help="N anomalies per report")
    parser.add_argument("--findings", type=int, default=50_000, help="N findings in the report")
    parser.add_argument("--before", metavar="REF", help="also run the package as at this commit")
    parser.add_argument("--write", nargs=2, metavar=("N", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.write:
        write_report(int(args.write[0]), Path(args.write[1]))
        return
    merge = row("merge 2 x N anomalies (best of 3)", merge_seconds, args.anomalies)
    print(f"{'what':<34} {'N':>7} {'N: s':>8} {'4N: s':>8} {'4N/N':>6}")
    print(
        f"{merge['name']:<34} {merge['n']:>7,} {merge['small']:>8.2f} {merge['large']:>8.2f}"
        f" {merge['ratio']:>6.1f}  (about 4 is linear, 16 quadratic)"
    )
    summary_table(args.findings, args.before)


if __name__ == "__main__":
    main()
