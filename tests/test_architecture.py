"""docs/architecture.md names every module of the package, so the map stays true."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "scripts" / "research_ci"


def test_every_module_has_a_row_in_the_architecture_page() -> None:
    text = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`([\w/]+\.py)`", text))
    modules = sorted(
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*.py")
        if path.name != "__init__.py" or path.parent == PACKAGE or path.parent.name == "cli"
    )
    missing = [module for module in modules if module not in named]
    assert not missing, f"docs/architecture.md has no row for {missing}"
