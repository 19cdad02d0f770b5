"""Do big reports cost linear time? Merging anomalies, and loading and summarising findings.

Issue 11 (item 13) measured merging 2 x 10,000 anomalies at 17.7 s (a list search: quadratic)
and a 200,000-finding report at 36 s in ``summary``. This runs each at a size N and at 4 N in
the same process and prints both times and their ratio: about 4 is linear, about 16 quadratic.
The report loader's time is mostly JSON Schema validation (jsonschema), linear in the findings.
Run: ``.venv/bin/python benchmarks/bench_scale.py [--findings 20000]``.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from research_ci.grade import build_report
from research_ci.merge import merge_check
from research_ci.report import CheckResult, Finding, load_report, save_report
from research_ci.summary import render_summary


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


def summary_seconds(count: int) -> float:
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
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "report.json"
        save_report(report, path)
        started = time.perf_counter()
        render_summary(load_report(path))
        return time.perf_counter() - started


def row(name: str, measure: Callable[[int], float], size: int) -> dict[str, Any]:
    small, large = measure(size), measure(4 * size)
    return {"name": name, "n": size, "small": small, "large": large, "ratio": large / small}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--anomalies", type=int, default=5_000, help="N anomalies per report")
    parser.add_argument("--findings", type=int, default=5_000, help="N findings in the report")
    args = parser.parse_args()
    rows = [
        row("merge 2 x N anomalies", merge_seconds, args.anomalies),
        row("load + summary, N findings", summary_seconds, args.findings),
    ]
    print(f"{'what':<28} {'N':>7} {'N: s':>8} {'4N: s':>8} {'4N/N':>6}")
    for item in rows:
        print(
            f"{item['name']:<28} {item['n']:>7,} {item['small']:>8.2f} {item['large']:>8.2f}"
            f" {item['ratio']:>6.1f}"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: {peak:.0f} MB (about 4 is linear, 16 quadratic)")


if __name__ == "__main__":
    main()
