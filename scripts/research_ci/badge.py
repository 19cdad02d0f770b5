"""The badges of a report: which ones, what the quality badge says, and each one's SVG.

Only what is needed to compute badges belongs here, as pure functions of a
:class:`~research_ci.report.Report` (no files, no network). Each check says what its own badges
read (:attr:`~research_ci.checks.spec.CheckSpec.badges`); writing them into the README is
:mod:`research_ci.readme`.

Which badges: ``quality`` always, then each check's badges (``coverage`` and ``tests``,
``types``, ``lint``, ``data``) when that check is in the report. A check that is in the report
but was skipped shows ``skipped`` in grey and one that could not run ``error`` in red, so a
reader sees it; a check that is not in the report at all has no badge. ``format`` has no
badge of its own (black either passes or it does not; it is part of the quality grade).
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from research_ci.checks.registry import CHECKS
from research_ci.checks.spec import Badge, badge
from research_ci.errors import UsageError
from research_ci.mdescape import http_url
from research_ci.report import CheckResult, Report
from research_ci.style import GRADE_LOOKS
from research_ci.templating import render

#: shields.io's named colors and the hex values its flat style uses for them.
COLORS: dict[str, str] = {
    "brightgreen": "#4c1",
    "green": "#97ca00",
    "yellowgreen": "#a4a61d",
    "yellow": "#dfb317",
    "orange": "#fe7d37",
    "red": "#e05d44",
    "blue": "#007ec6",
    "lightgrey": "#9f9f9f",
}


def grade_color(grade: str) -> str:
    """A bright green, B green, C yellow, D orange, F red."""
    return GRADE_LOOKS.get(grade, ("lightgrey", ""))[0]


def status_badge(key: str, result: CheckResult) -> Badge | None:
    """The badge of a check that did not produce figures (skipped, error), else ``None``."""
    if result.status == "skipped":
        return badge(key, "skipped", "lightgrey")
    if result.status == "error":
        return badge(key, "error", "red")
    return None


def quality_badge(report: Report) -> Badge:
    """``quality: A (94)``, colored by grade."""
    return badge("quality", f"{report.grade} ({report.score})", grade_color(report.grade))


def report_badges(report: Report) -> list[Badge]:
    """The quality badge, then each present check's badges in the checks' badge order."""
    badges = [quality_badge(report)]
    for spec in sorted(CHECKS, key=lambda spec: spec.badge_rank):
        result = report.checks.get(spec.name)
        if result is None:
            continue
        for key, build in spec.badges.items():
            badges.append(status_badge(key, result) or build(result, spec.metrics(result), report))
    return badges


# --- SVG -----------------------------------------------------------------------------------

#: Advance widths of Verdana (the font of shields' and badgen's flat badges) in 1/2048 em,
#: for printable ASCII. Other characters are estimated with :data:`WIDE_CHAR`.
# fmt: off
_VERDANA_WIDTHS: dict[str, int] = dict(
    zip(
        " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`"
        "abcdefghijklmnopqrstuvwxyz{|}~",
        (
            720, 821, 1049, 1872, 1430, 2397, 1629, 614, 1024, 1024, 1430, 1872, 821, 1024,
            821, 1024, 1430, 1430, 1430, 1430, 1430, 1430, 1430, 1430, 1430, 1430, 1024,
            1024, 1872, 1872, 1872, 1229, 2245, 1400, 1403, 1433, 1588, 1292, 1185, 1594,
            1540, 862, 1003, 1421, 1164, 1765, 1532, 1612, 1229, 1612, 1421, 1400, 1249,
            1532, 1400, 2023, 1405, 1249, 1405, 1024, 1024, 1024, 1872, 1430, 1430, 1253,
            1277, 1098, 1277, 1220, 721, 1277, 1296, 562, 705, 1186, 562, 1992, 1296, 1229,
            1277, 1277, 874, 1067, 807, 1296, 1186, 1655, 1186, 1186, 1055, 1274, 1024,
            1274, 1872,
        ),
        strict=True,
    )
)
# fmt: on
#: Width assumed for characters outside the table (about a capital letter; CJK is wider).
WIDE_CHAR = 1600
FONT_SIZE = 11
#: Horizontal padding on each side of a badge's text, in pixels.
PADDING = 5

# Characters XML 1.0 does not allow in a document at all.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def text_width(text: str, font_size: float = FONT_SIZE) -> float:
    """Estimated rendered width of ``text`` in pixels (Verdana at ``font_size``)."""
    units = sum(_VERDANA_WIDTHS.get(char, WIDE_CHAR) for char in text)
    return units * font_size / 2048


def xml_text(text: str) -> str:
    """Drop the characters XML cannot hold (escaping ``<&"'`` is the template's job)."""
    return _XML_INVALID.sub("", text)


@dataclasses.dataclass(frozen=True)
class SvgLayout:
    """Geometry of a flat badge, in pixels (text positions are x10, as shields draws them)."""

    label_width: int
    message_width: int
    label_text_length: int
    message_text_length: int

    @property
    def width(self) -> int:
        """Total width."""
        return self.label_width + self.message_width

    @property
    def label_x(self) -> int:
        """Centre of the label text, x10."""
        return self.label_width * 5

    @property
    def message_x(self) -> int:
        """Centre of the message text, x10."""
        return self.label_width * 10 + self.message_width * 5


def svg_layout(label: str, message: str) -> SvgLayout:
    """Widths of the two halves of a badge from the estimated text widths."""
    label_text = text_width(label)
    message_text = text_width(message)
    return SvgLayout(
        label_width=round(label_text) + 2 * PADDING,
        message_width=round(message_text) + 2 * PADDING,
        label_text_length=round(label_text * 10),
        message_text_length=round(message_text * 10),
    )


def badge_svg(badge: Badge, *, link: str | None = None) -> str:
    """A self-contained flat SVG of ``badge`` (no fonts or images fetched), linking to ``link``."""
    if link is not None and http_url(link) is None:
        raise UsageError(f"the badges' link must be an http(s) URL, got {link!r}")
    label = xml_text(badge.label)
    message = xml_text(badge.message)
    return render(
        "badge.svg.j2",
        key=badge.key,
        label=label,
        message=message,
        color=COLORS.get(badge.color, COLORS["lightgrey"]),
        layout=svg_layout(label, message),
        link=xml_text(link) if link else None,
    )


def svg_files(badges: list[Badge], directory: Path, *, link: str | None) -> dict[Path, str]:
    """``{DIR/<key>.svg: svg text}`` for every badge."""
    return {directory / f"{badge.key}.svg": badge_svg(badge, link=link) for badge in badges}
