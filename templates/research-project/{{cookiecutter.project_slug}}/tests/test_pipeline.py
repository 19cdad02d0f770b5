from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.__main__ import main
from {{ cookiecutter.package_name }}.pipeline import run_pipeline

ROOT = Path(__file__).resolve().parents[1]


def test_model_beats_the_mean_on_held_out_data(data_dir: Path) -> None:
    result = run_pipeline(data_dir)
    assert result.eval.r2 > 0.7
    assert result.eval.rmse < 0.6
    assert result.serving_predictions.shape == (160,)
    assert result.weights["fertilizer=synthetic"] > result.weights["fertilizer=none"]
    assert result.weights["soil_ph_distance"] < 0


def test_unlabelled_training_data_is_refused(data_dir: Path, tmp_path: Path) -> None:
    shutil.copy(data_dir / "serving.csv", tmp_path / "train.csv")
    shutil.copy(data_dir / "eval.csv", tmp_path / "eval.csv")
    shutil.copy(data_dir / "serving.csv", tmp_path / "serving.csv")
    with pytest.raises(ValueError, match="label"):
        run_pipeline(tmp_path)


def test_main_prints_metrics(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--data-dir", str(data_dir), "--alpha", "0.5"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("train: RMSE")
    assert "eval:  RMSE" in out


def test_main_reports_missing_data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--data-dir", str(tmp_path)]) == 2
    assert "error:" in capsys.readouterr().err


def test_python_dash_m_runs(data_dir: Path) -> None:
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "{{ cookiecutter.package_name }}",
            "--data-dir",
            str(data_dir),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "serving: 160 predictions" in completed.stdout


def test_sample_data_matches_its_seed() -> None:
    completed = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "make_sample_data.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
