"""How long does a new project take: baking the template, and its first and later checks?

Bakes the research-project template (through ``research_ci.scaffold.bake``, as
``research-ci new`` does) a few times and reports the median, then runs ``research-ci check``
in one baked project twice: cold (no ``.venv``: uv creates it and installs numpy and the dev
tools, from uv's cache when warm) and warm (the environment is reused). Pass ``--data`` to time
the data check too (needs ``RESEARCH_CI_DATA_PYTHON``).
Run: ``.venv/bin/python benchmarks/bench_template.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from research_ci.scaffold import bake, template_dir

RESEARCH_CI = Path(sys.executable).parent / "research-ci"


def time_bakes(workdir: Path, repeats: int) -> list[float]:
    """Seconds per bake, each into a fresh directory."""
    timings = []
    for index in range(repeats):
        started = time.perf_counter()
        bake(template_dir(), workdir / f"bake-{index}", {}, no_input=True)
        timings.append(time.perf_counter() - started)
    return timings


def time_check(project: Path, *args: str) -> tuple[float, int, str]:
    """Wall time, exit code and grade of one ``research-ci check`` run."""
    started = time.perf_counter()
    completed = subprocess.run(
        [str(RESEARCH_CI), "check", str(project), *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "NO_COLOR": "1"},
    )
    elapsed = time.perf_counter() - started
    report = project / ".research-ci" / "report.json"
    grade = json.loads(report.read_text(encoding="utf-8"))["grade"] if report.exists() else "?"
    return elapsed, completed.returncode, grade


def main() -> int:
    """Print the bake and check timings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeats", type=int, default=5, help="bakes to time (default 5)")
    parser.add_argument("--data", action="store_true", help="also time --only data")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-template-") as tmp:
        workdir = Path(tmp)
        bakes = time_bakes(workdir, args.repeats)
        project = workdir / "bake-0" / "my-research-project"
        cold = time_check(project)
        warm = time_check(project)
        print(f"template: {template_dir()}")
        print(
            f"bake (research-ci new --no-input): median {statistics.median(bakes):.2f} s, "
            f"min {min(bakes):.2f} s over {len(bakes)} bakes"
        )
        for label, (seconds, code, grade) in (
            ("cold (creates .venv)", cold),
            ("warm (reuses .venv)", warm),
        ):
            print(f"research-ci check, {label:<21} {seconds:6.1f} s  exit {code}  grade {grade}")
        print(f"cold / warm: {cold[0] / warm[0]:.1f}x")
        if args.data:
            data = time_check(project, "--only", "data")
            print(f"research-ci check --only data (TFDV):  {data[0]:6.1f} s  exit {data[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
