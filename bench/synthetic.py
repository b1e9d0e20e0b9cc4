#!/usr/bin/env python3
"""kiln's scaling curve on synthetic data: 10^4 .. 10^7 rows x 20 feature columns (parquet).

    python bench/synthetic.py --kiln PATH [--sizes 4,5,6,7] [--max-seconds 120] [--jobs 2]

Each size is a parquet file under bench/out/synthetic/ (made once, then reused): 16 numeric columns
(x0..x15, standard normal; x0..x3 with 1% missing), 4 text columns (c0..c3 with 4, 8, 16 and 32
categories) and a regression target y, a linear function of them plus noise. The pipeline is the
benchmark's usual one (median / most_frequent imputation, one-hot, standard scaling) with ridge over
3 alphas and 5 shuffled folds: 15 fits plus the refit. Each size runs once as a whole process under
/usr/bin/time -v (wall time, peak resident memory). A size whose run is predicted, from the size
before it, to take more than --max-seconds is skipped and said so.

The table goes to stdout and to bench/RESULTS.md (its scaling section), unless --no-write.
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))
import driver  # noqa: E402  (measure, machine facts, RESULTS.md sections)

OUT = driver.OUT / "synthetic"
CARDINALITIES = [4, 8, 16, 32]
N_NUMERIC = 16


def generate(rows, path):
    """Write the synthetic table in chunks of a million rows, so 10^7 rows need little memory."""
    rng = np.random.default_rng(rows)  # one stream per size: a size's file is always the same
    weights = rng.normal(size=N_NUMERIC)
    effects = [rng.normal(scale=2.0, size=k) for k in CARDINALITIES]
    dictionaries = [pa.array([f"c{j}_{v:02d}" for v in range(k)]) for j, k in enumerate(CARDINALITIES)]
    schema = pa.schema([(f"x{i}", pa.float64()) for i in range(N_NUMERIC)] + [(f"c{j}", pa.string()) for j in range(len(CARDINALITIES))] + [("y", pa.float64())])
    tmp = path.with_suffix(".tmp")
    with pq.ParquetWriter(tmp, schema) as writer:
        for start in range(0, rows, 1_000_000):
            n = min(1_000_000, rows - start)
            x = rng.normal(size=(n, N_NUMERIC))
            codes = [rng.integers(0, k, size=n) for k in CARDINALITIES]
            y = x @ weights + sum(e[c] for e, c in zip(effects, codes)) + rng.normal(scale=1.0, size=n)
            columns = []
            for i in range(N_NUMERIC):
                col = x[:, i]
                mask = rng.random(n) < 0.01 if i < 4 else None
                columns.append(pa.array(col, mask=mask))
            for c, d in zip(codes, dictionaries):
                columns.append(pa.DictionaryArray.from_arrays(pa.array(c.astype(np.int32)), d).dictionary_decode())
            columns.append(pa.array(y))
            writer.write_table(pa.Table.from_arrays(columns, schema=schema))
    tmp.replace(path)


def pipeline(rows, data_path):
    path = OUT / f"synth_{rows}.toml"
    path.write_text(
        f"""# synthetic scaling case, {rows} rows: written by bench/synthetic.py
[pipeline]
name = "synth_{rows}"
task = "regression"
seed = 0

[data]
path = "{data_path.name}"
target = "y"

[impute]
numeric = "median"
categorical = "most_frequent"

[encode]
method = "one_hot"
unknown = "ignore"

[scale]
method = "standard"

[model]
type = "ridge"

[cv]
folds = 5

[search]
metric = "r2"

[grid]
model.alpha = [0.1, 1.0, 10.0]
"""
    )
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kiln", required=True)
    ap.add_argument("--sizes", default="4,5,6,7", help="powers of ten")
    ap.add_argument("--max-seconds", type=float, default=120.0)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--build-note", default="")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()

    OUT.mkdir(parents=True, exist_ok=True)
    results, previous = [], None
    for power in [int(p) for p in args.sizes.split(",") if p]:
        rows = 10**power
        if previous is not None:
            predicted = previous[1] * rows / previous[0]
            if predicted > args.max_seconds:
                print(f"10^{power} rows: skipped, predicted {predicted:.0f} s > {args.max_seconds:.0f} s", file=sys.stderr)
                results.append({"rows": rows, "skipped": f"predicted {predicted:.0f} s > {args.max_seconds:.0f} s"})
                continue
        data = OUT / f"synth_{rows}.parquet"
        if not data.exists():
            t0 = time.perf_counter()
            generate(rows, data)
            print(f"generated {data.relative_to(driver.ROOT)} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        toml = pipeline(rows, data)
        cmd = [args.kiln, "run", str(toml), "--out", str(OUT / "runs"), "--quiet", "--jobs", str(args.jobs)]
        wall, maxrss, _, stdout, stderr, rc = driver.measure(cmd, driver.ROOT)
        if rc != 0:
            print(f"error: kiln failed on {rows} rows (exit {rc}):\n{stderr[-3000:]}", file=sys.stderr)
            return 1
        best = driver.kiln_result(stdout, toml.stem)["best_score"]
        size_mb = data.stat().st_size / 1e6
        print(f"10^{power} rows: {wall:.2f} s, {maxrss / 1024:.0f} MB, r2 {best:.4f}", file=sys.stderr)
        results.append({"rows": rows, "seconds": wall, "maxrss_kb": maxrss, "r2": best, "file_mb": size_mb})
        previous = (rows, wall)

    header = ["rows", "parquet MB", "fits", "kiln s", "rows/s (x fits)", "kiln peak MB", "best r2"]
    table = [header]
    for r in results:
        if "skipped" in r:
            table.append([f"{r['rows']:,}", "-", "15+1", "skipped", "-", "-", r["skipped"]])
        else:
            rate = r["rows"] * 16 / r["seconds"]
            table.append([f"{r['rows']:,}", f"{r['file_mb']:.1f}", "15+1", f"{r['seconds']:.2f}", f"{rate:,.0f}", f"{r['maxrss_kb'] / 1024:.0f}", f"{r['r2']:.4f}"])
    print(driver.as_text(table))
    if not args.no_write:
        facts = driver.machine_facts()
        build = driver.kiln_build(args.kiln, args.build_note)
        stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        body = (
            f"Measured {stamp}; kiln build: **{build['profile']}** (`{build['binary']}`, built {build['built']}), "
            f"--jobs {args.jobs}, on {facts['nproc']} cores / {facts['memory_gib']} GiB. One run per size, whole process.\n"
            f"Ridge over 3 alphas x 5 folds plus the refit; 20 feature columns (16 numeric, 4 text -> 60 one-hot columns).\n\n"
            + driver.as_markdown(table)
        )
        driver.update_results_md("scaling", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
