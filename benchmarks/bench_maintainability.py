"""Maintainability on a large real codebase, and what ``check --base`` costs a PR check.

1. The maintainability analysis (complexipy, ruff, jscpd and research-ci's own bookkeeping)
   on the mypy package installed in research-ci's environment (about 90,000 lines of code
   outside its tests), measured in place: wall time, lines per second, ratings.
2. ``research-ci check`` and ``research-ci check --base main`` on the same throwaway git
   project (a base commit and a PR commit), side by side, alternating, in one run: the delta
   runs only the static checks on the base, next to the head's run, so it must not double
   the wall time of a PR check.

Run: ``.venv/bin/python benchmarks/bench_maintainability.py``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench_check import make_project, run
from research_ci.codeunits import source_files
from research_ci.maintainability import MaintainabilitySettings, analyze

GIT_ENV = {
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.org",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.org",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_CONFIG_NOSYSTEM": "1",
    "PATH": "/usr/bin:/bin",
}


def measure_codebase(root: Path, repeat: int) -> None:
    """Time the analysis of ``root`` and print what it found."""
    settings = MaintainabilitySettings()
    files = source_files(root, ["."], settings.exclude)
    timings = []
    analysis = None
    for _ in range(repeat):
        started = time.perf_counter()
        analysis = analyze(root, files, settings)
        timings.append(time.perf_counter() - started)
    if analysis is None:
        sys.exit("--repeat must be at least 1")
    wall = statistics.median(timings)
    print(f"codebase: {root}")
    print(
        f"  {len(files)} files, {analysis.lines:,} lines of code, "
        f"{len(analysis.issues):,} issues, {len(analysis.skipped)} not parsed"
    )
    print(
        f"  analysis: {wall:.2f} s median of {repeat} "
        f"({analysis.lines / wall:,.0f} lines of code per second)"
    )
    print(f"  project rating {analysis.rating} (technical debt {analysis.ratio:.1f}%)")
    print(f"  files per rating: {analysis.ratings()}")
    rules = Counter(issue.rule for issue in analysis.issues)
    print("  issues per rule: " + ", ".join(f"{rule} {n}" for rule, n in rules.most_common()))
    for item in analysis.worst(3):
        print(f"  worst: {item.rating} {item.ratio:.0f}% {item.path}: {item.reasons(1)[0]}")


def git(root: Path, *args: str) -> None:
    """Run git quietly in ``root``."""
    subprocess.run(["git", *args], cwd=root, env=GIT_ENV, check=True, capture_output=True)


def make_repository(root: Path, modules: int) -> Path:
    """A git project: the base on ``main``, a PR on ``pr`` that changes a few modules."""
    make_project(root, modules)
    (root / ".gitignore").write_text(".venv/\n.research-ci/\n", encoding="utf-8")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    git(root, "checkout", "-q", "-b", "pr")
    for index in range(0, modules, max(1, modules // 4)):
        module = root / "src" / "benchproject" / f"m{index}.py"
        extra = (
            f"\n\ndef extra_{index}(values: list[float], limit: float) -> list[float]:\n"
            f'    """Values under ``limit``, added by the PR."""\n'
            "    return [value for value in values if value < limit]\n"
        )
        module.write_text(module.read_text(encoding="utf-8") + extra, encoding="utf-8")
    git(root, "commit", "-q", "-am", "pr")
    return root


def measure_delta(modules: int, repeat: int) -> None:
    """``check`` against ``check --base main``, alternating, medians and their ratio."""
    with tempfile.TemporaryDirectory(prefix="bench-delta-") as tmp:
        project = make_repository(Path(tmp) / "project", modules)
        setup = run(project, "--only", "types")  # makes the project's environment once
        print(f"\nproject: {modules} modules (git: base + PR), environment made in {setup:.1f} s")
        alone: list[float] = []
        with_base: list[float] = []
        for _ in range(repeat):
            alone.append(run(project, "--no-install"))
            with_base.append(run(project, "--no-install", "--base", "main"))
    head, delta = statistics.median(alone), statistics.median(with_base)
    print(f"  check               {head:6.2f} s (median of {repeat})")
    print(f"  check --base main   {delta:6.2f} s (median of {repeat})")
    print(f"  ratio               {delta / head:6.2f}  (target: under 2; 1 would be free)")


def default_codebase() -> Path:
    """The mypy package of the environment running this script."""
    import mypy  # noqa: PLC0415

    return Path(mypy.__file__).parent


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--codebase", type=Path, help="directory to measure (default: mypy)")
    parser.add_argument("--modules", type=int, default=20, help="modules in the git project")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions (median is kept)")
    options = parser.parse_args()
    measure_codebase((options.codebase or default_codebase()).resolve(), options.repeat)
    measure_delta(options.modules, options.repeat)


if __name__ == "__main__":
    main()
