"""Importing TensorFlow and TFDV: late, once, and quietly.

``import tensorflow_data_validation`` costs 12-15 s and prints pages of TensorFlow, CUDA,
google-api-core and Beam start-up chatter. Only the commands that need TFDV call
:func:`load_tfdv`; ``research-ci --help`` and ``research-ci data --help`` never do.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import sys
import warnings
from collections.abc import Iterator
from functools import cache
from typing import Any

from research_ci.errors import UsageError

INSTALL_HINT = (
    "TensorFlow Data Validation is not installed in this Python: run the command as "
    "`research-ci data ...`, which provisions its data environment on first use, or set "
    "RESEARCH_CI_DATA_PYTHON to a Python that has tensorflow-data-validation"
)


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Silence Python warnings, logging and C++ (absl) output on stderr for a block."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
    previous = logging.root.manager.disable
    logging.disable(logging.WARNING)
    stderr_fd = None
    try:
        # absl/C++ start-up lines go straight to file descriptor 2.
        sys.stderr.flush()
        stderr_fd = os.dup(2)
        with open(os.devnull, "w") as devnull:  # noqa: PTH123
            os.dup2(devnull.fileno(), 2)
        with (
            warnings.catch_warnings(),
            contextlib.redirect_stderr(io.StringIO()),
            contextlib.redirect_stdout(io.StringIO()),
        ):
            warnings.simplefilter("ignore")
            yield
    finally:
        if stderr_fd is not None:
            os.dup2(stderr_fd, 2)
            os.close(stderr_fd)
        logging.disable(previous)


@cache
def load_tfdv() -> Any:
    """``tensorflow_data_validation``, imported quietly; a one-line error when missing."""
    with quiet():
        try:
            import tensorflow_data_validation as tfdv  # noqa: PLC0415
        except ImportError as exc:
            raise UsageError(f"{INSTALL_HINT} ({exc})") from exc
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    logging.getLogger("apache_beam").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    return tfdv


@cache
def load_tensorflow() -> Any:
    """``tensorflow`` (after TFDV, so that the same quiet import applies)."""
    load_tfdv()
    import tensorflow as tf  # noqa: PLC0415

    return tf
