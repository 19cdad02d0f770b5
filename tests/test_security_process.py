"""Issue 11, items 6, 10, 11, 13 (memory) and 15 (usage errors): what a checked project's code can
reach, what a signal leaves behind, and how research-ci says it cannot write its output.

Real `research-ci check` runs on throwaway projects whose tests misbehave on purpose.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import pytest

from projects import write_project
from research_ci.process import NOT_INHERITED, SCRUBBED, run_tool, tool_environment

#: research-ci must be gone this soon after SIGINT or SIGTERM (tools get a 2 s grace).
PROMPT_S = 20.0


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "research_ci", *args]


def project_with(root: Path, test_code: str) -> Path:
    """A project with no package, only one test module (checked with --no-install)."""
    return write_project(root, clean=False, files={"tests/test_it.py": test_code})


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting for a reaper does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state not in ("Z", "X")


# --- item 6: the project's code cannot reach GitHub's step files or the tokens ----------------

SNOOPING_TEST = """\
import json
import os
from pathlib import Path


def test_snoop() -> None:
    seen = {name: os.environ.get(name) for name in json.loads(os.environ["RCI_NAMES"])}
    Path(os.environ["RCI_SEEN"]).write_text(json.dumps(seen))
    for name in ("GITHUB_ENV", "GITHUB_PATH", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"):
        if os.environ.get(name):
            with open(os.environ[name], "a") as handle:
                handle.write("BASH_ENV=/tmp/evil.sh\\n")
"""


def test_the_projects_tests_see_no_step_files_and_no_token(tmp_path: Path) -> None:
    project = project_with(tmp_path / "p", SNOOPING_TEST)
    step_files = {
        name: tmp_path / name.lower()
        for name in ("GITHUB_ENV", "GITHUB_PATH", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY")
    }
    for path in step_files.values():
        path.write_text("", encoding="utf-8")
    secrets = {
        "GITHUB_TOKEN": "ghs_secret",
        "GH_TOKEN": "ghs_secret",
        "ACTIONS_RUNTIME_TOKEN": "runtime",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "oidc",
        "INPUT_GITHUB-TOKEN": "ghs_secret",
    }
    seen_file = tmp_path / "seen.json"
    env = {
        **os.environ,
        **{name: str(path) for name, path in step_files.items()},
        **secrets,
        "RCI_NAMES": json.dumps([*step_files, *secrets]),
        "RCI_SEEN": str(seen_file),
    }
    result = subprocess.run(
        cli("check", str(project), "--only", "tests", "--no-install", "--format", "json"),
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=600,
    )
    assert result.returncode in (0, 1), result.stderr
    seen = json.loads(seen_file.read_text(encoding="utf-8"))
    assert seen == dict.fromkeys(seen), seen  # every one of them was None
    for path in step_files.values():
        assert path.read_text(encoding="utf-8") == ""


def test_the_tool_environment_drops_exactly_the_scrubbed_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in SCRUBBED:
        monkeypatch.setenv(name, "x")
    monkeypatch.setenv("INPUT_MINIMUM-GRADE", "B")
    monkeypatch.setenv("HOME_OF_THE_PROJECT", "kept")
    monkeypatch.setenv("VIRTUAL_ENV", "/research-ci/.venv")
    monkeypatch.setenv("PYTHONPATH", "/research-ci/scripts")
    environment = tool_environment({"GITHUB_TOKEN": "passed in", "EXTRA": "1"})
    assert not SCRUBBED & set(environment)
    assert not NOT_INHERITED & set(environment)
    assert "INPUT_MINIMUM-GRADE" not in environment
    assert environment["HOME_OF_THE_PROJECT"] == "kept"
    assert environment["EXTRA"] == "1"
    assert tool_environment({"PYTHONPATH": "src"})["PYTHONPATH"] == "src"  # the caller's own


# --- item 10: SIGINT and SIGTERM stop the tools' process groups and clean up -------------------

SLOW_TEST = """\
import os
import subprocess
import sys
import time
from pathlib import Path


def test_slow() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    Path(os.environ["RCI_PIDS"]).write_text(f"{os.getpid()} {child.pid}")
    time.sleep(600)
"""


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_stops_the_tools_promptly_and_cleans_up(tmp_path: Path, signum: int) -> None:
    project = project_with(tmp_path / "p", SLOW_TEST)
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    pids_file = tmp_path / "pids"
    env = {**os.environ, "TMPDIR": str(private_tmp), "RCI_PIDS": str(pids_file)}
    process = subprocess.Popen(
        cli("check", str(project), "--only", "tests", "--no-install"),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 300
        while not pids_file.exists() or not pids_file.read_text(encoding="ascii"):
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the slow test never started"
            time.sleep(0.2)
        pytest_pid, grandchild = map(int, pids_file.read_text(encoding="ascii").split())
        assert list(private_tmp.glob("research-ci-tests-*"))
        sent = time.monotonic()
        process.send_signal(signum)
        _, stderr = process.communicate(timeout=PROMPT_S * 3)
        elapsed = time.monotonic() - sent
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert elapsed < PROMPT_S, elapsed
    assert process.returncode == 128 + signum, stderr
    name = signal.Signals(signum).name
    expected = f"research-ci: error: interrupted ({name}): the tools were stopped"
    lines = stderr.strip().splitlines()
    assert lines[-1] == expected, stderr  # after the progress lines: one error line
    assert not any(line.startswith("research-ci: error") for line in lines[:-1]), stderr
    assert "Traceback" not in stderr
    deadline = time.monotonic() + 10
    while (alive(pytest_pid) or alive(grandchild)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(pytest_pid)
    assert not alive(grandchild)
    assert list(private_tmp.iterdir()) == []


def test_a_timeout_stops_the_whole_process_group(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    script = (
        "import subprocess, sys, time, pathlib;"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)']);"
        f"pathlib.Path({str(pid_file)!r}).write_text(str(child.pid));"
        "time.sleep(600)"
    )
    started = time.monotonic()
    with pytest.raises(Exception, match="timed out after 3 s"):
        run_tool([sys.executable, "-c", script], cwd=tmp_path, timeout_s=3)
    assert time.monotonic() - started < 15
    grandchild = int(pid_file.read_text(encoding="ascii"))
    deadline = time.monotonic() + 10
    while alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(grandchild)


# --- item 13: a test printing 200 MB does not blow research-ci's memory ---------------------

LOUD_TEST = """\
import sys


def test_loud() -> None:
    line = "x" * 1023 + "\\n"
    for _ in range(200 * 1024):
        sys.stdout.write(line)
    assert False, "printed 200 MB"
"""


def peak_memory_mb(command: list[str], env: dict[str, str]) -> tuple[int, float]:
    """Exit code and peak resident memory (VmHWM) of ``command``'s own process, in MB."""
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    peak = 0.0
    status = Path(f"/proc/{process.pid}/status")
    while process.poll() is None:
        try:
            for line in status.read_text(encoding="ascii").splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]) / 1024)
        except (FileNotFoundError, ProcessLookupError):
            break
        time.sleep(0.05)
    return process.wait(), peak


def test_a_test_printing_200_mb_costs_research_ci_little_memory(tmp_path: Path) -> None:
    project = project_with(tmp_path / "p", LOUD_TEST)
    code, peak = peak_memory_mb(
        cli("check", str(project), "--only", "tests", "--no-install"), dict(os.environ)
    )
    assert code == 1
    report = json.loads((project / ".research-ci" / "report.json").read_text(encoding="utf-8"))
    assert report["checks"]["tests"]["failed"] == 1
    assert peak < 200, f"research-ci peaked at {peak:.0f} MB"


def test_only_the_end_of_a_long_output_is_kept(tmp_path: Path) -> None:
    script = "import sys; sys.stdout.write('a' * 5000 + 'END')"
    completed = run_tool(
        [sys.executable, "-c", script], cwd=tmp_path, timeout_s=60, output_limit=100
    )
    assert completed.stdout.endswith("a" * 97 + "END")
    assert completed.stdout.startswith("[research-ci: the first 4903 bytes")


# --- item 11: a full disk under stdout -------------------------------------------------------


def summary_into(report: Path, stdout: int | IO[str]) -> subprocess.CompletedProcess[str]:
    """``research-ci summary`` of ``report`` in a child process whose stdout is ``stdout``."""
    return subprocess.run(
        cli("summary", "--report", str(report)),
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
        timeout=120,
    )


def test_summary_to_a_full_disk_is_one_line_and_exit_2(report_path: Path) -> None:
    with Path("/dev/full").open("w", encoding="utf-8") as full:
        result = summary_into(report_path, full)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "research-ci: error: cannot write the output: No space left on device"
    ]


def test_a_closed_pipe_is_not_a_traceback(report_path: Path) -> None:
    reader, writer = os.pipe()
    os.close(reader)
    try:
        result = summary_into(report_path, writer)
    finally:
        os.close(writer)
    assert "Traceback" not in result.stderr
    assert result.stderr == ""


# --- item 15: click's own usage errors on one line -------------------------------------------


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("check", "--only"), "Option '--only' requires an argument"),
        (("summary", "--max-chars", "12"), "--max-chars"),
        (("badge", "--nope"), "No such option '--nope'"),
        (("nonsense",), "No such command 'nonsense'"),
    ],
)
def test_click_usage_errors_are_one_line(args: tuple[str, ...], fragment: str) -> None:
    result = subprocess.run(cli(*args), capture_output=True, text=True, check=False, timeout=120)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("research-ci: error: ")
    assert fragment in lines[0]
    assert "--help" in lines[0]
