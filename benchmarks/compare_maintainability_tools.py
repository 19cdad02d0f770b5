"""Which libraries should measure maintainability? Time and agreement on a large real codebase.

The candidates are not research-ci dependencies (only the chosen ones are), so they run from a
throwaway environment given with ``--candidates``, each through its own command line, on the
same files, one after the other in one run::

    .tools/bin/uv venv /tmp/candidates
    .tools/bin/uv pip install --python /tmp/candidates/bin/python \\
        complexipy radon lizard pylint jscpd cognitive-complexity ruff
    .venv/bin/python benchmarks/compare_maintainability_tools.py \\
        --candidates /tmp/candidates/bin/python

The codebase defaults to the mypy package installed in research-ci's own environment (about
130,000 lines of Python, measured in place). For each metric the script prints every tool's
wall and CPU time and how often two tools give the same value for the same function (matched
by file, name and the line of its ``def``); for duplication, the overlap of the duplicated
lines each detector reports (Jaccard index).
"""

from __future__ import annotations

import argparse
import ast
import csv
import io
import itertools
import json
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from research_ci import maintainability
from timing import run_measured

Key = tuple[str, str, int]  # file relative to the root, function name, line of `def`
Values = dict[Key, int]

RUFF_RULES = {
    "C901": "cyclomatic",
    "PLR0911": "returns",
    "PLR0913": "arguments",
    "PLR0915": "statements",
    "PLR1702": "nesting",
    "PLR0916": "boolean",
}
#: research-ci's ruff thresholds at 0, and statements (PLR0915), a candidate it does not use.
RUFF_ZERO = (*maintainability.RUFF_ZERO, "lint.pylint.max-statements=0")

COGNITIVE_SNIPPET = """
import ast, json, sys
from cognitive_complexity.api import get_cognitive_complexity
out = []
for path in sys.argv[1:]:
    tree = ast.parse(open(path, encoding="utf-8").read())
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            out.append([path, node.name, node.lineno, get_cognitive_complexity(node)])
json.dump(out, sys.stdout)
"""

COMPLEXIPY_SNIPPET = """
import json, sys
import complexipy
out = []
for path in sys.argv[1:]:
    try:
        result = complexipy.file_complexity(path, with_plans=False)
    except ValueError:
        continue
    for f in result.functions:
        out.append([path, f.name, f.line_start, f.complexity, f.line_end - f.line_start + 1])
json.dump(out, sys.stdout)
"""


@dataclass
class Timed:
    """One tool run: its output, wall time and CPU time (its own and its children's)."""

    stdout: str
    wall_s: float
    cpu_s: float


def timed(command: Sequence[str | Path], cwd: Path) -> Timed:
    """Run ``command`` and measure it."""
    measured = run_measured(command, cwd=cwd)
    completed = measured.completed
    if completed.returncode not in (0, 1):
        sys.exit(f"{command[0]} failed ({completed.returncode}): {completed.stderr[-500:]}")
    return Timed(completed.stdout, measured.wall, measured.cpu)


def python_files(root: Path) -> list[str]:
    """The ``.py`` files under ``root`` that parse, relative to it, sorted."""
    found = []
    for path in sorted(root.rglob("*.py")):
        try:
            ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError):
            continue
        found.append(path.relative_to(root).as_posix())
    return found


def function_names(root: Path, files: Iterable[str]) -> dict[tuple[str, int], str]:
    """Name of the function defined at each (file, line of its name) — ruff's location."""
    names: dict[tuple[str, int], str] = {}
    for relative in files:
        tree = ast.parse((root / relative).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                names[(relative, node.lineno)] = node.name
    return names


def reference_counts(root: Path, files: Iterable[str]) -> dict[str, Values]:
    """Arguments and lines of each function, read from the syntax tree (the ground truth)."""
    arguments: Values = {}
    returns: Values = {}
    for relative in files:
        tree = ast.parse((root / relative).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                args = node.args
                count = len(args.posonlyargs) + len(args.args) + len(args.kwonlyargs)
                arguments[(relative, node.name, node.lineno)] = count
                returns[(relative, node.name, node.lineno)] = sum(
                    isinstance(inner, ast.Return) for inner in _own_nodes(node)
                )
    return {"arguments": arguments, "returns": returns}


def _own_nodes(function: ast.AST) -> Iterable[ast.AST]:
    """Nodes of ``function``'s body, not descending into nested functions or classes."""
    stack = list(ast.iter_child_nodes(function))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            stack.extend(ast.iter_child_nodes(node))


@dataclass
class ToolRun:
    """What one tool measured, per metric, and what it cost."""

    tool: str
    timing: Timed
    metrics: dict[str, Values] = field(default_factory=dict)


def run_ruff(ruff: Path, root: Path, files: list[str]) -> ToolRun:
    """ruff with every threshold at 0, so each function reports its value."""
    config = [arg for item in RUFF_ZERO for arg in ("--config", item)]
    timing = timed(
        [
            ruff,
            "check",
            "--isolated",
            "--preview",
            "--output-format",
            "json",
            "--select",
            ",".join(RUFF_RULES),
            *config,
            *files,
        ],
        root,
    )
    names = function_names(root, files)
    run = ToolRun("ruff", timing, {metric: {} for metric in RUFF_RULES.values()})
    for item in json.loads(timing.stdout or "[]"):
        metric = RUFF_RULES.get(item["code"])
        match = maintainability.RUFF_VALUE.search(item["message"])
        if metric is None or match is None:
            continue
        relative = Path(item["filename"]).resolve().relative_to(root.resolve()).as_posix()
        line = item["location"]["row"]
        name = names.get((relative, line))
        if name is None:
            continue  # nesting and boolean findings sit on the statement, not the def
        run.metrics[metric][(relative, name, line)] = int(match.group(1))
    return run


def run_complexipy(python: Path, root: Path, files: list[str]) -> ToolRun:
    """complexipy's Python API (Rust inside), one file after the other."""
    timing = timed([python, "-I", "-c", COMPLEXIPY_SNIPPET, *files], root)
    run = ToolRun("complexipy", timing, {"cognitive": {}, "lines": {}})
    for path, name, line, value, span in json.loads(timing.stdout):
        key = (path, name.split("::")[-1], line)
        run.metrics["cognitive"][key] = value
        run.metrics["lines"][key] = span
    return run


def run_cognitive_complexity(python: Path, root: Path, files: list[str]) -> ToolRun:
    """The pure-Python ``cognitive_complexity`` package (flake8-cognitive-complexity's core)."""
    timing = timed([python, "-I", "-c", COGNITIVE_SNIPPET, *files], root)
    run = ToolRun("cognitive-complexity", timing, {"cognitive": {}})
    for path, name, line, value in json.loads(timing.stdout):
        run.metrics["cognitive"][(path, name, line)] = value
    return run


def run_lizard(bindir: Path, root: Path, files: list[str]) -> ToolRun:
    """lizard with its cognitive-complexity extension, CSV output."""
    timing = timed([bindir / "lizard", "--csv", "-Ecognitive", *files], root)
    run = ToolRun(
        "lizard", timing, {"cyclomatic": {}, "cognitive": {}, "arguments": {}, "lines": {}}
    )
    for row in csv.reader(io.StringIO(timing.stdout)):
        if len(row) < 12 or not row[0].isdigit():
            continue
        nloc, ccn, _tokens, params = (int(value) for value in row[:4])
        path, name, start = row[6], row[7].split("::")[-1], int(row[9])
        key = (Path(path).as_posix(), name, start)
        run.metrics["cyclomatic"][key] = ccn
        run.metrics["cognitive"][key] = int(row[11])
        run.metrics["arguments"][key] = params
        run.metrics["lines"][key] = nloc
    return run


def run_radon(bindir: Path, root: Path, files: list[str]) -> ToolRun:
    """radon's cyclomatic complexity, JSON output."""
    timing = timed([bindir / "radon", "cc", "--json", *files], root)
    run = ToolRun("radon", timing, {"cyclomatic": {}})
    for path, blocks in json.loads(timing.stdout).items():
        if not isinstance(blocks, list):
            continue
        pending = list(blocks)
        while pending:
            block = pending.pop()
            pending.extend(block.get("closures", []))
            pending.extend(block.get("methods", []))
            if block["type"] in ("function", "method"):
                key = (path, block["name"], block["lineno"])
                run.metrics["cyclomatic"][key] = block["complexity"]
    return run


def _match(left: Values, right: Values) -> list[tuple[int, int]]:
    """Pairs of values for the functions both tools measured.

    Tools disagree on the first line of a decorated function (the ``def`` or the first
    decorator), so a function matches on file and name and the nearest line within 30.
    """
    by_name: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for (path, name, line), value in right.items():
        by_name.setdefault((path, name), []).append((line, value))
    pairs = []
    for (path, name, line), value in left.items():
        candidates = [item for item in by_name.get((path, name), []) if abs(item[0] - line) <= 30]
        if candidates:
            nearest = min(candidates, key=lambda item: abs(item[0] - line))
            pairs.append((value, nearest[1]))
    return pairs


def _spearman(pairs: list[tuple[int, int]]) -> float:
    def ranks(values: list[int]) -> list[float]:
        order = sorted(range(len(values)), key=values.__getitem__)
        result = [0.0] * len(values)
        index = 0
        while index < len(order):
            end = index
            while end + 1 < len(order) and values[order[end + 1]] == values[order[index]]:
                end += 1
            for position in range(index, end + 1):
                result[order[position]] = (index + end) / 2
            index = end + 1
        return result

    if len(pairs) < 2:
        return float("nan")
    left = ranks([a for a, _ in pairs])
    right = ranks([b for _, b in pairs])
    mean_l, mean_r = sum(left) / len(left), sum(right) / len(right)
    cov = sum((a - mean_l) * (b - mean_r) for a, b in zip(left, right, strict=True))
    var_l = sum((a - mean_l) ** 2 for a in left)
    var_r = sum((b - mean_r) ** 2 for b in right)
    return cov / (var_l * var_r) ** 0.5 if var_l and var_r else float("nan")


def agreement(metric: str, runs: dict[str, Values]) -> None:
    """Print, for each pair of tools, how many functions they give the same value."""
    for (name_a, values_a), (name_b, values_b) in itertools.combinations(runs.items(), 2):
        pairs = _match(values_a, values_b)
        if not pairs:
            continue
        same = sum(a == b for a, b in pairs)
        close = sum(abs(a - b) <= 1 for a, b in pairs)
        print(
            f"  {metric:<11} {name_a:>20} vs {name_b:<20} {len(pairs):>6} functions  "
            f"same {100 * same / len(pairs):5.1f} %  within 1 {100 * close / len(pairs):5.1f} %  "
            f"Spearman {_spearman(pairs):.3f}"
        )


# Duplication -------------------------------------------------------------------------------

Lines = set[tuple[str, int]]


def _spans(spans: Iterable[tuple[str, int, int]]) -> Lines:
    return {(path, line) for path, start, end in spans for line in range(start, end + 1)}


def run_jscpd(
    bindir: Path, root: Path, files: list[str], min_lines: int, *extra: str
) -> tuple[Timed, Lines]:
    """jscpd (Rust), token clones across files (exact unless ``extra`` says), JSON report."""
    with tempfile.TemporaryDirectory() as out:
        timing = timed(
            [
                bindir / "jscpd",
                "--format",
                "python",
                "--min-lines",
                str(min_lines),
                "--min-tokens",
                "50",
                "--reporters",
                "json",
                "--output",
                out,
                "--silent",
                "--mode",
                "weak",
                "--no-gitignore",
                *extra,
                ".",
            ],
            root,
        )
        report = json.loads((Path(out) / "jscpd-report.json").read_text(encoding="utf-8"))
    wanted = set(files)
    spans = []
    for duplicate in report["duplicates"]:
        for side in ("firstFile", "secondFile"):
            item = duplicate[side]
            path = Path(item["name"]).as_posix()
            if path in wanted:
                spans.append((path, item["startLoc"]["line"], item["endLoc"]["line"]))
    return timing, _spans(spans)


SYMILAR_BLOCK = re.compile(r"^==(.+):\[(\d+):(\d+)\]$", re.MULTILINE)


def run_symilar(bindir: Path, root: Path, files: list[str], min_lines: int) -> tuple[Timed, Lines]:
    """pylint's similarity checker (``symilar``): identical lines, ignoring comments etc."""
    timing = timed(
        [
            bindir / "symilar",
            "-d",
            str(min_lines),
            "-i",
            "--ignore-docstrings",
            "--ignore-imports",
            *files,
        ],
        root,
    )
    spans = [
        (match.group(1), int(match.group(2)) + 1, int(match.group(3)))
        for match in SYMILAR_BLOCK.finditer(timing.stdout)
    ]
    return timing, _spans(spans)


def jaccard(left: Lines, right: Lines) -> float:
    """Share of duplicated lines both detectors report, among those either reports."""
    union = left | right
    return len(left & right) / len(union) if union else 1.0


def report_time(name: str, timing: Timed, lines: int) -> None:
    """One line of timings."""
    rate = lines / timing.wall_s / 1000 if timing.wall_s else float("inf")
    print(
        f"  {name:<34} wall {timing.wall_s:7.2f} s  cpu {timing.cpu_s:7.2f} s  "
        f"({rate:,.0f} k lines/s wall)"
    )


def default_codebase() -> Path:
    """The mypy package of the environment running this script."""
    import mypy  # noqa: PLC0415

    return Path(mypy.__file__).parent


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments, run every candidate, print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=Path, required=True, help="python of the env")
    parser.add_argument("--codebase", type=Path, help="directory to measure (default: mypy)")
    parser.add_argument("--min-lines", type=int, default=6, help="smallest duplicate, in lines")
    args = parser.parse_args(argv)
    python: Path = args.candidates
    bindir = python.parent
    root: Path = (args.codebase or default_codebase()).resolve()
    files = python_files(root)
    lines = sum(len((root / name).read_text(encoding="utf-8").splitlines()) for name in files)
    print(f"Codebase: {root} ({len(files)} files, {lines:,} lines); cores: {os.cpu_count()}")

    steps: list[tuple[str, Callable[[], ToolRun]]] = [
        ("ruff (C901, PLR09xx, PLR1702)", lambda: run_ruff(bindir / "ruff", root, files)),
        ("complexipy (API)", lambda: run_complexipy(python, root, files)),
        ("cognitive-complexity", lambda: run_cognitive_complexity(python, root, files)),
        ("lizard -Ecognitive", lambda: run_lizard(bindir, root, files)),
        ("radon cc", lambda: run_radon(bindir, root, files)),
    ]
    print("\nPer-function metrics: time")
    runs = []
    for label, step in steps:
        run = step()
        report_time(label, run.timing, lines)
        runs.append(run)
    reference = ToolRun("syntax tree", Timed("", 0, 0), reference_counts(root, files))

    print("\nPer-function metrics: agreement (same value for the same function)")
    for metric in ("cognitive", "cyclomatic", "arguments", "returns", "lines"):
        by_tool = {
            run.tool: run.metrics[metric] for run in [*runs, reference] if run.metrics.get(metric)
        }
        agreement(metric, by_tool)

    print(f"\nDuplicated blocks (at least {args.min_lines} lines): time and overlap")
    jscpd_time, jscpd_lines = run_jscpd(bindir, root, files, args.min_lines)
    report_time("jscpd (Rust, tokens)", jscpd_time, lines)
    renamed_time, renamed_lines = run_jscpd(
        bindir, root, files, args.min_lines, "--ignore-identifiers"
    )
    report_time("jscpd --ignore-identifiers", renamed_time, lines)
    symilar_time, symilar_lines = run_symilar(bindir, root, files, args.min_lines)
    report_time("symilar (pylint, lines)", symilar_time, lines)
    print(
        f"  duplicated lines: jscpd {len(jscpd_lines):,}, symilar {len(symilar_lines):,}; "
        f"both {len(jscpd_lines & symilar_lines):,}; "
        f"Jaccard {jaccard(jscpd_lines, symilar_lines):.2f}"
    )
    print(
        f"  jscpd --ignore-identifiers {len(renamed_lines):,} lines; "
        f"Jaccard with symilar {jaccard(renamed_lines, symilar_lines):.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
