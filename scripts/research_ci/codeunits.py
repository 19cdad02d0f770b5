"""Python source as research-ci measures it: ``.py`` files and the code cells of notebooks.

A notebook is measured cell by cell, numbered like ruff numbers them (1-based over all cells,
Markdown included). IPython magics and shell escapes (``%time``, ``!pip``) are not Python:
they are blanked to comments so the cell still parses and keeps its line numbers.
Files are found under the configured paths without following a symbolic link, skipping hidden
directories, virtual environments and build output.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from research_ci.errors import UsageError
from research_ci.fsutil import read_text

SUFFIXES = (".py", ".ipynb")
#: Directories never measured, whatever the paths say (besides hidden ones).
SKIPPED_DIRS = frozenset(
    {"__pycache__", "node_modules", "build", "dist", "site-packages", "venv", "env"}
)


@dataclasses.dataclass(frozen=True)
class CodeUnit:
    """One piece of Python measured on its own: a file, or one code cell of a notebook."""

    path: str
    cell: int | None
    text: str

    @property
    def lines(self) -> list[str]:
        """The text split into lines (without line ends)."""
        return self.text.splitlines()

    @property
    def where(self) -> str:
        """``path`` or ``path, cell N`` for people to read."""
        return self.path if self.cell is None else f"{self.path}, cell {self.cell}"


def _is_magic(line: str) -> bool:
    stripped = line.lstrip()
    return stripped.startswith(("%", "!")) or (stripped.endswith("?") and " " not in stripped)


def notebook_cells(path: str, text: str) -> list[CodeUnit]:
    """The code cells of a notebook's JSON, magics blanked; ``[]`` when it is not a notebook."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        return []
    cells = document.get("cells") if isinstance(document, dict) else None
    if not isinstance(cells, list):
        return []
    units = []
    for index, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(str(part) for part in source)
        lines = ["#" + line if _is_magic(line) else line for line in str(source).splitlines()]
        units.append(CodeUnit(path=path, cell=index, text="\n".join(lines) + "\n"))
    return units


def read_units(root: Path, relative: str) -> list[CodeUnit]:
    """The code units of one file: itself, or its notebook cells. Unreadable files give none."""
    try:
        text = read_text(root / relative, within=root)
    except (OSError, UnicodeDecodeError, UsageError):  # a FIFO, a symlink out, a huge file
        return []
    if relative.endswith(".ipynb"):
        return notebook_cells(relative, text)
    return [CodeUnit(path=relative, cell=None, text=text)]


def is_code_line(line: str) -> bool:
    """A line of code: not blank and not only a comment (docstrings count as code)."""
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def code_lines(lines: Iterable[str]) -> int:
    """How many lines of code, as Code Climate's file-lines and method-lines count them."""
    return sum(1 for line in lines if is_code_line(line))


def _excluded(relative: str, patterns: Iterable[str]) -> bool:
    return any(
        fnmatch.fnmatchcase(relative, pattern) or fnmatch.fnmatchcase(relative, f"{pattern}/*")
        for pattern in patterns
    )


def _walk(root: Path, start: Path) -> Iterator[Path]:
    if start.is_symlink():
        return
    if start.is_file():
        yield start
        return
    if (start / "pyvenv.cfg").exists():
        return
    for directory, dirnames, filenames in os.walk(start, followlinks=False):
        base = Path(directory)
        dirnames[:] = sorted(
            name
            for name in dirnames
            if not name.startswith(".")
            and name not in SKIPPED_DIRS
            and not (base / name).is_symlink()
            and not (base / name / "pyvenv.cfg").exists()
        )
        for name in sorted(filenames):
            candidate = base / name
            if not candidate.is_symlink() and candidate.resolve().is_relative_to(root):
                yield candidate


def source_files(root: Path, paths: Iterable[str], exclude: Iterable[str] = ()) -> list[str]:
    """``.py`` and ``.ipynb`` files under ``paths``, relative to ``root``, sorted, no repeats.

    ``exclude`` holds shell-style patterns matched against the relative path (``*`` also
    matches ``/``); a pattern naming a directory excludes everything under it.
    """
    root = root.resolve()
    patterns = tuple(exclude)
    found: set[str] = set()
    for entry in paths:
        start = (root / entry).resolve() if not (root / entry).is_symlink() else root / entry
        if not start.is_relative_to(root) or not start.exists():
            continue
        for path in _walk(root, start):
            relative = path.resolve().relative_to(root).as_posix()
            if path.suffix in SUFFIXES and not _excluded(relative, patterns):
                found.add(relative)
    return sorted(found)
