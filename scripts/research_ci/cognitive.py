"""Cognitive complexity of code, measured by complexipy in a process of its own.

``python -m research_ci.cognitive UNITS.json`` reads a JSON list of Python texts and prints,
for each, ``null`` (it does not parse) or its functions as ``[name, complexity, first line,
last line]``. complexipy is a Rust extension: run apart from research-ci's threads, a crash in
it costs the maintainability check (status ``error``), never the whole run.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

Measured = list[tuple[str, int, int, int]] | None


def measure(texts: list[str]) -> list[Measured]:
    """The functions complexipy finds in each text (``None`` when it does not parse)."""
    import complexipy  # noqa: PLC0415  (not in the data environment, which imports this package)

    results: list[Measured] = []
    for text in texts:
        try:
            found = complexipy.code_complexity(text, with_plans=False)
        except (ValueError, RuntimeError):
            results.append(None)
            continue
        results.append([(f.name, f.complexity, f.line_start, f.line_end) for f in found.functions])
    return results


def main(argv: list[str]) -> int:
    """Read the texts from the file named by the only argument, print the JSON result."""
    texts = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    json.dump(measure(texts), sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
