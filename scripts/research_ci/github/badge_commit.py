"""Commit the refreshed README badge block and push it, only on a push to the default branch.

The commit message carries ``[skip ci]`` so the push does not start another run. A push that
loses a race with another push (non-fast-forward) fetches, rebases and tries again. The token,
when given, reaches git through ``GIT_CONFIG_*`` environment variables (never the command
line or the repository's config), so checkouts can keep ``persist-credentials: false``.
"""

from __future__ import annotations

import base64
import dataclasses
import os
import time
from collections.abc import Sequence
from pathlib import Path

from research_ci.errors import ResearchCIError, UsageError
from research_ci.fsutil import atomic_write_bytes
from research_ci.github.context import ActionsContext
from research_ci.process import Completed, ToolError, run_tool

COMMIT_MESSAGE = "chore: refresh the research-ci badge [skip ci]"
BOT_NAME = "github-actions[bot]"
BOT_EMAIL = "41898282+github-actions[bot]@users.noreply.github.com"
#: A push or a fetch over a slow network still ends.
GIT_TIMEOUT_S = 300.0


class PushError(ResearchCIError):
    """The badge commit could not be pushed."""


@dataclasses.dataclass(frozen=True)
class BadgeCommitResult:
    """``committed`` is False when nothing was pushed; ``reason`` says why in one sentence."""

    committed: bool
    reason: str
    attempts: int = 0


def git(repo: Path, *args: str, env: dict[str, str] | None = None, check: bool = True) -> Completed:
    """Run ``git -C repo args`` and capture its output."""
    try:
        result = run_tool(["git", "-C", repo, *args], cwd=repo, timeout_s=GIT_TIMEOUT_S, env=env)
    except ToolError as exc:
        raise PushError(f"git {' '.join(args)}: {exc}") from exc
    if check and result.returncode != 0:
        raise PushError(
            f"git {' '.join(args)} failed: {_first_error(result.stderr or result.stdout)}"
        )
    return result


def auth_env(repo: Path, server_url: str, token: str) -> dict[str, str]:
    """The environment for git, with the token as an HTTP header for ``server_url``.

    Nothing is added when there is no token, when the URL is not https, or when the checkout
    already persisted its own credentials (two Authorization headers would be refused).
    """
    env = dict(os.environ)
    if not token or not server_url.startswith("https://"):
        return env
    key = f"http.{server_url.rstrip('/')}/.extraheader"
    if git(repo, "config", "--get-all", key, check=False).stdout.strip():
        return env
    basic = base64.b64encode(f"x-access-token:{token}".encode()).decode("ascii")
    count = int(env.get("GIT_CONFIG_COUNT", "0") or "0")
    env["GIT_CONFIG_COUNT"] = str(count + 1)
    env[f"GIT_CONFIG_KEY_{count}"] = key
    env[f"GIT_CONFIG_VALUE_{count}"] = f"AUTHORIZATION: basic {basic}"
    return env


def commit_badge(
    files: Sequence[Path],
    context: ActionsContext,
    *,
    remote: str = "origin",
    attempts: int = 3,
    backoff_s: float = 1.0,
) -> BadgeCommitResult:
    """Commit ``files`` (the README) with ``[skip ci]`` and push to the default branch."""
    if not files:
        raise UsageError("commit-badge: no file to commit")
    allowed, why = context.push_to_default_branch()
    if not allowed:
        return BadgeCommitResult(committed=False, reason=f"badge not committed: {why}")
    branch = context.default_branch
    assert branch is not None  # noqa: S101  (push_to_default_branch checked it)
    repo = _toplevel(files[0])
    relative = [str(path.resolve().relative_to(repo)) for path in files]
    if not git(repo, "status", "--porcelain", "--", *relative).stdout.strip():
        return BadgeCommitResult(committed=False, reason="badge unchanged: nothing to commit")
    identity = ["-c", f"user.name={BOT_NAME}", "-c", f"user.email={BOT_EMAIL}"]
    git(repo, "add", "--", *relative)
    git(repo, *identity, "commit", "--quiet", "-m", COMMIT_MESSAGE, "--", *relative)
    env = auth_env(repo, context.server_url, context.token)
    for attempt in range(1, attempts + 1):
        pushed = git(repo, "push", remote, f"HEAD:refs/heads/{branch}", env=env, check=False)
        if pushed.returncode == 0:
            return BadgeCommitResult(
                committed=True, reason=f"badge committed and pushed to {branch}", attempts=attempt
            )
        if attempt == attempts or not _rejected_as_stale(pushed.stderr):
            break
        # Someone pushed in between: replay our one commit on top of theirs and try again.
        time.sleep(backoff_s * attempt)
        git(repo, "fetch", "--quiet", remote, branch, env=env)
        _rebase(repo, identity, relative, f"{remote}/{branch}")
    raise PushError(
        f"push to {remote}/{branch} failed (attempt {attempt} of {attempts}): "
        f"{_first_error(pushed.stderr or pushed.stdout)}"
    )


def _rebase(repo: Path, identity: Sequence[str], relative: Sequence[str], upstream: str) -> None:
    """Replay the badge commit on ``FETCH_HEAD``.

    Unstaged changes to other tracked files are stashed on the way and put back (``--autostash``).
    When the README changed upstream too (another run's badge, someone's edit), the upstream
    README wins everywhere but in the badge block, which is this run's: the badge commit only
    ever changes the block. Anything else stops the rebase and is a :class:`PushError`.
    """
    ours = {name: (repo / name).read_bytes() for name in relative}
    rebase = [*identity, "-c", "core.editor=true", "rebase", "--autostash", "--quiet"]
    rebased = git(repo, *rebase, "FETCH_HEAD", check=False)
    if rebased.returncode != 0:
        conflicted = git(repo, "diff", "--name-only", "--diff-filter=U", check=False).stdout.split()
        if conflicted and set(conflicted) <= set(ours):
            try:
                for name in conflicted:
                    _keep_our_block(repo, name, ours[name])
            except UsageError as exc:
                rebased = Completed(rebased.args, 1, "", str(exc))
            else:
                git(repo, "add", "--", *conflicted)
                rebased = git(
                    repo, *identity, "-c", "core.editor=true", "rebase", "--continue", check=False
                )
    if rebased.returncode != 0:
        git(repo, "rebase", "--abort", check=False)
        raise PushError(
            f"cannot rebase the badge commit onto {upstream}: "
            f"{_first_error(rebased.stderr or rebased.stdout)}"
        )


def _keep_our_block(repo: Path, name: str, ours: bytes) -> None:
    """Write upstream's ``name`` with the badge block of ``ours`` (a UsageError if it cannot)."""
    from research_ci.readme import decode_readme, find_block, update_readme_bytes  # noqa: PLC0415

    _, our_text = decode_readme(ours, source=name)
    span = find_block(our_text)
    if span is None:
        raise UsageError(f"{name}: the badge commit has no badge block")
    block = our_text[span[0] : span[1]].replace("\r\n", "\n").rstrip("\n")
    upstream = git(repo, "show", f"FETCH_HEAD:{name}", check=False)
    if upstream.returncode != 0:
        raise UsageError(f"{name}: gone upstream")
    updated = update_readme_bytes(upstream.stdout.encode("utf-8"), block, source=name)
    atomic_write_bytes(repo / name, updated)


def _first_error(output: str) -> str:
    """The line of git's output that says what went wrong."""
    lines = [line.strip() for line in output.strip().splitlines() if line.strip()]
    for line in lines:
        if line.startswith(("fatal:", "error:", "!")):
            return line
    return lines[-1] if lines else "error"


def _rejected_as_stale(stderr: str) -> bool:
    """Whether a failed push lost a race (the remote moved on), which a rebase can fix."""
    return any(marker in stderr for marker in ("non-fast-forward", "fetch first", "[rejected]"))


def _toplevel(path: Path) -> Path:
    directory = path.resolve().parent
    if not directory.is_dir():
        raise UsageError(f"commit-badge: {path} is not in an existing directory")
    result = git(directory, "rev-parse", "--show-toplevel", check=False)
    if result.returncode != 0:
        raise UsageError(f"commit-badge: {path} is not inside a git repository")
    return Path(result.stdout.strip()).resolve()
