"""What one check is: everything the rest of research-ci needs to know about it, in one value.

A check is a module under ``research_ci/checks`` that builds one :class:`CheckSpec` (its
``CHECK``), plus one line in :mod:`research_ci.checks.registry`. The spec carries the check's
name, how to run it, its typed figures (a frozen dataclass read from the report's JSON), the
one-line sentence people read, its badges, its rubric lines (penalties and caps), how partial
reports combine it, where its findings rank and its own section of the Markdown summary.
Grading, badges, the summary, the terminal table, ``report merge`` and the order of findings
all read the registry: no other module names a check.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from research_ci.report import CheckResult, Finding, Report
from research_ci.shields import static_badge_url
from research_ci.words import plural

if TYPE_CHECKING:
    from research_ci.config import Settings
    from research_ci.environment import ProjectEnvironment

M = TypeVar("M")
MetricsT = TypeVar("MetricsT", bound="Metrics")


class Sentence(Protocol):
    """Typed figures that say themselves in the one line people read ("3 violations")."""

    def sentence(self) -> str:
        """The check's figures in words."""


S = TypeVar("S", bound=Sentence)


def metric_count(result: CheckResult, name: str) -> int:
    """An integer figure of the check; a list counts its items; absent or null is 0."""
    value: Any = result.metrics.get(name, 0)
    if isinstance(value, list):
        return len(value)
    if isinstance(value, (int, float)):
        return int(value)
    return 0


def metric_number(result: CheckResult, name: str) -> float | None:
    """A number figure of the check, or ``None`` when it is absent or not a number."""
    value = result.metrics.get(name)
    return float(value) if isinstance(value, (int, float)) else None


def _read(field: dataclasses.Field[Any], result: CheckResult) -> int | float | None:
    kind = field.type if isinstance(field.type, str) else getattr(field.type, "__name__", "")
    if kind == "int":
        return metric_count(result, field.name)
    if kind in ("float | None", "Optional[float]"):
        return metric_number(result, field.name)
    raise TypeError(f"{field.name}: a count is an int, a measure a float | None; override of()")


@dataclasses.dataclass(frozen=True)
class Metrics:
    """A check's typed figures: a frozen dataclass of counts (``int``) and measures.

    :meth:`of` reads them from a result's figures in the report: a count that is absent or not
    a number is 0 (a list counts its items), a measure (``float | None``) that is absent is
    ``None``. A check with richer figures (data) overrides :meth:`of`.
    """

    @classmethod
    def of(cls: type[MetricsT], result: CheckResult) -> MetricsT:
        """The figures of ``result``."""
        return cls(**{field.name: _read(field, result) for field in dataclasses.fields(cls)})

    def to_json(self) -> dict[str, Any]:
        """The report's form: the fields, in order."""
        return dataclasses.asdict(self)


def _quiet(_line: str) -> None:
    """An announcer that says nothing."""


@dataclasses.dataclass(frozen=True)
class CheckInputs:
    """What a check runs with: the project's settings, and its environment once it is ready.

    ``environment.get()`` (and ``project_python()``) blocks until the project's environment is
    made (the first check that asks starts it) and raises
    :class:`~research_ci.environment.EnvironmentSetupError` when it cannot be made; checks that
    do not need the project's packages never call it. ``announce`` prints one line when a long
    phase starts (making an environment, running the tests).
    """

    settings: Settings
    environment: ProjectEnvironment
    announce: Callable[[str], None] = _quiet

    def project_python(self) -> Path:
        """The interpreter of the project's environment (made on first request)."""
        return self.environment.python()


# --- badges -----------------------------------------------------------------------------------


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


def badge(key: str, message: str, color: str) -> Badge:
    """A badge whose label is its key (every badge research-ci draws)."""
    return Badge(key=key, label=key, message=message, color=color)


def count_badge(key: str, result: CheckResult, count: int, word: str) -> Badge:
    """``passing`` (green) when ``count`` is 0 and the check passed, else ``N <word>s`` (red)."""
    if count:
        return badge(key, plural(count, word), "red")
    if result.status == "failed":
        return badge(key, "failing", "red")
    return badge(key, "passing", "brightgreen")


# --- the rubric -------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class PenaltyRule(Generic[M]):
    """``points_each`` off per unit of ``unit``, at most ``max_points`` in all."""

    check: str
    unit: str
    points_each: float
    max_points: float
    measure: Callable[[M], float] = dataclasses.field(repr=False, compare=False)

    def points(self, metrics: M) -> float:
        """Points this rule takes off for a check with these figures."""
        return min(self.max_points, self.points_each * self.measure(metrics))


@dataclasses.dataclass(frozen=True)
class CapRule(Generic[M]):
    """The grade is at most ``max_grade`` when ``applies`` holds for the check's figures."""

    check: str
    condition: str
    max_grade: str
    applies: Callable[[M], bool] = dataclasses.field(repr=False, compare=False)


# --- merging partial reports ------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True)
class MergeRule:
    """How one check's figures combine across partial reports (``research-ci report merge``).

    By default a number keeps the largest value, a list the union without repeats, anything
    else the first value. ``weakest`` keep the smallest number (the matrix is only as covered
    as its weakest leg); ``distinct_count`` counts distinct problems, so it is at least the
    merged findings that are not notices. ``refine`` then changes the merged result in place
    with the check's own knowledge (the tests check counts each test once, by its id).
    """

    weakest: frozenset[str] = frozenset()
    distinct_count: str | None = None
    refine: Callable[[Sequence[CheckResult], CheckResult], None] | None = dataclasses.field(
        default=None, compare=False
    )


# --- the Markdown summary -----------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True)
class SummarySection:
    """A check's own section of the Markdown summary: tables of rows under a heading.

    ``template`` (under ``research_ci/templates``) receives ``tables`` (name -> the rows that
    fit) and ``hidden`` (rows left out). When the summary is over its size budget, rows are
    dropped from the end, the last table first; ``noun`` names them ("3 data rows not shown").
    """

    template: str
    noun: str
    tables: Mapping[str, Sequence[Mapping[str, Any]]]

    @property
    def rows(self) -> int:
        """Rows in all the tables."""
        return sum(len(rows) for rows in self.tables.values())

    def shown(self, limit: int) -> dict[str, Sequence[Mapping[str, Any]]]:
        """The tables cut to ``limit`` rows in all, in table order."""
        shown: dict[str, Sequence[Mapping[str, Any]]] = {}
        for name, rows in self.tables.items():
            shown[name] = rows[: max(0, limit)]
            limit -= len(shown[name])
        return shown


# --- the check ----------------------------------------------------------------------------------

BadgeBuilder = Callable[[CheckResult, M, Report], Badge]


@dataclasses.dataclass(frozen=True, kw_only=True)
class CheckSpec(Generic[S]):
    """Everything research-ci knows about one check (see the module docstring).

    * ``metrics`` reads the check's typed figures from a result (absent figures are 0); they
      say themselves in one line (:meth:`figures`);
    * ``run`` runs the check; it returns a result, also when the tool fails (status ``error``);
    * ``priority`` ranks its findings for readers (lower first); ``badge_rank`` its badges;
      ``start`` when its run starts, the slowest first (``None``: after those, in order);
    * ``default``: run when ``[tool.research-ci] checks`` is not set; ``table`` names its own
      settings table (``[tool.research-ci.<table>]``), whose presence turns it on by default;
    * ``preflight`` refuses bad configuration before any check starts (a ``UsageError``);
    * ``advisory_by_default`` says why the check only advises on this project (it runs and is
      reported, but takes no points off, caps nothing and never fails the gate) unless
      ``[tool.research-ci] advisory`` lists the checks that advise; ``None``: it gates. Every
      check can be made advisory by that list, whatever its default;
    * ``notices`` are findings about the project's configuration of the check's tool (a
      ``.flake8`` ruff does not read), added to its result when it ran.
    """

    name: str
    metrics: Callable[[CheckResult], S]
    run: Callable[[CheckInputs], CheckResult]
    priority: int
    start: int | None = None
    default: bool = True
    table: str | None = None
    badges: Mapping[str, BadgeBuilder[S]] = dataclasses.field(default_factory=dict)
    badge_rank: int = 100
    penalties: tuple[PenaltyRule[S], ...] = ()
    caps: tuple[CapRule[S], ...] = ()
    merge: MergeRule = MergeRule()
    summary: Callable[[S], SummarySection | None] | None = None
    preflight: Callable[[Settings], None] | None = None
    advisory_by_default: Callable[[Settings], str | None] | None = None
    notices: Callable[[Settings], list[Finding]] | None = None

    def figures(self, metrics: S) -> str:
        """The one line people read when the check ran ("3 violations")."""
        return metrics.sentence()
