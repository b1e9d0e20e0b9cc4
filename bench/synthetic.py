#!/usr/bin/env python3
"""kiln's scaling curves on synthetic data: 10^4 .. 10^7 rows x 20 feature columns (parquet).

    python bench/synthetic.py --kiln PATH [--sizes 4,5,6,7] [--hgb-sizes 5,6,7] [--hgb-folds 5]
                              [--max-seconds 120] [--hgb-max-seconds 1200] [--jobs 2]

Each size is a parquet file under bench/out/synthetic/ (made once, then reused): 16 numeric columns
(x0..x15, standard normal; x0..x3 with 1% missing), 4 text columns (c0..c3 with 4, 8, 16 and 32
categories) and a regression target y, a linear function of them plus noise. The pipeline is the
benchmark's usual one (median / most_frequent imputation, one-hot, standard scaling) with ridge over
3 alphas and 5 shuffled folds: 15 fits plus the refit. Each size runs once as a whole process under
/usr/bin/time -v (wall time, peak resident memory). A size whose run is predicted, from the size
before it, to take more than --max-seconds is skipped and said so.

The hist_gradient_boosting curve (--hgb-sizes; empty skips it) runs the same files and preprocessing
with hist_gradient_boosting: max_iter 50, max_depth 6 (max_leaf_nodes 31, the default),
early_stopping false, one candidate, --hgb-folds shuffled folds (default 5) plus the refit. Beside
time and rows/s it reports peak memory as a share of the f64 design: rows x 76 design columns x 8
bytes, the 76 being what the pipeline's encoding makes of the 20 inputs (16 numeric columns and 4+8+
16+32 = 60 one-hot indicator columns), i.e. the float64 matrix scikit-learn's HistGradientBoosting or
a dense kiln model would be given. --hgb-max-seconds is its limit per size (default 1200: the
10^7 point is the one that matters).

The tables go to stdout and to bench/RESULTS.md (its scaling and scaling-hgb sections), unless
--no-write; a curve that did not run leaves its section as it was.
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


# The design columns the pipeline's encoding makes: the numeric columns plus one one-hot indicator
# per category (kiln's "ignore" unknowns add none; median imputation adds no indicator columns).
DESIGN_COLUMNS = N_NUMERIC + sum(CARDINALITIES)
HGB_ITER = 50
HGB_DEPTH = 6

RIDGE_MODEL = """[model]
type = "ridge"

[cv]
folds = 5

[search]
metric = "r2"

[grid]
model.alpha = [0.1, 1.0, 10.0]
"""


def hgb_model(folds):
    return f"""[model]
type = "hist_gradient_boosting"
max_iter = {HGB_ITER}
max_depth = {HGB_DEPTH}
early_stopping = false

[cv]
folds = {folds}

[search]
metric = "r2"
"""


def pipeline(rows, data_path, model="ridge", folds=5):
    """The case file of one size: the shared data and preprocessing, then the model's part."""
    stem = f"synth_{rows}" if model == "ridge" else f"synth_hgb_{rows}"
    path = OUT / f"{stem}.toml"
    path.write_text(
        f"""# synthetic scaling case, {rows} rows: written by bench/synthetic.py
[pipeline]
name = "{stem}"
task = "regression"
seed = 0

[data]
path = "{data_path.name}"
target = "y"

{driver.PREPROCESSING_TOML}
"""
        + (RIDGE_MODEL if model == "ridge" else hgb_model(folds))
    )
    return path


def run_curve(args, powers, model, folds, max_seconds):
    """One kiln run per size, whole process; a size predicted to exceed max_seconds is skipped."""
    results, previous = [], None
    for power in powers:
        rows = 10**power
        if previous is not None:
            predicted = previous[1] * rows / previous[0]
            if predicted > max_seconds:
                print(f"{model} 10^{power} rows: skipped, predicted {predicted:.0f} s > {max_seconds:.0f} s", file=sys.stderr)
                results.append({"rows": rows, "skipped": f"predicted {predicted:.0f} s > {max_seconds:.0f} s"})
                continue
        data = OUT / f"synth_{rows}.parquet"
        if not data.exists():
            t0 = time.perf_counter()
            generate(rows, data)
            print(f"generated {data.relative_to(driver.ROOT)} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        toml = pipeline(rows, data, model, folds)
        cmd = [args.kiln, "run", str(toml), "--out", str(OUT / "runs"), "--quiet", "--jobs", str(args.jobs), *driver.SAME_WORK]
        wall, maxrss, _, stdout, stderr, rc = driver.measure(cmd, driver.ROOT)
        if rc != 0:
            print(f"error: kiln failed on {model}, {rows} rows (exit {rc}):\n{stderr[-3000:]}", file=sys.stderr)
            return None
        best = driver.kiln_result(stdout, toml.stem)["best_score"]
        size_mb = data.stat().st_size / 1e6
        print(f"{model} 10^{power} rows: {wall:.2f} s, {maxrss / 1024:.0f} MB, r2 {best:.4f}", file=sys.stderr)
        results.append({"rows": rows, "seconds": wall, "maxrss_kb": maxrss, "r2": best, "file_mb": size_mb})
        previous = (rows, wall)
    return results


def curve_table(columns, results):
    """Like driver.table; a skipped size's row says so in its time column and its last one."""
    names = [name for name, _ in columns]
    rows = [names]
    for r in results:
        if "skipped" in r:
            rows.append([f"{r['rows']:,}"] + ["skipped" if n == "kiln s" else "-" for n in names[1:-1]] + [r["skipped"]])
        else:
            rows.append([cell(r) for _, cell in columns])
    return rows


def ridge_table(results):
    return curve_table(
        [
            ("rows", lambda r: f"{r['rows']:,}"),
            ("parquet MB", lambda r: f"{r['file_mb']:.1f}"),
            ("fits", lambda r: "15+1"),
            ("kiln s", lambda r: f"{r['seconds']:.2f}"),
            ("rows/s (x fits)", lambda r: f"{r['rows'] * 16 / r['seconds']:,.0f}"),
            ("kiln peak MB", lambda r: f"{r['maxrss_kb'] / 1024:.0f}"),
            ("best r2", lambda r: f"{r['r2']:.4f}"),
        ],
        results,
    )


def hgb_table(results, folds):
    def design(r):
        return r["rows"] * DESIGN_COLUMNS * 8

    return curve_table(
        [
            ("rows", lambda r: f"{r['rows']:,}"),
            ("parquet MB", lambda r: f"{r['file_mb']:.1f}"),
            ("fits", lambda r: f"{folds}+1"),
            ("kiln s", lambda r: f"{r['seconds']:.2f}"),
            ("s per 10^6 rows", lambda r: f"{r['seconds'] * 1e6 / r['rows']:.2f}"),
            ("rows/s (x fits)", lambda r: f"{r['rows'] * (folds + 1) / r['seconds']:,.0f}"),
            ("kiln peak MB", lambda r: f"{r['maxrss_kb'] / 1024:.0f}"),
            ("f64 design MB", lambda r: f"{design(r) / 2**20:.0f}"),
            ("peak / design", lambda r: f"{r['maxrss_kb'] * 1024 / design(r):.2f}"),
            ("r2", lambda r: f"{r['r2']:.4f}"),
        ],
        results,
    )


def powers_of(text):
    return [int(p) for p in text.split(",") if p.strip()]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kiln", required=True)
    ap.add_argument("--sizes", default="4,5,6,7", help="powers of ten for the ridge curve (empty: skip it)")
    ap.add_argument("--hgb-sizes", default="", help="powers of ten for the hist_gradient_boosting curve (empty: skip it)")
    ap.add_argument("--hgb-folds", type=int, default=5, help="folds of the hist_gradient_boosting curve")
    ap.add_argument("--max-seconds", type=float, default=120.0, help="the ridge curve's limit per size")
    ap.add_argument("--hgb-max-seconds", type=float, default=1200.0, help="the hist_gradient_boosting curve's limit per size")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--build-note", default="")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()

    OUT.mkdir(parents=True, exist_ok=True)
    facts = driver.machine_facts()
    build = driver.kiln_build(args.kiln, args.build_note)
    about = (
        f"kiln build: **{build['profile']}** (`{build['binary']}`, built {build['built']}), "
        f"--jobs {args.jobs}, on {facts['nproc']} cores / {facts['memory_gib']} GiB. One run per size, whole process"
    )
    curves = [
        (
            "ridge",
            powers_of(args.sizes),
            5,
            args.max_seconds,
            ridge_table,
            "scaling",
            "Ridge over 3 alphas x 5 folds plus the refit; 20 feature columns (16 numeric, 4 text -> 60 one-hot columns).",
        ),
        (
            "hist_gradient_boosting",
            powers_of(args.hgb_sizes),
            args.hgb_folds,
            args.hgb_max_seconds,
            lambda results: hgb_table(results, args.hgb_folds),
            "scaling-hgb",
            f"hist_gradient_boosting, max_iter {HGB_ITER}, max_depth {HGB_DEPTH}, early_stopping false, one candidate x "
            f"{args.hgb_folds} shuffled folds plus the refit; the ridge curve's data and preprocessing. "
            f"The f64 design is rows x {DESIGN_COLUMNS} columns x 8 bytes ({N_NUMERIC} numeric + "
            f"{sum(CARDINALITIES)} one-hot indicator columns: the float64 matrix this pipeline makes); "
            f"rows/s counts each row once per fit.",
        ),
    ]
    for model, powers, folds, max_seconds, make_table, section, what in curves:
        if not powers:
            continue
        load = driver.loadavg()
        results = run_curve(args, powers, model, folds, max_seconds)
        if results is None:
            return 1
        rows = make_table(results)
        print(driver.as_text(rows))
        if not args.no_write:
            stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
            body = f"Measured {stamp}; {about} (load average before: {load}).\n{what}\n\n" + driver.as_markdown(rows)
            driver.update_results_md(section, body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
