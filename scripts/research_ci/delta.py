"""What a pull request changed, against its merge base: the ``delta`` section of a report.

The base is checked out into a temporary git worktree (:func:`base_checkout`) where only the
static checks run, or read from a report given with ``--base-report``. :func:`compute_delta`
then compares the two reports: grade and score at base and head, new and fixed findings
(matched by fingerprint, so moved code introduces nothing), the maintainability of every
touched file, and the coverage of the changed lines (:func:`diff_coverage`, the figure
diff-cover gives for the same diff and coverage data).

The delta also keeps the base's own figures of the checks it ran (status and metrics, no
findings: :attr:`Delta.base_checks`), so that ``report merge`` can grade the base again for the
merged set of checks (:mod:`research_ci.merge`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from research_ci.errors import UsageError
from research_ci.fingerprint import match_findings
from research_ci.grade import grade_rank
from research_ci.process import ToolError, run_tool
from research_ci.report import CheckResult, Finding, Report
from research_ci.words import plural

#: Checks whose findings can be compared between base and head (they ran in both).
COMPARED_STATUSES = ("passed", "failed")
_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(?P<start>\d+)(?:,(?P<count>\d+))? @@")
_GIT_TIMEOUT_S = 300.0


def _git(root: Path, *args: str) -> str:
    """Run git in ``root``; a failure is a one-line :class:`UsageError`."""
    try:
        completed = run_tool(["git", *args], cwd=root, timeout_s=_GIT_TIMEOUT_S)
    except ToolError as exc:
        raise UsageError(f"git: {exc}") from exc
    if completed.returncode != 0:
        raise UsageError(f"git {args[0]} failed: {completed.tail(2)}")
    return completed.stdout


def repository_root(root: Path) -> Path:
    """The top of the git work tree holding ``root``."""
    try:
        return Path(_git(root, "rev-parse", "--show-toplevel").strip()).resolve()
    except UsageError as exc:
        raise UsageError(f"--base needs a git repository: {root} is not in one") from exc


@dataclasses.dataclass(frozen=True)
class BaseCommit:
    """The commit the head is compared with, and how it was found."""

    ref: str
    commit: str
    note: str | None = None


def resolve_base(root: Path, ref: str) -> BaseCommit:
    """The merge base of ``ref`` and HEAD (``ref`` itself when history is too shallow)."""
    if not ref or ref.startswith("-"):
        raise UsageError(f"--base {ref!r}: not a commit")
    repository_root(root)
    try:
        commit = _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").strip()
    except UsageError as exc:
        raise UsageError(f"--base {ref}: not a commit in this repository (fetch it first)") from exc
    completed = run_tool(["git", "merge-base", commit, "HEAD"], cwd=root, timeout_s=_GIT_TIMEOUT_S)
    if completed.returncode == 0 and completed.stdout.strip():
        return BaseCommit(ref=ref, commit=completed.stdout.strip())
    return BaseCommit(
        ref=ref,
        commit=commit,
        note=f"no merge base of {ref} and HEAD (shallow clone?): compared with {ref} itself",
    )


@contextlib.contextmanager
def base_checkout(root: Path, commit: str) -> Iterator[Path]:
    """Check ``commit`` out into a temporary worktree; yield the project's directory in it.

    The worktree is removed afterwards, whatever happens; the repository's own work tree,
    index and branches are never touched.
    """
    top = repository_root(root)
    inside = root.resolve().relative_to(top)
    holder = Path(tempfile.mkdtemp(prefix="research-ci-base-"))
    worktree = holder / "base"
    try:
        _git(top, "worktree", "add", "--detach", "--quiet", str(worktree), commit)
        yield worktree / inside
    finally:
        with contextlib.suppress(UsageError):
            _git(top, "worktree", "remove", "--force", str(worktree))
        shutil.rmtree(holder, ignore_errors=True)
        with contextlib.suppress(UsageError):
            _git(top, "worktree", "prune")


def _unquote(path: str) -> str:
    """A path as git prints it in a diff header (C-quoted when it has unusual characters)."""
    if path.startswith('"') and path.endswith('"'):
        raw = path[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape")
        return raw.encode("latin-1").decode("utf-8", "replace")
    return path


def parse_diff(diff: str) -> dict[str, set[int]]:
    """Lines added or changed in each file of a ``git diff --unified=0`` (new line numbers)."""
    changed: dict[str, set[int]] = {}
    current: str | None = None
    for line in diff.splitlines():
        if line.startswith("+++ "):
            target = _unquote(line[4:].rstrip("\t"))
            current = None if target == "/dev/null" else target.removeprefix("b/")
            if current is not None:
                changed.setdefault(current, set())
            continue
        hunk = _HUNK.match(line)
        if hunk and current is not None:
            start = int(hunk.group("start"))
            count = int(hunk.group("count") or 1)
            changed[current].update(range(start, start + count))
    return changed


def changed_lines(root: Path, commit: str) -> dict[str, set[int]]:
    """Lines of the work tree (relative to ``root``) changed since ``commit``.

    Like diff-cover: committed, staged and unstaged changes; untracked files are not part of
    the diff; renamed files count only their changed lines.
    """
    diff = _git(
        root,
        "-c",
        "core.quotePath=false",
        "diff",
        "--no-color",
        "--no-ext-diff",
        "--unified=0",
        "--relative",
        commit,
        "--",
    )
    return parse_diff(diff)


@dataclasses.dataclass(kw_only=True)
class DiffCoverage:
    """Coverage of the changed lines that coverage measures (statements)."""

    covered: int
    missing: int
    missing_lines: dict[str, list[int]]

    @property
    def total(self) -> int:
        """Changed lines with coverage data."""
        return self.covered + self.missing

    @property
    def percent(self) -> float | None:
        """Covered share in percent; ``None`` when no changed line has coverage data."""
        return 100.0 * self.covered / self.total if self.total else None

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        percent = self.percent
        return {
            "percent": round(percent, 2) if percent is not None else None,
            "covered": self.covered,
            "missing": self.missing,
            "missing_lines": dict(sorted(self.missing_lines.items())),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DiffCoverage:
        """Inverse of :meth:`to_dict`."""
        return cls(
            covered=int(data["covered"]),
            missing=int(data["missing"]),
            missing_lines={str(k): list(v) for k, v in data.get("missing_lines", {}).items()},
        )


def diff_coverage(
    changed: Mapping[str, set[int]], coverage_files: Mapping[str, Mapping[str, Any]]
) -> DiffCoverage:
    """Diff coverage from coverage.py's JSON report (its ``files`` table) and the changed lines.

    A changed line counts when coverage knows it as a statement: executed (covered) or missing.
    Paths are matched relative to the project root, as both the diff and coverage print them.
    """
    by_path = {
        Path(path).as_posix().removeprefix("./"): data for path, data in coverage_files.items()
    }
    covered = missing = 0
    missing_lines: dict[str, list[int]] = {}
    for path, lines in changed.items():
        entry = by_path.get(path)
        if entry is None:
            continue
        executed = set(entry.get("executed_lines", ()))
        absent = set(entry.get("missing_lines", ()))
        covered += len(lines & executed)
        gaps = sorted(lines & absent)
        missing += len(gaps)
        if gaps:
            missing_lines[path] = gaps
    return DiffCoverage(covered=covered, missing=missing, missing_lines=missing_lines)


@dataclasses.dataclass(kw_only=True)
class FileChange:
    """The maintainability of one touched file at base and at head (``None``: no such file)."""

    path: str
    base: dict[str, Any] | None
    head: dict[str, Any] | None

    @property
    def worse(self) -> bool:
        """True when the head's rating is worse than the base's (or a new file is not A)."""
        head_rating = self.head["rating"] if self.head else "A"
        base_rating = self.base["rating"] if self.base else "A"
        return grade_rank(head_rating) > grade_rank(base_rating)

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"path": self.path, "base": self.base, "head": self.head}


_FILE_FIELDS = ("rating", "debt_ratio", "debt_minutes", "lines_of_code", "issues")


def _file_table(result: CheckResult | None) -> dict[str, dict[str, Any]]:
    if result is None or result.status not in COMPARED_STATUSES:
        return {}
    return {
        str(item["path"]): {field: item.get(field) for field in _FILE_FIELDS}
        for item in result.metrics.get("files", [])
        if isinstance(item, dict) and "path" in item
    }


def maintainability_changes(base: Report, head: Report) -> list[FileChange]:
    """Files whose maintainability figures differ between the two reports, worst first."""
    before = _file_table(base.checks.get("maintainability"))
    after = _file_table(head.checks.get("maintainability"))
    changes = [
        FileChange(path=path, base=before.get(path), head=after.get(path))
        for path in sorted(set(before) | set(after))
        if before.get(path) != after.get(path)
    ]
    return sorted(changes, key=lambda change: (not change.worse, change.path))


def _rating(report: Report) -> str | None:
    result = report.checks.get("maintainability")
    if result is None or result.status not in COMPARED_STATUSES:
        return None
    rating = result.metrics.get("rating")
    return str(rating) if rating else None


@dataclasses.dataclass(kw_only=True)
class Delta:
    """The ``delta`` section of a report."""

    base_ref: str
    base_commit: str | None
    note: str | None
    base_grade: str
    base_score: int
    head_grade: str
    head_score: int
    compared: list[str]
    new: list[Finding]
    fixed: list[Finding]
    moved: int
    base_rating: str | None
    head_rating: str | None
    files: list[FileChange]
    coverage: DiffCoverage | None
    #: The base's own results (status and metrics, no findings) of the checks it ran, the
    #: ones its grade did not borrow from the head; ``None`` in a report of research-ci before
    #: they were kept (such deltas cannot be merged).
    base_checks: dict[str, CheckResult] | None = None
    #: Coverage required of the changed lines under ``gate = "new"``, when known.
    diff_coverage_threshold: float | None = None

    @property
    def rating_worse(self) -> bool:
        """True when the project's maintainability rating got worse."""
        if self.base_rating is None or self.head_rating is None:
            return False
        return grade_rank(self.head_rating) > grade_rank(self.base_rating)

    def headline(self) -> str:
        """``B → A · 3 new findings · 5 fixed · 92 % of changed lines covered``."""
        parts = [
            f"{self.base_grade} → {self.head_grade}",
            plural(len(self.new), "new finding"),
            f"{len(self.fixed)} fixed",
        ]
        percent = self.coverage.percent if self.coverage else None
        if percent is not None:
            parts.append(f"{percent:.0f} % of changed lines covered")
        return " · ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """JSON form (the report's optional ``delta`` key)."""
        return {
            "base": {
                "ref": self.base_ref,
                "commit": self.base_commit,
                "grade": self.base_grade,
                "score": self.base_score,
                "maintainability": self.base_rating,
                **(
                    {"checks": {name: r.to_dict() for name, r in self.base_checks.items()}}
                    if self.base_checks is not None
                    else {}
                ),
            },
            "head": {
                "grade": self.head_grade,
                "score": self.head_score,
                "maintainability": self.head_rating,
            },
            "note": self.note,
            "headline": self.headline(),
            "compared_checks": list(self.compared),
            "new": [finding.to_dict() for finding in self.new],
            "fixed": [finding.to_dict() for finding in self.fixed],
            "moved": self.moved,
            "files": [change.to_dict() for change in self.files],
            "diff_coverage": self.coverage.to_dict() if self.coverage else None,
            **(
                {"diff_coverage_threshold": self.diff_coverage_threshold}
                if self.diff_coverage_threshold is not None
                else {}
            ),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Delta:
        """Inverse of :meth:`to_dict`."""
        base, head = data["base"], data["head"]
        coverage = data.get("diff_coverage")
        checks = base.get("checks")
        threshold = data.get("diff_coverage_threshold")
        return cls(
            base_ref=str(base["ref"]),
            base_commit=base.get("commit"),
            note=data.get("note"),
            base_grade=str(base["grade"]),
            base_score=int(base["score"]),
            head_grade=str(head["grade"]),
            head_score=int(head["score"]),
            compared=list(data.get("compared_checks", [])),
            new=[Finding.from_dict(item) for item in data.get("new", [])],
            fixed=[Finding.from_dict(item) for item in data.get("fixed", [])],
            moved=int(data.get("moved", 0)),
            base_rating=base.get("maintainability"),
            head_rating=head.get("maintainability"),
            files=[
                FileChange(path=str(item["path"]), base=item.get("base"), head=item.get("head"))
                for item in data.get("files", [])
            ],
            coverage=DiffCoverage.from_dict(coverage) if coverage else None,
            base_checks=(
                {name: CheckResult.from_dict(name, item) for name, item in checks.items()}
                if isinstance(checks, dict)
                else None
            ),
            diff_coverage_threshold=float(threshold) if threshold is not None else None,
        )


def compared_checks(base: Report, head: Report) -> list[str]:
    """Checks that ran in both reports (passed or failed in each), in the head's order."""
    return [
        name
        for name, result in head.checks.items()
        if result.status in COMPARED_STATUSES
        and name in base.checks
        and base.checks[name].status in COMPARED_STATUSES
    ]


def base_figures(base: Report, head: Report) -> dict[str, CheckResult]:
    """The base's own results without their findings: the checks it ran, not borrowed.

    A result equal to the head's was borrowed from it (:func:`borrow_unrun_checks`), or says
    the same: a merge takes the head's for it.
    """
    return {
        name: dataclasses.replace(result, findings=[], omitted_findings=0)
        for name, result in base.checks.items()
        if result.status != "skipped" and result != head.checks.get(name)
    }


def _findings(report: Report, checks: Sequence[str]) -> list[Finding]:
    return [finding for name in checks for finding in report.checks[name].findings]


def compute_delta(
    base: Report,
    head: Report,
    *,
    base_ref: str,
    base_commit: str | None = None,
    note: str | None = None,
    coverage: DiffCoverage | None = None,
    diff_coverage_threshold: float | None = None,
) -> Delta:
    """Compare ``head`` with ``base``; both reports' findings must carry fingerprints."""
    checks = compared_checks(base, head)
    matched = match_findings(_findings(base, checks), _findings(head, checks))
    return Delta(
        base_ref=base_ref,
        base_commit=base_commit,
        note=note,
        base_grade=base.grade,
        base_score=base.score,
        head_grade=head.grade,
        head_score=head.score,
        compared=checks,
        new=matched.new,
        fixed=matched.fixed,
        moved=len(matched.moved),
        base_rating=_rating(base),
        head_rating=_rating(head),
        files=maintainability_changes(base, head),
        coverage=coverage,
        base_checks=base_figures(base, head),
        diff_coverage_threshold=diff_coverage_threshold,
    )


def borrow_unrun_checks(
    base: Mapping[str, CheckResult], head: Mapping[str, CheckResult]
) -> dict[str, CheckResult]:
    """The base's results, with the head's for every check the base did not run.

    Only static checks run on the base; its grade takes the tests (and data) results of the
    head, so "B → A" compares like with like and those checks bring nothing new or fixed.
    """
    merged = {
        name: base[name] if name in base and base[name].status != "skipped" else result
        for name, result in head.items()
    }
    merged.update({name: result for name, result in base.items() if name not in head})
    return merged
