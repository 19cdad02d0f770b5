"""The Python that has TFDV, for the data benchmarks (they measure TFDV beside research-ci)."""

from __future__ import annotations

import importlib.util
import os
import sys


def data_python() -> str:
    """This Python when it imports TFDV, else ``$RESEARCH_CI_DATA_PYTHON`` (or exit)."""
    if importlib.util.find_spec("tensorflow_data_validation") is not None:
        return sys.executable
    python = os.environ.get("RESEARCH_CI_DATA_PYTHON")
    if not python:
        raise SystemExit("needs TFDV: run `make install-data` and set RESEARCH_CI_DATA_PYTHON")
    return python
