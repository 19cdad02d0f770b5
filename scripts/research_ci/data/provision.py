"""The data environment: a Python with TensorFlow Data Validation, found or provisioned.

TFDV 1.16.1 pins numpy<2, pandas<2 and TensorFlow 2.16 and runs on Python 3.9-3.11, so it
never shares research-ci's own environment. :func:`data_python` says which Python runs the
data commands (``research-ci data ...`` and the data part of ``research-ci check``):

1. ``$RESEARCH_CI_DATA_PYTHON`` when set: a Python that has TFDV and research_ci (the
   GitHub Action's, or ``.venv-data`` in a checkout);
2. this Python, when it can import TFDV;
3. otherwise an environment research-ci provisions itself, once, the way pre-commit
   provisions hook environments: uv installs the lock shipped inside the package
   (``locks/data/requirements.txt``) with a matching Python into the per-user cache
   (``$RESEARCH_CI_CACHE_DIR``, else ``$XDG_CACHE_HOME/research-ci``, else
   ``~/.cache/research-ci``), in ``data/py<version>-<key>``, the key hashing the lock and
   the interpreter. It is built in a temporary directory beside it, under a file lock, and
   renamed into place only when complete (the stamp file written last), so a failed or
   interrupted provisioning is never reused; its leftovers are removed by the next one.
   A run that uses it holds its lock shared until it exits (:func:`hold`) and touches its
   stamp (:func:`mark_used`); after a new one is built, the same lock's environments that no
   run used for 30 days are removed (:mod:`research_ci.data.cache_prune`, which also backs
   ``research-ci cache list|prune``).

research_ci itself reaches a provisioned environment through ``PYTHONPATH``: a checkout's
``scripts/`` directory, which holds the package only (edits are live), or, for an installed
wheel, a copy of the package in the cache named after its version and content. The 2.5 GB
environment is shared by every research-ci with the same lock and interpreter; an upgrade
brings its own code, and a new lock its own environment.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO

import research_ci
from research_ci import interpreters
from research_ci.cache import cache_dir
from research_ci.errors import ResearchCIError
from research_ci.process import Announce, ToolError, run_tool

ENV_VAR = "RESEARCH_CI_DATA_PYTHON"
#: Set for a command re-run in the data environment: it must not re-run itself again.
RERUN_ENV_VAR = "RESEARCH_CI_DATA_RERUN"
#: Written last into a complete environment, before it is renamed into place.
STAMP = "research-ci-data.json"
PROVISION_TIMEOUT_S = 1800.0
TFDV = "tensorflow-data-validation"


class ProvisionError(ResearchCIError):
    """No data environment could be found or made; the message says why, in one line."""


@dataclasses.dataclass(frozen=True)
class Lock:
    """One of the data locks shipped with research-ci, and where it installs."""

    name: str
    python: str
    #: The oldest glibc its Linux x86_64 wheels run on.
    glibc: tuple[int, int]
    #: Roughly what the environment takes on disk (measured on a 1.16.1 environment; the real
    #: provisioning test measures the first lock's again).
    size: str


#: In order of preference. requirements-py312.txt (TFDV 1.21) has manylinux_2_39 wheels only.
LOCKS = (
    Lock("requirements.txt", "3.11", (2, 28), "2.5 GB"),
    Lock("requirements-py312.txt", "3.12", (2, 39), "3 GB"),
)


@dataclasses.dataclass(frozen=True)
class DataPython:
    """The interpreter that runs the data commands, and where it finds research_ci."""

    python: Path
    #: A directory holding only the research_ci package, for an environment without it.
    code: Path | None = None

    def env(self) -> dict[str, str]:
        """Environment variables the data commands need on top of the caller's."""
        return {"PYTHONPATH": str(self.code)} if self.code is not None else {}

    def command(self, *args: str | Path) -> list[str]:
        """``python -m research_ci ARGS`` in this environment."""
        return [str(self.python), "-m", "research_ci", *(str(arg) for arg in args)]


# --- where things are ------------------------------------------------------------------


def locks_dir() -> Path:
    """The data locks: inside the installed wheel, else in the checkout."""
    package = Path(research_ci.__file__).resolve().parent
    packaged = package / "locks" / "data"
    if (packaged / LOCKS[0].name).is_file():
        return packaged
    return package.parents[1] / "locks" / "data"


def _package_files(package: Path) -> list[Path]:
    skip = {"__pycache__", "project_template", "locks"}
    return sorted(
        path
        for path in package.rglob("*")
        if path.is_file() and not skip.intersection(path.relative_to(package).parts)
    )


def code_dir(cache: Path) -> Path:
    """A directory holding only the running research_ci package (for ``PYTHONPATH``).

    A checkout's (or an editable install's) ``scripts/`` is used as it is. An installed
    package sits among its dependencies, built for another Python: it is copied into the
    cache once per version and content.
    """
    package = Path(research_ci.__file__).resolve().parent
    parent = package.parent
    if [entry.name for entry in parent.iterdir()] == [package.name]:
        return parent
    digest = hashlib.sha256()
    files = _package_files(package)
    for path in files:
        digest.update(path.relative_to(package).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    target = cache / "code" / f"research_ci-{research_ci.__version__}-{digest.hexdigest()[:16]}"
    if (target / package.name / "__init__.py").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".tmp-{target.name}-", dir=target.parent))
    try:
        for path in files:
            destination = staging / package.name / path.relative_to(package)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, destination)
        with contextlib.suppress(OSError):  # another research-ci copied the same code first
            staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


# --- which lock and which Python -------------------------------------------------------


def glibc_version() -> tuple[int, int] | None:
    """The C library version of this Linux machine (None elsewhere or for musl)."""
    name, version = platform.libc_ver()
    match = re.match(r"(\d+)\.(\d+)", version)
    if name != "glibc" or match is None:
        return None
    return int(match.group(1)), int(match.group(2))


def usable_locks(system: str, machine: str, glibc: tuple[int, int] | None) -> tuple[Lock, ...]:
    """The locks whose wheels install on this platform (they are Linux x86_64 only)."""
    if system != "linux" or machine.lower() not in ("x86_64", "amd64") or glibc is None:
        return ()
    return tuple(lock for lock in LOCKS if glibc >= lock.glibc)


def pyenv_pythons(version: str) -> list[Path]:
    """The Pythons ``version`` (3.11 -> 3.11.*) of pyenv, newest first; pyenv may be off PATH."""
    return [python.path for python in interpreters.pyenv_pythons() if python.minor == version]


def find_python(version: str, uv: Path) -> Path | None:
    """A Python ``version`` (``3.11``) on this machine: uv's search (PATH, uv's), else pyenv's."""
    with contextlib.suppress(ToolError):
        found = run_tool(
            [uv, "python", "find", "--system", version],
            cwd=Path.cwd(),
            timeout_s=60.0,
            env={"UV_PYTHON_DOWNLOADS": "never"},
        )
        if found.returncode == 0 and found.stdout.strip():
            return Path(found.stdout.strip().splitlines()[-1])
    candidates = pyenv_pythons(version)
    return candidates[0] if candidates else None


def choose_lock(
    locks: Sequence[Lock], running: str, find: Callable[[str], Path | None]
) -> tuple[Lock, Path]:
    """The lock to install and the Python to install it for.

    This Python when a lock is for its version (``running``, e.g. ``3.11``), else the first
    lock whose Python ``find`` finds; a one-line :class:`ProvisionError` otherwise.
    """
    if not locks:
        raise ProvisionError(
            "research-ci provisions its data environment on Linux x86_64 (glibc >= 2.28) only: "
            f"set {ENV_VAR} to a Python 3.9-3.11 with tensorflow-data-validation and research-ci"
        )
    for lock in locks:
        if lock.python == running:
            return lock, Path(sys.executable)
    for lock in locks:
        python = find(lock.python)
        if python is not None:
            return lock, python
    wanted = " or ".join(lock.python for lock in locks)
    raise ProvisionError(
        f"TensorFlow Data Validation needs Python {wanted}, and research-ci runs on {running} and "
        f"found none (PATH, uv, pyenv): install one (uv python install {locks[0].python}, or "
        f"pyenv install {locks[0].python}) or set {ENV_VAR} to a Python that has "
        "tensorflow-data-validation"
    )


# Printed by the candidate interpreter: what makes its environments different from others'.
_PROBE = (
    "import json, os, platform, sys; print(json.dumps({"
    "'implementation': sys.implementation.name, 'version': platform.python_version(), "
    "'base': os.path.realpath(sys.base_prefix), 'machine': platform.machine()}))"
)


def interpreter_identity(python: Path) -> dict[str, str]:
    """Implementation, version, installation and machine of ``python``."""
    try:
        probe = run_tool([python, "-c", _PROBE], cwd=Path.cwd(), timeout_s=60.0)
        identity: dict[str, str] = json.loads(probe.stdout)
    except (ToolError, ValueError) as exc:
        raise ProvisionError(f"cannot run {python}: {exc}") from exc
    return identity


def environment_name(lock_bytes: bytes, identity: dict[str, str]) -> str:
    """The cache directory name of the environment of this lock and interpreter."""
    digest = hashlib.sha256(lock_bytes)
    digest.update(json.dumps(identity, sort_keys=True).encode())
    return f"py{identity['version']}-{digest.hexdigest()[:16]}"


def lock_summary(lock_text: str) -> tuple[str, int]:
    """TFDV's pinned version and the number of packages in a lock."""
    pins = re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)", lock_text, re.MULTILINE)
    versions = {name.lower().replace("_", "-"): version for name, version in pins}
    return versions.get(TFDV, "?"), len(pins)


# --- provisioning ------------------------------------------------------------------------


def lock_path(env: Path) -> Path:
    """The lock file of an environment, which is never deleted (a process may be taking it).

    It is held exclusively while the environment is built or removed, shared while a
    research-ci runs with it.
    """
    return env.parent / f"{env.name}.lock"


@contextlib.contextmanager
def _locked(path: Path, waiting: Callable[[], None]) -> Iterator[None]:
    """Hold an exclusive lock on ``path``; call ``waiting`` once if another process has it."""
    import fcntl  # noqa: PLC0415 - POSIX only, like the locks' wheels

    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            waiting()
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def locked_if_free(path: Path) -> Iterator[bool]:
    """Hold an exclusive lock on ``path`` if no other process holds it; yield whether it did.

    The lock is free only when no research-ci builds the environment (:func:`provision`) or
    uses it (:func:`hold`): :mod:`research_ci.data.cache_prune` removes nothing else.
    """
    import fcntl  # noqa: PLC0415 - POSIX only, like the locks' wheels

    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


#: Shared locks on the environments this process uses, held until it exits.
_HELD: dict[Path, IO[str]] = {}


def hold(env: Path) -> bool:
    """Take a shared lock on ``env`` for the rest of this process; False if it is gone.

    While it is held, no research-ci removes the environment; taking it waits for a removal
    under way, after which the environment is incomplete and must be made again.
    """
    import fcntl  # noqa: PLC0415 - POSIX only, like the locks' wheels

    if env in _HELD:
        return is_complete(env)
    if not _HELD:
        atexit.register(_let_go)
    handle = lock_path(env).open("a")  # kept open until the process exits
    fcntl.flock(handle, fcntl.LOCK_SH)
    if not is_complete(env):
        handle.close()
        return False
    _HELD[env] = handle
    return True


def _let_go() -> None:
    """Close the held locks at exit (the kernel would release them anyway)."""
    while _HELD:
        _HELD.popitem()[1].close()


def mark_used(env: Path) -> None:
    """Record that a run used ``env`` now (its stamp's time): the age rule reads it."""
    with contextlib.suppress(OSError):  # a read-only cache still works; it just ages
        os.utime(env / STAMP)


def is_complete(env: Path) -> bool:
    """True for an environment whose provisioning finished (its stamp exists)."""
    return (env / STAMP).is_file() and (env / "bin" / "python").exists()


@contextlib.contextmanager
def progress_status(text: str, *, enabled: bool) -> Iterator[None]:
    """A spinner on an interactive stderr while uv works (its own output is captured)."""
    if not enabled:
        yield
        return
    from rich.console import Console  # noqa: PLC0415

    with Console(stderr=True).status(text):
        yield


def _uv(uv: Path, args: Sequence[str | Path], what: str) -> None:
    try:
        completed = run_tool(
            [uv, *args],
            cwd=Path.cwd(),
            timeout_s=PROVISION_TIMEOUT_S,
            env={"UV_PYTHON_DOWNLOADS": "never"},
        )
    except ToolError as exc:
        raise ProvisionError(f"{what}: {exc}") from exc
    if completed.returncode != 0:
        raise ProvisionError(f"{what}: uv failed: {completed.tail(3)}")


def _build(venv: Path, lock: Path, python: Path, *, uv: Path) -> Path:
    """A virtual environment at ``venv`` with exactly what ``lock`` pins."""
    _uv(
        uv,
        ["venv", "--quiet", "--relocatable", "--python", python, venv],
        "cannot create the data environment",
    )
    _uv(
        uv,
        ["pip", "sync", "--quiet", "--python", venv / "bin" / "python", lock],
        f"cannot install {lock.name} into the data environment",
    )
    return venv


def provision(
    lock: Path,
    python: Path,
    *,
    cache: Path,
    uv: Path,
    announce: Announce,
    size: str = "",
    progress: bool = False,
) -> Path:
    """The environment of ``lock`` for ``python`` in ``cache``: reused, or made once."""
    lock_bytes = lock.read_bytes()
    identity = interpreter_identity(python)
    name = environment_name(lock_bytes, identity)
    root = cache / "data"
    env = root / name
    if is_complete(env):
        mark_used(env)
        return env
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ProvisionError(f"cannot create the cache {root}: {exc.strerror or exc}") from exc

    def waiting() -> None:
        announce(f"research-ci: waiting for another research-ci that is provisioning {env}")

    held = _HELD.pop(env, None)
    if held is not None:  # it was removed by hand under this process: do not wait for itself
        held.close()
    with _locked(lock_path(env), waiting):
        if is_complete(env):
            mark_used(env)
            return env
        # Whatever is left under this name was not finished: a failed or killed run's.
        for stale in (env, *root.glob(f".tmp-{name}-*")):
            shutil.rmtree(stale, ignore_errors=True)
        tfdv, packages = lock_summary(lock_bytes.decode("utf-8", "replace"))
        about = f", about {size}" if size else ""
        announce(
            f"research-ci: installing the data environment once: TensorFlow Data Validation "
            f"{tfdv} and {max(packages - 1, 0)} other packages pinned by research-ci's "
            f"{lock.name}{about}, for Python {identity['version']}, into {env} "
            "(later runs reuse it)"
        )
        staging = Path(tempfile.mkdtemp(prefix=f".tmp-{name}-", dir=root))
        try:
            with progress_status("research-ci: installing the data environment", enabled=progress):
                venv = _build(staging / "venv", lock, python, uv=uv)
            stamp = {
                "lock": lock.name,
                "lock_sha256": hashlib.sha256(lock_bytes).hexdigest(),
                "interpreter": identity,
                "tensorflow_data_validation": tfdv,
                "made_by_research_ci": research_ci.__version__,
            }
            # The stamp is written last, and the rename makes the environment visible at once.
            (venv / STAMP).write_text(json.dumps(stamp, indent=2) + "\n", encoding="utf-8")
            venv.rename(env)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    from research_ci.data.cache_prune import remove_unused  # noqa: PLC0415 - imports this module

    with contextlib.suppress(OSError):  # an old environment that stays is no failure
        remove_unused(env, announce=announce)
    return env


def _stderr(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def _machine_choice() -> tuple[Lock, Path, Path]:
    """The lock and Python this machine provisions with, and uv."""
    from research_ci.environment import uv_binary  # noqa: PLC0415

    locks = usable_locks(sys.platform, platform.machine(), glibc_version())
    uv = uv_binary()
    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    lock, python = choose_lock(locks, running, lambda version: find_python(version, uv))
    return lock, python, uv


def provisioned_python(*, announce: Announce = _stderr, progress: bool = False) -> DataPython:
    """Find or make the provisioned data environment for this machine (held while it runs)."""
    lock, python, uv = _machine_choice()
    cache = cache_dir()
    for _ in range(3):
        env = provision(
            locks_dir() / lock.name,
            python,
            cache=cache,
            uv=uv,
            announce=announce,
            size=lock.size,
            progress=progress,
        )
        if hold(env):  # else `research-ci cache prune --all` removed it meanwhile: again
            return DataPython(python=env / "bin" / "python", code=code_dir(cache))
    raise ProvisionError(f"the data environment {env} keeps being removed while research-ci starts")


def current_environment(cache: Path) -> Path:
    """The environment :func:`provisioned_python` would use now (built or not).

    It runs the same choice of lock and Python (a one-line :class:`ProvisionError` when there
    is none) and asks the interpreter who it is; it builds nothing.
    """
    lock, python, _ = _machine_choice()
    name = environment_name((locks_dir() / lock.name).read_bytes(), interpreter_identity(python))
    return cache / "data" / name


def tfdv_importable() -> bool:
    """True when this Python can import TFDV (without importing it: that takes 15 s)."""
    import importlib.util  # noqa: PLC0415

    return importlib.util.find_spec("tensorflow_data_validation") is not None


def data_python(*, announce: Announce = _stderr, progress: bool = False) -> DataPython:
    """The Python of the data commands: the override, this one, or a provisioned one."""
    configured = os.environ.get(ENV_VAR)
    if configured:
        if not Path(configured).exists():
            raise ProvisionError(
                f"{ENV_VAR}={configured} does not exist: unset it to let research-ci provision "
                "its data environment, or point it at a Python that has tensorflow-data-validation"
            )
        return DataPython(python=Path(configured))
    if tfdv_importable():
        return DataPython(python=Path(sys.executable))
    return provisioned_python(announce=announce, progress=progress)


def rerun(args: Sequence[str]) -> int:
    """Run ``research-ci ARGS`` again in the data environment; its exit code.

    stdin, stdout and stderr are the caller's; the re-run command does not re-run itself.
    """
    if os.environ.get(RERUN_ENV_VAR):
        raise ProvisionError(
            f"the data environment {sys.executable} cannot import tensorflow_data_validation: "
            f"remove it (or fix {ENV_VAR}) and run the command again"
        )
    target = data_python(progress=sys.stderr.isatty())
    environment = {**os.environ, **target.env(), RERUN_ENV_VAR: "1"}
    environment.pop("VIRTUAL_ENV", None)
    if target.code is None:
        environment.pop("PYTHONPATH", None)
    process = subprocess.Popen(target.command(*args), env=environment)
    try:
        return process.wait()
    except KeyboardInterrupt:
        # The child got the same interrupt: let it finish its own clean-up.
        return process.wait()
