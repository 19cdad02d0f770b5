"""``research-ci model analyze`` end to end: exit codes, reports, bad input.

Real files, the real CLI (in a subprocess where the exit code and stderr matter), UCI Adult
with a logistic model trained in the test, and generated tables for the other tasks and for
hostile text.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest

from fragments import assert_fragments
from model_helpers import (
    ADULT_ARGS,
    adult,
    adult_scores,
    invoke,
    planted_tables,
)
from projects import run_cli, snapshot
from research_ci.model.report import load_model_report

ADULT_SLICES = [
    "--slice",
    "marital-status",
    "--slice",
    "sex",
    "--slice",
    "age",
    "--cross",
    "marital-status,sex",
]


@pytest.fixture(scope="module")
def tables(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return planted_tables(tmp_path_factory.mktemp("tables"))


def _analyze(predictions: Path, label: str, prediction: str, *extra: str) -> list[str]:
    """``model analyze`` of the table ``predictions`` (its label and prediction columns)."""
    return [
        "model",
        "analyze",
        "--predictions",
        str(predictions),
        "--label",
        label,
        "--prediction",
        prediction,
        *extra,
    ]


def _adult_args(predictions: Path, *extra: str) -> list[str]:
    return _analyze(predictions, "income", "score", "--positive", ">50K", *ADULT_SLICES, *extra)


def _yp_args(predictions: Path, *extra: str) -> list[str]:
    """A table whose label is ``y`` and whose prediction is ``p``."""
    return _analyze(predictions, "y", "p", *extra)


def _every_report(folder: Path) -> list[str]:
    """The options that write r.json, r.html and r.md in ``folder``."""
    return [
        "--report",
        str(folder / "r.json"),
        "--html",
        str(folder / "r.html"),
        "--markdown",
        str(folder / "r.md"),
    ]


def test_planted_change_fails_the_gate_with_every_report(
    tables: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = run_cli(
        *_adult_args(
            tables["planted"],
            "--baseline",
            str(tables["baseline"]),
            "--max-drop",
            "auc=0.05",
            "--report",
            str(out / "model.json"),
            "--markdown",
            str(out / "model.md"),
            "--html",
            str(out / "model.html"),
        )
    )
    assert result.returncode == 1, result.stderr
    assert result.stdout.startswith("model: binary, 5,000 rows")
    assert "auc on marital-status = Divorced fell from" in result.stdout
    report = load_model_report(out / "model.json")
    assert not report.passed
    assert report.baseline == str(tables["baseline"])
    assert {item.feature for item in report.slices} == {
        "Overall",
        "marital-status",
        "sex",
        "age",
        "marital-status \u00d7 sex",
    }
    ages = [item.key for item in report.slices if item.feature == "age"]
    assert len(ages) == 4
    assert ages[0].startswith("age = [17, ")
    data = json.loads((out / "model.json").read_text(encoding="utf-8"))
    assert data["model_report_version"] == 1
    assert data["intervals"]["auc"].startswith("DeLong")
    markdown = (out / "model.md").read_text(encoding="utf-8")
    assert markdown.startswith("### Model analysis: gate failed\n")
    assert "| max-drop | auc | marital-status = Divorced |" in markdown
    page = (out / "model.html").read_text(encoding="utf-8")
    assert "Gate failed" in page
    assert "<svg" in page
    assert 'id="sweep-data"' in page
    assert "Nearest counterfactuals" in page


def test_same_model_passes_and_prints_the_summary(
    tables: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = invoke(
        capsys,
        *_adult_args(
            tables["baseline"], "--baseline", str(tables["baseline"]), "--max-drop", "auc=0.01"
        ),
    )
    assert code == 0, err
    assert out.startswith("model: binary, 5,000 rows, ")
    assert "gate passed (1 rules)" in out


def test_html_is_self_contained_and_escapes_the_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    generator = np.random.default_rng(0)
    rows = 600
    hostile = ["<script>alert(1)</script>", 'x" onmouseover="alert(2)', "a|b `c`"]
    table = pa.table(
        {
            "group": [hostile[index % 3] for index in range(rows)],
            "<b>label</b>": (np.arange(rows) % 2).astype(float),
            "score": generator.random(rows),
        }
    )
    path = tmp_path / "hostile.csv"
    pa_csv.write_csv(table, path)
    html, markdown = tmp_path / "r.html", tmp_path / "r.md"
    code, _, err = invoke(
        capsys,
        *_analyze(
            path,
            "<b>label</b>",
            "score",
            "--slice",
            "group",
            "--html",
            str(html),
            "--markdown",
            str(markdown),
        ),
    )
    assert code == 0, err
    page = html.read_text(encoding="utf-8")
    assert_fragments(
        page,
        "&lt;script&gt;alert(1)&lt;/script&gt;",
        absent=["<script>alert", "<b>label", 'x" onmouseover'],
    )
    scripts = re.findall(r"<script[^>]*>", page)
    assert scripts == ['<script type="application/json" id="sweep-data">', "<script>"]
    assert not re.search(r"(src|href)=\"(https?:)?//", page)
    assert_fragments(page, absent=["@import", "url("])
    text = markdown.read_text(encoding="utf-8")
    assert_fragments(
        text,
        "a\\|b \\`c\\`",  # text in a table cell, not a code span
        "&lt;script&gt;alert(1)&lt;/script&gt;",
        absent=["a|b", "<script>"],
    )


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("content", "args", "fragment"),
    [
        ("y,p\n1,0.5\n0,0.2\n", ["--label", "label"], "no column 'label'; the columns are: y, p"),
        ("y,p\n1,0.5\n0,0.2\n", ["--slice", "group"], "no column 'group'"),
        ("y,p\n1,0.5\n1,0.2\n", [], "label 'y' has one class only (1 in all 2 rows)"),
        ("y,p\n1,1.5\n0,0.2\n", [], "scores outside [0, 1] (data row 1: 1.5)"),
        (
            "y,p\n1,\n0,0.2\n",
            [],
            "prediction column 'p' has 1 missing values (first in data row 1)",
        ),
        ("", [], "empty file"),
        ("y,p\n", [], "has no rows"),
        ("y,p\nyes,0.5\nno,0.2\n", [], "name its positive class with --positive"),
        ("y,p\n1,0.5\n0,0.2\n", ["--min", "accuracy_score=0.5"], "unknown metric 'accuracy_score'"),
        ("y,p\n1,0.5\n0,0.2\n", ["--min", "auc"], "expected METRIC=NUMBER"),
        ("y,p\n1,0.5\n0,0.2\n", ["--max-drop", "auc=0.1"], "need a baseline"),
        (
            "y,p\n1,0.5\n0,0.2\n",
            ["--max-drop", "calibration=0.1"],
            "calibration has no better direction",
        ),
        ("y,p\n1,0.5\n0,0.2\n", ["--cross", "y"], "a cross names two different columns"),
        ("y,p\n2,0.5\n0,0.2\n", [], "label 'y' is not 0/1"),
    ],
)
def test_bad_input_exits_2_and_writes_nothing(
    tmp_path: Path, content: str, args: list[str], fragment: str
) -> None:
    source = _write(tmp_path / "p.csv", content)
    before = snapshot(tmp_path)
    result = run_cli(*_yp_args(source, *args, *_every_report(tmp_path)))
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert fragment in lines[0], lines[0]
    assert snapshot(tmp_path) == before


def test_nothing_to_analyse_and_unwritable_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = invoke(capsys, "model", "analyze", "--label", "y")
    assert code == 2
    assert "nothing to analyse" in err
    source = _write(tmp_path / "p.csv", "y,p\n1,0.5\n0,0.2\n")
    (tmp_path / "out").mkdir()
    code, _, err = invoke(capsys, *_yp_args(source, "--report", str(tmp_path / "out")))
    assert code == 2
    assert "it is a directory" in err


def test_adult_format_options_and_parquet(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The original Adult file plus a score column in Parquet, and the raw file's dialect."""
    table = adult()
    scores = adult_scores(table)
    parquet = tmp_path / "predictions.parquet"
    pq.write_table(table.append_column("score", pa.array(scores)), parquet)
    code, out, err = invoke(
        capsys,
        *_analyze(
            parquet,
            "income",
            "score",
            "--positive",
            ">50K",
            "--slice",
            "sex",
            "--min-slice-size",
            "10",
            "--threshold",
            "0.3",
            "--report",
            str(tmp_path / "r.json"),
        ),
    )
    assert code == 0, err
    report = load_model_report(tmp_path / "r.json")
    assert report.threshold == 0.3
    assert report.min_slice_size == 10
    assert report.rows == 5000
    csv = tmp_path / "adult_scored.data"
    with csv.open("w", encoding="utf-8") as handle:
        for row, score in zip(table.to_pylist(), scores, strict=True):
            values = ["?" if value is None else str(value) for value in row.values()]
            handle.write(", ".join([*values, f"{score:.6f}"]) + "\n")
    columns = ADULT_ARGS[3] + ",score"
    code, out, err = invoke(
        capsys,
        *_analyze(
            csv,
            "income",
            "score",
            "--delimiter",
            ", ",
            "--column-names",
            columns,
            "--na-value",
            "?",
            "--positive",
            ">50K",
            "--slice",
            "workclass",
        ),
    )
    assert code == 0, err
    assert "5,000 rows" in out


def _task_table(path: Path, task: str) -> Path:
    generator = np.random.default_rng(1)
    rows = 900
    group = [("north", "south", "east")[index % 3] for index in range(rows)]
    if task == "multiclass":
        label = [("cat", "dog", "bird")[value] for value in generator.integers(0, 3, rows)]
        prediction = [value if generator.random() < 0.7 else "dog" for value in label]
        table = pa.table({"group": group, "y": label, "p": prediction})
    else:
        size = generator.normal(50, 10, rows)
        table = pa.table(
            {
                "group": group,
                "size": size,
                "y": size * 2,
                "p": size * 2 + generator.normal(0, 3, rows),
            }
        )
    pa_csv.write_csv(table, path)
    return path


@pytest.mark.parametrize("task", ["multiclass", "regression"])
def test_other_tasks_are_detected(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], task: str
) -> None:
    path = _task_table(tmp_path / "t.csv", task)
    slices = ["--slice", "group"] + (["--slice", "size"] if task == "regression" else [])
    bound = ["--min", "macro_f1=0.99"] if task == "multiclass" else ["--max", "rmse=100"]
    code, out, err = invoke(capsys, *_yp_args(path, *slices, *bound, *_every_report(tmp_path)))
    assert out.startswith(f"model: {task}, 900 rows"), (out, err)
    report = load_model_report(tmp_path / "r.json")
    assert code == (1 if task == "multiclass" else 0)
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    if task == "multiclass":
        assert report.metrics == ["example_count", "accuracy", "macro_f1"]
        assert "Nearest counterfactuals" in page
        assert "ROC" not in page
    else:
        assert {item.feature for item in report.slices} == {"Overall", "group", "size"}
        assert "Calibration" in page
        assert "counterfactuals" not in page.lower()
    markdown = (tmp_path / "r.md").read_text(encoding="utf-8")
    assert "| group | Count |" in markdown


def test_task_can_be_forced(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = _write(tmp_path / "p.csv", "y,p\n1,0.5\n0,0.2\n1,0.9\n0,0.7\n")
    code, out, _ = invoke(capsys, *_yp_args(source, "--task", "regression"))
    assert code == 0
    assert out.startswith("model: regression, 4 rows")


def _model_project(root: Path, weights: Any) -> Path:
    """A project whose model is a function of a pandas DataFrame (logistic, fixed weights)."""
    (root / "adult_model.py").write_text(
        "import json, pathlib\n"
        "import numpy as np\n"
        "WEIGHTS = json.loads(pathlib.Path(__file__).with_name('weights.json').read_text())\n"
        "def predict(frame):\n"
        "    z = WEIGHTS['bias'] + WEIGHTS['age'] * (frame['age'] - 38) / 13\n"
        "    z = z + WEIGHTS['male'] * (frame['sex'] == 'Male')\n"
        "    married = frame['marital-status'] == 'Married-civ-spouse'\n"
        "    z = z + WEIGHTS['married'] * married\n"
        "    return 1 / (1 + np.exp(-z))\n"
        "def baseline(frame):\n"
        "    return np.full(len(frame), 0.24)\n"
        "def broken(frame):\n"
        "    raise ValueError('no model here')\n",
        encoding="utf-8",
    )
    (root / "weights.json").write_text(json.dumps(weights), encoding="utf-8")
    return root


def _adult_model_args(model: str, project: Path, config: str, *extra: str) -> list[str]:
    """``model analyze`` of the Adult sample scored by ``adult_model:<model>`` of ``project``."""
    return [
        "model",
        "analyze",
        "--data",
        str(Path(__file__).parent / "data" / "uci_adult" / "adult.data"),
        *ADULT_ARGS,
        "--model",
        f"adult_model:{model}",
        "--python",
        sys.executable,
        "--label",
        "income",
        "--positive",
        ">50K",
        "--config",
        str(project / config),
        *extra,
    ]


def test_model_function_runs_in_the_project_python(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = _model_project(tmp_path, {"bias": -2.2, "age": 0.6, "male": 0.9, "married": 1.9})
    out = tmp_path / "out"
    analysis = [
        "--baseline-model",
        "adult_model:baseline",
        "--slice",
        "sex",
        "--slice",
        "marital-status",
        "--flip",
        "sex",
        "--max-drop",
        "auc=0.01",
        "--report",
        str(out / "r.json"),
        "--html",
        str(out / "r.html"),
    ]
    code, _, err = invoke(capsys, *_adult_model_args("predict", project, "missing.toml", *analysis))
    assert code == 2
    assert "config file not found" in err
    (project / "pyproject.toml").write_text(
        "[tool.research-ci.model]\nmin-slice-size = 50\n", encoding="utf-8"
    )
    code, _stdout, err = invoke(
        capsys, *_adult_model_args("predict", project, "pyproject.toml", *analysis)
    )
    assert code == 0, err
    report = load_model_report(out / "r.json")
    assert report.prediction == "prediction"
    assert report.min_slice_size == 50
    overall = report.slices[0].metrics["auc"]
    assert overall.value is not None
    assert overall.value > 0.75
    assert overall.baseline == 0.5
    (flip,) = report.flips
    assert flip["column"] == "sex"
    assert flip["rows"] == 2000
    assert 0.02 < flip["changed"] < 0.5
    assert {swap["to"] for swap in flip["swaps"]} == {"Male", "Female"}
    page = (out / "r.html").read_text(encoding="utf-8")
    assert "Partial dependence" in page
    assert "Attribute flips" in page
    code, _, err = invoke(capsys, *_adult_model_args("broken", project, "pyproject.toml"))
    assert code == 2
    assert "adult_model:broken raised ValueError: no model here" in err


def test_pyproject_table_drives_the_command(tables: dict[str, Path], tmp_path: Path) -> None:
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "p.csv").write_bytes(tables["planted"].read_bytes())
    (tmp_path / "reports" / "b.csv").write_bytes(tables["baseline"].read_bytes())
    (tmp_path / "pyproject.toml").write_text(
        "[tool.research-ci.model]\n"
        'predictions = "reports/p.csv"\nbaseline = "reports/b.csv"\n'
        'label = "income"\npositive = ">50K"\nprediction = "score"\n'
        'slices = ["marital-status"]\nmax-drop = { auc = 0.05 }\n',
        encoding="utf-8",
    )
    result = run_cli("model", "analyze", "--report", "out.json", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "marital-status = Divorced fell from" in result.stdout
    assert (tmp_path / "out.json").is_file()
