"""Model analysis on UCI Adult: ``research-ci model analyze`` side by side in one run with
fairlearn's MetricFrame and (``--tfma``) TensorFlow Model Analysis 0.47.1 on the same table.

    python benchmarks/bench_model.py               # 32k and 1M rows; fairlearn on 32k
    python benchmarks/bench_model.py --peers-at-1m # fairlearn (and TFMA) on 1M rows too: minutes
    python benchmarks/bench_model.py --tfma        # TFMA in a throwaway uv environment

The table is UCI Adult (``$RESEARCH_CI_SHARED_DATA/uci_adult/adult.data`` when present,
else the 5,000-row test sample copied to 32k rows) with a score column, sliced by three
columns (marital-status, sex, race) and one cross (marital-status x sex); 1M rows are 31
copies. Measured: end to end (the CLI in a fresh process, best of 3), compute alone (the
metrics, from the report), imports, and agreement with scikit-learn (AUC, log loss,
accuracy on every slice) and with the peers. fairlearn and TFMA run in throwaway uv
environments (never in research-ci's). Targets (issue 13): 1M rows < 5 s end to end,
imports < 1 s, agreement with scikit-learn <= 1e-9, TFMA's thresholded metrics exactly.
Not a timed test: it prints figures.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv

from research_ci.data.settings import Dialect
from research_ci.environment import uv_binary
from research_ci.model.table import read_table
from timing import run_measured

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("RESEARCH_CI_SHARED_DATA") or REPO.parent / "shared" / "data")
SAMPLE = REPO / "tests" / "data" / "uci_adult" / "adult.data"
COLUMNS = [
    "age",
    "workclass",
    "fnlwgt",
    "education",
    "education-num",
    "marital-status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "capital-gain",
    "capital-loss",
    "hours-per-week",
    "native-country",
    "income",
]
SLICES = ("marital-status", "sex", "race")
CROSS = ("marital-status", "sex")
TARGET_1M_S = 5.0
TARGET_IMPORT_S = 1.0
TARGET_AGREEMENT = 1e-9
FAIRLEARN = "fairlearn"
TFMA = ("tensorflow-model-analysis==0.47.1", "tf-keras==2.16.0")

PEERS = Path(__file__).resolve().parent / "peers"


def _adult() -> tuple[Any, str]:
    full = SHARED / "uci_adult" / "adult.data"
    source = full if full.is_file() else SAMPLE
    dialect = Dialect(delimiter=", ", column_names=tuple(COLUMNS), na_values=("?",))
    table = read_table(str(source), dialect).arrow
    if source == SAMPLE:
        table = pa.concat_tables([table] * 7)  # 35,000 rows
    return table, str(source)


def _scores(table: Any) -> Any:
    """A fixed logistic score (age, education, marital status, sex, hours) plus noise."""
    generator = np.random.default_rng(13)
    age = table.column("age").to_numpy().astype(float)
    education = table.column("education-num").to_numpy().astype(float)
    hours = table.column("hours-per-week").to_numpy().astype(float)
    married = np.array(
        [v == "Married-civ-spouse" for v in table.column("marital-status").to_pylist()]
    )
    male = np.array([v == "Male" for v in table.column("sex").to_pylist()])
    z = -9.0 + 0.03 * age + 0.33 * education + 0.03 * hours + 2.1 * married + 0.3 * male
    return np.round(1 / (1 + np.exp(-(z + generator.normal(0, 0.6, len(z))))), 6)


def write_tables(folder: Path) -> tuple[dict[str, Path], str]:
    """The 32k and 1M predictions tables (CSV with a header)."""
    table, source = _adult()
    paths = {}
    for name, copies in (("32k", 1), ("1M", 31)):
        big = pa.concat_tables([table] * copies) if copies > 1 else table
        big = big.append_column("score", pa.array(_scores(big)))
        paths[name] = folder / f"adult_{name}.csv"
        pa_csv.write_csv(big, paths[name])
    return paths, source


def _cli_args(path: Path, report: Path) -> list[str]:
    args = [sys.executable, "-m", "research_ci", "model", "analyze", "--predictions", str(path)]
    args += ["--label", "income", "--positive", ">50K", "--prediction", "score"]
    for name in SLICES:
        args += ["--slice", name]
    return [*args, "--cross", ",".join(CROSS), "--report", str(report)]


def _environment() -> dict[str, str]:
    """This environment, with bytecode caching on (as in any installed environment)."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def timed(args: list[str]) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """Wall and CPU (user + system) seconds of one subprocess."""
    measured = run_measured(args, env=_environment())
    return measured.wall, measured.cpu, measured.completed


def end_to_end(path: Path, folder: Path, repeats: int = 3) -> dict[str, Any]:
    """Best wall time of the CLI in a fresh process (after a warm-up), with its CPU time."""
    report = folder / "report.json"
    timed(_cli_args(path, report))  # warm-up: bytecode and the page cache
    best: dict[str, Any] = {}
    for _ in range(repeats):
        wall, cpu, done = timed(_cli_args(path, report))
        if done.returncode not in (0, 1):
            raise SystemExit(f"model analyze failed: {done.stderr}")
        data = json.loads(report.read_text(encoding="utf-8"))
        if not best or wall < best["wall_s"]:
            best = {"wall_s": wall, "cpu_s": cpu, "compute_s": data["seconds"]["metrics"]}
            best["report"] = data
    return best


def imports() -> dict[str, float]:
    """Seconds (best of 3, warm) to import what the command needs, above a bare Python.

    Wall time, and CPU time (user + system), which a busy machine inflates much less.
    """
    code = "import research_ci.model.analysis, research_ci.model.render, research_ci.cli.model"
    check = code + "; import sys; assert 'tensorflow' not in sys.modules"

    def best(*args: str) -> tuple[float, float]:
        timed([sys.executable, *args])
        runs = [timed([sys.executable, *args])[:2] for _ in range(3)]
        return min(wall for wall, _ in runs), min(cpu for _, cpu in runs)

    bare_wall, bare_cpu = best("-c", "pass")
    engine_wall, engine_cpu = best("-c", check)
    help_wall, _ = best("-m", "research_ci", "--help")
    return {
        "engine": engine_wall - bare_wall,
        "engine_cpu": engine_cpu - bare_cpu,
        "help": help_wall - bare_wall,
    }


def agreement(path: Path, report: dict[str, Any]) -> float:
    """Largest difference from scikit-learn (AUC, log loss, accuracy) over every slice."""
    from sklearn.metrics import accuracy_score, log_loss, roc_auc_score  # noqa: PLC0415

    table = pa_csv.read_csv(path)
    label = np.array([v == ">50K" for v in table.column("income").to_pylist()], dtype=float)
    score = table.column("score").to_numpy()
    columns = {name: np.array(table.column(name).to_pylist(), dtype=object) for name in SLICES}
    worst = 0.0
    for item in report["slices"]:
        mask = np.ones(len(label), dtype=bool)
        for column, value in item["values"]:
            mask &= columns[column] == value
        truth, guess = label[mask], score[mask]
        expected = {
            "accuracy": accuracy_score(truth, guess > 0.5),
            "log_loss": log_loss(truth, guess, labels=[0, 1]),
        }
        if 0 < truth.sum() < len(truth):
            expected["auc"] = roc_auc_score(truth, guess)
        for name, value in expected.items():
            worst = max(worst, abs(item["metrics"][name]["value"] - value))
    return worst


def _peer_env(folder: Path, name: str, packages: list[str]) -> Path | None:
    venv = folder / f"venv-{name}"
    python = venv / "bin" / "python"
    uv = str(uv_binary())
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    env.pop("VIRTUAL_ENV", None)
    steps = [
        [uv, "venv", "--quiet", "--python", sys.executable, str(venv)],
        [uv, "pip", "install", "--quiet", "--python", str(python), *packages],
    ]
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True, check=False, env=env)
        if done.returncode != 0:
            print(f"  {name}: not installable here: {done.stderr.strip().splitlines()[-1:]}")
            return None
    return python


def run_peer(python: Path, script: str, path: Path, timeout: float) -> dict[str, Any] | None:
    """A peer's figures on ``path`` (None when it fails or times out)."""
    args = [str(python), str(PEERS / script), str(path), ",".join(SLICES), ",".join(CROSS)]
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        print(f"  peer timed out after {timeout:.0f} s")
        return None
    if done.returncode != 0:
        print(f"  peer failed: {done.stderr.strip().splitlines()[-1:]}")
        return None
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def compare(ours: dict[str, Any], theirs: dict[str, Any], metrics: tuple[str, ...]) -> str:
    """The largest difference of each metric over the slices both have, in words."""
    by_key = {item["key"]: item for item in ours["slices"]}
    worst = dict.fromkeys(metrics, 0.0)
    compared = 0
    for key, values in theirs.items():
        if key not in by_key:
            continue
        compared += 1
        for name in metrics:
            mine, other = by_key[key]["metrics"][name]["value"], values.get(name)
            if mine is not None and other is not None:
                worst[name] = max(worst[name], abs(mine - other))
    shown = ", ".join(f"{name} {value:.1e}" for name, value in worst.items())
    return f"largest differences over {compared} slices: {shown}"


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peers-at-1m", action="store_true", help="run the peers on 1M rows too")
    parser.add_argument("--tfma", action="store_true", help="also TFMA 0.47.1 (installs ~3 GB)")
    parser.add_argument("--no-fairlearn", action="store_true", help="skip fairlearn")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per peer run")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-model-") as tmp:
        folder = Path(tmp)
        paths, source = write_tables(folder)
        print(f"UCI Adult from {source}; slices {', '.join(SLICES)} and {' x '.join(CROSS)}")
        print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start")
        timings = imports()
        print(
            f"imports above a bare Python: engine {timings['engine']:.2f} s "
            f"({timings['engine_cpu']:.2f} s of CPU), --help {timings['help']:.2f} s"
        )
        ours = {}
        for name, path in paths.items():
            ours[name] = end_to_end(path, folder)
            rows = ours[name]["report"]["rows"]
            slices = len(ours[name]["report"]["slices"])
            worst = agreement(path, ours[name]["report"])
            print(
                f"research-ci {name} ({rows:,} rows, {slices} slices): end to end "
                f"{ours[name]['wall_s']:.2f} s ({ours[name]['cpu_s']:.2f} s of CPU), "
                f"compute {ours[name]['compute_s']:.2f} s; "
                f"largest difference from scikit-learn {worst:.1e}"
            )
        peers: list[tuple[str, list[str], str, tuple[str, ...]]] = []
        if not options.no_fairlearn:
            peers.append(
                (
                    FAIRLEARN,
                    [FAIRLEARN, "pandas", "scikit-learn"],
                    "fairlearn_metricframe.py",
                    ("auc", "log_loss", "accuracy", "false_negative_rate"),
                )
            )
        if options.tfma:
            lock = REPO / "locks" / "data" / "requirements.txt"
            peers.append(
                (
                    "tfma",
                    ["-r", str(lock), *TFMA],
                    "tfma_analyze.py",
                    (
                        "accuracy",
                        "precision",
                        "recall",
                        "false_positive_rate",
                        "false_negative_rate",
                        "example_count",
                        "auc",
                    ),
                )
            )
        for name, packages, script, metrics in peers:
            print(f"{name}: installing into a throwaway environment ...")
            python = _peer_env(folder, name, packages)
            if python is None:
                continue
            for size, path in paths.items():
                if size == "1M" and not options.peers_at_1m:
                    print(f"  {name} {size}: not run (pass --peers-at-1m; minutes to an hour)")
                    continue
                result = run_peer(python, script, path, options.timeout)
                if result is None:
                    continue
                agreement_text = compare(ours[size]["report"], result["metrics"], metrics)
                ratio_total = result["total_s"] / ours[size]["wall_s"]
                ratio_compute = result["compute_s"] / max(ours[size]["compute_s"], 1e-9)
                print(
                    f"  {name} {size}: end to end {result['total_s']:.1f} s "
                    f"({ratio_total:.0f}x ours), "
                    f"compute {result['compute_s']:.1f} s ({ratio_compute:.0f}x ours); "
                    f"{agreement_text}"
                )
        print(f"load average {os.getloadavg()[0]:.1f} at the end")
        million = ours["1M"]["wall_s"]
        print(
            f"targets: 1M end to end {million:.2f} s (< {TARGET_1M_S:.0f} s: "
            f"{'met' if million < TARGET_1M_S else 'NOT met'}; "
            f"{ours['1M']['cpu_s']:.2f} s of CPU); imports {timings['engine']:.2f} s "
            f"(< {TARGET_IMPORT_S:.0f} s: "
            f"{'met' if timings['engine'] < TARGET_IMPORT_S else 'NOT met'})"
        )


if __name__ == "__main__":
    main()
