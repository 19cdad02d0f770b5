"""The data gate on real data (real TFDV): no false drift alarms, real drift found, a type
change reported with every other anomaly.

Cases (tests/drift_cases.py): the taxi eval split and random halves of one dataset raise no
drift; a mean shift of a third of a standard deviation, a spread a quarter wider and a
category 15 points more frequent are each found - and nothing else. The measure, its value
and threshold are in the JSON, the Markdown and the HTML. A few ``unknown`` in an INT column
are a type anomaly next to the file's other anomalies (exit 1), not a refusal (exit 2).
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

import pytest

import drift_cases
from data_helpers import TAXI, assert_usage_error, cli, run_steps

pytestmark = [pytest.mark.data, pytest.mark.slow]

#: Rows of the taxi eval split whose trip_seconds become "unknown".
UNKNOWN_ROWS = range(0, 3000, 250)
#: Column names and values from a project are text, never markup.
HOSTILE_NAME = '<img src=x onerror="alert(1)">'
HOSTILE_VALUE = "<script>alert(2)</script>"
#: Once parsed as math by matplotlib, which crashed the HTML report (issue 11, item 7).
MATH_VALUE = "$\\undefinedmacro$"


#: A schema whose research-ci comparator tag was mistyped by hand.
BAD_TAG = """
from pathlib import Path
text = Path({source!r}).read_text()
marker = 'name: "fare"'
tag = "research-ci drift_comparator {{ kolmogorov_smirnov {{ threshold: lots }} }}"
tag = '  annotation {{ tag: "' + tag + '" }}'
Path({target!r}).write_text(text.replace(marker, marker + "\\n" + tag, 1))
"""


def _hostile(work: Path) -> tuple[Path, Path]:
    paths = []
    for name, shift in (("hostile-a.csv", 0), ("hostile-b.csv", 50)):
        rows = [
            [str(number % 7 + shift), (HOSTILE_VALUE, MATH_VALUE, "x")[number % 3]]
            for number in range(300)
        ]
        path = work / name
        with path.open("w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows([[HOSTILE_NAME, "label"], *rows])
        paths.append(path)
    return paths[0], paths[1]


def _type_change(work: Path) -> Path:
    header, rows = drift_cases.read_csv(TAXI / "eval.csv")
    column = header.index("trip_seconds")
    for index in UNKNOWN_ROWS:
        rows[index][column] = "unknown"
    path = work / "eval-unknown.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([header, *rows])
    return path


@pytest.fixture(scope="module")
def drift(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, list[drift_cases.Case], list[Any]]:
    work = tmp_path_factory.mktemp("drift")
    cases = drift_cases.build(work)
    steps: list[dict[str, Any]] = []
    for number, case in enumerate(cases):
        schema = work / f"schema-{number}.pbtxt"
        if not schema.exists():
            steps.append(cli("infer", "--data", case.reference, "--schema", schema, "--force"))
        outputs = ("--markdown", work / f"{number}.md", "--html", work / f"{number}.html")
        steps.append(
            cli(
                "validate",
                "--schema",
                schema,
                "--data",
                case.current,
                "--previous",
                case.reference,
                "--report",
                work / f"{number}.json",
                *outputs,
            )
        )
    hostile_a, hostile_b = _hostile(work)
    steps += [
        cli("infer", "--data", hostile_a, "--schema", work / "hostile.pbtxt"),
        cli(
            "validate",
            "--schema",
            work / "hostile.pbtxt",
            "--data",
            hostile_b,
            "--previous",
            hostile_a,
            "--html",
            work / "hostile.html",
        ),
    ]
    jsd_config = work / "jsd.toml"
    jsd_config.write_text(
        '[tool.research-ci.data]\nnumeric-measure = "jensen_shannon_divergence"\n',
        encoding="utf-8",
    )
    migrate = work / "migrate.toml"
    migrate.write_text(
        '[tool.research-ci.data.thresholds]\nfare = { measure = "kolmogorov_smirnov" }\n',
        encoding="utf-8",
    )
    jsd_schema, bad_tag = work / "taxi-jsd.pbtxt", work / "bad-tag.pbtxt"
    steps += [
        cli("infer", "--data", TAXI / "train.csv", "--schema", jsd_schema, "--config", jsd_config),
        cli(
            "validate",
            "--schema",
            jsd_schema,
            "--data",
            TAXI / "eval.csv",
            "--previous",
            TAXI / "train.csv",
            "--training",
            TAXI / "train.csv",
            "--config",
            migrate,
            "--report",
            work / "migrated.json",
            "--html",
            work / "three.html",
        ),
        {"exec": BAD_TAG.format(source=str(jsd_schema), target=str(bad_tag))},
        cli("validate", "--schema", bad_tag, "--data", TAXI / "eval.csv", "--config", migrate),
    ]
    taxi_schema = work / "taxi.pbtxt"
    steps += [
        cli("infer", "--data", TAXI / "train.csv", "--label", "tips", "--schema", taxi_schema),
        cli(
            "validate",
            "--schema",
            taxi_schema,
            "--data",
            _type_change(work),
            "--previous",
            TAXI / "train.csv",
            "--report",
            work / "unknown.json",
        ),
    ]
    return work, cases, run_steps(steps, work)


def _report(work: Path, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((work / name).read_text(encoding="utf-8"))
    return data


def test_no_drift_between_spans_of_one_dataset(
    drift: tuple[Path, list[drift_cases.Case], list[Any]],
) -> None:
    work, cases, _ = drift
    for number, case in enumerate(cases):
        if case.drifted:
            continue
        report = _report(work, f"{number}.json")
        numeric = [item for item in report["drift"] if item["measure"] == "kolmogorov_smirnov"]
        assert len(numeric) >= 6, case.name  # every numeric feature is compared
        flagged = [item["feature"] for item in report["drift"] if item["exceeded"]]
        assert flagged == [], f"{case.name}: false drift alarms {flagged}"
        assert not [item for item in report["anomalies"] if "COMPARATOR" in item["kind"]]


def test_each_drift_is_found_and_nothing_else(
    drift: tuple[Path, list[drift_cases.Case], list[Any]],
) -> None:
    work, cases, outcomes = drift
    drifted = [(number, case) for number, case in enumerate(cases) if case.drifted]
    assert len(drifted) == 6
    for number, case in drifted:
        report = _report(work, f"{number}.json")
        flagged = {item["feature"] for item in report["drift"] if item["exceeded"]}
        assert flagged == set(case.drifted), case.name
        kinds = {item["kind"] for item in report["anomalies"] if item["feature"] in flagged}
        expected = "COMPARATOR_L_INFTY_HIGH" if "workclass" in flagged else "COMPARATOR_"
        assert any(kind.startswith(expected) for kind in kinds), (case.name, kinds)
    codes = [outcome["code"] for outcome in outcomes if "code" in outcome]
    assert "traceback" not in codes


def test_measure_value_and_threshold_in_json_markdown_and_html(
    drift: tuple[Path, list[drift_cases.Case], list[Any]],
) -> None:
    work, cases, _ = drift
    number = next(n for n, case in enumerate(cases) if case.name == "adult: age mean + 1/3 sd")
    drifts = _report(work, f"{number}.json")["drift"]
    age = next(item for item in drifts if item["feature"] == "age")
    assert age["measure"] == "kolmogorov_smirnov"
    assert 0.11 < age["value"] < 0.16  # a normal shifted by 1/3 sd: 0.13
    assert age["threshold"] == pytest.approx(0.0552, abs=1e-3)  # noise floor of 2,500 and 2,500
    assert "noise floor of 2,500 and 2,500 values" in age["note"]
    assert age["exceeded"] is True
    markdown = (work / f"{number}.md").read_text(encoding="utf-8")
    row = f"| `age` | kolmogorov_smirnov | {age['value']:.4g} | {age['threshold']:.4g}* | over |"
    assert row in markdown
    assert "\\* raised to the noise floor" in markdown
    html = (work / f"{number}.html").read_text(encoding="utf-8")
    assert f"drift: kolmogorov_smirnov {age['value']:.4g} &gt; {age['threshold']:.4g}" in html
    assert html.count('<section class="feature') == 15  # every column of Adult
    assert html.index(">age</code>") < html.index(">workclass</code>")  # drifted first
    assert len(html.encode()) < 100_000
    assert not re.search(r'(src|href)="(https?:)?//', html), "the HTML must render offline"


def test_html_shows_names_and_values_as_text(
    drift: tuple[Path, list[drift_cases.Case], list[Any]],
) -> None:
    work, _, outcomes = drift
    assert outcomes[-7]["code"] == 1, outcomes[-7]  # the column moved by 50: drift
    html = (work / "hostile.html").read_text(encoding="utf-8")
    assert HOSTILE_NAME not in html
    assert HOSTILE_VALUE not in html
    assert html.count("<script>") == 1  # the page's own
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in html
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in html
    assert MATH_VALUE in html  # a label, shown as it is


def test_numeric_measure_configured_and_switched_per_feature(
    drift: tuple[Path, list[drift_cases.Case], list[Any]],
) -> None:
    work, _, outcomes = drift
    schema = (work / "taxi-jsd.pbtxt").read_text(encoding="utf-8")
    assert 'tag: "research-ci' not in schema  # numeric-measure: TFDV's JSD everywhere
    assert schema.count("jensen_shannon_divergence") == 2 * 15
    report = _report(work, "migrated.json")
    measures = {item["feature"]: item["measure"] for item in report["drift"]}
    assert measures["fare"] == "kolmogorov_smirnov"  # the per-feature override, at validate
    assert measures["trip_miles"] == "jensen_shannon_divergence"
    assert measures["payment_type"] == "infinity_norm"
    assert {item["feature"]: item["measure"] for item in report["skew"]} == measures
    html = (work / "three.html").read_text(encoding="utf-8")
    legend = html.split('class="legend"')[1].split("</p>")[0]
    assert [label in legend for label in ("previous", "training", "current")] == [True] * 3
    assert outcomes[-5]["code"] in (0, 1), outcomes[-5]
    assert_usage_error(outcomes[-3], "bad-tag.pbtxt", "threshold: lots", "from 0 to 1")


def test_a_type_change_is_an_anomaly_beside_the_others(
    drift: tuple[Path, list[drift_cases.Case], list[Any]],
) -> None:
    work, _, outcomes = drift
    outcome = outcomes[-1]
    assert outcome["code"] == 1, outcome
    report = _report(work, "unknown.json")
    kinds = {(item["feature"], item["kind"]) for item in report["anomalies"]}
    assert ("trip_seconds", "UNEXPECTED_DATA_TYPE") in kinds
    assert ("payment_type", "ENUM_TYPE_UNEXPECTED_STRING_VALUES") in kinds  # still reported
    assert ("company", "ENUM_TYPE_UNEXPECTED_STRING_VALUES") in kinds
    assert report["examples"] == {"data": 3000, "previous": 3000}
    compared = {item["feature"] for item in report["drift"]}
    assert {"fare", "trip_miles", "payment_type"} <= compared  # drift of the other features
    assert "trip_seconds" not in compared  # text now: no numeric distribution to compare
