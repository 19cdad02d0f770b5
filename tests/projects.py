"""Throwaway Python projects for the tests: real files that real tools check."""

from __future__ import annotations

import textwrap
from pathlib import Path

PYPROJECT = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "{name}"
version = "0.1.0"
requires-python = ">=3.10"

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
{extra}"""

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
