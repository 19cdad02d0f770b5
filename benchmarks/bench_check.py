"""How close is `research-ci check`'s wall time to its slowest check?

Builds a throwaway project (a package of N modules with tests), makes its environment once,
then, in one run, times each check alone (`--only NAME --no-install`) and all four together,
and prints the figures side by side: the sum of the single checks, the slowest one, the
parallel wall time, and the ratios. Run: `.venv/bin/python benchmarks/bench_check.py`.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from projects import hatchling_pyproject  # the throwaway projects of the tests

CHECKS = ("format", "lint", "types", "tests")

PYPROJECT = hatchling_pyproject(
    "benchproject",
    rest="""
[tool.ruff.lint]
select = ["E", "F", "I", "B", "UP", "TID"]

[tool.mypy]
strict = true

[tool.coverage.report]
fail_under = 80
""",
)


def make_project(root: Path, modules: int) -> Path:
    """A package of ``modules`` typed modules, each with a test file."""
    package = root / "src" / "benchproject"
    package.mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    (package / "__init__.py").write_text('"""Benchmark package."""\n', encoding="utf-8")
    (package / "py.typed").write_text("", encoding="utf-8")
    for index in range(modules):
        functions = "\n\n".join(textwrap.dedent(f'''\
                def f{index}_{n}(values: list[float]) -> float:
                    """Weighted sum number {n}."""
                    total = 0.0
                    for position, value in enumerate(values):
                        total += value * (position + {n})
                    return total
                ''') for n in range(20))
        (package / f"m{index}.py").write_text(f'"""Module {index}."""\n\n\n{functions}')
        tests = "\n\n".join(
            f"def test_f{index}_{n}() -> None:\n    assert m.f{index}_{n}([1.0, 2.0]) >= 0\n"
            for n in range(20)
        )
        (root / "tests" / f"test_m{index}.py").write_text(
            f"import benchproject.m{index} as m\n\n\n{tests}", encoding="utf-8"
        )
    return root


def run(project: Path, *args: str) -> float:
    """Wall time of one `research-ci check` invocation."""
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "research_ci", "check", str(project), "--format", "json", *args],
        check=False,
        capture_output=True,
    )
    return time.perf_counter() - started


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modules", type=int, default=40, help="modules in the project")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions (median is kept)")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-check-") as tmp:
        project = make_project(Path(tmp) / "project", options.modules)
        setup = run(project, "--only", "types")  # creates the environment once
        print(f"project: {options.modules} modules, environment made in {setup:.2f} s")
        singles = {
            name: statistics.median(
                run(project, "--only", name, "--no-install") for _ in range(options.repeat)
            )
            for name in CHECKS
        }
        together = statistics.median(
            run(project, "--only", ",".join(CHECKS), "--no-install") for _ in range(options.repeat)
        )
    total = sum(singles.values())
    slowest_name = max(singles, key=lambda name: singles[name])
    slowest = singles[slowest_name]
    print(f"{'check':<10}{'alone (s)':>12}")
    for name, seconds in singles.items():
        print(f"{name:<10}{seconds:>12.2f}")
    print(f"{'sum':<10}{total:>12.2f}")
    print(f"{'parallel':<10}{together:>12.2f}")
    print(f"parallel / sum of checks     = {together / total:.2f}  (1.00 would be sequential)")
    ratio = together / slowest
    print(f"parallel / slowest ({slowest_name:<6}) = {ratio:.2f}  (target: close to 1)")


if __name__ == "__main__":
    main()
