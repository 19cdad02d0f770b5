"""``research-ci github``: the subcommands the composite action calls.

A workflow can call them itself too: ``outputs``, ``gate``, ``comment`` and ``commit-badge``;
``run`` is the action's check step (its plan, made before research-ci is installed, is
:mod:`research_ci.github.plan`).
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from research_ci.cli.options import report_option
from research_ci.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError
from research_ci.github.api import GitHubApiError, GitHubClient
from research_ci.github.badge_commit import GIT_TIMEOUT_S, PushError, commit_badge
from research_ci.github.comment import comment_body, upsert_sticky
from research_ci.github.context import ActionsContext, append_summary, write_outputs
from research_ci.github.outputs import gate_failures, parse_grade, step_outputs
from research_ci.process import run_tool
from research_ci.report import load_report
from research_ci.summary import DEFAULT_MAX_FINDINGS
from research_ci.workflow_commands import workflow_command

TITLE = "research-ci"
REPORT_OPTION = report_option("The JSON report written by `research-ci check` or `report merge`.")


def emit(name: str, message: str, **properties: str | int | None) -> None:
    """Print a workflow command on stdout, where the runner reads it."""
    click.echo(workflow_command(name, message, **properties))


@click.group()
def github() -> None:
    """GitHub glue for the action: outputs, gate, sticky PR comment, badge commit."""


@github.command()
@REPORT_OPTION
def outputs(report_path: Path) -> int:
    """Write grade, score, report, coverage and anomalies to $GITHUB_OUTPUT."""
    report = load_report(report_path, keep_findings=0)
    values = step_outputs(report, report_path)
    if not write_outputs(ActionsContext.from_env(), values):
        for name, value in values.items():
            click.echo(f"{name}={value}")
    return EXIT_OK


@github.command()
@REPORT_OPTION
@click.option("--minimum-grade", default="", help="Fail under this grade (A-F); '' = none.")
def gate(report_path: Path, minimum_grade: str) -> int:
    """Fail when the report's gate failed or the grade is under --minimum-grade.

    Each reason becomes an error annotation; the exit code is 1.
    """
    minimum = parse_grade(minimum_grade)
    if minimum is None:
        raise UsageError(f"minimum-grade must be one of A, B, C, D, F; got {minimum_grade!r}")
    report = load_report(report_path, keep_findings=0)
    reasons = gate_failures(report, minimum)
    for reason in reasons:
        emit("error", reason, title=f"{TITLE}: quality gate")
    if reasons:
        return EXIT_FAILED
    click.echo(f"research-ci: grade {report.grade} ({report.score}): the quality gate passed")
    return EXIT_OK


@github.command()
@REPORT_OPTION
@click.option("--pr", "pr_number", type=click.IntRange(min=1), help="Pull request number.")
@click.option(
    "--expect-head-sha",
    default="",
    help="Refuse to comment unless the pull request's head is this commit (workflow_run).",
)
@click.option(
    "--author",
    default="",
    metavar="LOGIN",
    help="The login the token comments as; only its comments are ever edited. "
    "[default: asked from the API; github-actions[bot] for the workflow's token]",
)
@click.option(
    "--summary-fallback/--no-summary-fallback",
    default=True,
    show_default=True,
    help="When commenting is not allowed, append the summary to $GITHUB_STEP_SUMMARY.",
)
def comment(
    report_path: Path,
    pr_number: int | None,
    expect_head_sha: str,
    author: str,
    summary_fallback: bool,
) -> int:
    """Create or update the one sticky research-ci comment on the pull request.

    Outside pull requests this does nothing. A read-only token (pull requests from forks)
    or a missing one degrades to a notice, with the summary in the job summary: exit 0;
    so does any other failure of the API (a warning). Only a comment written by the token's
    own identity is ever edited. With --expect-head-sha (the fork pattern's second phase) the
    comment says that its figures come from the pull request's own run; the grade is always
    computed again from the report's figures.
    """
    context = ActionsContext.from_env()
    number = pr_number or context.pull_request_number
    if number is None:
        click.echo("research-ci: not a pull request: no comment")
        return EXIT_OK
    report = load_report(report_path, keep_findings=DEFAULT_MAX_FINDINGS)
    body = comment_body(report, provenance=_provenance(expect_head_sha))
    if not context.token:
        return _degrade(context, body, "no GitHub token", summary_fallback)
    try:
        client = GitHubClient(context.api_url, context.token, context.repository)
    except UsageError as exc:
        return _degrade(context, body, str(exc), summary_fallback)
    try:
        if expect_head_sha:
            head_info = client.get_pull_request(number).get("head")
            head = head_info.get("sha") if isinstance(head_info, dict) else None
            if head != expect_head_sha:
                emit(
                    "warning",
                    f"pull request #{number} has moved on ({head}), not commenting for "
                    f"{expect_head_sha}",
                    title=TITLE,
                )
                return EXIT_OK
        result = upsert_sticky(client, number, body, author=author or None)
    except GitHubApiError as exc:
        if exc.is_permission_problem:
            return _degrade(context, body, str(exc), summary_fallback)
        emit("warning", f"could not comment on pull request #{number}: {exc}", title=TITLE)
        return EXIT_OK
    click.echo(f"research-ci: comment {result.outcome} on #{number}: {result.url}")
    return EXIT_OK


def _provenance(head_sha: str) -> str | None:
    """What the comment says about its figures when they come from another run."""
    if not head_sha:
        return None
    return (
        f"These figures come from the pull request's own CI run (commit {head_sha[:12]}): "
        "its code ran the checks and wrote the report, so read them as its claims. "
        "research-ci computed the grade again from them."
    )


def _degrade(context: ActionsContext, body: str, why: str, summary_fallback: bool) -> int:
    emit(
        "notice",
        f"cannot comment on this pull request ({why}); the summary is in the job summary. "
        "For pull requests from forks, see the workflow_run pattern in docs/security.md.",
        title=TITLE,
    )
    if summary_fallback:
        append_summary(context, body)
    return EXIT_OK


@github.command("commit-badge")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option("--remote", default="origin", show_default=True, help="The git remote to push to.")
@click.option("--attempts", type=click.IntRange(min=1), default=3, show_default=True)
def commit_badge_command(files: tuple[Path, ...], remote: str, attempts: int) -> int:
    """Commit the refreshed badge block with [skip ci] and push it.

    FILES are READMEs, or project directories whose README is committed (the one `badge`
    writes: [project] readme, else README.md, README.rst...); default: the current directory.
    Only on a push to the default branch; retried on a non-fast-forward.
    """
    from research_ci.readme import find_readme

    paths = [find_readme(item) if item.is_dir() else item for item in files or (Path(),)]
    try:
        result = commit_badge(paths, ActionsContext.from_env(), remote=remote, attempts=attempts)
    except PushError as exc:
        emit("error", str(exc), title=f"{TITLE}: badge commit")
        return EXIT_FAILED
    click.echo(f"research-ci: {result.reason}")
    return EXIT_OK


def _base_commit(base: str, project: Path) -> str | None:
    """``base`` when the checkout has that commit, after fetching it if need be; else none."""
    if not base:
        return None

    def present() -> bool:
        probe: list[str | Path] = ["git", "-C", project, "cat-file", "-e", f"{base}^{{commit}}"]
        return run_tool(probe, cwd=project, timeout_s=GIT_TIMEOUT_S).returncode == 0

    if not present():
        fetch: list[str | Path] = ["git", "-C", project, "fetch", "--quiet", "--no-tags"]
        fetch += ["--depth=1", "origin", "--", base]
        if run_tool(fetch, cwd=project, timeout_s=GIT_TIMEOUT_S).returncode:
            emit("warning", "cannot fetch the base commit: no comparison", title=TITLE)
    return base if present() else None


def _planned(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise UsageError(f"github run: {name} is not set (the action's plan sets it)")
    return value


@github.command("run")
def run_step() -> int:
    """The action's check step: run the checks, or merge partial reports.

    Reads the plan from the environment: WORKING_DIRECTORY, CHECKS, REPORT, MERGE_REPORTS
    (globs, one per line: merge instead of checking), DATA_PYTHON (the TFDV environment's
    interpreter) and BASE (a commit to compare with, fetched when the checkout lacks it). A
    failed gate still exits 0 when the report was written: the action summarises, uploads and
    comments first, and its gate step fails the job last.
    """
    from research_ci.cli.check import run_check
    from research_ci.cli.report import merge_files
    from research_ci.merge import expand_paths

    report = Path(_planned("REPORT"))
    patterns = [line.strip() for line in os.environ.get("MERGE_REPORTS", "").splitlines()]
    if any(patterns):
        try:
            paths = expand_paths(pattern for pattern in patterns if pattern)
        except UsageError as exc:
            emit("error", f"merge-reports matched no file: {exc}", title=TITLE)
            return EXIT_USAGE
        return merge_files(paths, report)
    if os.environ.get("DATA_PYTHON"):
        os.environ["RESEARCH_CI_DATA_PYTHON"] = os.environ["DATA_PYTHON"]
    project = Path(_planned("WORKING_DIRECTORY"))
    code = run_check(
        project,
        only=_planned("CHECKS"),
        report_path=report,
        output_format="github",
        base_ref=_base_commit(os.environ.get("BASE", ""), project),
    )
    return EXIT_OK if code == EXIT_FAILED and report.exists() else code
