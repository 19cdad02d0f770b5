"""The README badge block: find it, render it, replace or insert it, write it atomically.

A Markdown README's block is everything from ``<!-- research-ci:badges:start -->`` to
``<!-- research-ci:badges:end -->`` (Markdown images); a reStructuredText README's (``.rst``)
from the comment ``.. research-ci:badges:start`` to ``.. research-ci:badges:end``
(``.. image::`` directives). Which README: ``[project] readme`` of pyproject.toml, else the
first of ``README.md``, ``README.rst``... that exists (:func:`find_readme`).

When the README has no block, one is inserted under its title heading, after the badges that
follow the title if there are some. The title is the first heading when nothing but badges,
HTML or blank lines come before it (or, in Markdown, when it is a level-1 heading: ATX
``# Title`` or setext ``Title`` + ``=====``). With no title heading (prose first, headings
later), the block goes at the top, after the badges the README starts with if any: never
under a later ``## Installation``. Bytes outside the markers never change: line endings, a
UTF-8 BOM, a missing trailing newline and any text all stay as they were; inside the block
the file's dominant line ending is used. A second run with the same report changes nothing.

Markers count only on a line of their own (at the line's start in reStructuredText); in
Markdown, indented less than four spaces, outside fenced code blocks and outside HTML comments
that span lines, so a README may show them in an example (a fence, an indented code block or
a comment).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

from markupsafe import Markup

from research_ci.checks.spec import Badge
from research_ci.errors import UsageError
from research_ci.fsutil import (
    atomic_write_bytes,
    boundary,
    ensure_writable,
    read_bytes,
    read_errors,
)
from research_ci.mdescape import link_target
from research_ci.templating import render, render_markdown

START_MARKER = "<!-- research-ci:badges:start -->"
END_MARKER = "<!-- research-ci:badges:end -->"
RST_START_MARKER = ".. research-ci:badges:start"
RST_END_MARKER = ".. research-ci:badges:end"
UTF8_BOM = b"\xef\xbb\xbf"
MARKDOWN = "markdown"
RST = "rst"
#: READMEs looked for, in order, when pyproject.toml names none.
README_NAMES: tuple[str, ...] = (
    "README.md",
    "README.rst",
    "README.markdown",
    "README.txt",
    "README",
)

_LINE = re.compile(r"[^\n]*\n|[^\n]+\Z")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")
_ATX_HEADING = re.compile(r"^ {0,3}#{1,6}(?:[ \t]|$)")
_SETEXT_UNDERLINE = re.compile(r"^ {0,3}(?:=+|-+)[ \t]*$")
_BLANK_START = re.compile(r"[ \t]*\r?\n")
#: Four spaces or a tab: an indented code block (or a paragraph's continuation), never live.
_INDENTED_CODE = re.compile(r"^(?: {4}| {0,3}\t)")
# A line of badges only: [![alt](img)](link), ![alt](img), reference forms, <a><img></a>, <img>.
_MD_IMAGE = r"!\[[^\]]*\](?:\([^)]*\)|\[[^\]]*\])"
_MD_BADGE_LINE = re.compile(
    rf"^\s*(?:(?:\[{_MD_IMAGE}\](?:\([^)]*\)|\[[^\]]*\])|{_MD_IMAGE}"
    r"|<a\s[^>]*>\s*<img\s[^>]*>\s*</a>|<img\s[^>]*>)\s*)+$"
)
# reStructuredText: an image directive (or a substitution's), its indented options, |refs|.
_RST_BADGE_LINE = re.compile(r"^(?:\.\. (?:\|[^|]+\| )?image::|\s+:\w+:|(?:\|[^|\s][^|]*\|\s*)+$)")
_RST_ADORNMENT = re.compile(r"^([!-/:-@\[-`{-~])\1+\s*$")
_HTML_LINE = re.compile(r"^\s*<")


@dataclasses.dataclass(frozen=True)
class _Line:
    start: int
    end: int  # after the line break, if any
    content: str  # without the line break ("\n" or "\r\n")
    in_fence: bool  # inside (or delimiting) a fenced code block
    in_comment: bool = False  # starts inside an HTML comment opened on an earlier line


def _comment_open_after(content: str, open_before: bool) -> bool:
    """Whether an HTML comment is still open at the end of the line."""
    position, is_open = 0, open_before
    while True:
        if is_open:
            end = content.find("-->", position)
            if end < 0:
                return True
            position, is_open = end + 3, False
        else:
            start = content.find("<!--", position)
            if start < 0:
                return False
            position, is_open = start + 4, True


def _lines(text: str, fmt: str = MARKDOWN) -> Iterator[_Line]:
    r"""The lines of ``text`` split on ``\n`` only (``\r`` and other breaks stay content).

    Markdown's fenced code blocks are marked ``in_fence``; reStructuredText has none.
    """
    if fmt == RST:
        for match in _LINE.finditer(text):
            raw = match.group()
            content = (raw[:-1] if raw.endswith("\n") else raw).removesuffix("\r")
            yield _Line(match.start(), match.end(), content, in_fence=False)
        return
    fence: str | None = None
    comment = False
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
        yield _Line(match.start(), match.end(), content, in_fence=False, in_comment=comment)
        comment = _comment_open_after(content, comment)


def dominant_line_ending(text: str) -> str:
    r"""``"\r\n"`` when CRLF line breaks outnumber bare LF ones, else ``"\n"``."""
    crlf = text.count("\r\n")
    return "\r\n" if crlf > text.count("\n") - crlf else "\n"


def markers(fmt: str) -> tuple[str, str]:
    """The start and end markers of a README of format ``fmt``."""
    return (RST_START_MARKER, RST_END_MARKER) if fmt == RST else (START_MARKER, END_MARKER)


def find_block(text: str, fmt: str = MARKDOWN) -> tuple[int, int] | None:
    """Offsets of the block (start of the start marker, end of the end marker), or ``None``.

    Raises :class:`UsageError` for a marker that appears twice, a start without an end, an
    end without a start, or an end before the start.
    """
    start_marker, end_marker = markers(fmt)
    starts: list[int] = []
    ends: list[int] = []
    for line in _lines(text, fmt):
        if line.in_fence or line.in_comment:
            continue
        if fmt == MARKDOWN and _INDENTED_CODE.match(line.content):
            continue
        # In reStructuredText an indented marker is inside something else (an example).
        stripped = line.content.rstrip() if fmt == RST else line.content.strip()
        if stripped == start_marker:
            starts.append(line.start + line.content.index(start_marker))
        elif stripped == end_marker:
            ends.append(line.start + line.content.index(end_marker) + len(end_marker))
    if len(starts) > 1 or len(ends) > 1:
        twice = start_marker if len(starts) > 1 else end_marker
        raise UsageError(f"the marker {twice} appears more than once; keep one badge block")
    if not starts and not ends:
        return None
    if not ends:
        raise UsageError(f"found {start_marker} without {end_marker}; add the end marker")
    if not starts:
        raise UsageError(f"found {end_marker} without {start_marker}; add the start marker")
    if ends[0] < starts[0]:
        raise UsageError(f"{end_marker} comes before {start_marker}; swap them")
    return starts[0], ends[0]


def _front_matter_end(lines: list[_Line]) -> int:
    """Index of the first line after a YAML front matter block (0 when there is none)."""
    if not lines or lines[0].content.strip() != "---":
        return 0
    for index in range(1, len(lines)):
        if lines[index].content.strip() in ("---", "..."):
            return index + 1
    return 0


def _markdown_heading(lines: list[_Line], index: int) -> tuple[int, int] | None:
    """``(level, index of its last line)`` when a Markdown heading starts at ``index``."""
    line = lines[index]
    if line.in_fence:
        return None
    atx = _ATX_HEADING.match(line.content)
    if atx:
        return len(line.content.lstrip(" ")) - len(line.content.lstrip(" ").lstrip("#")), index
    if index + 1 < len(lines):
        underline = lines[index + 1]
        if (
            not underline.in_fence
            and _SETEXT_UNDERLINE.match(underline.content)
            and line.content.strip()
            and not line.content.startswith(("    ", "\t"))
            and not _MD_BADGE_LINE.match(line.content)
        ):
            return (1 if underline.content.strip()[0] == "=" else 2), index + 1
    return None


def _rst_heading(lines: list[_Line], index: int) -> tuple[int, int] | None:
    """``(1, index of its last line)`` when a reStructuredText section title starts here.

    (The level is meaningless in reStructuredText: the first adornment style seen is the top.)
    """
    line = lines[index]
    text = line.content.rstrip()
    over = _RST_ADORNMENT.match(text)
    if over and index + 2 < len(lines):  # overline, title, underline
        title, under = lines[index + 1].content.strip(), lines[index + 2].content.rstrip()
        if title and under == text:
            return 1, index + 2
    if text and not text[0].isspace() and not over and index + 1 < len(lines):
        under = lines[index + 1].content.rstrip()
        if _RST_ADORNMENT.match(under) and len(under) >= len(text) and len(under) >= 2:
            return 1, index + 1
    return None


def _badge_line(line: _Line, fmt: str) -> bool:
    if fmt == RST:
        return bool(_RST_BADGE_LINE.match(line.content))
    return not line.in_fence and bool(_MD_BADGE_LINE.match(line.content))


def _preamble_line(line: _Line, fmt: str) -> bool:
    """Blank, a badge, HTML or a comment: what may come before a title heading."""
    content = line.content
    if not content.strip() or _badge_line(line, fmt):
        return True
    if fmt == RST:  # comments, directives (a logo, raw HTML) and their indented bodies
        return content.startswith("..") or content[:1].isspace()
    return not line.in_fence and bool(_HTML_LINE.match(content))


def _after_badges(lines: list[_Line], index: int, fmt: str) -> int:
    """Index of the line after the run of badges (blank lines between) starting at ``index``."""
    end = index
    position = index
    while position < len(lines):
        line = lines[position]
        if _badge_line(line, fmt):
            end = position + 1
        elif line.content.strip():
            break
        position += 1
    return end


def insertion_point(text: str, fmt: str = MARKDOWN) -> int:
    """Offset where a new block goes (see the module docstring).

    Under the title heading (after its underline), or at the top (after a YAML front matter
    block in Markdown); in both cases after the badges that start there, if any.
    """
    lines = list(_lines(text, fmt))
    start = _front_matter_end(lines) if fmt == MARKDOWN else 0
    heading = _markdown_heading if fmt == MARKDOWN else _rst_heading
    anchor = start
    only_preamble = True
    for index in range(start, len(lines)):
        found = heading(lines, index)
        if found is not None:
            level, last = found
            # reStructuredText has no levels of its own (the first style seen is the top one).
            if only_preamble or (fmt == MARKDOWN and level == 1):
                anchor = last + 1
            break
        if not _preamble_line(lines[index], fmt):
            only_preamble = False
    first = anchor
    while first < len(lines) and not lines[first].content.strip():
        first += 1
    after = _after_badges(lines, first, fmt)
    if after > first:
        return lines[after - 1].end
    if anchor > start:
        return lines[anchor - 1].end
    return lines[start - 1].end if start else 0


def apply_block(text: str, block: str, fmt: str = MARKDOWN) -> str:
    r"""``text`` with its badge block replaced by ``block`` (or ``block`` inserted).

    ``block`` is the rendered block, markers included, with ``\n`` line breaks; it is given
    the dominant line ending of the text outside the current block.
    """
    span = find_block(text, fmt)
    if span is not None:
        start, end = span
        eol = dominant_line_ending(text[:start] + text[end:])
        return text[:start] + block.replace("\n", eol) + text[end:]
    eol = dominant_line_ending(text)
    block = block.replace("\n", eol)
    position = insertion_point(text, fmt)
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


def update_readme_bytes(data: bytes, block: str, *, source: str, fmt: str = MARKDOWN) -> bytes:
    """The README's new bytes: BOM kept, UTF-8, only the block changed or added."""
    has_bom, text = decode_readme(data, source=source)
    new_text = apply_block(text, block, fmt)
    return (UTF8_BOM if has_bom else b"") + new_text.encode("utf-8")


def render_block(badges: Sequence[Badge], *, link: str | None = None, fmt: str = MARKDOWN) -> str:
    r"""The badge block, markers included, ``\n`` line breaks, no trailing newline."""
    target = link_target(link) if link else None
    if link and target is None:
        raise UsageError(f"the badges' link must be an http(s) URL, got {link!r}")
    start_marker, end_marker = markers(fmt)
    if fmt == RST:  # reStructuredText directives; the badges' text is research-ci's own
        text = render(
            "readme_badges.rst.j2",
            start_marker=start_marker,
            end_marker=end_marker,
            badges=badges,
            link=target,
        )
        return text.rstrip("\n")
    text = render_markdown(
        "readme_badges.md.j2",
        start_marker=Markup(start_marker),  # noqa: S704  (research-ci's own constants)
        end_marker=Markup(end_marker),  # noqa: S704
        badges=badges,
        link=target,
    )
    return text.rstrip("\n")


def readme_format(path: Path) -> str:
    """``rst`` for a reStructuredText README (``.rst``, ``.rest``), else ``markdown``."""
    return RST if path.suffix.lower() in (".rst", ".rest") else MARKDOWN


def find_readme(root: Path) -> Path:
    """The project's README: ``[project] readme`` when set, else the first that exists.

    ``README.md`` when there is none (reading it then says it is missing). A ``readme`` that
    is not a path inside the project is a :class:`UsageError`.
    """
    from research_ci.pyproject import read_toml  # noqa: PLC0415

    pyproject = root / "pyproject.toml"
    declared: object = None
    if pyproject.is_file():
        project = read_toml(pyproject, missing=f"cannot read {pyproject}").get("project")
        declared = project.get("readme") if isinstance(project, dict) else None
        if isinstance(declared, dict):
            declared = declared.get("file")
    if isinstance(declared, str) and declared.strip():
        path = root / declared.strip()
        try:
            path.resolve().relative_to(root.resolve())
        except ValueError as exc:
            raise UsageError(
                f"{pyproject} [project] readme: {declared} is outside the project"
            ) from exc
        return path
    for name in README_NAMES:
        if (root / name).is_file():
            return root / name
    return root / README_NAMES[0]


def read_readme(path: Path, *, within: Path | None = None) -> bytes:
    """The README's bytes; a missing or unreadable README is a :class:`UsageError`.

    Only a regular file inside ``within`` (default: its folder) is read, and only up to
    :data:`~research_ci.fsutil.MAX_TEXT_BYTES`.
    """
    with read_errors(path, "README", hint="create it or pass --readme"):
        return read_bytes(path, within=within or boundary(path))


def update_readme(
    path: Path, block: str, *, check: bool = False, within: Path | None = None
) -> bool:
    """Bring the README at ``path`` up to date; ``True`` when it changed.

    ``block`` is rendered for the README's format (:func:`readme_format`). With ``check``
    nothing is written and the result says whether it would change (a README that could not be
    written is refused all the same). An up-to-date README is never rewritten, so its mtime
    stays. ``within`` is the project: a README that is a symlink to a file outside it is
    refused, one inside it is written through.
    """
    data = read_readme(path, within=within)
    new = update_readme_bytes(data, block, source=str(path), fmt=readme_format(path))
    if new == data:
        return False
    ensure_writable(path, within=within or boundary(path))
    if not check:
        atomic_write_bytes(path, new, within=within or boundary(path))
    return True
