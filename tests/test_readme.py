"""The README badge block writer: idempotent, and bytes outside the markers never change."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from report_builders import clean_report
from research_ci.badge import report_badges
from research_ci.errors import UsageError
from research_ci.readme import (
    END_MARKER,
    MARKDOWN,
    RST,
    RST_END_MARKER,
    RST_START_MARKER,
    START_MARKER,
    UTF8_BOM,
    apply_block,
    dominant_line_ending,
    find_block,
    find_readme,
    insertion_point,
    readme_format,
    render_block,
    update_readme,
    update_readme_bytes,
)

BLOCK = render_block(report_badges(clean_report()), link="https://example.org/r")
OTHER_BLOCK = f"{START_MARKER}\nold badges\n{END_MARKER}"

# Text that is likely to contain headings, fences, setext underlines and odd line breaks.
MARKDOWNISH = st.text(alphabet="#=-`~ \t\n\r\u2028\x0caé😀Tx>[]()!*", max_size=200)
TEXTS = st.one_of(st.text(max_size=300), MARKDOWNISH).filter(
    lambda text: "research-ci:badges" not in text
)
LINE_ENDINGS = st.sampled_from(["\n", "\r\n"])


def with_eol(text: str, eol: str) -> str:
    """``text`` with its LF line breaks turned into ``eol``."""
    return text.replace("\r\n", "\n").replace("\n", eol) if eol != "\n" else text


def encode(text: str, *, bom: bool) -> bytes:
    return (UTF8_BOM if bom else b"") + text.encode("utf-8")


def block_span(data: bytes) -> tuple[int, int]:
    start = data.index(START_MARKER.encode())
    end = data.index(END_MARKER.encode()) + len(END_MARKER)
    return start, end


def only_line_breaks(data: bytes) -> bool:
    return not data.strip(b"\r\n") and len(data) <= 4


# --- properties ----------------------------------------------------------------------------


@given(text=TEXTS, eol=LINE_ENDINGS, bom=st.booleans())
@example(text="", eol="\n", bom=False)
@example(text="# Title", eol="\n", bom=True)
@example(text="Title\n===\nbody", eol="\r\n", bom=False)
def test_idempotent(text: str, eol: str, bom: bool) -> None:
    original = encode(with_eol(text, eol), bom=bom)
    once = update_readme_bytes(original, BLOCK, source="README.md")
    twice = update_readme_bytes(once, BLOCK, source="README.md")
    assert twice == once


@given(text=TEXTS, eol=LINE_ENDINGS, bom=st.booleans())
@example(text="# T\n\nbody", eol="\n", bom=False)
@example(text="no newline at the end", eol="\n", bom=True)
def test_insertion_keeps_every_original_byte(text: str, eol: str, bom: bool) -> None:
    """The result is the original with the block (and at most a few line breaks) put in."""
    original = encode(with_eol(text, eol), bom=bom)
    result = update_readme_bytes(original, BLOCK, source="README.md")
    start, end = block_span(result)
    before, after = result[:start], result[end:]
    # Greedy split: the longest common prefix is a valid witness when any split is.
    split = 0
    while split < min(len(before), len(original)) and before[split] == original[split]:
        split += 1
    rest = original[split:]
    assert after.endswith(rest)
    assert only_line_breaks(before[split:])
    assert only_line_breaks(after[: len(after) - len(rest)])
    assert result.startswith(UTF8_BOM) == bom
    if text and not text.endswith("\n"):  # a missing trailing newline stays missing
        assert not result.endswith(b"\n")


@given(before=TEXTS, after=TEXTS, eol=LINE_ENDINGS, bom=st.booleans())
def test_replacing_changes_nothing_outside_the_markers(
    before: str, after: str, eol: str, bom: bool
) -> None:
    text = with_eol(before, eol) + eol + OTHER_BLOCK.replace("\n", eol) + eol + with_eol(after, eol)
    original = encode(text, bom=bom)
    result = update_readme_bytes(original, BLOCK, source="README.md")
    old_start, old_end = block_span(original)
    new_start, new_end = block_span(result)
    assert result[:new_start] == original[:old_start]
    assert result[new_end:] == original[old_end:]
    assert b"old badges" not in result


@given(text=TEXTS)
def test_block_uses_the_dominant_line_ending(text: str) -> None:
    result = apply_block(text, BLOCK)
    start, end = find_block(result) or (0, 0)
    block = result[start:end]
    eol = dominant_line_ending(text)
    assert block.count(eol) == BLOCK.count("\n")
    if eol == "\r\n":
        assert block.count("\n") == block.count("\r\n")
    else:
        assert "\r" not in block


# --- placement -----------------------------------------------------------------------------


def test_inserted_under_the_first_atx_heading() -> None:
    text = "Intro line? no: heading first\n# Title\n\nBody\n## Second\n"
    result = apply_block(text, BLOCK)
    assert result.startswith("Intro line? no: heading first\n# Title\n\n" + BLOCK + "\n\nBody")
    assert result.endswith("Body\n## Second\n")


def test_inserted_under_a_setext_heading() -> None:
    result = apply_block("Title\n=====\nBody\n", BLOCK)
    assert result == "Title\n=====\n\n" + BLOCK + "\n\nBody\n"
    result = apply_block("Title\n---\n\nBody\n", BLOCK)
    assert result == "Title\n---\n\n" + BLOCK + "\n\nBody\n"


def test_thematic_break_after_a_blank_line_is_not_a_heading() -> None:
    assert insertion_point("text\n\n---\nmore\n") == 0


def test_headings_inside_code_fences_are_ignored() -> None:
    text = "Intro\n```bash\n# not a heading\n```\n~~~\n# nor this\n~~~\n# Real\n"
    assert insertion_point(text) == len(text)


def test_indented_line_is_not_a_setext_title() -> None:
    assert insertion_point("    code\n---\n") == 0


def test_inline_backticks_do_not_open_a_fence() -> None:
    assert insertion_point("``` inline ``` text\n# Heading\n") == len(
        "``` inline ``` text\n# Heading\n"
    )


def test_inserted_at_the_top_without_a_heading() -> None:
    assert apply_block("Just text.\n", BLOCK) == BLOCK + "\n\nJust text.\n"
    assert apply_block("\nafter a blank\n", BLOCK) == BLOCK + "\n\nafter a blank\n"
    assert apply_block("", BLOCK) == BLOCK + "\n"


def test_inserted_after_front_matter_without_a_heading() -> None:
    text = "---\ntitle: x\n---\nText\n"
    assert apply_block(text, BLOCK) == "---\ntitle: x\n---\n\n" + BLOCK + "\n\nText\n"
    unclosed = "---\ntitle: x\n"
    assert apply_block(unclosed, BLOCK).startswith(BLOCK)


def test_heading_on_the_last_line_without_newline() -> None:
    assert apply_block("# Title", BLOCK) == "# Title\n\n" + BLOCK
    assert apply_block("# Title\n", BLOCK) == "# Title\n\n" + BLOCK + "\n"


def test_existing_block_is_replaced_in_place() -> None:
    text = f"# T\r\n\r\n  {START_MARKER}\r\nold\r\n{END_MARKER}  \r\ntail"
    result = apply_block(text, BLOCK)
    assert result == "# T\r\n\r\n  " + BLOCK.replace("\n", "\r\n") + "  \r\ntail"


def test_markers_inside_a_fence_are_examples_not_a_block() -> None:
    text = f"# T\n```\n{START_MARKER}\n{END_MARKER}\n```\n"
    assert find_block(text) is None
    result = apply_block(text, BLOCK)
    assert result.count(START_MARKER) == 2


@pytest.mark.parametrize(
    "example",
    [
        f"    {START_MARKER}\n    {END_MARKER}\n",  # an indented code block
        f"\t{START_MARKER}\n\t{END_MARKER}\n",
        # A comment over several lines; as in HTML, the marker's own "-->" closes it.
        f"<!-- To add badges, write\n{START_MARKER}\n",
        f"<!-- shown: -->  <!--\n{END_MARKER}\n",
    ],
)
def test_markers_in_indented_code_or_comments_are_examples(example: str) -> None:
    text = f"# T\n\n{example}\nMore.\n"
    assert find_block(text) is None
    result = apply_block(text, BLOCK)
    assert result.count(BLOCK) == 1
    assert result.endswith(f"{BLOCK}\n\n{example}\nMore.\n")  # the example is kept as it was
    assert result.endswith(text[len("# T\n") :])


def test_a_comment_closed_on_its_line_does_not_hide_the_block() -> None:
    text = f"# T\n<!-- note -->\n{START_MARKER}\nold\n{END_MARKER}\n"
    assert find_block(text) is not None
    assert apply_block(text, BLOCK) == f"# T\n<!-- note -->\n{BLOCK}\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (f"{START_MARKER}\n{END_MARKER}\n{START_MARKER}\n{END_MARKER}\n", "more than once"),
        (f"{START_MARKER}\n{END_MARKER}\n{END_MARKER}\n", "more than once"),
        (f"# T\n{START_MARKER}\nno end\n", "without"),
        (f"# T\n{END_MARKER}\nno start\n", "without"),
        (f"{END_MARKER}\n{START_MARKER}\n", "before"),
    ],
)
def test_broken_markers_are_usage_errors(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        apply_block(text, BLOCK)


def test_not_utf8_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match=r"README.md is not UTF-8 \(byte 0xff at offset 5\)"):
        update_readme_bytes(b"# T\n\n\xff\n", BLOCK, source="README.md")
    with pytest.raises(UsageError, match="offset 3"):
        update_readme_bytes(UTF8_BOM + b"\xfe", BLOCK, source="README.md")


def test_update_readme_writes_only_when_stale(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_bytes(b"# T\r\n")
    assert update_readme(readme, BLOCK, check=True) is True
    assert readme.read_bytes() == b"# T\r\n"
    assert update_readme(readme, BLOCK) is True
    written = readme.read_bytes()
    assert written.startswith(b"# T\r\n\r\n" + START_MARKER.encode() + b"\r\n")
    mtime = readme.stat().st_mtime_ns
    assert update_readme(readme, BLOCK) is False
    assert readme.read_bytes() == written
    assert readme.stat().st_mtime_ns == mtime


def test_update_readme_writes_through_a_symlink(tmp_path: Path) -> None:
    target = tmp_path / "docs" / "index.md"
    target.parent.mkdir()
    target.write_text("# Docs\n")
    link = tmp_path / "README.md"
    link.symlink_to(target)
    assert update_readme(link, BLOCK) is True
    assert link.is_symlink()
    assert START_MARKER in target.read_text()


def test_update_readme_read_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="README not found"):
        update_readme(tmp_path / "README.md", BLOCK)
    with pytest.raises(UsageError, match="is a directory"):
        update_readme(tmp_path, BLOCK)
    parent_is_file = tmp_path / "file"
    parent_is_file.write_text("x")
    with pytest.raises(UsageError, match="cannot read README"):
        update_readme(parent_is_file / "README.md", BLOCK)


def test_render_block_links_and_escapes() -> None:
    block = render_block(report_badges(clean_report()), link="https://example.org/a b(c)")
    assert block.startswith(START_MARKER + "\n")
    assert block.endswith("\n" + END_MARKER)
    assert "(https://example.org/a%20b%28c%29)" in block
    unlinked = render_block(report_badges(clean_report()))
    assert (
        "![quality: A (100)](https://img.shields.io/badge/quality-A%20%28100%29-brightgreen)"
        in (unlinked)
    )
    assert "](https://example" not in unlinked


# --- no title heading: the top, next to the badges already there ------------------------------


def test_without_a_title_the_block_goes_next_to_the_badges_at_the_top() -> None:
    text = (
        "[![CI](https://ci/x.svg)](https://ci/x)\n"
        "[![PyPI](https://pypi/y.svg)](https://pypi/y)\n"
        "\n"
        "A package that does things.\n"
        "\n"
        "## Installation\n"
        "\n"
        "pip install it\n"
    )
    result = apply_block(text, BLOCK)
    assert result.startswith(
        "[![CI](https://ci/x.svg)](https://ci/x)\n[![PyPI](https://pypi/y.svg)](https://pypi/y)\n\n"
        + BLOCK
        + "\n\nA package"
    )
    assert result.endswith("## Installation\n\npip install it\n")


def test_without_a_title_or_badges_the_block_goes_at_the_top() -> None:
    text = "A package that does things.\n\n## Installation\n\npip install it\n"
    assert apply_block(text, BLOCK) == BLOCK + "\n\n" + text


def test_a_title_after_a_logo_and_badges_under_it() -> None:
    text = '<p align="center"><img src="logo.png"></p>\n\n# Tool\n\n![CI](ci.svg)\n\nText\n'
    result = apply_block(text, BLOCK)
    assert result == (
        '<p align="center"><img src="logo.png"></p>\n\n# Tool\n\n![CI](ci.svg)\n\n'
        + BLOCK
        + "\n\nText\n"
    )


def test_a_level_one_heading_after_an_intro_line_is_still_the_title() -> None:
    assert insertion_point("Intro\n# Title\n\nBody\n") == len("Intro\n# Title\n")


# --- reStructuredText -------------------------------------------------------------------------

RST_BLOCK = render_block(report_badges(clean_report()), link="https://example.org/r", fmt=RST)
RST_TEXTS = st.one_of(
    st.text(max_size=300), st.text(alphabet="=-~`*#^ .:|_\nTxé\t\r", max_size=200)
).filter(lambda text: "research-ci:badges" not in text)


def test_rst_block_is_image_directives_between_comments() -> None:
    lines = RST_BLOCK.splitlines()
    assert lines[0] == RST_START_MARKER
    assert lines[-1] == RST_END_MARKER
    assert lines[2].startswith(".. image:: https://img.shields.io/badge/quality-A%20%28100%29-")
    assert lines[3] == "   :alt: quality: A (100)"
    assert lines[4] == "   :target: https://example.org/r"
    assert lines.count("") == len(report_badges(clean_report())) + 1
    unlinked = render_block(report_badges(clean_report()), fmt=RST)
    assert ":target:" not in unlinked


def test_rst_block_goes_under_the_title_with_or_without_an_overline() -> None:
    text = "=======\nProject\n=======\n\nIntro.\n\nUsage\n-----\n\nrun it\n"
    assert apply_block(text, RST_BLOCK, RST) == (
        "=======\nProject\n=======\n\n" + RST_BLOCK + "\n\nIntro.\n\nUsage\n-----\n\nrun it\n"
    )
    simple = "Project\n=======\nIntro.\n"
    assert (
        apply_block(simple, RST_BLOCK, RST) == "Project\n=======\n\n" + RST_BLOCK + "\n\nIntro.\n"
    )


def test_rst_without_a_title_goes_at_the_top_after_its_badges() -> None:
    text = (
        ".. image:: https://ci/x.svg\n"
        "   :target: https://ci/x\n"
        "\n"
        ".. image:: https://pypi/y.svg\n"
        "\n"
        "Intro paragraph.\n"
        "\n"
        "Installation\n"
        "------------\n"
    )
    result = apply_block(text, RST_BLOCK, RST)
    assert result == (
        ".. image:: https://ci/x.svg\n   :target: https://ci/x\n\n.. image:: https://pypi/y.svg\n\n"
        + RST_BLOCK
        + "\n\nIntro paragraph.\n\nInstallation\n------------\n"
    )


def test_rst_markers_count_only_at_the_start_of_a_line() -> None:
    example = f"Title\n=====\n\n.. code-block:: rst\n\n   {RST_START_MARKER}\n   {RST_END_MARKER}\n"
    assert find_block(example, RST) is None
    with_block = apply_block(example, RST_BLOCK, RST)
    assert find_block(with_block, RST) is not None
    replaced = apply_block(with_block.replace("quality", "old"), RST_BLOCK, RST)
    assert replaced == with_block


@given(text=RST_TEXTS, eol=LINE_ENDINGS)
@example(text="Title\n=====\nbody", eol="\r\n")
@example(text=".. image:: x\n\ntext", eol="\n")
def test_rst_insertion_is_idempotent_and_keeps_the_text(text: str, eol: str) -> None:
    original = with_eol(text, eol)
    once = apply_block(original, RST_BLOCK, RST)
    assert apply_block(once, RST_BLOCK, RST) == once
    start, end = find_block(once, RST) or (0, 0)

    def no_breaks(value: str) -> str:
        return value.replace("\r", "").replace("\n", "")

    # Only the block and a few line breaks around it were added.
    assert no_breaks(once[:start] + once[end:]) == no_breaks(original)
    assert len(once) - (end - start) - len(original) <= 6  # at most three line breaks


def test_update_readme_picks_the_format_from_the_file_name(tmp_path: Path) -> None:
    readme = tmp_path / "README.rst"
    readme.write_text("Project\n=======\n\nText.\n")
    assert update_readme(readme, RST_BLOCK) is True
    assert RST_START_MARKER in readme.read_text()
    assert readme_format(readme) == RST
    assert readme_format(tmp_path / "README.md") == MARKDOWN


# --- which README ------------------------------------------------------------------------------


def test_find_readme(tmp_path: Path) -> None:
    assert find_readme(tmp_path) == tmp_path / "README.md"  # none yet: reading it will say so
    (tmp_path / "README.rst").write_text("x\n")
    assert find_readme(tmp_path) == tmp_path / "README.rst"
    (tmp_path / "README.md").write_text("x\n")
    assert find_readme(tmp_path) == tmp_path / "README.md"
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\nreadme = "docs/intro.rst"\n')
    assert find_readme(tmp_path) == tmp_path / "docs" / "intro.rst"
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\nreadme = {file = "README.rst", content-type = "text/x-rst"}\n'
    )
    assert find_readme(tmp_path) == tmp_path / "README.rst"
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\nreadme = "../outside.md"\n')
    with pytest.raises(UsageError, match="outside the project"):
        find_readme(tmp_path)
