#!/usr/bin/env python3
"""Search on a budget (issue 17): a 108-candidate histogram-boosting grid on ames, run whole, by
random search and by successive halving in kiln, and by scikit-learn's HalvingRandomSearchCV on
the same candidates and folds.

    python bench/halving.py --kiln target/release/kiln [--jobs 2] [--no-write]

The grid is learning_rate (3) x max_leaf_nodes (4) x min_samples_leaf (3) x l2_regularization (3)
of `hist_gradient_boosting` (max_iter 100, no early stopping below 10,000 rows), on the benchmark's
copy of ames with its 5 predefined folds and the usual preprocessing. The budgeted searches get at
most a third of the grid's 540 fits: random search draws 36 candidates (180 fits); halving draws 24
(factor 3, resource rows, min_resources "exhaust": 24 + 8 + 3 candidates, 175 fits, each on a share
of the rows). scikit-learn's HalvingRandomSearchCV runs over exactly the 24 candidates kiln's
halving drew (bench/sklearn_case.py --candidates), with the same factor, min_resources and folds;
its rows are subsampled by numpy's generator, kiln's by its own, so the two need not keep the same
candidates (tests/reference/diabetes_halving*.json check that they do when the resource is a model
parameter). Each run is one whole process under /usr/bin/time; the table goes to stdout and to
bench/RESULTS.md's `halving` section.
"""

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import driver  # noqa: E402

OUT = driver.OUT / "halving"
GRID = """model.learning_rate = [0.05, 0.1, 0.2]
model.max_leaf_nodes = [7, 15, 31, 63]
model.min_samples_leaf = [5, 20, 50]
model.l2_regularization = [0.0, 1.0, 10.0]
"""
FULL_FITS = 108 * 5
STRATEGIES = {
    "grid": "",
    "random": 'strategy = "random"\nn_candidates = 36\n',
    "halving": 'strategy = "halving"\nn_candidates = 24\nfactor = 3\n',
}


def pipeline(name, search):
    path = OUT / f"ames_hgb_{name}.toml"
    path.write_text(
        f"""# written by bench/halving.py: the {name} search of the 108-candidate grid
[pipeline]
name = "ames_hgb_{name}"
task = "regression"
seed = 0

[data]
path = "../data/ames.csv"
target = "price"
drop = ["Order", "PID"]

{driver.PREPROCESSING_TOML}
[model]
type = "hist_gradient_boosting"

[cv]
fold_column = "fold"

[search]
metric = "r2"
{search}
[grid]
{GRID}"""
    )
    return path


def run_kiln(kiln, toml, jobs):
    cmd = [kiln, "run", str(toml), "--out", str(OUT / "runs"), "--quiet", "--jobs", str(jobs)]
    wall, maxrss, _, stdout, stderr, rc = driver.measure(cmd, driver.ROOT)
    if rc != 0:
        sys.exit(f"kiln failed on {toml.name}:\n{stderr[-2000:]}")
    result = driver.kiln_result(stdout, toml.stem)
    run_dir = Path(stdout.strip().splitlines()[-1].split(": ", 1)[-1])
    fits = sum(1 for _ in open(run_dir / "fits.jsonl"))
    trials = [json.loads(line) for line in open(run_dir / "trials.jsonl")]
    return {"seconds": wall, "maxrss_kb": maxrss, "fits": fits, "best": result["best_score"], "trials": trials, "candidates": len({t["candidate"] for t in trials})}


def run_sklearn(python, toml, candidates, jobs):
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(candidates, f)
    cmd = [python, str(driver.BENCH / "sklearn_case.py"), str(toml), "--jobs", str(jobs), "--candidates", f.name]
    wall, maxrss, _, stdout, stderr, rc = driver.measure(cmd, driver.ROOT)
    if rc != 0:
        sys.exit(f"scikit-learn failed on {toml.name}:\n{stderr[-3000:]}")
    out = json.loads(stdout.strip().splitlines()[-1])
    return {"seconds": wall, "maxrss_kb": maxrss, "fits": out["fits"], "best": out["best_score"], "candidates": out["candidates"], "version": out["version"]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kiln", required=True)
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    driver.prepare_data()
    OUT.mkdir(parents=True, exist_ok=True)
    load_before = driver.loadavg()
    results = {}
    for name, search in STRATEGIES.items():
        results[name] = run_kiln(args.kiln, pipeline(name, search), args.jobs)
        print(name, {k: v for k, v in results[name].items() if k != "trials"}, file=sys.stderr)
    drawn = [t["params"] for t in results["halving"]["trials"] if t.get("rung") == 0]
    results["sklearn"] = run_sklearn(args.python, OUT / "ames_hgb_halving.toml", drawn, args.jobs)
    print("sklearn", results["sklearn"], file=sys.stderr)
    full = results["grid"]["best"]
    rows = [["search", "tool", "candidates", "fits", "share of the grid's fits", "seconds", "peak MB", "best r2", "best - grid's best"]]
    labels = {
        "grid": ("grid (every candidate)", "kiln"),
        "random": ("random, 36 drawn", "kiln"),
        "halving": ("halving, 24 drawn, factor 3, rows", "kiln"),
        "sklearn": ("HalvingRandomSearchCV, the same 24", results["sklearn"]["version"]),
    }
    for key, (label, tool) in labels.items():
        r = results[key]
        rows.append(
            [
                label,
                tool,
                str(r["candidates"]),
                str(r["fits"]),
                f"{r['fits'] / FULL_FITS:.2f}",
                driver.fmt_s(r["seconds"]),
                driver.fmt_mb(r["maxrss_kb"]),
                f"{r['best']:.4f}",
                f"{r['best'] - full:+.4f}",
            ]
        )
    print(driver.as_text(rows))
    facts = driver.machine_facts()
    build = driver.kiln_build(args.kiln, None)
    body = (
        f"Measured {driver.time.strftime('%Y-%m-%d %H:%M UTC', driver.time.gmtime())} on {facts['nproc']} cores "
        f"({facts['cpu']}), `python bench/halving.py --kiln {args.kiln} --jobs {args.jobs}` ({build['version']}, "
        f"{build['profile']}); load average before / after: {load_before} / {driver.loadavg()}. Whole processes, one run each.\n\n"
        + driver.as_markdown(rows)
        + "\n\nA halving search's best is its last rung's score, and with min_resources \"exhaust\" that rung "
        "runs on factor^k times the first rung's rows (here a few rows short of all of them), so it can land "
        "a little above or below the grid's score for the same candidate. The two halving searches draw "
        "their row subsamples from different generators, so they need not keep the same candidates; with a "
        "model parameter as the resource they do (tests/reference/diabetes_halving*.json).\n"
    )
    if not args.no_write:
        driver.update_results_md("halving", body)


if __name__ == "__main__":
    main()
