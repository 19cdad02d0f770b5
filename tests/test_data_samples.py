"""The test datasets: every required test reads the samples shipped in tests/data, they are
what PROVENANCE.md says, and no package carries them.

A fresh clone has no ../shared/data beside it; a required test that read it would skip there
(and coverage would collapse, as it once did). The full datasets feed only optional tests
marked ``shared_data``, through the ``shared_data`` fixture of conftest.py.
"""

from __future__ import annotations

import ast
import csv
import importlib.util
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

import data_helpers
from data_helpers import ADULT, DATA, TAXI, TESTS

REPO = TESTS.parent
HERE = str(Path(__file__).resolve())
PROVENANCE = DATA / "PROVENANCE.md"
MAX_BYTES = 3 * 1024 * 1024


def _make_samples() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_samples", DATA / "make_samples.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _provenance_rows() -> dict[str, str]:
    """Sample path -> its "original → sample" data-row column, from PROVENANCE.md's table."""
    rows = {}
    for line in PROVENANCE.read_text(encoding="utf-8").splitlines():
        if line.startswith("| `"):
            cells = [cell.strip() for cell in line.strip("|").split(" | ")]
            rows[cells[0].strip("`")] = cells[2]
    return rows


def _records(path: Path, *, header: bool) -> int:
    with path.open(encoding="utf-8", newline="") as handle:
        return sum(1 for _ in csv.reader(handle)) - (1 if header else 0)


def test_data_helpers_point_inside_the_repository() -> None:
    paths = {name: value for name, value in vars(data_helpers).items() if isinstance(value, Path)}
    datasets = {name: path for name, path in paths.items() if name not in ("TESTS", "REPO")}
    assert set(datasets) >= {"DATA", "TAXI", "PENGUIN", "CSV_EDGE", "ADULT"}
    for name, path in datasets.items():
        assert path.is_relative_to(REPO / "tests" / "data"), (name, path)
        assert path.exists(), (name, path)


def test_samples_are_what_the_provenance_says() -> None:
    make_samples = _make_samples()
    claimed = _provenance_rows()
    on_disk = {
        path.relative_to(DATA).as_posix()
        for path in DATA.rglob("*")
        if path.is_file() and path.suffix not in (".md", ".py") and "__pycache__" not in path.parts
    }
    assert {sample.target for sample in make_samples.SAMPLES} == set(claimed) == on_disk
    for sample in make_samples.SAMPLES:
        count = _records(DATA / sample.target, header=sample.header)
        assert claimed[sample.target].endswith(f"→ {count:,}"), (sample.target, count)
        if sample.rows is not None:
            assert count == sample.rows, sample.target
    total = sum(path.stat().st_size for path in DATA.rglob("*") if path.is_file())
    assert total < MAX_BYTES


def test_taxi_samples_keep_the_anomalies_the_tests_look_for() -> None:
    def read(name: str) -> list[dict[str, str]]:
        with (TAXI / name).open(encoding="utf-8", newline="") as handle:
            return list(csv.DictReader(handle))

    train, eval_rows, serving = read("train.csv"), read("eval.csv"), read("serving.csv")
    assert "tips" in train[0]
    assert "tips" not in serving[0]
    known = {column: {row[column] for row in train} for column in ("payment_type", "company")}
    assert {row["payment_type"] for row in eval_rows} - known["payment_type"] == {"Prcard"}
    assert len({row["company"] for row in eval_rows} - known["company"]) == 15
    for column, values in known.items():  # serving is clean against train's domains
        assert {row[column] for row in serving} <= values, column
    adult = ADULT.read_text(encoding="utf-8")
    assert ", ?, " in adult
    assert not adult.startswith("age")


#: How a test module could reach the full datasets other than through the fixture.
FORBIDDEN_NAMES = {"SHARED_DATA"}
FORBIDDEN_STRINGS = ("shared/data", "shared\\data", "../shared")


def _marked_shared(decorators: list[ast.expr]) -> bool:
    return any("shared_data" in ast.unparse(decorator) for decorator in decorators)


def reads_full_datasets(source: str) -> list[str]:
    """What in a test module's ``source`` reads ../shared without the ``shared_data`` mark."""
    tree = ast.parse(source)
    docstrings = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in FORBIDDEN_NAMES:
            problems.append(f"line {node.lineno}: {node.id}")
        if isinstance(node, ast.alias) and node.name in FORBIDDEN_NAMES:
            problems.append(f"line {node.lineno}: import {node.name}")
        if isinstance(node, ast.Attribute) and node.attr in FORBIDDEN_NAMES:
            problems.append(f"line {node.lineno}: {node.attr}")
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
            and (node.value == "shared" or any(text in node.value for text in FORBIDDEN_STRINGS))
        ):
            problems.append(f"line {node.lineno}: {node.value!r}")
    module_marked = any(
        isinstance(node, ast.Assign)
        and any(
            isinstance(target, ast.Name) and target.id == "pytestmark" for target in node.targets
        )
        and "shared_data" in ast.unparse(node.value)
        for node in tree.body
    )
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            arguments = {arg.arg for arg in node.args.args + node.args.kwonlyargs}
            if "shared_data" in arguments and not (
                module_marked or _marked_shared(node.decorator_list)
            ):
                problems.append(f"line {node.lineno}: {node.name} is not marked shared_data")
    return problems


def test_no_required_test_reads_the_full_datasets() -> None:
    # conftest.py defines the fixture; this module spells the patterns it looks for.
    skipped = {"conftest.py", Path(HERE).name}
    modules = [path for path in sorted(TESTS.glob("*.py")) if path.name not in skipped]
    assert {"data_helpers.py", "test_data_taxi.py", "test_data_inputs.py"} <= {
        path.name for path in modules
    }
    problems = {
        path.name: found
        for path in modules
        if (found := reads_full_datasets(path.read_text(encoding="utf-8")))
    }
    assert problems == {}


#: Module sources and how many problems the guard must find in each.
GUARD_CASES = [
    ("from conftest import SHARED_DATA\n", 1),
    ("import conftest\nx = conftest.SHARED_DATA / 'taxi'\n", 1),
    ("from pathlib import Path\nP = Path('..') / 'shared' / 'data'\n", 1),
    ("P = '../shared/data/uci_adult/adult.data'\n", 1),
    ("def test_x(shared_data):\n    pass\n", 1),
    ('"""Reads nothing from ../shared/data."""\n', 0),
    ("import pytest\n@pytest.mark.shared_data\ndef test_x(shared_data):\n    pass\n", 0),
    ("import pytest\npytestmark = [pytest.mark.shared_data]\ndef test_x(shared_data): ...\n", 0),
    ("shared = 'a name, not a path'\n", 0),
]


@pytest.mark.parametrize(("source", "found"), GUARD_CASES)
def test_the_guard_finds_each_way_to_the_full_datasets(source: str, found: int) -> None:
    assert len(reads_full_datasets(source)) == found


def test_shared_data_tests_are_deselected_when_the_datasets_are_absent(tmp_path: Path) -> None:
    def collect(shared: Path) -> str:
        completed = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "--collect-only",
                "-q",
                "-p",
                "no:cacheprovider",
                HERE,
            ],
            cwd=REPO,
            env={**os.environ, "RESEARCH_CI_SHARED_DATA": str(shared)},
            capture_output=True,
            text=True,
            check=False,
        )
        assert completed.returncode == 0, completed.stdout + completed.stderr
        return completed.stdout

    optional = "test_samples_regenerate_from_the_full_datasets"
    absent = collect(tmp_path / "absent")
    assert optional not in absent
    assert "1 deselected" in absent
    present = tmp_path / "shared-data"
    present.mkdir()
    assert optional in collect(present)


def test_packages_leave_the_test_data_out(tmp_path: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "uv", "build", "--wheel", "--sdist", "--out-dir", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    (wheel,) = tmp_path.glob("*.whl")
    (sdist,) = tmp_path.glob("*.tar.gz")
    with zipfile.ZipFile(wheel) as wheel_file, tarfile.open(sdist) as sdist_file:
        members = wheel_file.namelist() + sdist_file.getnames()
    assert any(name.endswith("research_ci/cli/__init__.py") for name in members)
    samples = [path.relative_to(DATA).as_posix() for path in DATA.rglob("*") if path.is_file()]
    assert len(samples) > 10
    shipped = [name for name in members if any(name.endswith(sample) for sample in samples)]
    assert shipped == []
    assert not [name for name in members if "tests/data" in name]


@pytest.mark.shared_data
def test_samples_regenerate_from_the_full_datasets(shared_data: Path) -> None:
    completed = subprocess.run(
        [sys.executable, str(DATA / "make_samples.py"), "--source", str(shared_data), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
