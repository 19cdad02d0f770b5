"""Is `research-ci check` faster than running the project's own tools by hand, one after another?

For a project of each shape (the baked template, a setup.py library, requirements.txt
scripts, a src-layout library that formats with a ruff pinned in its pre-commit
configuration), in one run, side by side:

* **cold**, time to the first result: `research-ci check --only format,lint,types,tests`
  (the checks of those tools) on a fresh clone (it creates `.venv`, installs what the layout
  says and the pinned tools), against doing the same by hand on another fresh clone (uv
  creates the environment and installs the same things, then the formatter, ruff, mypy and
  pytest with coverage run one after another, caches empty);
* **warm**, every later run: `research-ci check` against the same tools, the same versions,
  the same arguments, run by hand one after another (the median of `--repeat` runs each,
  research-ci and the tools interleaved so that the machine's load hits both alike).

The targets: a warm check is never slower than the tools by hand in sequence, and within
1.2 x the slowest tool + 0.5 s. The format step is also timed alone: `black --check` (what the
check runs first, using black's cache) against `black --check --diff` (what it ran before,
which bypasses black's cache).
With `--before REF`, research-ci as it was at the git commit REF (its `scripts/`) runs warm
too, interleaved with the others, for a before/after in one run.
Run: `.venv/bin/python benchmarks/bench_adopt.py [--repeat 5] [--modules 30] [--shape NAME]
[--before REF]`.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import statistics
import sys
import tempfile
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from adoption import RUFF_PINNED_PROJECT, write_files  # the adoption tests' projects
from bench_scale import export_scripts
from research_ci.cache import CACHE_ENV_VAR, cache_dir
from research_ci.config import load_settings
from research_ci.environment import uv_binary, venv_python
from research_ci.scaffold import bake, template_dir
from timing import run_measured

RESEARCH_CI = Path(sys.executable).parent / "research-ci"


# --- the projects -----------------------------------------------------------------------------


def _module(index: int, *, typed: bool) -> str:
    """A module of small numeric functions (typed or, like most research code, not)."""
    functions = []
    for n in range(12):
        signature = "(values: list[float]) -> float" if typed else "(values)"
        functions.append(textwrap.dedent(f'''\
                def f{index}_{n}{signature}:
                    """Weighted sum number {n}."""
                    total = 0.0
                    for position, value in enumerate(values):
                        total += value * (position + {n})
                    return total
                '''))
    return f'"""Module {index}."""\n\n\n' + "\n\n".join(functions)


def _tests(package: str, index: int, *, typed: bool) -> str:
    arrow = " -> None" if typed else ""
    tests = "\n\n".join(
        f"def test_f{index}_{n}(){arrow}:\n    assert m.f{index}_{n}([1.0, 2.0]) >= 0\n"
        for n in range(12)
    )
    return f"import {package}.m{index} as m\n\n\n{tests}"


def _write(
    root: Path, files: dict[str, str], package_dir: str, modules: int, *, typed: bool
) -> None:
    """``files``, then ``modules`` generated modules in ``package_dir``, each with a test file."""
    package = package_dir.rsplit("/", 1)[-1]
    for index in range(modules):
        files[f"{package_dir}/m{index}.py"] = _module(index, typed=typed)
        files[f"tests/test_m{index}.py"] = _tests(package, index, typed=typed)
    write_files(root, files)


def setup_py_library(root: Path, modules: int) -> None:
    """A flat setup.py library with numpy, untyped, tests in tests/."""
    files = {
        "setup.py": textwrap.dedent("""\
            from setuptools import find_packages, setup

            setup(
                name="flatlib",
                version="1.0",
                packages=find_packages(exclude=["tests"]),
                install_requires=["numpy"],
                extras_require={"test": ["pytest"]},
            )
            """),
        "setup.cfg": "[mypy]\nignore_missing_imports = True\n",
        "flatlib/__init__.py": '"""A flat library."""\n',
    }
    _write(root, files, "flatlib", modules, typed=False)


def requirements_scripts(root: Path, modules: int) -> None:
    """Research scripts with a requirements.txt and tests."""
    files = {"requirements.txt": "numpy\n", "requirements-dev.txt": "pytest\n"}
    files["analysis/__init__.py"] = ""
    _write(root, files, "analysis", modules, typed=False)


def ruff_pinned_library(root: Path, modules: int) -> None:
    """The adoption tests' typed src-layout library pinned to ruff 0.3.0, ``modules`` more."""
    write_files(root, RUFF_PINNED_PROJECT)
    _write(root, {}, "src/pinned", modules, typed=True)


def template_project(root: Path, _modules: int) -> None:
    """The project the research-ci template bakes (its own dev tools in its extras)."""
    baked = bake(template_dir(), root.parent / "bake", {}, no_input=True)
    shutil.move(baked.path, root)
    shutil.rmtree(root.parent / "bake", ignore_errors=True)


SHAPES: dict[str, Callable[[Path, int], None]] = {
    "template": template_project,
    "setup.py": setup_py_library,
    "requirements": requirements_scripts,
    "ruff-pinned": ruff_pinned_library,
}


# --- running ----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Run:
    """One command: wall time, CPU time (user + system, with its children), exit code.

    On a loaded machine the wall time of a run depends on what else runs; its CPU time much
    less: the CPU figures show research-ci's own overhead where the wall times are noisy.
    """

    wall: float
    cpu: float
    code: int


def timed(args: Sequence[str | Path], cwd: Path, **env: str) -> Run:
    """Run one command and measure it."""
    environment = {**os.environ, "NO_COLOR": "1", **env}
    environment.pop("VIRTUAL_ENV", None)
    # As on a user's machine, Python caches what it compiles (research-ci's modules, the
    # tools', pytest's): without the cache every run compiles them again, on both sides.
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    measured = run_measured(args, cwd=cwd, env=environment)
    return Run(measured.wall, measured.cpu, measured.completed.returncode)


#: The checks whose tools a person would run by hand. (The maintainability check, on by
#: default, has no one tool to run instead: timing it would compare unlike work.)
TOOL_CHECKS = ("format", "lint", "types", "tests")


def research_ci(project: Path, scripts: Path | None = None) -> Run:
    """`research-ci check PROJECT` as a user runs it, on the checks of the tools by hand.

    ``scripts``: the ``scripts/`` directory of another version of research-ci, run instead.
    """
    only = ",".join(TOOL_CHECKS)
    env = {"PYTHONPATH": str(scripts)} if scripts is not None else {}
    args: list[str | Path] = [RESEARCH_CI, "check", project, "--only", only, "--format", "json"]
    return timed(args, project, **env)


def hand_steps(project: Path, report: dict[str, Any]) -> dict[str, list[str]]:
    """The commands a person runs: the same tools, versions and arguments research-ci ran."""
    settings = load_settings(project)
    python = str(venv_python(project / ".venv"))
    commands = {
        name: tool_command(project, report["checks"][name]["tool"])
        for name in ("format", "lint", "types")
    }
    paths = list(settings.file_tool_paths)
    formatter = report["checks"]["format"]["tool"]["name"]
    targets = [] if settings.tools.mypy_files else list(settings.paths)
    cov = (
        "--cov"
        if settings.tools.coverage_source
        else ("--cov=src" if (project / "src").is_dir() else "--cov=.")
    )
    return {
        "format": [
            *commands["format"],
            *(["format", "--check"] if formatter == "ruff" else ["--check"]),
            *paths,
        ],
        "lint": [*commands["lint"], "check", *paths],
        "types": [
            *commands["types"],
            *(
                ()
                if report["checks"]["types"]["tool"]["from"] == "environment"
                else ("--python-executable", python)
            ),
            *targets,
        ],
        "tests": [python, "-m", "pytest", "-q", cov, "--cov-report=json:/dev/null"],
    }


def tool_command(project: Path, tool: dict[str, str]) -> list[str]:
    """Where the tool research-ci ran lives: the project's .venv, the cache, research-ci's."""
    name, version, source = tool["name"], tool["version"], tool["from"]
    if source == "environment":
        return [str(project / ".venv" / "bin" / name)]
    if source == "pre-commit":
        entry = next((cache_dir() / "tools").glob(f"{name}-{version}*"))
        return [str(entry / "bin" / name)]
    return [str(Path(sys.executable).parent / name)]


def hand_cold(project: Path, report: dict[str, Any]) -> float:
    """A fresh clone by hand: uv makes the environment, installs, then each tool runs."""
    uv = uv_binary()
    settings = load_settings(project)
    args = [arg for step in settings.project.steps for arg in step.args]
    python = venv_python(project / ".venv")
    total = timed([uv, "venv", "--quiet", "--python", sys.executable, ".venv"], project).wall
    total += timed([uv, "pip", "install", "--quiet", "--python", python, *args], project).wall
    return total + sum(
        timed(command, project).wall for command in hand_steps(project, report).values()
    )


def _median(runs: list[Run], field: str) -> float:
    return float(statistics.median(float(getattr(run, field)) for run in runs))


def measure(
    shape: str, workdir: Path, modules: int, repeat: int, before: Path | None = None
) -> dict[str, Any]:
    """Cold and warm figures of one shape (and warm ones of the version in ``before``)."""
    project = workdir / shape.replace(".", "-")
    SHAPES[shape](project, modules)
    by_hand = workdir / f"{project.name}-by-hand"
    shutil.copytree(project, by_hand)

    cold = research_ci(project)
    report = json.loads((project / ".research-ci" / "report.json").read_text(encoding="utf-8"))
    cold_hand = hand_cold(by_hand, report)

    steps = hand_steps(project, report)
    ours: list[Run] = []
    theirs: list[Run] = []
    if before is not None:
        research_ci(project, before)  # Python compiles and caches that version's modules
    tools: dict[str, list[Run]] = {name: [] for name in steps}
    for _ in range(repeat):  # interleaved: the machine's load hits both alike
        ours.append(research_ci(project))
        if before is not None:
            theirs.append(research_ci(project, before))
        for name, command in steps.items():
            tools[name].append(timed(command, project))
    report = json.loads((project / ".research-ci" / "report.json").read_text(encoding="utf-8"))
    figures: dict[str, Any] = {
        "shape": shape,
        "exit": cold.code,
        "grade": report["grade"],
        "cold": cold.wall,
        "cold_by_hand": cold_hand,
        "warm": _median(ours, "wall"),
        "warm_cpu": _median(ours, "cpu"),
        **(
            {"warm_before": _median(theirs, "wall"), "warm_before_cpu": _median(theirs, "cpu")}
            if theirs
            else {}
        ),
        "tools": {name: _median(runs, "wall") for name, runs in tools.items()},
        "tools_cpu": {name: _median(runs, "cpu") for name, runs in tools.items()},
        "steps": {name: report["checks"][name]["duration_s"] for name in steps},
        "versions": {
            name: f"{c['tool']['name']} {c['tool']['version']} ({c['tool']['from']})"
            for name, c in report["checks"].items()
            if c.get("tool")
        },
    }
    if report["checks"]["format"]["tool"]["name"] == "black":
        paths = list(load_settings(project).file_tool_paths)
        black = steps["format"][: -len(paths)]
        figures["black_check"] = _median(
            [timed([*black, *paths], project) for _ in range(repeat)], "wall"
        )
        figures["black_check_diff"] = _median(
            [timed([*black, "--diff", "--quiet", *paths], project) for _ in range(repeat)], "wall"
        )
    return figures


def show(figures: dict[str, Any]) -> bool:
    """Print one shape's figures; True when both warm targets are met."""
    singles, cpus = figures["tools"], figures["tools_cpu"]
    total = sum(singles.values())
    slowest_name = max(singles, key=lambda name: singles[name])
    target = 1.2 * singles[slowest_name] + 0.5
    warm = figures["warm"]
    met = warm <= min(total, target)
    print(f"\n== {figures['shape']}: grade {figures['grade']}, exit {figures['exit']}")
    print("   tools: " + "; ".join(f"{name} {text}" for name, text in figures["versions"].items()))
    print(
        f"   cold  research-ci {figures['cold']:6.2f} s   by hand {figures['cold_by_hand']:6.2f} s"
        f"   ratio {figures['cold'] / figures['cold_by_hand']:.2f}"
    )
    print("   warm  by hand, one after another       wall      CPU   (wall inside research-ci)")
    for name, seconds in singles.items():
        print(
            f"         {name:<30} {seconds:6.2f} s {cpus[name]:6.2f} s   "
            f"({figures['steps'][name]:5.2f} s)"
        )
    print(f"         {'sum':<30} {total:6.2f} s {sum(cpus.values()):6.2f} s")
    print(
        f"   warm  research-ci {'':<18} {warm:6.2f} s {figures['warm_cpu']:6.2f} s   "
        f"wall / sum {warm / total:.2f}, CPU / sum {figures['warm_cpu'] / sum(cpus.values()):.2f}"
    )
    if "warm_before" in figures:
        before, before_cpu = figures["warm_before"], figures["warm_before_cpu"]
        print(
            f"   warm  research-ci as before {'':<8} {before:6.2f} s {before_cpu:6.2f} s   "
            f"wall / sum {before / total:.2f}, CPU / sum {before_cpu / sum(cpus.values()):.2f}"
        )
    print(
        f"   target: <= sum and <= 1.2 x {slowest_name} + 0.5 = {target:.2f} s  ->  "
        f"{'met' if met else 'NOT met'}"
    )
    if "black_check" in figures:
        print(
            f"   black --check {figures['black_check']:.2f} s (cached), "
            f"black --check --diff {figures['black_check_diff']:.2f} s (bypasses the cache)"
        )
    return bool(met)


def main() -> int:
    """Measure every shape and print the figures side by side."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=5, help="warm runs of each (median)")
    parser.add_argument("--modules", type=int, default=30, help="modules per generated project")
    parser.add_argument(
        "--shape", choices=sorted(SHAPES), action="append", help="only these shapes (default: all)"
    )
    parser.add_argument(
        "--before", metavar="REF", help="also time research-ci as at this git commit, warm"
    )
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-adopt-") as tmp:
        before = export_scripts(options.before, Path(tmp) / "before") if options.before else None
        # A fresh research-ci cache: the cold runs install the pinned tools too.
        os.environ[CACHE_ENV_VAR] = str(Path(tmp) / "research-ci-cache")
        os.environ["BLACK_CACHE_DIR"] = str(Path(tmp) / "black-cache")
        results = [
            measure(shape, Path(tmp), options.modules, options.repeat, before)
            for shape in options.shape or list(SHAPES)
        ]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"(load average {load:.1f} on {os.cpu_count()} CPUs; medians of {options.repeat})")
    met = [show(figures) for figures in results]
    print(f"\nwarm targets met on {sum(met)} of {len(met)} shapes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
