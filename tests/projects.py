"""Throwaway Python projects for the tests: real files that real tools check."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path

HATCHLING_HEAD = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "{name}"
version = "{version}"
requires-python = "{requires_python}"
"""


def hatchling_pyproject(
    name: str, rest: str = "", *, version: str = "0.1.0", requires_python: str = ">=3.10"
) -> str:
    """A pyproject.toml that hatchling builds: the build system, the project's name, version and
    Python, then ``rest`` (dedented: more ``[project]`` keys, the tools' tables)."""
    head = HATCHLING_HEAD.format(name=name, version=version, requires_python=requires_python)
    return head + textwrap.dedent(rest)


PYPROJECT = hatchling_pyproject(
    "{name}",
    rest="""
[tool.black]
line-length = 100

[tool.ruff]
line-length = 100

[tool.ruff.lint]
select = ["E", "F", "I", "B", "UP", "TID"]

[tool.ruff.lint.flake8-tidy-imports]
ban-relative-imports = "all"

[tool.mypy]
strict = true

[tool.coverage.report]
fail_under = 80
{extra}""",
)

CLEAN_FILES: dict[str, str] = {
    "src/{pkg}/__init__.py": '''\
        """A tiny research package."""
        ''',
    "src/{pkg}/py.typed": "",
    "src/{pkg}/stats.py": '''\
        """Small statistics helpers."""

        from collections.abc import Sequence


        def mean(values: Sequence[float]) -> float:
            """Arithmetic mean of a non-empty sequence."""
            if not values:
                raise ValueError("mean of an empty sequence")
            return sum(values) / len(values)


        def spread(values: Sequence[float]) -> float:
            """Largest minus smallest value."""
            return max(values) - min(values)


        def normalise(values: Sequence[float]) -> list[float]:
            """Scale values to the range 0..1 (all zeros when they are all equal)."""
            low = min(values)
            width = spread(values)
            if width == 0:
                return [0.0 for _ in values]
            scaled = []
            for value in values:
                position = value - low
                scaled.append(position / width)
            return scaled


        def running_total(values: Sequence[float]) -> list[float]:
            """Cumulative sums."""
            totals: list[float] = []
            total = 0.0
            for value in values:
                total += value
                totals.append(total)
            return totals
        ''',
    "tests/test_stats.py": """\
        import pytest

        from {pkg}.stats import mean, normalise, running_total, spread


        def test_mean() -> None:
            assert mean([1.0, 2.0, 3.0]) == 2.0


        def test_mean_empty() -> None:
            with pytest.raises(ValueError, match="empty"):
                mean([])


        def test_spread() -> None:
            assert spread([1.0, 5.0]) == 4.0


        def test_normalise_and_totals() -> None:
            assert normalise([1.0, 3.0]) == [0.0, 1.0]
            assert normalise([2.0, 2.0]) == [0.0, 0.0]
            assert running_total([1.0, 2.0]) == [1.0, 3.0]
        """,
}


def write_project(
    root: Path,
    *,
    name: str = "sample-project",
    files: dict[str, str] | None = None,
    extra_pyproject: str = "",
    clean: bool = True,
) -> Path:
    """Write a project under ``root``: the clean files, then ``files`` on top of them."""
    pkg = name.replace("-", "_")
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(
        PYPROJECT.format(name=name, extra=extra_pyproject), encoding="utf-8"
    )
    contents = dict(CLEAN_FILES) if clean else {}
    contents.update(files or {})
    for relative, text in contents.items():
        path = root / relative.format(pkg=pkg)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).replace("{pkg}", pkg), encoding="utf-8")
    return root


def run_command(
    command: Sequence[str | Path],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``command`` and capture its exit code, stdout and stderr as text (never raises on 1)."""
    return subprocess.run(
        [str(part) for part in command],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        timeout=timeout,
        env=env,
    )


def run_cli(
    *args: str, cwd: Path | None = None, timeout: float | None = None, no_color: bool = False
) -> subprocess.CompletedProcess[str]:
    """``research-ci ARGS`` in a subprocess (exit code, stdout, stderr).

    ``timeout`` fails a command that hangs; ``no_color`` sets ``NO_COLOR=1`` for plain output.
    """
    env = {**os.environ, "NO_COLOR": "1"} if no_color else None
    return run_command(
        [sys.executable, "-m", "research_ci", *args], cwd=cwd, env=env, timeout=timeout
    )


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` and its bytes (to assert that nothing was written)."""
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }
