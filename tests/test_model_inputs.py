"""Inputs: table reading, column types, targets, slicing edge cases, the project runner.

Generated files for what real data rarely shows at once: a column whose type changes after
the first CSV block, shards, Parquet types, numeric slices with missing values, baseline
tables whose categories differ, and the model runner's own protocol.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest

from research_ci.data.settings import Dialect
from research_ci.errors import UsageError
from research_ci.model import project_runner
from research_ci.model.analysis import analyse
from research_ci.model.settings import parse_model_settings
from research_ci.model.slicing import MAX_SLICE_VALUES, build_slicing, encode
from research_ci.model.specs import SliceSpec
from research_ci.model.table import Column, read_table, to_column
from research_ci.model.targets import make_target


def test_csv_column_widened_after_the_first_block(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    rows = 200_000  # more than one block of pyarrow's reader
    with path.open("w", encoding="utf-8") as handle:
        handle.write("count,code,y\n")
        for index in range(rows):
            handle.write(f"{index},{index % 7},{index % 2}\n")
        handle.write("2.5,x7,1\n")
    table = read_table(str(path), Dialect())
    assert table.rows == rows + 1
    assert table.column("count").kind == "numeric"
    assert table.column("count").values[-1] == 2.5
    code = table.column("code")
    assert code.kind == "categorical"
    assert code.categories[code.values[-1]] == "x7"


def test_shards_and_their_errors(tmp_path: Path) -> None:
    for index in range(2):
        (tmp_path / f"part-{index}.csv").write_text("y,p\n1,0.5\n0,0.25\n", encoding="utf-8")
    table = read_table(str(tmp_path / "part-*.csv"), Dialect())
    assert table.rows == 4
    (tmp_path / "part-2.csv").write_text("y,q\n1,0.5\n", encoding="utf-8")
    with pytest.raises(UsageError, match=r"columns differ from the first file"):
        read_table(str(tmp_path / "part-*.csv"), Dialect())
    with pytest.raises(UsageError, match="no file matches"):
        read_table(str(tmp_path / "nothing-*.csv"), Dialect())
    (tmp_path / "bad.parquet").write_bytes(b"not parquet")
    with pytest.raises(UsageError, match="not a readable Parquet file"):
        read_table(str(tmp_path / "bad.parquet"), Dialect())
    (tmp_path / "ragged.csv").write_text("y,p\n1,0.5\n0\n", encoding="utf-8")
    with pytest.raises(UsageError, match=r"ragged\.csv"):
        read_table(str(tmp_path / "ragged.csv"), Dialect())
    (tmp_path / "data.tfrecord").write_bytes(b"x")
    with pytest.raises(UsageError, match="tfrecord is not supported here"):
        read_table(str(tmp_path / "data.tfrecord"), Dialect())


@pytest.mark.parametrize("kind", ["fifo", "/dev/zero"])
def test_a_data_file_that_is_not_a_regular_file_is_refused(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "predictions.csv"
    if kind == "fifo":
        os.mkfifo(path)  # reading it would hang
    else:
        path.symlink_to(kind)  # reading it would never end
    with pytest.raises(UsageError, match="is not a regular file"):
        read_table(str(path), Dialect())


def test_parquet_column_types(tmp_path: Path) -> None:
    table = pa.table(
        {
            "flag": pa.array([True, False, None, True]),
            "level": pa.array(["a", "b", "a", None]).dictionary_encode(),
            "nothing": pa.array([None, None, None, None], pa.null()),
            "day": pa.array([1, 2, 3, 4], pa.date32()),
            "amount": pa.array([1.5, None, 3.0, 4.0]),
        }
    )
    path = tmp_path / "types.parquet"
    pq.write_table(table, path)
    read = read_table(str(path), Dialect(), columns=["flag", "level", "nothing", "day", "amount"])
    flag = read.column("flag")
    assert flag.kind == "numeric"
    assert flag.values[:2].tolist() == [1.0, 0.0]
    assert np.isnan(flag.values[2])
    level = read.column("level")
    assert level.kind == "categorical"
    assert level.texts().tolist() == ["a", "b", "a", None]
    assert read.column("nothing").missing.all()
    assert read.column("day").categories[0] == "1970-01-02"
    assert read.column("amount").texts().tolist() == ["1.5", None, "3", "4"]
    with pytest.raises(UsageError, match="no column 'absent'"):
        read.column("absent")


def _column(values: list[object]) -> Column:
    return to_column("c", pa.chunked_array([pa.array(values)]))


def test_targets() -> None:
    numeric = _column([1.0, 2.0, 1.0, 2.0])
    score = _column([0.2, 0.8, 0.4, 0.6])
    target = make_target(numeric, score, task=None, positive="2", where="t")
    assert target.task == "binary"
    assert target.label.tolist() == [0.0, 1.0, 0.0, 1.0]
    with pytest.raises(UsageError, match="is numeric; --positive 'yes' is not a number"):
        make_target(numeric, score, task=None, positive="yes", where="t")
    three = _column([1.0, 2.0, 3.0, 2.0])
    with pytest.raises(UsageError, match="has 3 values: a binary task needs two"):
        make_target(three, score, task="binary", positive="2", where="t")
    text = _column(["a", "b", "c", "a"])
    with pytest.raises(UsageError, match="has 3 classes: a binary task needs two"):
        make_target(text, score, task="binary", positive="a", where="t")
    with pytest.raises(UsageError, match="never equals 'z'"):
        make_target(text, score, task="binary", positive="z", where="t")
    with pytest.raises(UsageError, match="is text: a binary task needs a score"):
        make_target(_column([0.0, 1.0, 0.0, 1.0]), text, task="binary", positive=None, where="t")
    with pytest.raises(UsageError, match="regression needs numbers"):
        make_target(text, score, task="regression", positive=None, where="t")
    with pytest.raises(UsageError, match="is infinite in data row 2"):
        make_target(
            three, _column([1.0, float("inf"), 2.0, 3.0]), task=None, positive=None, where="t"
        )
    classes = make_target(three, _column([1.0, 2.0, 2.0, 2.0]), task=None, positive=None, where="t")
    assert classes.task == "multiclass"
    assert classes.classes == ("1", "2", "3", "(other)")
    baseline = make_target(
        _column(["1", "9"]),
        _column(["1", "2"]),
        task="multiclass",
        positive=None,
        where="t",
        classes=("1", "2", "3"),
    )
    assert baseline.label.tolist() == [0, 3]


def test_numeric_slices_with_missing_values_and_a_baseline_with_other_categories() -> None:
    few = _column([1.0, 2.0, None, 2.0, 1.0, 5.0])
    encoding = encode(few, buckets=4)
    assert encoding.kind == "value"
    assert encoding.labels == ("1", "2", "5", "(missing)")
    other = _column([2.0, 7.0, None])
    assert encoding.codes(other).tolist() == [1, 4, 3]
    many = _column([float(value) for value in range(40)] + [None])
    buckets = encode(many, buckets=4)
    assert buckets.labels[0] == "[0, 9.75)"
    assert buckets.labels[-2].endswith("]")
    assert buckets.codes(_column([100.0, -1.0, 5.0])).tolist() == [5, 5, 0]
    text = _column(["b", "a", "b", None])
    categories = encode(text, buckets=4)
    assert categories.labels == ("b", "a", "(missing)")
    assert categories.codes(_column(["a", "zz", None])).tolist() == [1, 3, 2]
    with pytest.raises(UsageError, match="holds text in one table, numbers in the other"):
        categories.codes(few)
    with pytest.raises(UsageError, match="holds numbers in one table, text in the other"):
        encoding.codes(text)
    slicing = build_slicing(SliceSpec(("c",)), {"c": categories}, {"c": text}, 4)
    assert slicing.values[-1] is None
    too_many = _column([f"id{index}" for index in range(MAX_SLICE_VALUES + 1)])
    with pytest.raises(UsageError, match="distinct values"):
        encode(too_many, buckets=4)


def test_baseline_table_with_fewer_rows_and_new_categories(tmp_path: Path) -> None:
    generator = np.random.default_rng(0)
    rows = 600
    group = [("a", "b")[index % 2] for index in range(rows)]
    label = (np.arange(rows) % 3 == 0).astype(float)
    candidate = pa.table({"g": group, "y": label, "p": generator.random(rows)})
    pa_csv.write_csv(candidate, tmp_path / "c.csv")
    base_group = ["a"] * 200 + ["c"] * 100
    baseline = pa.table({"g": base_group, "y": label[:300], "p": generator.random(300)})
    pa_csv.write_csv(baseline, tmp_path / "b.csv")
    settings = parse_model_settings(
        {
            "predictions": "c.csv",
            "baseline": "b.csv",
            "label": "y",
            "prediction": "p",
            "slices": ["g"],
            "max-drop": {"auc": 0.5},
        },
        root=tmp_path,
        source="t",
    )
    report = analyse(settings).report
    by_key = {item.key: item for item in report.slices}
    assert by_key["g = a"].baseline_count == 200
    assert by_key["g = b"].baseline_count == 0
    assert by_key["g = b"].metrics["auc"].baseline is None
    assert any("no baseline to compare on g = b" in note for note in report.notes)
    assert "g = c" not in by_key


def test_project_runner_protocol(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The runner, in this process (the subprocess path is tested through the CLI)."""
    (tmp_path / "runner_model.py").write_text(
        "import numpy as np\n"
        "def proba(frame):\n"
        "    p = frame['x'].to_numpy() / 10\n"
        "    return np.stack([1 - p, p], axis=1)\n"
        "def wrong(frame):\n"
        "    return [1, 2]\n"
        "label = 3\n",
        encoding="utf-8",
    )
    (tmp_path / "in.csv").write_text("x,code\n1,01\n5,02\n9,\n", encoding="utf-8")

    def manifest(target: str) -> Path:
        path = tmp_path / "manifest.json"
        job = {
            "target": target,
            "input": str(tmp_path / "in.csv"),
            "output": str(tmp_path / "out.csv"),
        }
        path.write_text(
            json.dumps({"paths": [str(tmp_path)], "jobs": [{**job, "strings": ["code"]}]})
        )
        return path

    monkeypatch.setattr("sys.path", list(__import__("sys").path))
    project_runner.main(["runner", str(manifest("runner_model:proba"))])
    assert (tmp_path / "out.csv").read_text(encoding="utf-8").split() == [
        "prediction",
        "0.1",
        "0.5",
        "0.9",
    ]
    for target, message in (
        ("runner_model:wrong", "returned shape (2,) for 3 rows"),
        ("runner_model:label", "has no function label"),
        ("no_such_module:f", "cannot import no_such_module: ModuleNotFoundError"),
    ):
        with pytest.raises(SystemExit) as exited:
            project_runner.main(["runner", str(manifest(target))])
        assert exited.value.code == project_runner.FAILED
        assert message in capsys.readouterr().err


def _probe_project(root: Path) -> Path:
    """Generated data and three models of it (binary, multi-class, regression)."""
    generator = np.random.default_rng(5)
    rows = 400
    level = generator.integers(1, 6, rows)
    group = np.array(["a", "b"])[generator.integers(0, 2, rows)]
    size = generator.normal(10, 2, rows)
    table = pa.table(
        {
            "group": group,
            "level": level,
            "size": size,
            "flag": (size > 10).astype(int),
            "kind": np.array(["x", "y", "z"])[level % 3],
            "amount": size * 2 + (group == "a"),
        }
    )
    pa_csv.write_csv(table, root / "data.csv")
    (root / "probe_models.py").write_text(
        "import numpy as np\n"
        "def binary(frame):\n"
        "    z = (frame['size'] - 10) + 0.8 * (frame['group'] == 'a') + 0.1 * frame['level']\n"
        "    return 1 / (1 + np.exp(-z))\n"
        "def classes(frame):\n"
        "    return np.where(frame['level'] > 3, 'z', np.where(frame['group'] == 'a', 'x', 'y'))\n"
        "def amount(frame):\n"
        "    return frame['size'] * 2 + 0.9 * (frame['group'] == 'a')\n",
        encoding="utf-8",
    )
    return root


@pytest.mark.parametrize(
    ("function", "label", "task"),
    [
        ("binary", "flag", "binary"),
        ("classes", "kind", "multiclass"),
        ("amount", "amount", "regression"),
    ],
)
def test_probes_for_every_task(tmp_path: Path, function: str, label: str, task: str) -> None:
    import sys  # noqa: PLC0415

    from research_ci.model.analysis import Outputs, run  # noqa: PLC0415

    root = _probe_project(tmp_path)
    settings = parse_model_settings(
        {
            "data": "data.csv",
            "model": f"probe_models:{function}",
            "python": sys.executable,
            "label": label,
            "slices": ["group", "level", "size"],
            "flip": ["group", "level"],
            "min-slice-size": 10,
        },
        root=root,
        source="t",
    )
    html = tmp_path / "r.html"
    result = run(settings, Outputs(html=html))
    assert result.report.task == task
    flips = {flip["column"]: flip for flip in result.report.flips}
    assert set(flips) == {"group", "level"}
    assert flips["group"]["changed"] > 0
    if task == "regression":
        assert all("mean_abs_change" in swap for swap in flips["group"]["swaps"])
    dependence = {item.column: item for item in result.extras.get("dependence", [])}
    if task == "multiclass":
        assert not dependence
    else:
        assert dependence["size"].numeric
        assert len(dependence["size"].points) == 10
        assert not dependence["group"].numeric
    assert "Attribute flips" in html.read_text(encoding="utf-8")


def test_project_python_is_needed_for_a_model(tmp_path: Path) -> None:
    from research_ci.model.analysis import Outputs, run  # noqa: PLC0415

    root = _probe_project(tmp_path)
    table = {"data": "data.csv", "model": "probe_models:binary", "label": "flag"}
    settings = parse_model_settings(table, root=root, source="t")
    with pytest.raises(UsageError, match=r"has no \.venv: create it"):
        run(settings, Outputs())
    settings = parse_model_settings({**table, "python": "nowhere/python"}, root=root, source="t")
    with pytest.raises(UsageError, match=r"--python: .* does not exist"):
        run(settings, Outputs())
    import sys  # noqa: PLC0415

    flipped = {**table, "python": sys.executable, "flip": ["colour"]}
    settings = parse_model_settings(flipped, root=root, source="t")
    with pytest.raises(UsageError, match="--flip colour: the data has no such feature column"):
        run(settings, Outputs())
    named = {**table, "python": sys.executable, "prediction": "size"}
    settings = parse_model_settings(named, root=root, source="t")
    with pytest.raises(UsageError, match="already has a column 'size'"):
        run(settings, Outputs())
