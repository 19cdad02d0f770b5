"""Command line: ``python -m {{ cookiecutter.package_name }}``.

Runs the experiment on the sample data and prints its metrics and the fitted weights.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from {{ cookiecutter.package_name }}.pipeline import run_pipeline


def build_parser() -> argparse.ArgumentParser:
    """Describe the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m {{ cookiecutter.package_name }}",
        description="Fit the model on data/train.csv and evaluate it on data/eval.csv.",
    )
    parser.add_argument(
        "--data-dir", type=Path, default=Path("data"), help="directory with the CSV splits"
    )
    parser.add_argument("--alpha", type=float, default=1.0, help="ridge penalty (default 1.0)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the experiment; return the process exit code.

    Parameters
    ----------
    argv
        Command-line arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success, 2 when the data cannot be read.
    """
    args = build_parser().parse_args(argv)
    try:
        result = run_pipeline(args.data_dir, alpha=args.alpha)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for split, metrics in (("train", result.train), ("eval", result.eval)):
        print(
            f"{split + ':':<6} RMSE {metrics.rmse:.3f}  MAE {metrics.mae:.3f}  R2 {metrics.r2:.3f}"
        )
    print(f"serving: {result.serving_predictions.size} predictions")
    for name, weight in result.weights.items():
        print(f"  {name:<24} {weight:+.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
