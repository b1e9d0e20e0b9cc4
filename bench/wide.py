#!/usr/bin/env python3
"""Writes bench/out/data/wide.parquet for the wide ridge case (bench/cases/wide_ridge.toml):
5,000 rows x 5,000 numeric columns (x0..x4999, standard normal), a target that depends on a
tenth of them plus noise, and a `fold` column (5 folds, seed 0). Both tools read this same file.

    python bench/wide.py [--rows 5000] [--cols 5000]
"""

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).resolve().parent / "out" / "data" / "wide.parquet"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=5000)
    ap.add_argument("--cols", type=int, default=5000)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    x = rng.standard_normal((args.rows, args.cols))
    w = np.zeros(args.cols)
    informative = rng.choice(args.cols, size=max(1, args.cols // 10), replace=False)
    w[informative] = rng.standard_normal(informative.size)
    y = x @ w + rng.standard_normal(args.rows)
    df = pd.DataFrame(x, columns=[f"x{j}" for j in range(args.cols)])
    df["y"] = y
    df["fold"] = rng.permutation(np.arange(args.rows) % 5)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    df.to_parquet(OUT, index=False)
    print(f"wrote {OUT} ({args.rows} x {args.cols})")


if __name__ == "__main__":
    main()
