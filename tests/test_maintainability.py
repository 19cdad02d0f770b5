"""Maintainability figures on functions whose complexity is counted by hand, and the ratings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adoption import write_files
from research_ci.checks.maintainability import issue_finding
from research_ci.codeunits import code_lines, notebook_cells, source_files
from research_ci.errors import UsageError
from research_ci.grade import (
    IMPLEMENTATION_MINUTES_PER_LINE,
    debt_ratio,
    rating_for_ratio,
    remediation_for,
)
from research_ci.maintainability import (
    DEFAULT_THRESHOLDS,
    Analysis,
    MaintainabilitySettings,
    analyze,
    parse_settings,
)

# Counted by hand (SonarSource's cognitive complexity: +1 per structure, +1 per level of
# nesting for if/for/while/except, +1 per sequence of boolean operators, else/elif +1):
#   for +1 | if (nesting 1) +2 | if (nesting 2) +3, `and` +1 | elif +1 | else +1
#   | while (nesting 2, inside else) +3 | except +1                           => 13
# McCabe: 1 + for + if + if + elif + while + except                        => 7
# Arguments 6, returns 3, nested blocks 3 (for > if > if), boolean expressions 2,
# lines of code 16 (the blank line and the comment line do not count).
NESTED = """\
def simple(a, b):
    return a + b


def nested(items, flag, x, y, z, w):
    total = 0
    for item in items:
        if item > 0:
            if flag and x:
                total += item
            elif y:
                return 1

        else:
            # count down
            while z:
                z -= 1
    try:
        pass
    except ValueError:
        return 2
    return total


class Shapes:
    def area(self, width, height):
        return width * height

    def comprehension(self, values):
        return [value for value in values if value]
"""


def low_thresholds(**overrides: int | None) -> MaintainabilitySettings:
    thresholds: dict[str, int | None] = dict.fromkeys(DEFAULT_THRESHOLDS, 1)
    thresholds.update({"identical-code": None, "similar-code": None, "file-lines": 1000})
    thresholds.update({key.replace("_", "-"): value for key, value in overrides.items()})
    return MaintainabilitySettings(thresholds=thresholds)


def measure(root: Path, settings: MaintainabilitySettings) -> Analysis:
    return analyze(root, source_files(root, ["."], settings.exclude), settings)


def test_figures_of_hand_counted_functions(tmp_path: Path) -> None:
    write_files(tmp_path, {"pkg/logic.py": NESTED})
    analysis = measure(tmp_path, low_thresholds())
    issue = analysis.issues[0]
    found = issue_finding(issue)
    assert (found.file, found.line, found.end_line) == (issue.path, issue.line, issue.end_line)
    assert (found.code, found.message, found.severity) == (issue.rule, issue.message, "warning")
    (module,) = analysis.files
    functions = {function.name: function for function in module.functions}
    nested = functions["nested"]
    assert (nested.cognitive, nested.cyclomatic, nested.arguments) == (13, 7, 6)
    assert (nested.returns, nested.nesting, nested.lines) == (3, 3, 16)
    simple = functions["simple"]
    assert (simple.cognitive, simple.cyclomatic, simple.arguments, simple.returns) == (0, 1, 2, 1)
    # Methods are named Class.method; self does not count as an argument.
    assert functions["Shapes.area"].arguments == 2
    # complexipy's convention: a comprehension's `for` and `if` count +1 each.
    assert functions["Shapes.comprehension"].cognitive == 2
    assert module.lines == code_lines(NESTED.splitlines()) == 23

    by_rule = {(issue.rule, issue.subject): issue for issue in module.issues}
    logic = by_rule[("complex-logic", "nested")]
    assert (logic.value, logic.line) == (2, 9)
    cognitive = by_rule[("method-complexity", "nested")]
    assert (cognitive.value, cognitive.threshold, cognitive.line) == (13, 1, 5)
    assert cognitive.message == "cognitive complexity 13 > 1: nested"
    assert cognitive.minutes == 10 + 5 * 12
    assert by_rule[("method-count", "class Shapes")].value == 2
    assert by_rule[("method-count", "module")].value == 2


def test_thresholds_decide_what_is_an_issue(tmp_path: Path) -> None:
    write_files(tmp_path, {"logic.py": NESTED})
    defaults = measure(tmp_path, MaintainabilitySettings())
    # Only the six arguments of `nested` pass a default threshold (5).
    assert [(issue.rule, issue.subject, issue.value) for issue in defaults.issues] == [
        ("argument-count", "nested", 6)
    ]
    relaxed = parse_settings({"argument-count": 6}, source="t")
    quiet = measure(tmp_path, relaxed)
    assert quiet.issues == []
    assert quiet.rating == "A"
    assert quiet.worst() == []


def test_rating_is_the_technical_debt_ratio(tmp_path: Path) -> None:
    write_files(tmp_path, {"logic.py": NESTED})
    analysis = measure(
        tmp_path,
        low_thresholds(
            cyclomatic_complexity=None,
            method_lines=None,
            argument_count=None,
            return_statements=None,
            nested_control_flow=None,
            complex_logic=None,
            method_count=None,
            method_complexity=10,
        ),
    )
    (module,) = analysis.files
    assert [issue.rule for issue in module.issues] == ["method-complexity"]
    minutes = 10 + 5 * (13 - 10)
    assert module.minutes == minutes
    expected = 100 * minutes / (23 * IMPLEMENTATION_MINUTES_PER_LINE)
    assert module.ratio == pytest.approx(expected)
    assert module.rating == rating_for_ratio(expected) == "C"
    assert analysis.rating == "C"
    metrics = analysis.to_metrics()
    assert metrics["file_ratings"]["C"] == 1
    assert metrics["files"][0]["reasons"] == ["cognitive complexity 13 > 10: nested (line 5)"]
    json.dumps(metrics)


def test_rating_table_boundaries() -> None:
    assert [rating_for_ratio(value) for value in (0, 5, 5.01, 10, 20, 50, 50.1)] == [
        "A",
        "A",
        "B",
        "B",
        "C",
        "D",
        "F",
    ]
    assert debt_ratio(50, 0) == 0.0
    assert remediation_for("argument-count").minutes(8, 5) == 15 + 2 * 3
    with pytest.raises(KeyError):
        remediation_for("no-such-rule")


DUPLICATED = """\
def load(path):
    rows = []
    with open(path) as handle:
        for line in handle:
            fields = line.strip().split(",")
            if len(fields) != 3:
                continue
            name, size, weight = fields
            rows.append((name, float(size), float(weight)))
    rows.sort(key=lambda row: row[1])
    return rows
"""


def test_duplicated_and_similar_blocks_across_files(tmp_path: Path) -> None:
    renamed = DUPLICATED.replace("rows", "records").replace("fields", "parts")
    write_files(tmp_path, {"a.py": DUPLICATED, "b.py": DUPLICATED, "c.py": renamed})
    settings = MaintainabilitySettings()
    analysis = measure(tmp_path, settings)
    found = sorted((issue.rule, issue.path, issue.subject) for issue in analysis.issues)
    assert ("identical-code", "a.py", "also in b.py:1") in found
    assert ("identical-code", "b.py", "also in a.py:1") in found
    assert any(rule == "similar-code" and path == "c.py" for rule, path, _ in found)
    by_path = {item.path: item for item in analysis.files}
    assert by_path["a.py"].duplicated_lines >= 10
    assert by_path["a.py"].rating != "A"


def _code_cell(source: str) -> dict[str, object]:
    """A notebook code cell (nbformat 4) holding ``source``."""
    return {
        "cell_type": "code",
        "metadata": {},
        "outputs": [],
        "execution_count": None,
        "source": source.splitlines(keepends=True),
    }


def _notebook(*cells: dict[str, object]) -> str:
    """The JSON text of a notebook (nbformat 4.5) with ``cells``."""
    return json.dumps({"cells": list(cells), "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def test_notebooks_are_measured_by_cell(tmp_path: Path) -> None:
    notebook = _notebook(
        {"cell_type": "markdown", "metadata": {}, "source": ["# Analysis"]},
        _code_cell("%matplotlib inline\nimport math\n"),
        _code_cell(NESTED),
    )
    (tmp_path / "analysis.ipynb").write_text(notebook, encoding="utf-8")
    units = notebook_cells("analysis.ipynb", notebook)
    assert [unit.cell for unit in units] == [2, 3]
    assert units[0].lines[0] == "#%matplotlib inline"
    analysis = measure(tmp_path, low_thresholds())
    (module,) = analysis.files
    assert module.path == "analysis.ipynb"
    nested = next(f for f in module.functions if f.name == "nested")
    assert (nested.cell, nested.line, nested.cognitive, nested.cyclomatic) == (3, 5, 13, 7)
    cognitive = next(
        i for i in module.issues if i.rule == "method-complexity" and i.subject == "nested"
    )
    assert (cognitive.cell, cognitive.line) == (3, 5)
    assert cognitive.where == "analysis.ipynb, cell 3, line 5"
    # In the report, a line of a cell is no line of the file: the cell and line are in words.
    found = issue_finding(cognitive)
    assert (found.file, found.line, found.end_line) == ("analysis.ipynb", None, None)
    assert found.message == f"cell 3, line 5: {cognitive.message}"
    assert module.lines == 1 + 23  # the magic is a comment now


def test_notebook_duplicates_map_back_to_cells(tmp_path: Path) -> None:
    notebook = _notebook(_code_cell("x = 1\n"), _code_cell(DUPLICATED))
    (tmp_path / "explore.ipynb").write_text(notebook, encoding="utf-8")
    write_files(tmp_path, {"lib.py": DUPLICATED})
    analysis = measure(tmp_path, MaintainabilitySettings())
    clone = next(i for i in analysis.issues if i.path == "explore.ipynb")
    assert (clone.rule, clone.cell, clone.line, clone.subject) == (
        "identical-code",
        2,
        1,
        "also in lib.py:1",
    )
    other = next(i for i in analysis.issues if i.path == "lib.py")
    assert other.subject == "also in explore.ipynb, cell 2"


def test_unparsable_files_are_skipped_not_fatal(tmp_path: Path) -> None:
    write_files(tmp_path, {"good.py": "def f():\n    return 1\n", "bad.py": "def f(:\n"})
    analysis = measure(tmp_path, MaintainabilitySettings())
    assert [item.path for item in analysis.files] == ["good.py"]
    assert analysis.skipped == ["bad.py"]


def test_source_files_skip_links_hidden_dirs_venvs_and_excludes(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    project = tmp_path / "project"
    write_files(
        tmp_path,
        {
            "outside/secret.py": "x = 1\n",
            "project/src/pkg/mod.py": "x = 1\n",
            "project/src/pkg/.hidden/h.py": "x = 1\n",
            "project/venv2/lib.py": "x = 1\n",
            "project/venv2/pyvenv.cfg": "home = /usr\n",
            "project/tests/test_mod.py": "x = 1\n",
            "project/src/pkg/notes.txt": "x\n",
        },
    )
    (project / "src" / "pkg" / "link.py").symlink_to(outside / "secret.py")
    (project / "src" / "linked_dir").symlink_to(outside)
    found = source_files(project, ["src", "tests", "venv2", "../outside"], ("tests",))
    assert found == ["src/pkg/mod.py"]


def test_settings_are_validated() -> None:
    settings = parse_settings(
        {"method-complexity": 20, "similar-code": False, "exclude": ["legacy"]}, source="t"
    )
    assert settings.thresholds["method-complexity"] == 20
    assert settings.thresholds["similar-code"] is None
    assert settings.exclude == ("legacy",)
    assert parse_settings(None, source="t") == MaintainabilitySettings()
    for table, message in (
        ({"method-complexty": 3}, "unknown key method-complexty"),
        ({"argument-count": 0}, "argument-count: expected a whole number"),
        ({"argument-count": True}, "argument-count: expected a whole number"),
        ({"exclude": "tests"}, "exclude: expected a list"),
        ({"minimum-rating": "G"}, "minimum-rating: expected one of"),
        ([], "expected a table"),
    ):
        with pytest.raises(UsageError, match=message):
            parse_settings(table, source="t")
