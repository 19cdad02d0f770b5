"""The README badge block: find it, render it, replace or insert it, write it atomically.

The block is everything from ``<!-- research-ci:badges:start -->`` to
``<!-- research-ci:badges:end -->``. When the README has no block, one is inserted under the
first Markdown heading (ATX ``# Title`` or setext ``Title`` + ``=====``), or at the very top
when there is no heading. Bytes outside the markers never change: line endings, a UTF-8 BOM,
a missing trailing newline and any text all stay as they were; inside the block the file's
dominant line ending is used. A second run with the same report changes nothing.

Markers count only on a line of their own and outside fenced code blocks, so a README may
show them in an example.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

from research_ci.checks.spec import Badge
from research_ci.errors import UsageError
from research_ci.fsutil import atomic_write_bytes
from research_ci.shields import markdown_url
from research_ci.templating import render

START_MARKER = "<!-- research-ci:badges:start -->"
END_MARKER = "<!-- research-ci:badges:end -->"
UTF8_BOM = b"\xef\xbb\xbf"

_LINE = re.compile(r"[^\n]*\n|[^\n]+\Z")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")
_ATX_HEADING = re.compile(r"^ {0,3}#{1,6}(?:[ \t]|$)")
_SETEXT_UNDERLINE = re.compile(r"^ {0,3}(?:=+|-+)[ \t]*$")
_BLANK_START = re.compile(r"[ \t]*\r?\n")


@dataclasses.dataclass(frozen=True)
class _Line:
    start: int
    end: int  # after the line break, if any
    content: str  # without the line break ("\n" or "\r\n")
    in_fence: bool  # inside (or delimiting) a fenced code block


def _lines(text: str) -> Iterator[_Line]:
    r"""The lines of ``text`` split on ``\n`` only (``\r`` and other breaks stay content)."""
    fence: str | None = None
    for match in _LINE.finditer(text):
        raw = match.group()
        content = raw[:-1] if raw.endswith("\n") else raw
        content = content.removesuffix("\r")
        opening = _FENCE.match(content)
        if (
            fence is None
            and opening
            and not (opening.group(1)[0] == "`" and "`" in opening.group(2))
        ):
            fence = opening.group(1)
            yield _Line(match.start(), match.end(), content, in_fence=True)
            continue
        if fence is not None:
            closing = _FENCE.match(content)
            if (
                closing
                and closing.group(1)[0] == fence[0]
                and len(closing.group(1)) >= len(fence)
                and not closing.group(2).strip()
            ):
                fence = None
            yield _Line(match.start(), match.end(), content, in_fence=True)
            continue
        yield _Line(match.start(), match.end(), content, in_fence=False)


def dominant_line_ending(text: str) -> str:
    r"""``"\r\n"`` when CRLF line breaks outnumber bare LF ones, else ``"\n"``."""
    crlf = text.count("\r\n")
    return "\r\n" if crlf > text.count("\n") - crlf else "\n"


def find_block(text: str) -> tuple[int, int] | None:
    """Offsets of the block (start of the start marker, end of the end marker), or ``None``.

    Raises :class:`UsageError` for a marker that appears twice, a start without an end, an
    end without a start, or an end before the start.
    """
    starts: list[int] = []
    ends: list[int] = []
    for line in _lines(text):
        if line.in_fence:
            continue
        stripped = line.content.strip()
        if stripped == START_MARKER:
            starts.append(line.start + line.content.index(START_MARKER))
        elif stripped == END_MARKER:
            ends.append(line.start + line.content.index(END_MARKER) + len(END_MARKER))
    if len(starts) > 1 or len(ends) > 1:
        twice = START_MARKER if len(starts) > 1 else END_MARKER
        raise UsageError(f"the marker {twice} appears more than once; keep one badge block")
    if not starts and not ends:
        return None
    if not ends:
        raise UsageError(f"found {START_MARKER} without {END_MARKER}; add the end marker")
    if not starts:
        raise UsageError(f"found {END_MARKER} without {START_MARKER}; add the start marker")
    if ends[0] < starts[0]:
        raise UsageError(f"{END_MARKER} comes before {START_MARKER}; swap them")
    return starts[0], ends[0]


def _front_matter_end(lines: list[_Line]) -> int:
    """Index of the first line after a YAML front matter block (0 when there is none)."""
    if not lines or lines[0].content.strip() != "---":
        return 0
    for index in range(1, len(lines)):
        if lines[index].content.strip() in ("---", "..."):
            return index + 1
    return 0


def insertion_point(text: str) -> int:
    """Offset where a new block goes.

    Just after the first heading's line (its underline for a setext heading); with no heading,
    after a YAML front matter block; else at the top.
    """
    lines = list(_lines(text))
    front_matter = _front_matter_end(lines)
    previous: _Line | None = None
    for line in lines[front_matter:]:
        if line.in_fence:
            previous = None
            continue
        if _ATX_HEADING.match(line.content):
            return line.end
        if (
            previous is not None
            and _SETEXT_UNDERLINE.match(line.content)
            and previous.content.strip()
            and not previous.content.startswith(("    ", "\t"))
        ):
            return line.end
        previous = line if line.content.strip() else None
    return lines[front_matter - 1].end if front_matter else 0


def apply_block(text: str, block: str) -> str:
    r"""``text`` with its badge block replaced by ``block`` (or ``block`` inserted).

    ``block`` is the rendered block, markers included, with ``\n`` line breaks; it is given
    the dominant line ending of the text outside the current block.
    """
    span = find_block(text)
    if span is not None:
        start, end = span
        eol = dominant_line_ending(text[:start] + text[end:])
        return text[:start] + block.replace("\n", eol) + text[end:]
    eol = dominant_line_ending(text)
    block = block.replace("\n", eol)
    position = insertion_point(text)
    before, after = text[:position], text[position:]
    if not before:
        separator_before = ""
    elif before.endswith("\n"):
        separator_before = eol
    else:  # a heading on the last line, without a line break
        separator_before = eol + eol
    if after:
        separator_after = eol if _BLANK_START.match(after) else eol + eol
    elif before and not before.endswith("\n"):
        separator_after = ""  # keep the missing trailing newline missing
    else:
        separator_after = eol
    return before + separator_before + block + separator_after + after


def decode_readme(data: bytes, *, source: str) -> tuple[bool, str]:
    """``(has_bom, text)`` of a UTF-8 README; anything else is a :class:`UsageError`."""
    has_bom = data.startswith(UTF8_BOM)
    body = data[len(UTF8_BOM) :] if has_bom else data
    try:
        return has_bom, body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(
            f"{source} is not UTF-8 (byte 0x{body[exc.start]:02x} at offset "
            f"{exc.start + (3 if has_bom else 0)}); research-ci only edits UTF-8 READMEs"
        ) from exc


def update_readme_bytes(data: bytes, block: str, *, source: str) -> bytes:
    """The README's new bytes: BOM kept, UTF-8, only the block changed or added."""
    has_bom, text = decode_readme(data, source=source)
    new_text = apply_block(text, block)
    return (UTF8_BOM if has_bom else b"") + new_text.encode("utf-8")


def render_block(badges: Sequence[Badge], *, link: str | None = None) -> str:
    r"""The badge block, markers included, ``\n`` line breaks, no trailing newline."""
    text = render(
        "readme_badges.md.j2",
        start_marker=START_MARKER,
        end_marker=END_MARKER,
        badges=badges,
        link=markdown_url(link) if link else None,
    )
    return text.rstrip("\n")


def read_readme(path: Path) -> bytes:
    """The README's bytes; a missing or unreadable README is a :class:`UsageError`."""
    try:
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise UsageError(f"README not found: {path} (create it or pass --readme)") from exc
    except IsADirectoryError as exc:
        raise UsageError(f"cannot read README {path}: it is a directory") from exc
    except OSError as exc:
        raise UsageError(f"cannot read README {path}: {exc.strerror or exc}") from exc


def update_readme(path: Path, block: str, *, check: bool = False) -> bool:
    """Bring the README at ``path`` up to date; ``True`` when it changed.

    With ``check`` nothing is written and the result says whether it would change. An
    up-to-date README is never rewritten, so its mtime stays.
    """
    data = read_readme(path)
    new = update_readme_bytes(data, block, source=str(path))
    if new == data:
        return False
    if not check:
        atomic_write_bytes(path.resolve(), new)  # through a symlink, not over it
    return True
