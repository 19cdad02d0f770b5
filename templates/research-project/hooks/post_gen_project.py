"""Remove the parts of the project that the answers turned off.

cookiecutter renders this file with the answers and runs it inside the new project.
"""

from __future__ import annotations

import shutil
from pathlib import Path

REMOVE: list[str] = []
{%- if cookiecutter.license == "none" %}
REMOVE.append("LICENSE")
{%- endif %}
{%- if cookiecutter.include_data_validation != "yes" %}
REMOVE.append("data/schema.pbtxt")
{%- endif %}
{%- if cookiecutter.include_notebooks != "yes" %}
REMOVE.append("notebooks")
{%- endif %}


def main() -> None:
    """Delete each path in REMOVE (files and directories)."""
    for name in REMOVE:
        path = Path(name)
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


if __name__ == "__main__":
    main()
