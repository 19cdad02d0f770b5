"""Feature skew (``data skew``) with and without the schema's SERVING environment (real TFDV).

The taxi train split with a trip id is the training data; the serving copy changes ``fare``
on 300 rows and, as serving data does, has no ``tips`` label. With the schema (``--schema``
or the project's configured one) the label is not compared: it is not in SERVING. Without a
schema a column of one side only is information, not skew. Only ``fare`` is skew.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from data_helpers import TAXI, cli, run_steps

pytestmark = [pytest.mark.data, pytest.mark.slow]

CHANGED = range(5, 3000, 10)  # 300 rows


def _fixtures(work: Path) -> tuple[Path, Path]:
    with (TAXI / "train.csv").open(newline="", encoding="utf-8") as handle:
        header, *rows = list(csv.reader(handle))
    fare, tips = header.index("fare"), header.index("tips")
    training, serving = work / "training.csv", work / "serving.csv"
    with training.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["trip_id", *header])
        writer.writerows([str(number), *row] for number, row in enumerate(rows))
    with serving.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["trip_id", *(name for name in header if name != "tips")])
        for number, row in enumerate(rows):
            values = list(row)
            if number in CHANGED:
                values[fare] = f"{float(values[fare]) + 1.25:.2f}"
            del values[tips]
            writer.writerow([str(number), *values])
    return training, serving


@pytest.fixture(scope="module")
def skew(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Any]]:
    work = tmp_path_factory.mktemp("skew")
    training, serving = _fixtures(work)
    project = work / "project"
    (project / "data").mkdir(parents=True)
    schema = project / "data" / "schema.pbtxt"
    (project / "pyproject.toml").write_text(
        '[tool.research-ci.data]\nschema = "data/schema.pbtxt"\nlabel = "tips"\n',
        encoding="utf-8",
    )
    common = ("--training", training, "--serving", serving, "--key", "trip_id")
    steps = [
        cli("infer", "--data", training, "--label", "tips", "--schema", schema),
        cli("skew", *common, "--schema", schema, "--report", work / "schema.json"),
        cli("skew", *common, "--report", work / "plain.json", "--html", work / "plain.html"),
        cli("skew", *common, "--report", work / "configured.json", cwd=project),
    ]
    return work, run_steps(steps, work)


def _report(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _skewed(report: dict[str, Any]) -> list[tuple[str, str]]:
    return [(item["feature"], item["kind"]) for item in report["anomalies"]]


def test_the_label_absent_in_serving_is_not_skew(skew: tuple[Path, list[Any]]) -> None:
    work, outcomes = skew
    assert outcomes[0]["code"] == 0, outcomes[0]
    assert outcomes[1]["code"] == 1, outcomes[1]
    report = _report(work / "schema.json")
    assert _skewed(report) == [("fare", "FEATURE_SKEW")]
    fare = next(item for item in report["skew"] if item["feature"] == "fare")
    assert fare["value"] == pytest.approx(len(CHANGED) / 3000)
    assert "tips" not in {item["feature"] for item in report["skew"]}
    assert report["details"]["not_compared"] == {"tips": "not in the schema's SERVING environment"}
    assert "tips: not compared (not in the schema's SERVING environment)" in outcomes[1]["stdout"]


def test_without_a_schema_one_sided_columns_are_information(
    skew: tuple[Path, list[Any]],
) -> None:
    work, outcomes = skew
    assert outcomes[2]["code"] == 1, outcomes[2]
    report = _report(work / "plain.json")
    assert _skewed(report) == [("fare", "FEATURE_SKEW")]
    assert report["schema"] is None
    assert report["details"]["not_compared"] == {"tips": "a column of the training data only"}
    html = (work / "plain.html").read_text(encoding="utf-8")
    assert "Not compared (information, not skew)" in html


def test_the_configured_schema_is_used_by_default(skew: tuple[Path, list[Any]]) -> None:
    work, outcomes = skew
    assert outcomes[3]["code"] == 1, outcomes[3]
    report = _report(work / "configured.json")
    assert report["schema"] is not None
    assert report["schema"].endswith("schema.pbtxt")
    assert _skewed(report) == [("fare", "FEATURE_SKEW")]
    assert report["details"]["not_compared"] == {"tips": "not in the schema's SERVING environment"}
