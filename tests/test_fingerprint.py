"""Fingerprints: the same finding keeps its identity when lines move; a new one does not."""

from __future__ import annotations

import json
from pathlib import Path

from research_ci.fingerprint import (
    SourceLines,
    code_fingerprint,
    context,
    match_findings,
    message_fingerprint,
    with_fingerprints,
)
from research_ci.report import Finding

SOURCE = ["import os", "", "", "def f(x):", "    y = 1", "", "    return x"]


def lint(file: str, line: int | None, code: str = "F841", message: str = "unused") -> Finding:
    return Finding(check="lint", file=file, line=line, code=code, message=message)


def test_context_skips_blank_lines_and_indentation() -> None:
    assert context(SOURCE, 5) == ["def f(x):", "y = 1", "return x"]
    assert context(SOURCE, 1) == ["import os", "def f(x):"]
    assert context(SOURCE, 99) == []
    assert code_fingerprint("lint", "F841", SOURCE, 99) is None


def test_fingerprint_survives_lines_added_above_and_reindenting() -> None:
    moved = [
        "import os",
        "import sys",
        "",
        "",
        "class K:",
        "  def f(x):",
        "      y = 1",
        "",
        "      return x",
    ]
    assert code_fingerprint("lint", "F841", SOURCE, 5) == code_fingerprint("lint", "F841", moved, 7)
    assert code_fingerprint("lint", "F841", SOURCE, 5) != code_fingerprint(
        "lint", "E501", SOURCE, 5
    )
    changed = [*SOURCE[:4], "    y = 2", *SOURCE[5:]]
    assert code_fingerprint("lint", "F841", SOURCE, 5) != code_fingerprint(
        "lint", "F841", changed, 5
    )


def test_message_fingerprint_ignores_numbers() -> None:
    assert message_fingerprint("tests", "coverage", "coverage 71.5% < 80%") == message_fingerprint(
        "tests", "coverage", "coverage 64% < 80%"
    )


def test_match_pairs_repeats_one_to_one_and_finds_moves(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("\n".join(SOURCE) + "\n", encoding="utf-8")
    (tmp_path / "b.py").write_text("\n".join(["x = 0", *SOURCE]) + "\n", encoding="utf-8")
    sources = SourceLines(tmp_path)
    base = with_fingerprints([lint("a.py", 5)], sources)
    head = with_fingerprints([lint("b.py", 6), lint("a.py", 5)], sources)
    matched = match_findings(base, head)
    assert [(old.file, new.file) for old, new in matched.unchanged] == [("a.py", "a.py")]
    assert [finding.file for finding in matched.new] == ["b.py"]
    assert matched.fixed == []
    # The same finding only in b.py: moved, not new.
    moved = match_findings(base, with_fingerprints([lint("b.py", 6)], sources))
    assert (moved.new, moved.fixed, len(moved.moved)) == ([], [], 1)
    # A neighbour edited: the line alone still matches.
    (tmp_path / "c.py").write_text(
        "import os\n\ndef f(x):\n    y = 1\n    z = 2\n", encoding="utf-8"
    )
    edited = match_findings(base, with_fingerprints([lint("c.py", 4)], sources))
    assert edited.new == []
    assert len(edited.moved) == 1


def test_sources_never_leave_the_project_and_read_notebook_cells(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (tmp_path / "secret.py").write_text("token = 1\n", encoding="utf-8")
    (project / "link.py").symlink_to(tmp_path / "secret.py")
    notebook = {
        "cells": [
            {"cell_type": "markdown", "source": "# t", "metadata": {}},
            {"cell_type": "code", "source": ["%time\n", "a = 1\n"], "metadata": {}, "outputs": []},
        ]
    }
    (project / "nb.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
    sources = SourceLines(project)
    assert sources.get("link.py") is None
    assert sources.get("../secret.py") is None
    assert sources.get("missing.py") is None
    assert sources.get("nb.ipynb", 2) == ["#%time", "a = 1"]
    assert sources.get("nb.ipynb") is None
    found = with_fingerprints(
        [lint("link.py", 1, message="x 1"), lint("nb.ipynb", None, message="y")], sources
    )
    assert found[0].fingerprint == message_fingerprint("lint", "F841", "x 2")
    kept = Finding(check="lint", file="a.py", line=1, message="m", fingerprint="given")
    assert with_fingerprints([kept], sources) == [kept]
