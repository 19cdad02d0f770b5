"""The badges of a report: what each one says, its color, its shields.io URL and its SVG.

Only what is needed to compute badges belongs here, as pure functions of a
:class:`~research_ci.report.Report` (no files, no network). Writing them into the README is
:mod:`research_ci.readme`; the command line is :mod:`research_ci.badge_cli`.

Which badges: ``quality`` always; ``coverage``, ``tests``, ``types``, ``lint`` and ``data``
when that check is in the report. A check that is in the report but was skipped shows
``skipped`` in grey, so a reader sees it was not run; a check that is not in the report at all
has no badge. ``format`` has no badge of its own (black either passes or it does not; it is
part of the quality grade).
"""

from __future__ import annotations

import dataclasses
import re
import urllib.parse

from research_ci.figures import coverage_of, metric_count, over_threshold, percent, plural
from research_ci.grade import GRADES
from research_ci.report import CheckResult, Report

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
#: Grade -> badge color.
GRADE_COLORS: dict[str, str] = dict(
    zip(GRADES, ("brightgreen", "green", "yellow", "orange", "red"), strict=True)
)
#: Coverage at or above both this and the threshold is bright green.
COVERAGE_EXCELLENT = 90.0
#: Coverage at most this many points under the threshold is orange, further under is red.
COVERAGE_ORANGE_MARGIN = 10.0
#: Badge order in the README and in ``--svg`` output.
BADGE_KEYS: tuple[str, ...] = ("quality", "coverage", "tests", "types", "lint", "data")

SHIELDS_URL = "https://img.shields.io/badge/"


@dataclasses.dataclass(frozen=True, kw_only=True)
class Badge:
    """One badge: ``key`` names its SVG file (``quality.svg``); ``color`` is a shields name."""

    key: str
    label: str
    message: str
    color: str

    @property
    def alt(self) -> str:
        """The image's alternative text, e.g. ``quality: A (94)``."""
        return f"{self.label}: {self.message}"

    @property
    def url(self) -> str:
        """The static shields.io URL of this badge."""
        return static_badge_url(self.label, self.message, self.color)


def grade_color(grade: str) -> str:
    """A bright green, B green, C yellow, D orange, F red."""
    return GRADE_COLORS.get(grade, "lightgrey")


def coverage_color(coverage: float, threshold: float) -> str:
    """The color of a coverage badge.

    Bright green at or above the threshold and 90 %, green at or above the threshold, orange
    up to 10 points under it, red further under.
    """
    if coverage >= threshold:
        return "brightgreen" if coverage >= COVERAGE_EXCELLENT else "green"
    if coverage >= threshold - COVERAGE_ORANGE_MARGIN:
        return "orange"
    return "red"


def _status_badge(key: str, result: CheckResult) -> Badge | None:
    """The badge of a check that did not produce figures (skipped, error), else ``None``."""
    if result.status == "skipped":
        return Badge(key=key, label=key, message="skipped", color="lightgrey")
    if result.status == "error":
        return Badge(key=key, label=key, message="error", color="red")
    return None


def quality_badge(report: Report) -> Badge:
    """``quality: A (94)``, colored by grade."""
    return Badge(
        key="quality",
        label="quality",
        message=f"{report.grade} ({report.score})",
        color=grade_color(report.grade),
    )


def coverage_badge(result: CheckResult, default_threshold: float) -> Badge:
    """``coverage: 87%`` from the tests check, colored against the coverage threshold."""
    status = _status_badge("coverage", result)
    if status is not None:
        return status
    coverage = coverage_of(result)
    if coverage is None:
        return Badge(key="coverage", label="coverage", message="unknown", color="lightgrey")
    threshold = result.metrics.get("coverage_threshold", default_threshold)
    if not isinstance(threshold, (int, float)):
        threshold = default_threshold
    return Badge(
        key="coverage",
        label="coverage",
        message=percent(coverage),
        color=coverage_color(coverage, float(threshold)),
    )


def tests_badge(result: CheckResult) -> Badge:
    """``tests: 42 passed`` (green) or ``tests: 2 failed, 1 error`` (red)."""
    status = _status_badge("tests", result)
    if status is not None:
        return status
    failed = metric_count(result, "failed")
    errors = metric_count(result, "errors")
    passed = metric_count(result, "passed")
    if failed or errors:
        parts = [f"{failed} failed"] if failed else []
        if errors:
            parts.append(plural(errors, "error"))
        return Badge(key="tests", label="tests", message=", ".join(parts), color="red")
    if result.status == "failed":
        return Badge(key="tests", label="tests", message="failing", color="red")
    if passed == 0:
        return Badge(key="tests", label="tests", message="no tests", color="yellow")
    return Badge(key="tests", label="tests", message=f"{passed} passed", color="brightgreen")


def count_badge(key: str, result: CheckResult, metric: str, word: str) -> Badge:
    """``passing`` (green) when ``metric`` is 0 and the check passed, else ``N <word>s`` (red)."""
    status = _status_badge(key, result)
    if status is not None:
        return status
    count = metric_count(result, metric)
    if count:
        return Badge(key=key, label=key, message=plural(count, word), color="red")
    if result.status == "failed":
        return Badge(key=key, label=key, message="failing", color="red")
    return Badge(key=key, label=key, message="passing", color="brightgreen")


def data_badge(result: CheckResult) -> Badge:
    """``data: valid`` (green), ``data: 3 anomalies`` (red) or ``data: drift`` (orange)."""
    status = _status_badge("data", result)
    if status is not None:
        return status
    anomalies = metric_count(result, "anomalies")
    if anomalies:
        message = plural(anomalies, "anomaly", "anomalies")
        return Badge(key="data", label="data", message=message, color="red")
    over = [
        kind
        for kind in ("drift", "skew")
        for item in (result.metrics.get(kind) or [])
        if isinstance(item, dict) and over_threshold(item)
    ]
    if over:
        message = " + ".join(sorted(set(over), key=("drift", "skew").index))
        return Badge(key="data", label="data", message=message, color="orange")
    if result.status == "failed":
        return Badge(key="data", label="data", message="invalid", color="red")
    return Badge(key="data", label="data", message="valid", color="brightgreen")


def report_badges(report: Report) -> list[Badge]:
    """The report's badges in :data:`BADGE_KEYS` order (absent checks have none)."""
    badges = [quality_badge(report)]
    checks = report.checks
    if "tests" in checks:
        badges.append(coverage_badge(checks["tests"], report.coverage_threshold))
        badges.append(tests_badge(checks["tests"]))
    if "types" in checks:
        badges.append(count_badge("types", checks["types"], "errors", "error"))
    if "lint" in checks:
        badges.append(count_badge("lint", checks["lint"], "violations", "issue"))
    if "data" in checks:
        badges.append(data_badge(checks["data"]))
    return badges


def shields_escape(text: str) -> str:
    """Escape one part of a static shields.io badge path.

    shields reads ``-`` as a separator and ``_`` as a space, so literal ones are doubled;
    spaces become ``%20``; every other character outside the unreserved set is
    percent-encoded (so ``(``, ``)`` and ``%`` cannot break the Markdown around the URL).
    """
    doubled = text.replace("-", "--").replace("_", "__")
    return urllib.parse.quote(doubled, safe="")


def static_badge_url(label: str, message: str, color: str) -> str:
    """``https://img.shields.io/badge/<label>-<message>-<color>``, each part escaped."""
    parts = (shields_escape(label), shields_escape(message), shields_escape(color))
    return SHIELDS_URL + "-".join(parts)


def markdown_url(url: str) -> str:
    """Make a link target safe inside Markdown ``(...)``: spaces and brackets are encoded."""
    return urllib.parse.quote(url.strip(), safe=":/?#@!$&'*+,;=%~-._[]")


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
    from research_ci.templating import render  # noqa: PLC0415  (jinja only when drawing)

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
