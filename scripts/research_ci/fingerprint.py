"""Which finding is which across two versions of a project, even when code has moved.

A finding's fingerprint hashes its check, its rule and the normalised code of its line and of
the nearest non-blank line on each side. Line numbers and the file are not part of it, so a
finding whose code moved (lines added above it, or the whole function moved to another file)
keeps its fingerprint. Findings without a line of code (a coverage shortfall) hash their
message with the numbers taken out.

:func:`match` pairs the findings of a base and a head version: first on file and fingerprint,
then on fingerprint alone (code moved to another file), counting repeats, so a finding the
change introduced is "new", one it removed is "fixed", and moved code introduces nothing.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from pathlib import Path
from typing import Generic, TypeVar

from research_ci.codeunits import notebook_cells
from research_ci.errors import UsageError
from research_ci.fsutil import read_text
from research_ci.report import Finding

#: Non-blank lines taken on each side of a finding's line.
RADIUS = 1
_NUMBER = re.compile(r"\d+(?:\.\d+)?")

T = TypeVar("T")


def normalise(line: str) -> str:
    """The line without indentation, trailing blanks or repeated inner blanks."""
    return " ".join(line.split())


def context(lines: Sequence[str], line: int, radius: int = RADIUS) -> list[str]:
    """Normalised code of ``line`` (1-based) and of up to ``radius`` non-blank lines around it."""
    index = line - 1
    if not 0 <= index < len(lines):
        return []
    before: list[str] = []
    cursor = index - 1
    while cursor >= 0 and len(before) < radius:
        if lines[cursor].strip():
            before.insert(0, normalise(lines[cursor]))
        cursor -= 1
    after: list[str] = []
    cursor = index + 1
    while cursor < len(lines) and len(after) < radius:
        if lines[cursor].strip():
            after.append(normalise(lines[cursor]))
        cursor += 1
    return [*before, normalise(lines[index]), *after]


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()[:16]


def code_fingerprint(check: str, code: str | None, lines: Sequence[str], line: int) -> str | None:
    """Fingerprint from the code around ``line``; ``None`` when the line is not in ``lines``.

    Two parts joined by ``-``: the hash of the line with its neighbours, then of the line
    alone (matched when a neighbour was edited).
    """
    around = context(lines, line)
    if not around:
        return None
    rule = code or ""
    return f"{_digest(check, rule, *around)}-{_digest(check, rule, normalise(lines[line - 1]))}"


def message_fingerprint(check: str, code: str | None, message: str) -> str:
    """Fingerprint of a finding that has no line of code: its message without the numbers."""
    digest = _digest(check, code or "", "message", _NUMBER.sub("#", normalise(message)))
    return f"{digest}-{digest}"


class SourceLines:
    """Lines of the project's files, read once each; never outside the project."""

    def __init__(self, root: Path) -> None:
        """Read files under ``root`` on demand."""
        self.root = root.resolve()
        self._cache: dict[tuple[str, int | None], list[str] | None] = {}

    def get(self, path: str, cell: int | None = None) -> list[str] | None:
        """The lines of ``path`` (of its code cell ``cell`` for a notebook), or ``None``."""
        key = (path, cell)
        if key not in self._cache:
            self._cache[key] = self._read(path, cell)
        return self._cache[key]

    def _read(self, path: str, cell: int | None) -> list[str] | None:
        candidate = self.root / path
        try:
            if candidate.is_symlink() or not candidate.resolve().is_relative_to(self.root):
                return None
            text = read_text(candidate, within=self.root)
        except (OSError, UnicodeDecodeError, ValueError, UsageError):
            return None
        if path.endswith(".ipynb"):
            if cell is None:
                return None
            units = [unit for unit in notebook_cells(path, text) if unit.cell == cell]
            return units[0].lines if units else None
        return text.splitlines()


def fingerprint_of(
    *,
    check: str,
    code: str | None,
    file: str | None,
    line: int | None,
    message: str,
    sources: SourceLines,
    cell: int | None = None,
) -> str:
    """A finding's fingerprint: from its code when it has a readable line, else its message."""
    if file and line:
        lines = sources.get(file, cell)
        if lines is not None:
            found = code_fingerprint(check, code, lines, line)
            if found is not None:
                return found
    return message_fingerprint(check, code, message)


@dataclasses.dataclass(frozen=True)
class Matched(Generic[T]):
    """The outcome of :func:`match`: what the head added, what it removed, what both have."""

    new: list[T]
    fixed: list[T]
    unchanged: list[tuple[T, T]]
    moved: list[tuple[T, T]]


Key = Callable[[T], Hashable]


def match(
    base: Sequence[T],
    head: Sequence[T],
    *,
    identities: Sequence[Key[T]],
    place: Key[T],
) -> Matched[T]:
    """Pair base and head findings, strictest identity first, each in place then anywhere.

    ``identities`` are what a finding is, from the strictest (rule and the code around it) to
    the loosest (rule and its own line); ``place`` is where it is (its file). A pair found
    away from its place is "moved". Repeats are paired one to one, in order.
    """
    used_base: set[int] = set()
    used_head: set[int] = set()
    unchanged: list[tuple[T, T]] = []
    moved: list[tuple[T, T]] = []
    for identity in identities:
        for anywhere in (False, True):
            pending: dict[Hashable, list[int]] = defaultdict(list)
            for index, item in enumerate(base):
                if index not in used_base:
                    key = identity(item) if anywhere else (identity(item), place(item))
                    pending[key].append(index)
            for index, item in enumerate(head):
                if index in used_head:
                    continue
                key = identity(item) if anywhere else (identity(item), place(item))
                queue = pending.get(key)
                if queue:
                    partner = queue.pop(0)
                    used_base.add(partner)
                    used_head.add(index)
                    pair = (base[partner], item)
                    if place(base[partner]) == place(item):
                        unchanged.append(pair)
                    else:
                        moved.append(pair)
    return Matched(
        new=[item for index, item in enumerate(head) if index not in used_head],
        fixed=[item for index, item in enumerate(base) if index not in used_base],
        unchanged=unchanged,
        moved=moved,
    )


def counts(fingerprints: Sequence[str]) -> Counter[str]:
    """How many times each fingerprint occurs (a baseline is a multiset)."""
    return Counter(fingerprints)


def with_fingerprints(findings: Iterable[Finding], sources: SourceLines) -> list[Finding]:
    """The findings, each with its fingerprint (one it already has is kept)."""
    return [
        (
            finding
            if finding.fingerprint
            else dataclasses.replace(
                finding,
                fingerprint=fingerprint_of(
                    check=finding.check,
                    code=finding.code,
                    file=finding.file,
                    line=finding.line,
                    message=finding.message,
                    sources=sources,
                ),
            )
        )
        for finding in findings
    ]


def finding_identity(finding: Finding) -> Hashable:
    """What a finding is, strictly: its check, rule and whole fingerprint."""
    return (finding.check, finding.code, finding.fingerprint)


def finding_line_identity(finding: Finding) -> Hashable:
    """What a finding is, loosely: its check, rule and the part of its fingerprint for its line.

    Editing a neighbouring line changes the strict identity, not this one.
    """
    return (finding.check, finding.code, (finding.fingerprint or "").rsplit("-", 1)[-1])


def finding_place(finding: Finding) -> Hashable:
    """Where a finding is, for :func:`match`: its file."""
    return finding.file


def match_findings(base: Sequence[Finding], head: Sequence[Finding]) -> Matched[Finding]:
    """:func:`match` for report findings (which must carry fingerprints)."""
    return match(
        base, head, identities=(finding_identity, finding_line_identity), place=finding_place
    )
