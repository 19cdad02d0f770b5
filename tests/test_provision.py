"""research-ci provisions its TFDV environment itself, once, and never reuses a broken one.

The real provisioning runs research-ci's engine (``.venv/bin/research-ci``, no TFDV) with no
``RESEARCH_CI_DATA_PYTHON`` and a fresh per-test cache: uv installs the shipped lock (hard
links from its warm cache: seconds), ``data infer`` and ``data validate`` re-run in it with
their own exit codes. The failure and interruption tests provision a lock that pins one local
package whose build backend fails, or waits, on the test's signal, so they need no network and
no TensorFlow: a failed build leaves nothing, a killed one leaves only a staging directory that
the next provisioning removes before it builds the environment again.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import stat
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import pytest

from research_ci.cache import cache_dir
from research_ci.cli import main as cli_main
from research_ci.data import provision
from research_ci.data.provision import (
    LOCKS,
    DataPython,
    ProvisionError,
    choose_lock,
    environment_name,
    lock_summary,
    usable_locks,
)
from research_ci.environment import uv_binary
from template_helpers import BIN, TEMPLATE

TRAIN = TEMPLATE / "{{cookiecutter.project_slug}}" / "data" / "train.csv"
SCHEMA = TRAIN.with_name("schema.pbtxt")

# --------------------------------------------------------------------- choosing a lock


def test_locks_install_on_linux_x86_64_with_a_recent_enough_glibc() -> None:
    assert usable_locks("linux", "x86_64", (2, 36)) == (LOCKS[0],)
    assert usable_locks("linux", "x86_64", (2, 39)) == LOCKS
    assert usable_locks("linux", "x86_64", (2, 17)) == ()
    assert usable_locks("linux", "aarch64", (2, 39)) == ()
    assert usable_locks("linux", "x86_64", None) == ()  # musl
    assert usable_locks("darwin", "x86_64", None) == ()


def test_this_python_is_preferred_then_the_first_lock_whose_python_is_found(
    tmp_path: Path,
) -> None:
    other = tmp_path / "python3.11"
    asked: list[str] = []

    def find(version: str) -> Path | None:
        asked.append(version)
        return other if version == "3.11" else None

    assert choose_lock(LOCKS, "3.12", find) == (LOCKS[1], Path(sys.executable))
    assert asked == []
    assert choose_lock(LOCKS, "3.13", find) == (LOCKS[0], other)
    assert asked == ["3.11"]


def test_no_python_or_platform_for_the_locks_is_one_line_that_says_what_is_needed() -> None:
    with pytest.raises(
        ProvisionError, match=re.escape("needs Python 3.11, and research-ci runs on 3.13")
    ) as info:
        choose_lock(LOCKS[:1], "3.13", lambda _version: None)
    assert "uv python install 3.11" in str(info.value)
    assert "RESEARCH_CI_DATA_PYTHON" in str(info.value)
    with pytest.raises(ProvisionError, match="Linux x86_64"):
        choose_lock((), "3.11", lambda _version: None)


def test_pyenv_pythons_are_found_off_path_newest_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "pyenv"
    for name in ("3.11.2", "3.11.10", "3.11-dev", "3.12.1", "my-venv"):
        python = root / "versions" / name / "bin" / f"python{name[:4]}"
        python.parent.mkdir(parents=True)
        python.write_text("", encoding="utf-8")
    monkeypatch.setenv("PYENV_ROOT", str(root))
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert provision.pyenv_pythons("3.11") == [
        root / "versions" / "3.11.10" / "bin" / "python3.11",
        root / "versions" / "3.11.2" / "bin" / "python3.11",
    ]
    assert provision.pyenv_pythons("3.10") == []


def test_uv_finds_this_machines_python() -> None:
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    found = provision.find_python(version, uv_binary())
    assert found is not None
    assert provision.interpreter_identity(found)["version"].startswith(version + ".")


def test_the_environment_is_keyed_by_the_lock_and_the_interpreter() -> None:
    identity = provision.interpreter_identity(Path(sys.executable))
    assert identity["base"] == os.path.realpath(sys.base_prefix)
    name = environment_name(b"lock", identity)
    assert name.startswith(f"py{identity['version']}-")
    assert environment_name(b"lock", identity) == name
    assert environment_name(b"lock 2", identity) != name
    assert environment_name(b"lock", {**identity, "base": "/elsewhere"}) != name


def test_the_shipped_lock_is_found_and_summarised() -> None:
    lock = provision.locks_dir() / LOCKS[0].name
    tfdv, packages = lock_summary(lock.read_text(encoding="utf-8"))
    assert tfdv == "1.16.1"
    assert packages > 100


def test_a_checkout_lends_its_scripts_directory(tmp_path: Path) -> None:
    code = provision.code_dir(tmp_path)
    assert [entry.name for entry in code.iterdir()] == ["research_ci"]
    assert not (tmp_path / "code").exists(), "nothing copied for a checkout"


def test_an_installed_package_is_copied_once_per_content(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A wheel's research_ci sits among its dependencies: only the package is lent, as a copy."""
    site = tmp_path / "site-packages"
    package = site / "research_ci"
    (package / "data").mkdir(parents=True)
    (package / "__init__.py").write_text("__version__ = '9'\n", encoding="utf-8")
    (package / "data" / "provision.py").write_text("# provision\n", encoding="utf-8")
    (package / "locks" / "data").mkdir(parents=True)
    (package / "locks" / "data" / "requirements.txt").write_text("x==1\n", encoding="utf-8")
    (site / "click").mkdir()
    fake = SimpleNamespace(__file__=str(package / "__init__.py"), __version__="9")
    monkeypatch.setattr(provision, "research_ci", fake)
    cache = tmp_path / "cache"
    code = provision.code_dir(cache)
    assert code.parent == cache / "code"
    assert code.name.startswith("research_ci-9-")
    copied = sorted(path.relative_to(code).as_posix() for path in code.rglob("*.py"))
    assert copied == ["research_ci/__init__.py", "research_ci/data/provision.py"]
    assert provision.locks_dir() == package / "locks" / "data"
    assert provision.code_dir(cache) == code
    (package / "data" / "provision.py").write_text("# upgraded\n", encoding="utf-8")
    upgraded = provision.code_dir(cache)
    assert upgraded != code
    assert sorted(path.name for path in (cache / "code").iterdir()) == sorted(
        [code.name, upgraded.name]
    ), "no staging directory left"


def test_the_cache_is_per_user_and_can_be_moved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RESEARCH_CI_CACHE_DIR", str(tmp_path / "mine"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "mine"
    monkeypatch.delenv("RESEARCH_CI_CACHE_DIR")
    assert cache_dir() == tmp_path / "xdg" / "research-ci"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    expected = "Library/Caches" if sys.platform == "darwin" else ".cache"
    assert cache_dir() == tmp_path / "home" / expected / "research-ci"


def test_this_machine_has_a_glibc_and_a_python_that_cannot_run_is_one_line(
    tmp_path: Path,
) -> None:
    if sys.platform == "linux":
        assert provision.glibc_version() is not None
    with pytest.raises(ProvisionError, match="cannot run"):
        provision.interpreter_identity(tmp_path / "no-python")


def test_an_override_that_does_not_exist_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RESEARCH_CI_DATA_PYTHON", str(tmp_path / "python"))
    with pytest.raises(ProvisionError, match="does not exist"):
        provision.data_python()
    monkeypatch.setenv("RESEARCH_CI_DATA_PYTHON", sys.executable)
    assert provision.data_python() == DataPython(python=Path(sys.executable))


def test_a_data_command_with_a_missing_override_is_one_line_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RESEARCH_CI_DATA_PYTHON", str(tmp_path / "python"))
    monkeypatch.chdir(tmp_path)
    assert cli_main(["data", "infer", "--data", "x.csv"]) == 2
    err = capfd.readouterr().err
    assert err.count("\n") == 1
    assert f"RESEARCH_CI_DATA_PYTHON={tmp_path / 'python'} does not exist" in err


def test_a_rerun_without_tfdv_stops_instead_of_rerunning_again(tmp_path: Path) -> None:
    """RESEARCH_CI_DATA_PYTHON pointing at a Python without TFDV: one line, exit 2."""
    completed = subprocess.run(
        [sys.executable, "-m", "research_ci", "data", "infer", "--data", "x.csv"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env={**os.environ, "RESEARCH_CI_DATA_PYTHON": sys.executable},
        timeout=120,
    )
    assert completed.returncode == 2, completed.stderr
    assert completed.stderr.count("\n") == 1
    assert "cannot import tensorflow_data_validation" in completed.stderr


# ----------------------------------------------------- failed and interrupted provisioning


def local_lock(tmp_path: Path) -> tuple[Path, Path]:
    """A lock pinning one local package, and the signal file its build backend obeys.

    ``<signal>.fail`` makes the build fail; while ``<signal>.hold`` exists the build waits.
    """
    package = tmp_path / "gate-pkg"
    package.mkdir()
    gate = tmp_path / "gate"
    (package / "pyproject.toml").write_text(
        textwrap.dedent("""\
            [build-system]
            requires = []
            build-backend = "backend"
            backend-path = ["."]

            [project]
            name = "gate-pkg"
            version = "1.0"
            """),
        encoding="utf-8",
    )
    (package / "backend.py").write_text(
        textwrap.dedent(f"""\
            import os, time, zipfile

            GATE = {str(gate)!r}
            DIST = "gate_pkg-1.0"


            def get_requires_for_build_wheel(config_settings=None):
                return []


            def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
                if os.path.exists(GATE + ".fail"):
                    raise RuntimeError("the build fails on purpose")
                while os.path.exists(GATE + ".hold"):
                    time.sleep(0.1)
                name = DIST + "-py3-none-any.whl"
                metadata = "Metadata-Version: 2.1\\nName: gate-pkg\\nVersion: 1.0\\n"
                tags = "Wheel-Version: 1.0\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"
                files = {{
                    "gate_pkg.py": "",
                    DIST + ".dist-info/METADATA": metadata,
                    DIST + ".dist-info/WHEEL": tags,
                }}
                record = "".join(path + ",,\\n" for path in files) + DIST + ".dist-info/RECORD,,\\n"
                with zipfile.ZipFile(os.path.join(wheel_directory, name), "w") as wheel:
                    for path, text in files.items():
                        wheel.writestr(path, text)
                    wheel.writestr(DIST + ".dist-info/RECORD", record)
                return name
            """),
        encoding="utf-8",
    )
    lock = tmp_path / "requirements.txt"
    lock.write_text(f"gate-pkg @ {package.as_uri()}\n", encoding="utf-8")
    return lock, gate


def environments(cache: Path) -> list[str]:
    return sorted(path.name for path in (cache / "data").iterdir() if path.is_dir())


PROVISION_SCRIPT = """\
import sys
from pathlib import Path
from research_ci.data.provision import provision
from research_ci.environment import uv_binary

lock, cache = map(Path, sys.argv[1:3])
def announce(line):
    print(line, file=sys.stderr, flush=True)
env = provision(lock, Path(sys.executable), cache=cache, uv=uv_binary(), announce=announce)
print(env)
"""


def start_provisioning(lock: Path, cache: Path, tmp_path: Path, log: str) -> subprocess.Popen[str]:
    """Provision in a process group of its own (so that it can be killed like Ctrl-C would).

    Its stdout (the environment's path) and stderr go to ``tmp_path/LOG.out`` and ``.err``.
    """
    with (
        (tmp_path / f"{log}.out").open("w", encoding="utf-8") as out,
        (tmp_path / f"{log}.err").open("w", encoding="utf-8") as err,
    ):
        return subprocess.Popen(
            [sys.executable, "-c", PROVISION_SCRIPT, str(lock), str(cache)],
            stdout=out,
            stderr=err,
            text=True,
            start_new_session=True,
            # A uv cache of its own: the gate package never reaches the user's uv cache.
            env={**os.environ, "UV_CACHE_DIR": str(tmp_path / "uv-cache")},
        )


def kill_processes_naming(path: Path) -> None:
    """SIGKILL every process whose command line names ``path`` (Linux's /proc)."""
    marker = os.fsencode(path)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if marker in command:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(entry.name), signal.SIGKILL)


def wait_for(condition: Callable[[], object], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


@dataclass(frozen=True)
class LocalProvisioning:
    """The local lock, the cache it is provisioned into, and the lines announced so far."""

    lock: Path
    gate: Path
    cache: Path
    lines: list[str] = field(default_factory=list)

    def provision(self) -> Path:
        """Provision the lock for this Python in the cache, in this process."""
        return provision.provision(
            self.lock,
            Path(sys.executable),
            cache=self.cache,
            uv=uv_binary(),
            announce=self.lines.append,
        )


@pytest.fixture
def local(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> LocalProvisioning:
    """The lock of :func:`local_lock`, provisioned in this process with a uv cache of its own."""
    lock, gate = local_lock(tmp_path)
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "uv-cache"))
    return LocalProvisioning(lock, gate, tmp_path / "cache")


def test_a_failed_provisioning_leaves_nothing_that_is_reused(local: LocalProvisioning) -> None:
    fail = local.gate.with_suffix(".fail")
    fail.touch()
    with pytest.raises(ProvisionError, match=re.escape("cannot install requirements.txt")) as info:
        local.provision()
    assert "\n" not in str(info.value)
    assert environments(local.cache) == [], "no environment, no staging directory left"
    assert len(local.lines) == 1
    assert local.lines[0].startswith("research-ci: installing the data environment once")

    fail.unlink()
    env = local.provision()
    assert provision.is_complete(env)
    assert environments(local.cache) == [env.name]
    assert len(local.lines) == 2, "the second attempt provisions again"
    stamp = json.loads((env / provision.STAMP).read_text(encoding="utf-8"))
    assert stamp["lock"] == "requirements.txt"
    imported = subprocess.run([env / "bin" / "python", "-c", "import gate_pkg"], check=False)
    assert imported.returncode == 0
    assert local.provision() == env
    assert len(local.lines) == 2, "a complete environment is reused silently"


def test_an_interrupted_provisioning_is_not_reused_and_a_waiting_one_finishes(
    tmp_path: Path,
) -> None:
    lock, gate = local_lock(tmp_path)
    cache = tmp_path / "cache"
    second_err = tmp_path / "second.err"
    gate.with_suffix(".hold").touch()
    first = start_provisioning(lock, cache, tmp_path, "first")
    second: subprocess.Popen[str] | None = None
    try:
        # The first run is in the middle of its build: venv made, package not installed.
        wait_for(lambda: list((cache / "data").glob(".tmp-*/venv/pyvenv.cfg")))
        (staging,) = (cache / "data").glob(".tmp-*")
        second = start_provisioning(lock, cache, tmp_path, "second")
        wait_for(lambda: "waiting for another" in second_err.read_text(encoding="utf-8"))
        assert second.poll() is None, "it waits while the first one holds the lock"
        # Interrupted: the whole process group dies (research-ci and its uv), not finished.
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=60)
        # research-ci runs uv in a process group of its own (as every tool), which SIGKILL to
        # research-ci cannot reach: a killed machine or CI runner takes it too, so do that here.
        kill_processes_naming(staging)
        # The waiting run may already hold the lock and have removed the staging directory.
        left = environments(cache)
        assert all(name.startswith(".tmp-") for name in left), "nothing finished to reuse"
        gate.with_suffix(".hold").unlink()
        second.wait(timeout=300)
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=60)
        gate.with_suffix(".hold").unlink(missing_ok=True)
    err = second_err.read_text(encoding="utf-8")
    assert second.returncode == 0, err
    assert "installing the data environment once" in err
    env = Path((tmp_path / "second.out").read_text(encoding="utf-8").strip())
    assert provision.is_complete(env)
    assert environments(cache) == [env.name], "the killed run's staging directory is gone"


def test_a_directory_without_the_stamp_is_rebuilt(local: LocalProvisioning) -> None:
    identity = provision.interpreter_identity(Path(sys.executable))
    name = environment_name(local.lock.read_bytes(), identity)
    half = local.cache / "data" / name / "bin"
    half.mkdir(parents=True)
    (half / "python").symlink_to(sys.executable)
    env = local.provision()
    assert env.name == name
    assert provision.is_complete(env)
    assert len(local.lines) == 1


# ------------------------------------------------------------- the real TFDV environment


def engine_environment(cache: Path) -> dict[str, str]:
    """research-ci's engine environment as a user has it: no TFDV, no override."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("RESEARCH_CI_DATA_PYTHON", "VIRTUAL_ENV", "PYTHONPATH")
    }
    environment.update({"RESEARCH_CI_CACHE_DIR": str(cache), "NO_COLOR": "1"})
    return environment


def disk_size(root: Path) -> int:
    """Bytes of the files under ``root``, a hard-linked file counted once (uv links its cache)."""
    inodes = {
        (info.st_dev, info.st_ino): info.st_size
        for info in (path.lstat() for path in root.rglob("*"))
        if not stat.S_ISDIR(info.st_mode)
    }
    return sum(inodes.values())


@pytest.mark.slow
@pytest.mark.data
def test_data_commands_provision_their_environment_once_and_keep_exit_codes(
    tmp_path: Path,
) -> None:
    cache = tmp_path / "cache"
    work = tmp_path / "work"
    work.mkdir()
    # Serving data whose fertilizer the training data never had: an anomaly (exit 1).
    rows = TRAIN.read_text(encoding="utf-8").splitlines()
    (work / "new.csv").write_text(
        "\n".join([rows[0], *(row.replace("synthetic", "manure") for row in rows[1:50])]) + "\n",
        encoding="utf-8",
    )
    engine = BIN / "research-ci"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(engine), "data", *args],
            cwd=work,
            env=engine_environment(cache),
            capture_output=True,
            text=True,
            check=False,
            timeout=900,
        )

    # One TensorFlow start-up: validate (and provision first), then bad input (reuse only).
    validate = run("validate", "--schema", str(SCHEMA), "--data", "new.csv")
    assert validate.returncode == 1, validate.stdout + validate.stderr
    assert "fertilizer" in validate.stdout
    provisioning = [line for line in validate.stderr.splitlines() if "data environment" in line]
    assert len(provisioning) == 1, validate.stderr
    assert "TensorFlow Data Validation 1.16.1" in provisioning[0]
    assert f"about {LOCKS[0].size}" in provisioning[0]
    (env_name,) = environments(cache)
    assert provision.is_complete(cache / "data" / env_name)
    # The announced size is the one measured: within 10 % of what the environment takes.
    announced = float(LOCKS[0].size.removesuffix(" GB")) * 1e9
    assert abs(disk_size(cache / "data" / env_name) - announced) < 0.1 * announced

    missing = run("infer", "--data", "missing.csv", "--schema", "s.pbtxt")
    assert missing.returncode == 2
    assert missing.stderr.startswith("research-ci: error: ")
    assert "missing.csv" in missing.stderr
    assert missing.stderr.count("\n") == 1, "the environment is reused: no provisioning line"
    assert environments(cache) == [env_name]


RACE = """\
import threading
from research_ci.environment import uv_binary

barrier = threading.Barrier(8)
errors = []


def find():
    barrier.wait()
    try:
        uv_binary()
    except Exception as exc:
        errors.append(repr(exc))


threads = [threading.Thread(target=find) for _ in range(8)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
assert not errors, errors
"""


def test_uv_is_found_from_several_threads_at_once() -> None:
    """The data check and the project environment ask for uv at the same time.

    uv's ``find_uv_bin`` reads ``sysconfig``, whose first use races between threads; without
    the lock about half of these fresh interpreters failed (TypeError from a half-built table).
    """
    for _ in range(8):
        completed = subprocess.run(
            [sys.executable, "-c", RACE], capture_output=True, text=True, check=False, timeout=60
        )
        assert completed.returncode == 0, completed.stderr
