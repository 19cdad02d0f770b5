"""Badges: what they say, their colors and URLs, their SVGs, and the ``badge`` command."""

from __future__ import annotations

import json
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import projects
from report_builders import (
    clean_report,
    data_check,
    errored,
    lint_check,
    make_report,
    pytest_check,
    pytest_run,
    skipped,
    types_check,
)
from research_ci.badge import (
    COLORS,
    badge_svg,
    grade_color,
    report_badges,
    svg_layout,
    text_width,
)
from research_ci.checks.spec import Badge
from research_ci.checks.tests import coverage_color
from research_ci.cli import main
from research_ci.readme import END_MARKER, START_MARKER
from research_ci.report import Report, save_report
from research_ci.shields import shields_escape, static_badge_url

SVG_NS = "{http://www.w3.org/2000/svg}"


def messages(report: Report) -> dict[str, tuple[str, str]]:
    return {badge.key: (badge.message, badge.color) for badge in report_badges(report)}


# --- what the badges say ---------------------------------------------------------------------


def test_clean_report_badges() -> None:
    assert messages(clean_report()) == {
        "quality": ("A (100)", "brightgreen"),
        "coverage": ("95%", "brightgreen"),
        "tests": ("42 passed", "brightgreen"),
        "types": ("passing", "brightgreen"),
        "lint": ("passing", "brightgreen"),
        "data": ("valid", "brightgreen"),
    }


def test_failing_report_badges() -> None:
    report = make_report(
        lint_check(3),
        types_check(1),
        pytest_check(failed=2, errors=1, coverage=71.25),
        data_check(
            [
                {
                    "feature": "age",
                    "kind": "OUT_OF_RANGE",
                    "severity": "ERROR",
                    "description": "too old",
                }
            ]
            * 2
        ),
    )
    assert messages(report) == {
        "quality": (f"{report.grade} ({report.score})", grade_color(report.grade)),
        "coverage": ("71.2%", "orange"),
        "tests": ("2 failed, 1 error", "red"),
        "types": ("1 error", "red"),
        "lint": ("3 issues", "red"),
        "data": ("2 anomalies", "red"),
    }


def test_absent_checks_have_no_badge_and_skipped_ones_are_grey() -> None:
    report = make_report(skipped("tests"), skipped("data", "no data configured"))
    assert messages(report) == {
        "quality": ("A (100)", "brightgreen"),
        "coverage": ("skipped", "lightgrey"),
        "tests": ("skipped", "lightgrey"),
        "data": ("skipped", "lightgrey"),
    }


def test_error_checks_are_red() -> None:
    report = make_report(errored("types"), errored("lint"), errored("tests"), errored("data"))
    found = messages(report)
    assert found["types"] == found["lint"] == found["tests"] == found["data"] == ("error", "red")
    assert found["coverage"] == ("error", "red")


def test_tests_badge_edge_cases() -> None:
    assert messages(make_report(pytest_check(passed=0)))["tests"] == ("no tests", "yellow")
    failing = pytest_check(passed=5, status="failed")
    assert messages(make_report(failing))["tests"] == ("failing", "red")
    assert messages(make_report(pytest_check(errors=2)))["tests"] == ("2 errors", "red")
    no_coverage = pytest_check(coverage=None)
    assert messages(make_report(no_coverage))["coverage"] == ("not measured", "lightgrey")
    uncollected = pytest_run({"tests/test_a.py": "uncollected"}, coverage=None)
    assert messages(make_report(uncollected))["tests"] == ("1 collection error", "red")


def test_coverage_badge_uses_the_report_threshold_when_the_check_has_none() -> None:
    result = pytest_check(coverage=85.0)
    del result.metrics["coverage_threshold"]
    report = make_report(result, coverage_threshold=90.0)
    assert messages(report)["coverage"] == ("85%", "orange")
    result.metrics["coverage_threshold"] = "bogus"
    assert messages(report)["coverage"] == ("85%", "orange")


def test_count_badges_failing_without_counts() -> None:
    lint = lint_check(0)
    lint.status = "failed"
    assert messages(make_report(lint))["lint"] == ("failing", "red")


def test_data_badge_drift_and_skew() -> None:
    drift = [{"feature": "a", "measure": "l_inf", "value": 0.3, "threshold": 0.1}]
    skew = [{"feature": "b", "measure": "js", "value": 0.5, "threshold": 0.1}]
    under = [{"feature": "c", "measure": "js", "value": 0.01, "threshold": 0.1}]
    assert messages(make_report(data_check(drift=drift)))["data"] == ("drift", "orange")
    both = data_check(drift=drift, skew=skew)
    assert messages(make_report(both))["data"] == ("drift + skew", "orange")
    assert messages(make_report(data_check(skew=under)))["data"] == ("valid", "brightgreen")
    invalid = data_check()
    invalid.status = "failed"
    assert messages(make_report(invalid))["data"] == ("invalid", "red")


@pytest.mark.parametrize(
    ("grade", "color"),
    [("A", "brightgreen"), ("B", "green"), ("C", "yellow"), ("D", "orange"), ("F", "red")],
)
def test_grade_colors(grade: str, color: str) -> None:
    assert grade_color(grade) == color


def test_unknown_grade_is_grey() -> None:
    assert grade_color("Z") == "lightgrey"


@pytest.mark.parametrize(
    ("coverage", "threshold", "color"),
    [
        (95, 80, "brightgreen"),
        (90, 80, "brightgreen"),
        (89.9, 80, "green"),
        (80, 80, "green"),
        (79.9, 80, "orange"),
        (70, 80, "orange"),
        (69.9, 80, "red"),
        (100, 100, "brightgreen"),
        (50, 0, "green"),
    ],
)
def test_coverage_colors(coverage: float, threshold: float, color: str) -> None:
    assert coverage_color(coverage, threshold) == color


# --- URLs --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("quality", "quality"),
        ("A (94)", "A%20%2894%29"),
        ("a-b_c", "a--b__c"),
        ("87.5%", "87.5%25"),
        ("x/y?z#w", "x%2Fy%3Fz%23w"),
        ("é", "%C3%A9"),
    ],
)
def test_shields_escape(text: str, escaped: str) -> None:
    assert shields_escape(text) == escaped


def test_static_badge_url() -> None:
    assert (
        static_badge_url("quality", "A (94)", "brightgreen")
        == "https://img.shields.io/badge/quality-A%20%2894%29-brightgreen"
    )
    badge = Badge(key="tests", label="tests", message="2 failed", color="red")
    assert badge.url == "https://img.shields.io/badge/tests-2%20failed-red"
    assert badge.alt == "tests: 2 failed"


# --- SVG ---------------------------------------------------------------------------------------


def test_text_width_is_estimated_per_character() -> None:
    assert text_width("") == 0
    assert text_width("W") > text_width("i")
    assert text_width("ab") == pytest.approx(text_width("a") + text_width("b"))
    assert text_width("中") > text_width("a")
    assert 30 < text_width("quality") < 45  # shields draws it about 37 px wide


@pytest.mark.parametrize("badge", report_badges(clean_report()), ids=lambda badge: badge.key)
def test_svg_is_valid_xml_with_the_right_geometry(badge: Badge) -> None:
    root = ET.fromstring(badge_svg(badge))  # noqa: S314  (our own output)
    layout = svg_layout(badge.label, badge.message)
    assert root.tag == f"{SVG_NS}svg"
    assert root.get("width") == str(layout.width)
    assert root.findtext(f"{SVG_NS}title") == badge.alt
    texts = [element.text for element in root.iter(f"{SVG_NS}text")]
    assert texts == [badge.label, badge.label, badge.message, badge.message]
    rects = list(root.iter(f"{SVG_NS}rect"))
    assert COLORS[badge.color] in {rect.get("fill") for rect in rects}
    assert root.find(f"{SVG_NS}a") is None


def test_svg_escapes_text_and_links() -> None:
    badge = Badge(key="odd", label='<a&b "c">', message="x\x01y'", color="no-such-color")
    svg = badge_svg(badge, link="https://example.org/?a=1&b=<2>")
    root = ET.fromstring(svg)  # noqa: S314  (our own output)
    link = root.find(f"{SVG_NS}a")
    assert link is not None
    assert link.get("href") == "https://example.org/?a=1&b=<2>"
    texts = [element.text for element in root.iter(f"{SVG_NS}text")]
    assert texts[0] == '<a&b "c">'
    assert texts[2] == "xy'"
    assert 'fill="#9f9f9f"' in svg


# --- the command -------------------------------------------------------------------------------


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project with a README and a report."""
    (tmp_path / "README.md").write_bytes(b"# Demo\r\n\r\nSome text\r\n")
    save_report(clean_report(), tmp_path / ".research-ci" / "report.json")
    return tmp_path


def test_badge_writes_the_block_once(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["badge", str(project)]) == 0
    readme = project / "README.md"
    written = readme.read_bytes()
    assert written.startswith(b"# Demo\r\n\r\n" + START_MARKER.encode() + b"\r\n")
    assert written.endswith(END_MARKER.encode() + b"\r\n\r\nSome text\r\n")
    assert b"quality-A%20%28100%29-brightgreen" in written
    assert "badges updated" in capsys.readouterr().out
    mtime = readme.stat().st_mtime_ns
    assert main(["badge", str(project)]) == 0
    assert readme.read_bytes() == written
    assert readme.stat().st_mtime_ns == mtime
    assert "already up to date" in capsys.readouterr().out


def test_badge_check(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    readme = project / "README.md"
    before = readme.read_bytes()
    mtime = readme.stat().st_mtime_ns
    assert main(["badge", str(project), "--check"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "out of date" in err
    assert readme.read_bytes() == before
    assert readme.stat().st_mtime_ns == mtime
    assert main(["badge", str(project)]) == 0
    fresh = readme.read_bytes()
    mtime = readme.stat().st_mtime_ns
    capsys.readouterr()
    assert main(["badge", str(project), "--check"]) == 0
    assert "up to date" in capsys.readouterr().out
    assert readme.read_bytes() == fresh
    assert readme.stat().st_mtime_ns == mtime


def test_badge_link_option_and_report_url(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("Text\n")
    report = tmp_path / "r.json"
    save_report(clean_report(report_url="https://ci.example/run/7"), report)
    readme = tmp_path / "README.md"
    assert main(["badge", str(tmp_path), "--report", str(report)]) == 0
    assert "](https://ci.example/run/7)" in readme.read_text()
    other = tmp_path / "OTHER.md"
    other.write_text("# Other\n")
    args = ["badge", str(tmp_path), "--report", str(report), "--readme", str(other)]
    assert main([*args, "--link", "https://example.org/x"]) == 0
    assert "](https://example.org/x)" in other.read_text()
    assert "ci.example" not in other.read_text()


def test_badge_svg_files(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    svg_dir = project / "badges"
    assert main(["badge", str(project), "--svg", str(svg_dir)]) == 0
    names = sorted(path.name for path in svg_dir.iterdir())
    assert names == sorted(f"{key}.svg" for key in messages(clean_report()))
    for path in svg_dir.iterdir():
        ET.fromstring(path.read_text(encoding="utf-8"))  # noqa: S314  (our own output)
    assert "6 of 6 SVG badges written" in capsys.readouterr().out
    assert main(["badge", str(project), "--svg", str(svg_dir), "--check"]) == 0
    (svg_dir / "lint.svg").write_text("stale")
    assert main(["badge", str(project), "--svg", str(svg_dir), "--check"]) == 1
    assert "lint.svg" in capsys.readouterr().err
    assert (svg_dir / "lint.svg").read_text() == "stale"
    assert main(["badge", str(project), "--svg", str(svg_dir)]) == 0
    assert "1 of 6 SVG badges written" in capsys.readouterr().out


def one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert err.startswith("research-ci: error: ")
    assert err.count("\n") == 1
    assert "Traceback" not in err
    return err


def test_badge_missing_readme(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    save_report(clean_report(), tmp_path / ".research-ci" / "report.json")
    assert main(["badge", str(tmp_path)]) == 2
    assert "README not found" in one_error_line(capsys)


def test_badge_missing_report(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["badge", str(project), "--report", str(project / "nope.json")]) == 2
    assert "report not found" in one_error_line(capsys)


def test_badge_path_not_a_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["badge", str(tmp_path / "missing")]) == 2
    assert "not a directory" in one_error_line(capsys)


def test_badge_newer_schema(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = project / ".research-ci" / "report.json"
    data = json.loads(report.read_text())
    data["schema_version"] = 99
    report.write_text(json.dumps(data))
    before = (project / "README.md").read_bytes()
    assert main(["badge", str(project)]) == 2
    assert "schema_version 99 is newer" in one_error_line(capsys)
    assert (project / "README.md").read_bytes() == before


def test_badge_non_utf8_readme(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    readme = project / "README.md"
    readme.write_bytes(b"# Caf\xe9\n")
    assert main(["badge", str(project)]) == 2
    assert "is not UTF-8" in one_error_line(capsys)
    assert readme.read_bytes() == b"# Caf\xe9\n"


def test_badge_duplicate_markers(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    readme = project / "README.md"
    text = f"{START_MARKER}\n{END_MARKER}\n" * 2
    readme.write_text(text)
    assert main(["badge", str(project)]) == 2
    assert "more than once" in one_error_line(capsys)
    assert readme.read_text() == text


def test_badge_unwritable_locations(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = project / "blocker"
    blocker.write_text("a regular file")
    readme = project / "README.md"
    before = readme.read_bytes()
    # Tests run as root, where chmod does not stop writes: a parent that is a file does.
    assert main(["badge", str(project), "--readme", str(blocker / "README.md")]) == 2
    assert "README" in one_error_line(capsys)
    assert main(["badge", str(project), "--svg", str(blocker / "svg")]) == 2
    assert "not a directory" in one_error_line(capsys)
    assert readme.read_bytes() == before


def test_badge_write_failure_is_a_usage_error(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr("tempfile.mkstemp", refuse)
    before = (project / "README.md").read_bytes()
    assert main(["badge", str(project)]) == 2
    assert "Read-only file system" in one_error_line(capsys)
    assert (project / "README.md").read_bytes() == before


# --- through a real process: exit codes, one line, no traceback -------------------------------


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return projects.run_cli(*args, cwd=cwd, no_color=True)


def test_process_check_stale_then_fresh(project: Path) -> None:
    stale = run_cli("badge", "--check", cwd=project)
    assert stale.returncode == 1, stale.stderr
    assert stale.stderr.count("\n") == 1
    assert run_cli("badge", cwd=project).returncode == 0
    readme = project / "README.md"
    before, mtime = readme.read_bytes(), readme.stat().st_mtime_ns
    fresh = run_cli("badge", "--check", cwd=project)
    assert fresh.returncode == 0, fresh.stderr
    assert readme.read_bytes() == before
    assert readme.stat().st_mtime_ns == mtime


def test_process_non_utf8_readme(project: Path) -> None:
    readme = project / "README.md"
    readme.write_bytes(b"\xff\xfe# T\x00\n")
    result = run_cli("badge", cwd=project)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "not UTF-8" in result.stderr
    assert "Traceback" not in result.stderr
    assert readme.read_bytes() == b"\xff\xfe# T\x00\n"


def test_process_newer_schema_and_missing_report(project: Path) -> None:
    report = project / ".research-ci" / "report.json"
    data = json.loads(report.read_text())
    data["schema_version"] = 2
    report.write_text(json.dumps(data))
    newer = run_cli("badge", cwd=project)
    assert newer.returncode == 2
    assert "newer" in newer.stderr
    assert newer.stderr.count("\n") == 1
    missing = run_cli("badge", "--report", "nowhere.json", cwd=project)
    assert missing.returncode == 2
    assert "report not found" in missing.stderr
    assert "Traceback" not in missing.stderr + newer.stderr


def test_process_unwritable_readme_directory(project: Path) -> None:
    (project / "file").write_text("x")
    result = run_cli("badge", "--svg", "file/badges", cwd=project)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


def test_badge_keeps_a_symlinked_readme_a_symlink(tmp_path: Path) -> None:
    save_report(clean_report(), tmp_path / ".research-ci" / "report.json")
    target = tmp_path / "docs" / "index.md"
    target.parent.mkdir()
    target.write_text("# Docs\n")
    (tmp_path / "README.md").symlink_to(target)
    assert main(["badge", str(tmp_path)]) == 0
    assert (tmp_path / "README.md").is_symlink()
    assert START_MARKER in target.read_text()
