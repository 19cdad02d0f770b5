"""TFDV's Beam path (DirectRunner) and feature skew (``DetectFeatureSkew``), real TFDV.

The Beam path must give the statistics of the in-process path: the same schema is inferred
from a CSV, and Parquet and TFRecord shards validate cleanly against it. Feature skew joins
training and serving examples on an identifier column; the serving copy of the penguins has
values changed in known rows, which the detector must find - and nothing else.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from data_helpers import PENGUIN, assert_usage_error, cli, run_steps

pytestmark = [pytest.mark.data, pytest.mark.slow]

CHANGED_ROWS = (3, 50, 51, 200)
DROPPED_ROWS = (10, 11)

SHARDS = """
import pyarrow.csv, pyarrow.parquet
from research_ci.data.runtime import load_tensorflow
from research_ci.data.validation import example_batch
from tfx_bsl.coders import example_coder
tf = load_tensorflow()
table = pyarrow.csv.read_csv({csv!r})
pyarrow.parquet.write_table(table, {work!r} + "/penguins.parquet")
batch = example_batch(table.combine_chunks().to_batches()[0])
with tf.io.TFRecordWriter({work!r} + "/penguins.tfrecord") as writer:
    for record in example_coder.RecordBatchToExamplesEncoder().encode(batch):
        writer.write(record)
"""


def _skew_fixtures(work: Path) -> tuple[Path, Path]:
    source = PENGUIN / "labelled.csv"
    with source.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    training = work / "training.csv"
    serving = work / "serving.csv"
    with training.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", *header])
        writer.writerows([index, *row] for index, row in enumerate(body))
    with serving.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", *header[1:]])  # serving has no label
        for index, row in enumerate(body):
            if index in DROPPED_ROWS:
                continue
            values = row[1:]
            if index in CHANGED_ROWS:
                values[3] = "0.999"  # body_mass_g
            writer.writerow([index, *values])
    return training, serving


@pytest.fixture(scope="module")
def beam(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Any]]:
    work = tmp_path_factory.mktemp("beam")
    penguins = PENGUIN / "labelled.csv"
    training, serving = _skew_fixtures(work)
    direct = ("--runner", "DirectRunner", "--beam-option", "direct_num_workers=1")
    keyed = (
        "skew",
        "--training",
        training,
        "--serving",
        serving,
        "--key",
        "id",
        "--ignore",
        "species",
    )
    steps = [
        cli("infer", "--data", penguins, "--label", "species", "--schema", work / "memory.pbtxt"),
        cli(
            "infer",
            "--data",
            penguins,
            "--label",
            "species",
            "--schema",
            work / "beam.pbtxt",
            *direct,
        ),
        {"exec": SHARDS.format(csv=str(penguins), work=str(work))},
        *(
            cli(
                "validate",
                "--schema",
                work / "memory.pbtxt",
                "--data",
                work / f"penguins.{kind}",
                "--report",
                work / f"{kind}.json",
                *direct,
            )
            for kind in ("parquet", "tfrecord")
        ),
        cli(*keyed, "--report", work / "skew.json", "--html", work / "skew.html"),
        cli(*keyed, "--max-mismatch", "0.5", "--report", work / "tolerant.json"),
        cli("skew", "--training", training, "--serving", serving, "--key", "nope"),
        cli(
            "infer",
            "--data",
            penguins,
            "--schema",
            work / "bad.pbtxt",
            "--runner",
            "DirectRunner",
            "--beam-option",
            "no-equals-sign",
        ),
    ]
    return work, run_steps(steps, work)


def _json(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def test_beam_direct_runner_infers_the_same_schema(beam: tuple[Path, list[Any]]) -> None:
    work, out = beam
    assert out[0]["code"] == 0, out[0]
    assert out[1]["code"] == 0, out[1]
    assert "5 features from 334 rows" in out[1]["stdout"]
    memory = (work / "memory.pbtxt").read_text(encoding="utf-8")
    assert (work / "beam.pbtxt").read_text(encoding="utf-8") == memory


def test_beam_direct_runner_reads_parquet_and_tfrecord(beam: tuple[Path, list[Any]]) -> None:
    work, out = beam
    for name, step in (("parquet.json", 3), ("tfrecord.json", 4)):
        assert out[step]["code"] == 0, out[step]
        report = _json(work / name)
        assert report["examples"] == {"data": 334}
        assert report["anomalies"] == []
        assert report["details"]["runner"] == "DirectRunner"


def test_feature_skew_finds_the_changed_feature_only(beam: tuple[Path, list[Any]]) -> None:
    work, out = beam
    assert out[5]["code"] == 1, out[5]
    report = _json(work / "skew.json")
    assert [(item["feature"], item["kind"]) for item in report["anomalies"]] == [
        ("body_mass_g", "FEATURE_SKEW")
    ]
    by_feature = {item["feature"]: item for item in report["skew"]}
    joined = 334 - len(DROPPED_ROWS)
    assert by_feature["body_mass_g"]["value"] == pytest.approx(len(CHANGED_ROWS) / joined)
    assert all(item["value"] == 0 for name, item in by_feature.items() if name != "body_mass_g")
    assert "species" not in by_feature
    match = report["details"]["match_stats"]
    assert match["matching_pairs_count"] == joined
    assert match["ids_missing_in_test_count"] == len(DROPPED_ROWS)
    assert "body_mass_g" in (work / "skew.html").read_text(encoding="utf-8")
    assert out[6]["code"] == 0, out[6]
    assert _json(work / "tolerant.json")["anomalies"] == []


def test_bad_skew_key_and_beam_option(beam: tuple[Path, list[Any]]) -> None:
    work, out = beam
    assert_usage_error(out[7], "key column nope not in the training data")
    assert_usage_error(out[8], "--beam-option", "KEY=VALUE")
    assert not (work / "bad.pbtxt").exists()
