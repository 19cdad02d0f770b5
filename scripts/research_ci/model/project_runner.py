"""Run a project's model on feature tables, in the project's own Python.

research-ci runs this file with the project's interpreter (its ``.venv``), which has the
model's dependencies (pandas, scikit-learn, torch...) that research-ci's own environment
does not. It needs only the standard library, pandas and numpy, and never imports
research-ci. Usage::

    python project_runner.py MANIFEST.json

The manifest lists ``paths`` to put first on ``sys.path`` (the project root and its
``src``) and ``jobs``: ``{"target": "module:function", "input": CSV, "output": CSV,
"strings": [text columns]}``. For each job the function gets a pandas DataFrame of the
input's rows and returns one prediction per row (a sequence, a Series, or an (n, 2) array
of class probabilities, whose second column is the positive class's score). The
predictions are written as a one-column CSV. Any problem is one line on stderr and exit 3.
"""

from __future__ import annotations

import importlib
import json
import sys
from typing import Any

FAILED = 3


def fail(message: str) -> None:
    """Print one line and exit."""
    sys.stderr.write(" ".join(message.split()) + "\n")
    sys.exit(FAILED)


def load(target: str) -> Any:
    """The callable named ``module:function``."""
    module_name, _, name = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # noqa: BLE001 (the project's import error, reported in one line)
        fail(f"cannot import {module_name}: {type(exc).__name__}: {exc}")
    function = getattr(module, name, None)
    if not callable(function):
        fail(f"{module_name} has no function {name}")
    return function


def predictions(function: Any, frame: Any, target: str) -> Any:
    """Call the model and shape its answer into one value per row."""
    import numpy as np  # noqa: PLC0415

    try:
        result = function(frame)
    except Exception as exc:  # noqa: BLE001 (the model's error, reported in one line)
        fail(f"{target} raised {type(exc).__name__}: {exc}")
    values = np.asarray(result)
    if values.ndim == 2 and values.shape[1] in (1, 2):
        values = values[:, -1]
    if values.ndim != 1 or len(values) != len(frame):
        fail(
            f"{target} returned shape {values.shape} for {len(frame)} rows: "
            "expected one prediction per row"
        )
    return values


def main(argv: list[str]) -> None:
    """Run every job of the manifest."""
    import pandas as pd  # noqa: PLC0415

    with open(argv[1], encoding="utf-8") as handle:  # noqa: PTH123
        manifest = json.load(handle)
    sys.path[:0] = manifest["paths"]
    functions: dict[str, Any] = {}
    for job in manifest["jobs"]:
        target = job["target"]
        if target not in functions:
            functions[target] = load(target)
        frame = pd.read_csv(
            job["input"],
            dtype=dict.fromkeys(job["strings"], str),
            keep_default_na=False,
            na_values=[""],
        )
        values = predictions(functions[target], frame, target)
        pd.DataFrame({"prediction": values}).to_csv(job["output"], index=False)


if __name__ == "__main__":
    main(sys.argv)
