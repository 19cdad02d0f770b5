"""Inputs of the data CLI with real TFDV: CSV dialects and edge cases, Parquet, TFRecord,
globs of shards, chunked statistics, and every kind of bad input (exit 2, one line).

All invocations run in one TFDV process (data_driver.py), so TensorFlow starts once.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from data_helpers import (
    ADULT,
    ADULT_COLUMNS,
    CSV_EDGE,
    PENGUIN,
    TAXI,
    assert_usage_error,
    cli,
    run_steps,
)

pytestmark = [pytest.mark.data, pytest.mark.slow]

#: Writes the penguins as two Parquet shards and two gzipped TFRecord shards of tf.Example.
CONVERT = """
import pyarrow.csv, pyarrow.parquet
from tfx_bsl.coders import example_coder
from research_ci.data.validation import example_batch
from research_ci.data.runtime import load_tensorflow
tf = load_tensorflow()
table = pyarrow.csv.read_csv({csv!r})
half = table.num_rows // 2
for index, part in enumerate((table.slice(0, half), table.slice(half))):
    pyarrow.parquet.write_table(part, f"{work}/penguins-{{index}}.parquet")
    batch = example_batch(part.combine_chunks().to_batches()[0])
    options = tf.io.TFRecordOptions(compression_type="GZIP")
    with tf.io.TFRecordWriter(f"{work}/penguins-{{index}}.tfrecord.gz", options) as writer:
        for record in example_coder.RecordBatchToExamplesEncoder().encode(batch):
            writer.write(record)
result = table.num_rows
"""

#: Chunked statistics (tiny blocks: many batches, type widening) against one block and
#: against TFDV's own generate_statistics_from_dataframe.
CHUNKED = """
from research_ci.data import sources, stats
from research_ci.data.settings import Dialect
from research_ci.data.runtime import load_tfdv
import pandas as pd
tfdv = load_tfdv()
source = sources.resolve_source({csv!r}, Dialect())
small = stats.compute_statistics(source, block_size=16 << 10, progress=False, jobs=1)
whole = stats.compute_statistics(source, progress=False, jobs=1)
parallel = stats.compute_statistics(
    source, block_size=64 << 10, progress=False, jobs=2, min_range_bytes=64 << 10
)
frame = tfdv.generate_statistics_from_dataframe(pd.read_csv({csv!r}))
def summary(dataset):
    out = {{}}
    for feature in dataset.features:
        kind = feature.WhichOneof("stats")
        block = getattr(feature, kind)
        row = {{"present": block.common_stats.num_non_missing}}
        if kind == "num_stats":
            row.update(mean=round(block.mean, 6), min=block.min, max=block.max)
        out[feature.path.step[0]] = row
    return out
result = {{
    "small": summary(small.dataset), "whole": summary(whole.dataset),
    "pandas": summary(frame.datasets[0]), "batches": small.batches,
    "parallel": summary(parallel.dataset), "runner": parallel.runner,
    "rows": [small.rows, whole.rows, frame.datasets[0].num_examples, parallel.rows],
}}
"""

#: A CSV whose column looks integer for the first blocks and turns to float, then text.
WIDENING = """
from research_ci.data import sources, stats
from research_ci.data.settings import Dialect
source = sources.resolve_source({csv!r}, Dialect())
result = {{}}
for jobs in (1, 2):
    run = stats.compute_statistics(
        source, block_size=4 << 10, progress=False, jobs=jobs, min_range_bytes=4 << 10
    )
    types = {{f.path.step[0]: f.type for f in run.dataset.features}}
    result[jobs] = {{"rows": run.rows, "restarts": run.restarts, "types": types,
                    "runner": run.runner}}
"""

DOMAIN = """
from pathlib import Path
p = Path({schema!r})
text = p.read_text()
marker = 'name: "culmen_length_mm"'
p.write_text(text.replace(marker, marker + "\\n  float_domain {{ min: 0.0 max: 1.0 }}", 1))
"""


def _write_fixtures(work: Path) -> dict[str, Path]:
    files = {
        "ragged": ("a,b,c\n1,2,3\n4,5,6\n7,8\n9,10,11\n", "utf-8"),
        "latin1": ("city,n\nZurich,1\nM\u00fcnchen,2\n", "latin-1"),
        "header_only": ("a,b\n", "utf-8"),
        "bad_schema": ('feature {\n  name: "x"\n  type: NOPE\n}\n', "utf-8"),
        "quoted": ('id,text\n1,"one line"\n2,"two\nlines, and a comma"\n3,\n', "utf-8"),
        "tabs": ("x\ty\n1\ta\n2\tb\n", "utf-8"),
    }
    paths = {}
    for name, (text, encoding) in files.items():
        suffix = ".pbtxt" if name.endswith("schema") else ".csv"
        paths[name] = work / f"{name}{suffix}"
        paths[name].write_bytes(text.encode(encoding))
    paths["not_parquet"] = work / "not.parquet"
    paths["not_parquet"].write_text("a,b\n1,2\n", encoding="utf-8")
    paths["not_tfrecord"] = work / "not.tfrecord"
    paths["not_tfrecord"].write_text("definitely not a record\n", encoding="utf-8")
    paths["training_only"] = work / "training_only.pbtxt"
    paths["training_only"].write_text(
        'default_environment: "TRAINING"\nfeature {\n  name: "species"\n  type: INT\n}\n',
        encoding="utf-8",
    )
    paths["pyproject"] = work / "thresholds.toml"
    paths["pyproject"].write_text(
        "[tool.research-ci.data.thresholds]\nnot_a_feature = 0.2\n", encoding="utf-8"
    )
    paths["bad_measure"] = work / "bad_measure.toml"
    paths["bad_measure"].write_text(
        '[tool.research-ci.data.thresholds]\nbody_mass_g = { measure = "infinity_norm" }\n',
        encoding="utf-8",
    )
    shards = work / "shards"
    shards.mkdir()
    source_lines = (PENGUIN / "labelled.csv").read_text().splitlines()
    for index in range(2):
        part = [source_lines[0], *source_lines[1 + index :: 2]]
        (shards / f"part-{index}.csv").write_text("\n".join(part) + "\n", encoding="utf-8")
    paths["shards"] = shards
    paths["empty"] = work / "empty.csv"
    paths["empty"].write_bytes(b"")
    paths["binary_schema"] = work / "binary.pbtxt"
    paths["binary_schema"].write_bytes(b"\xff\xfe\x00feature")
    lines = ["v"] + [str(i) for i in range(3000)] + ["2.5"] + [str(i) for i in range(3000)]
    paths["widening"] = work / "widening.csv"
    paths["widening"].write_text("\n".join([*lines, "text", "7"]) + "\n", encoding="utf-8")
    return paths


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Path], list[Any]]:
    work = tmp_path_factory.mktemp("inputs")
    f = _write_fixtures(work)
    penguins = PENGUIN / "labelled.csv"
    schema = work / "penguins.pbtxt"
    taxi_schema = work / "taxi.pbtxt"
    adult = (
        "--data",
        ADULT,
        "--column-names",
        ADULT_COLUMNS,
        "--delimiter",
        ", ",
        "--na-value",
        "?",
    )
    steps: list[dict[str, Any]] = [
        # 0-9: bad input
        cli("infer", "--data", work / "missing.csv", "--schema", work / "s0.pbtxt"),
        cli("infer", "--data", f["empty"], "--schema", work / "s1.pbtxt"),
        cli("infer", "--data", f["ragged"], "--schema", work / "s2.pbtxt"),
        cli("infer", "--data", f["latin1"], "--schema", work / "s3.pbtxt"),
        cli("validate", "--schema", f["bad_schema"], "--data", penguins),
        cli("validate", "--schema", f["binary_schema"], "--data", penguins),
        cli("infer", "--data", penguins, "--label", "nope", "--schema", work / "s6.pbtxt"),
        cli("infer", "--data", f["header_only"], "--schema", work / "s7.pbtxt"),
        cli("infer", "--data", work / "nothing-*.csv", "--schema", work / "s8.pbtxt"),
        cli("validate", "--schema", work / "absent.pbtxt", "--data", penguins),
        # 10-13: penguins: label, a float domain, SERVING without the label
        cli("infer", "--data", penguins, "--label", "species", "--schema", schema),
        {"exec": DOMAIN.format(schema=str(schema))},
        cli(
            "validate",
            "--schema",
            schema,
            "--data",
            PENGUIN / "skewed.csv",
            "--report",
            work / "skewed.json",
        ),
        cli(
            "validate",
            "--schema",
            schema,
            "--data",
            PENGUIN / "unlabelled.csv",
            "--environment",
            "SERVING",
            "--report",
            work / "unlabelled.json",
        ),
        # 14-16: Parquet and TFRecord shards (globs) against the CSV's schema
        {"exec": CONVERT.format(csv=str(penguins), work=str(work))},
        cli(
            "validate",
            "--schema",
            schema,
            "--data",
            work / "penguins-*.parquet",
            "--report",
            work / "parquet.json",
        ),
        cli(
            "validate",
            "--schema",
            schema,
            "--data",
            work / "penguins-*.tfrecord.gz",
            "--report",
            work / "tfrecord.json",
        ),
        # 17-19: CSV edge cases (real files) and a latin-1 file with --encoding
        cli(
            "infer",
            "--data",
            CSV_EDGE / "multi_line_string.csv",
            "--schema",
            work / "multi.pbtxt",
        ),
        cli("infer", "--data", CSV_EDGE / "empty_column.csv", "--schema", work / "empty.pbtxt"),
        cli(
            "infer",
            "--data",
            f["latin1"],
            "--encoding",
            "latin-1",
            "--schema",
            work / "latin1.pbtxt",
        ),
        # 20-21: UCI Adult: no header, ", " separator, "?" for missing
        cli("infer", *adult, "--label", "income", "--schema", work / "adult.pbtxt"),
        cli("validate", "--schema", work / "adult.pbtxt", *adult, "--report", work / "adult.json"),
        # 22-23: drift between two spans of the TFX taxi data (floats written as 180.0)
        cli("infer", "--data", CSV_EDGE / "float_ints.csv", "--schema", taxi_schema),
        cli(
            "validate",
            "--schema",
            taxi_schema,
            "--data",
            CSV_EDGE / "float_ints2.csv",
            "--previous",
            CSV_EDGE / "float_ints.csv",
            "--report",
            work / "spans.json",
        ),
        # 24-27: chunked statistics, type widening, quoted fields, tab delimiter
        {"exec": CHUNKED.format(csv=str(TAXI / "train.csv"))},
        {"exec": WIDENING.format(csv=str(f["widening"]))},
        cli("infer", "--data", f["quoted"], "--schema", work / "quoted.pbtxt"),
        cli("infer", "--data", f["tabs"], "--delimiter", "\\t", "--schema", work / "tabs.pbtxt"),
        # 28-35: more bad input
        cli("validate", "--schema", schema, "--data", f["not_parquet"]),
        cli("validate", "--schema", schema, "--data", f["not_tfrecord"]),
        cli(
            "infer",
            "--data",
            penguins,
            "--na-value",
            "?",
            "--runner",
            "DirectRunner",
            "--schema",
            work / "s9.pbtxt",
        ),
        cli("infer", "--data", "gs://bucket/data.csv", "--schema", work / "s10.pbtxt"),
        cli(
            "validate",
            "--schema",
            f["training_only"],
            "--data",
            penguins,
            "--environment",
            "SERVING",
        ),
        cli("validate", "--schema", schema, "--data", penguins, "--config", f["pyproject"]),
        cli(
            "infer",
            "--data",
            penguins,
            "--config",
            f["bad_measure"],
            "--schema",
            work / "s11.pbtxt",
        ),
        cli(
            "validate", "--schema", schema, "--data", f["shards"], "--report", work / "shards.json"
        ),
    ]
    return work, f, run_steps(steps, work)


def _json(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def test_bad_input_is_one_line_exit_2_nothing_written(
    inputs: tuple[Path, dict[str, Path], list[Any]],
) -> None:
    work, _, out = inputs
    assert_usage_error(out[0], "data file not found:", "missing.csv")
    assert_usage_error(out[1], "empty.csv: empty file")
    assert_usage_error(out[2], "ragged.csv:4: ragged row: expected 3 fields, got 2")
    assert_usage_error(out[3], "latin1.csv:3:", "byte 0xfc", "--encoding")
    assert_usage_error(out[4], "bad_schema.pbtxt:3", "invalid schema")
    assert_usage_error(out[5], "binary.pbtxt", "not UTF-8")
    assert_usage_error(out[6], "label 'nope' is not a column", "species")
    assert_usage_error(out[7], "header_only.csv: no data rows")
    assert_usage_error(out[8], "no file matches")
    assert_usage_error(out[9], "schema not found", "absent.pbtxt")
    assert_usage_error(out[28], "not.parquet: not a readable Parquet file")
    assert_usage_error(out[29], "not.tfrecord: not a readable TFRecord file")
    assert_usage_error(out[30], "--runner reads CSV with TFDV's own decoder")
    assert_usage_error(out[31], "remote paths need --runner")
    assert_usage_error(out[32], "environment SERVING is not declared in the schema")
    assert_usage_error(out[33], "not_a_feature not in the schema")
    assert_usage_error(out[34], "infinity_norm works on categorical features only")
    assert not list(work.glob("s[0-9]*.pbtxt")), "no schema may be written on bad input"


def test_a_directory_of_shards(inputs: tuple[Path, dict[str, Path], list[Any]]) -> None:
    work, _, out = inputs
    assert out[35]["code"] == 0, out[35]
    assert _json(work / "shards.json")["examples"] == {"data": 334}


def test_penguins_domain_anomaly_and_serving_without_label(
    inputs: tuple[Path, dict[str, Path], list[Any]],
) -> None:
    work, _, out = inputs
    assert out[10]["code"] == 0, out[10]
    assert out[12]["code"] == 1, out[12]
    kinds = {(a["feature"], a["kind"]) for a in _json(work / "skewed.json")["anomalies"]}
    assert kinds == {("culmen_length_mm", "FLOAT_TYPE_SMALL_FLOAT")}
    assert out[13]["code"] == 0, out[13]
    assert _json(work / "unlabelled.json")["examples"] == {"data": 10}


def test_parquet_and_tfrecord_shards(inputs: tuple[Path, dict[str, Path], list[Any]]) -> None:
    work, _, out = inputs
    assert out[14]["result"] == 334
    for name, step in (("parquet.json", 15), ("tfrecord.json", 16)):
        assert out[step]["code"] == 0, out[step]
        report = _json(work / name)
        assert report["examples"] == {"data": 334}
        assert report["anomalies"] == []


def test_csv_edge_cases(inputs: tuple[Path, dict[str, Path], list[Any]]) -> None:
    work, _, out = inputs
    assert out[17]["code"] == 0, out[17]
    assert "from 3 rows" in out[17]["stdout"]  # a quoted field spans four lines
    assert out[18]["code"] == 0, out[18]
    empty = (work / "empty.pbtxt").read_text(encoding="utf-8")
    block_b = empty.split('name: "B"')[1].split("\nfeature {")[0]
    assert "comparator" not in block_b  # an empty column gets no drift/skew comparator
    assert out[19]["code"] == 0, out[19]
    assert 'value: "M\u00fcnchen"' in (work / "latin1.pbtxt").read_text(encoding="utf-8")
    assert out[26]["code"] == 0, out[26]
    assert "2 features from 3 rows" in out[26]["stdout"]
    assert out[27]["code"] == 0, out[27]
    assert "2 features from 2 rows" in out[27]["stdout"]


def test_uci_adult_headerless_with_comma_space_and_question_marks(
    inputs: tuple[Path, dict[str, Path], list[Any]],
) -> None:
    work, _, out = inputs
    assert out[20]["code"] == 0, out[20]
    assert "15 features from 5000 rows" in out[20]["stdout"]
    schema = (work / "adult.pbtxt").read_text(encoding="utf-8")
    assert 'value: "State-gov"' in schema  # the ", " separator is gone from values
    assert 'value: "?"' not in schema  # "?" means missing
    assert out[21]["code"] == 0, out[21]
    assert _json(work / "adult.json")["anomalies"] == []


def test_drift_between_spans(inputs: tuple[Path, dict[str, Path], list[Any]]) -> None:
    work, _, out = inputs
    assert out[22]["code"] == 0, out[22]
    report = _json(work / "spans.json")
    assert out[23]["code"] == (1 if report["anomalies"] else 0)
    assert report["examples"] == {"data": 1000, "previous": 2000}
    assert len(report["drift"]) >= 15
    measures = {item["measure"] for item in report["drift"]}
    assert measures == {"infinity_norm", "kolmogorov_smirnov"}


def test_chunked_statistics_match_single_block_and_tfdv_dataframe(
    inputs: tuple[Path, dict[str, Path], list[Any]],
) -> None:
    _, _, out = inputs
    result = out[24]["result"]
    assert result["rows"] == [3000, 3000, 3000, 3000]
    assert result["batches"] > 10
    assert result["runner"] == "in-process, 2 processes"
    small, whole, pandas = result["small"], result["whole"], result["pandas"]
    parallel = result["parallel"]
    assert small.keys() == whole.keys() == parallel.keys()
    for name, row in whole.items():
        assert small[name] == pytest.approx(row, rel=1e-9), name
        assert parallel[name] == pytest.approx(row, rel=1e-9), name
        if "mean" in row:  # numeric in both readers
            assert row["present"] == pandas[name]["present"], name
            assert row["mean"] == pytest.approx(pandas[name]["mean"], rel=1e-6), name
            assert (row["min"], row["max"]) == (pandas[name]["min"], pandas[name]["max"])


def test_column_types_widen_across_blocks(
    inputs: tuple[Path, dict[str, Path], list[Any]],
) -> None:
    _, _, out = inputs
    serial, parallel = out[25]["result"]["1"], out[25]["result"]["2"]
    assert serial["rows"] == parallel["rows"] == 6003
    assert serial["restarts"] == 2  # int -> float -> string
    assert serial["types"] == parallel["types"] == {"v": 2}  # schema_pb2.BYTES
    assert parallel["runner"] == "in-process, 2 processes"
