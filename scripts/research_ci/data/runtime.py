"""Importing TFDV: only what a command needs, late, once, and quietly.

``import tensorflow_data_validation`` costs 12-19 s: its package ``__init__`` imports every
public API, and through them TensorFlow (~11 s, via ``utils.artifacts_io_impl`` and the
feature-skew detector) and Apache Beam (~6 s). The in-process path - statistics with TFDV's
combiner generators, schema inference and validation in TFDV's C++ extension - needs neither
TensorFlow nor Beam's runners, so :func:`load_core` imports only TFDV's submodules it uses:

* the ``tensorflow_data_validation`` package module is created from its spec without running
  its ``__init__`` (a later :func:`load_tfdv` runs it in the same module object, so the full
  API appears when a Beam pipeline, feature skew or TFRecord input needs it);
* ``tensorflow`` is registered as a :class:`_Deferred` module: TFDV's statistics modules
  ``import tensorflow as tf`` at the top but call it only inside functions that the
  in-process path never runs. The first use of any of its attributes imports the real
  TensorFlow (quietly) and every later use goes to it, so nothing behaves differently; it
  only happens later, or never.

Apache Beam is still imported: TFDV's ``types`` and ``stats_generator`` modules define Beam
classes at import time. Its ``__init__`` imports the Google Cloud connectors, whose client
libraries (BigQuery, Pub/Sub: 3-6 s on a busy machine) are deferred the same way - Beam only
names them at import. Installed files are never changed. ``research-ci --help`` and
``research-ci data --help`` import none of this.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import importlib.util
import io
import logging
import os
import sys
import types
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
_TFDV = "tensorflow_data_validation"
_TENSORFLOW = "tensorflow"
#: Imported by the in-process path's imports but not used by it: imported on first use.
_DEFERRED = (
    _TENSORFLOW,
    "google.cloud.bigquery",
    "google.cloud.bigquery_storage_v1",
    "google.cloud.pubsub",
    "google.cloud.pubsub_v1",
)
#: Set on the TFDV package module while its ``__init__`` has not run.
_BARE = "__research_ci_bare__"


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


class _Deferred(types.ModuleType):
    """Stands in for a module in ``sys.modules`` until one of its attributes is used.

    ``import tensorflow as tf`` binds this object; ``tf.anything`` (or a submodule import,
    which asks for ``__path__``) imports the real module and forwards to it from then on.
    """

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name != "__path__":
            raise AttributeError(name)  # introspection (hasattr, copy, pickle) is not a use
        real = self.__dict__.get("_research_ci_real")
        if real is None:
            real = self.__dict__["_research_ci_real"] = _imported(self.__name__)
        return getattr(real, name)


def _imported(name: str) -> Any:
    """The real module ``name``, imported quietly in place of its :class:`_Deferred`."""
    if isinstance(sys.modules.get(name), _Deferred):
        del sys.modules[name]
    with quiet():
        return importlib.import_module(name)


def _defer(name: str) -> None:
    """Register ``name`` as a :class:`_Deferred` module unless it is imported or absent."""
    if name in sys.modules:
        return
    try:
        spec = importlib.util.find_spec(name)  # imports the parent package of a submodule
    except ModuleNotFoundError:
        spec = None
    if spec is None:
        return  # not installed: its importers handle that themselves
    module = _Deferred(name)
    module.__spec__ = spec
    sys.modules[name] = module
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(sys.modules[parent], child, module)  # as an import would


def _bare_package(name: str) -> None:
    """Create package ``name`` from its spec without running its ``__init__``."""
    if name in sys.modules:
        return
    spec = importlib.util.find_spec(name)
    if spec is None:
        raise ImportError(f"No module named {name!r}")
    module = importlib.util.module_from_spec(spec)
    setattr(module, _BARE, True)
    sys.modules[name] = module


@dataclasses.dataclass(frozen=True)
class Core:
    """TFDV's in-process parts: statistics generators and options, and its C++ validation."""

    stats_impl: Any
    stats_options: Any
    #: TFDV's C++ extension: ``InferSchema``, ``ValidateFeatureStatistics``.
    validation: Any
    table_util: Any


@cache
def load_core() -> Core:
    """TFDV's statistics and validation without TensorFlow (see the module docstring)."""
    with quiet():
        try:
            for name in _DEFERRED:
                _defer(name)
            _bare_package(_TFDV)
            stats_impl = importlib.import_module(f"{_TFDV}.statistics.stats_impl")
            stats_options = importlib.import_module(f"{_TFDV}.statistics.stats_options")
            validation = importlib.import_module(
                f"{_TFDV}.pywrap.tensorflow_data_validation_extension"
            ).validation
            table_util = importlib.import_module("tfx_bsl.arrow.table_util")
        except ImportError as exc:
            raise UsageError(f"{INSTALL_HINT} ({exc})") from exc
    _quiet_loggers()
    return Core(
        stats_impl=stats_impl,
        stats_options=stats_options,
        validation=validation,
        table_util=table_util,
    )


def _quiet_loggers() -> None:
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    logging.getLogger("apache_beam").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=DeprecationWarning)


@cache
def load_tfdv() -> Any:
    """The whole ``tensorflow_data_validation`` API (Beam pipelines, feature skew)."""
    with quiet():
        try:
            module = sys.modules.get(_TFDV)
            if module is not None and getattr(module, _BARE, False):
                # The package module exists without its __init__ (load_core): run it now.
                delattr(module, _BARE)
                spec = module.__spec__
                if spec is None or spec.loader is None:  # pragma: no cover - never for TFDV
                    raise ImportError(f"{_TFDV} has no loader")
                spec.loader.exec_module(module)
            else:
                module = importlib.import_module(_TFDV)
        except ImportError as exc:
            raise UsageError(f"{INSTALL_HINT} ({exc})") from exc
    _quiet_loggers()
    return module


@cache
def load_tensorflow() -> Any:
    """The real ``tensorflow`` module (TFRecord input, feature skew), imported quietly."""
    try:
        return _imported(_TENSORFLOW)
    except ImportError as exc:
        raise UsageError(f"{INSTALL_HINT} ({exc})") from exc
