"""Fuzzing the report loader and the Markdown summary (issue 11: the fork's report is untrusted).

* Any JSON document, and any valid report with one part replaced by any JSON value, either
  loads or is one :class:`~research_ci.errors.UsageError` (exit 2); what loads, every reader
  (the summary, the terminal output) shows without crashing.
* Whatever text a report carries, the summary rendered by GitHub's cmark-gfm has exactly the
  structure (HTML elements) of the same summary with plain placeholder text: every element
  comes from research-ci's own templates.
"""

from __future__ import annotations

import copy
import html
import json
import re
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from rich.console import Console

from gfm import gfm, tags
from report_builders import errored, finding, lint_check, make_report, pytest_check, types_check
from research_ci.errors import UsageError
from research_ci.mdescape import one_line
from research_ci.output import print_text
from research_ci.report import Report, load_report, save_report
from research_ci.summary import render_summary

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)
#: Text a project controls: test names, messages, file names, codes, its own name.
UNTRUSTED = st.lists(
    st.characters(blacklist_categories=("Cs", "Cc"))
    | st.sampled_from(["<", ">", "&", "|", "`", "\n", "@", "#", "[", "]", "(", ")", "!", "*"])
    | st.sampled_from(["</table>", "<!--", "-->", "https://x.example", "www.", "## ", "- "]),
    min_size=1,
    max_size=30,
).map("".join)
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def sample_report(message: str = "x", file: str = "x", code: str = "x", name: str = "x") -> Report:
    lint = lint_check(2)
    lint.findings = [finding("lint", message, file=file, code=code), finding("lint", "y")]
    types = types_check(1)
    types.findings = [finding("types", message, file=file, line=None)]
    tests = pytest_check(passed=3, failed=1)
    tests.findings = [finding("tests", message, file=file, code=f"test_{code}")]
    return make_report(lint, types, tests, errored("format", message), project=name)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON document: keys of objects and indexes of arrays."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths(item, (*prefix, index))
    return found


def replaced(document: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    result = copy.deepcopy(document)
    parent: Any = result
    for step in path[:-1]:
        parent = parent[step]
    if value is DELETE and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = None if value is DELETE else value
    return result


DELETE = object()
VALID = sample_report().to_dict()
PLACES = paths(VALID)


def load_text(text: str) -> Report | None:
    """The report in ``text``, or ``None`` when it is refused with a one-line UsageError."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "report.json"
        path.write_text(text, encoding="utf-8")
        problem = ""
        try:
            return load_report(path)
        except UsageError as exc:
            problem = str(exc)
    assert problem
    assert "\n" not in problem
    return None


def read_everywhere(report: Report) -> None:
    """Every reader shows a loaded report without an exception."""
    render_summary(report)
    print_text(report, console=Console(record=True, width=100, color_system=None))


@given(document=JSON)
@FUZZ
def test_any_json_loads_or_is_refused(document: Any) -> None:
    report = load_text(json.dumps(document))
    if report is not None:
        read_everywhere(report)


@given(place=st.sampled_from(PLACES), value=JSON | st.just(DELETE))
@FUZZ
def test_a_report_with_one_odd_part_loads_or_is_refused(place: tuple[Any, ...], value: Any) -> None:
    report = load_text(json.dumps(replaced(VALID, place, value)))
    if report is not None:
        read_everywhere(report)


def references(markdown: str) -> list[str]:
    """What GitHub would read as ``@mention`` or ``#123`` (never inside code spans)."""
    outside_code = re.sub(r"<code>.*?</code>", "", gfm(markdown), flags=re.DOTALL)
    shown = html.unescape(re.sub(r"<[^>]*>", "", outside_code))  # zero-width spaces kept
    return re.findall(r"[@#][A-Za-z0-9_]", shown)


@given(message=UNTRUSTED, file=UNTRUSTED, code=UNTRUSTED, name=UNTRUSTED)
@FUZZ
def test_the_summary_has_only_research_ci_markup(
    message: str, file: str, code: str, name: str
) -> None:
    for value in (message, file, code, name):
        assume(one_line(value).strip())
    with tempfile.TemporaryDirectory() as tmp:  # through a file, as a fork's report arrives
        path = Path(tmp) / "report.json"
        save_report(sample_report(message, file, code, name), path)
        hostile = render_summary(load_report(path))
    assert tags(gfm(hostile)) == PLAIN_TAGS
    # GitHub's own references, which cmark-gfm does not know: @mentions and #123.
    assert references(hostile) == [], hostile


PLAIN_TAGS = tags(gfm(render_summary(sample_report())))


def test_the_fuzzed_parts_reach_the_summary() -> None:
    """The property above is not vacuous: each value shows up in the summary."""
    text = render_summary(sample_report("MESSAGE", "FILE", "CODE", "NAME"))
    for value in ("MESSAGE", "FILE", "CODE", "NAME"):
        assert value in text
