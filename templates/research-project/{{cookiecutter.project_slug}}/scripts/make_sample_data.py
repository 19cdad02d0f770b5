"""Write the sample dataset (data/train.csv, data/eval.csv, data/serving.csv) from a fixed seed.

The data imitate a field trial: crop yield in tonnes per hectare from temperature, rainfall,
soil pH and the fertilizer used. The serving split has no label, as in production. The same
seed always gives the same files, so the data are reproducible and reviewable like code:

    python scripts/make_sample_data.py            # rewrite data/*.csv
    python scripts/make_sample_data.py --check    # exit 1 if the files differ from the seed's
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path

import numpy as np

SEED = 20240611
SPLITS: dict[str, int] = {"train": 400, "eval": 160, "serving": 160}
FERTILIZERS = ("none", "organic", "synthetic")
FERTILIZER_EFFECT = {"none": 0.0, "organic": 0.6, "synthetic": 1.0}
FEATURES = ("temperature_c", "rainfall_mm", "soil_ph", "fertilizer")
LABEL = "yield_t_ha"


def render_split(rng: np.random.Generator, rows: int, *, with_label: bool) -> str:
    """Draw ``rows`` examples and return them as CSV text."""
    temperature = rng.normal(21.0, 3.5, rows)
    rainfall = rng.gamma(4.0, 150.0, rows)
    soil_ph = rng.normal(6.4, 0.6, rows)
    # Every split has the same fertilizer mix (30/30/40 %), as in a balanced trial design.
    counts = [rows * 3 // 10, rows * 3 // 10]
    fertilizer = rng.permutation(np.repeat(np.array(FERTILIZERS), [*counts, rows - sum(counts)]))
    noise = rng.normal(0.0, 0.35, rows)
    effect = np.array([FERTILIZER_EFFECT[str(name)] for name in fertilizer])
    label = (
        1.2 + 0.11 * temperature + 0.0021 * rainfall - 0.9 * np.abs(soil_ph - 6.5) + effect + noise
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*FEATURES, LABEL] if with_label else list(FEATURES))
    for i in range(rows):
        row = [
            f"{temperature[i]:.2f}",
            f"{rainfall[i]:.1f}",
            f"{soil_ph[i]:.2f}",
            str(fertilizer[i]),
        ]
        if with_label:
            row.append(f"{max(label[i], 0.0):.3f}")
        writer.writerow(row)
    return buffer.getvalue()


def render_all(seed: int = SEED) -> dict[str, str]:
    """Return file name -> CSV text for every split, drawn from one seeded generator."""
    rng = np.random.default_rng(seed)
    return {
        f"{name}.csv": render_split(rng, rows, with_label=name != "serving")
        for name, rows in SPLITS.items()
    }


def main(argv: list[str] | None = None) -> int:
    """Write (or with --check, compare) the sample data files."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--output", type=Path, default=Path(__file__).parents[1] / "data")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args(argv)
    stale = []
    for name, text in render_all(args.seed).items():
        path = args.output / name
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    if stale:
        print(f"differs from seed {args.seed}: {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
