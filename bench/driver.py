#!/usr/bin/env python3
"""The side-by-side benchmark behind bench/run.sh: kiln against scikit-learn's GridSearchCV.

    python bench/driver.py --kiln PATH [--reps 3] [--jobs 2] [--cases a,b] [--build-note TEXT]

1. Writes copies of the shipped datasets with a `fold` column (5 folds, seed 0; stratified for
   classification) to bench/out/data/, which every case in bench/cases/ reads: all tools score the
   very same folds; flights also as flights.csv. A case whose data file is not one of these and is
   missing is made by bench/<file stem>.py when that script exists (bench/wide.py: wide.parquet).
2. For each repetition and case, runs each tool one after the other (the order rotates between
   repetitions), each as a whole process under /usr/bin/time -v: wall time includes interpreter
   start-up, imports and data loading. The tools:
     sklearn   `python bench/sklearn_case.py CASE` (GridSearchCV; scikit-learn's HistGradientBoosting
               for a hist_gradient_boosting case)
     kiln      `kiln run CASE --jobs N`
     lightgbm  `python bench/sklearn_case.py CASE --tool lightgbm`, hist_gradient_boosting cases only
     polars    a Python process that only imports polars and reads the case's file, CSV cases only:
               the cost of reading the data, as a reference for kiln's whole run
   Peak memory is reported twice: /usr/bin/time's "Maximum resident set size" (the largest single
   process: for GridSearchCV with n_jobs > 1 that leaves out the worker processes) and the peak of
   the summed RSS of the whole process tree, sampled every 50 ms.
3. Prints the tables (medians over the repetitions) and writes them, with the machine's facts and
   the kiln build measured, to bench/RESULTS.md (between the markers of its side-by-side, boosting
   and csv sections; a section whose cases did not run is left as it was) and
   bench/out/results.json.
"""

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OUT = BENCH / "out"
# kiln's default preprocessing, as the pipelines the benchmarks write spell it out (and as
# sklearn_case.py builds it: median / most-frequent imputation, one-hot, standard scaling).
PREPROCESSING_TOML = """[impute]
numeric = "median"
categorical = "most_frequent"

[encode]
method = "one_hot"
unknown = "ignore"

[scale]
method = "standard"
"""
DATA_OUT = OUT / "data"
# The peers fit the grid and refit the best candidate, and explain nothing: kiln's default
# out-of-fold permutation importance (the best candidate fitted again on every fold, then every
# column shuffled 5 times) is left out so that both sides do the same work. RESULTS.md gives its
# cost on its own.
SAME_WORK = ["--set", "explain.permutation_repeats=0"]
SEED = 0
FOLDS = 5

# data/ file -> (task, target): how its folds are drawn. The case files in bench/cases/ read the copies.
SOURCES = {
    "ames.csv": ("regression", "price"),
    "penguins.csv": ("classification", "species"),
    "wine.csv": ("classification", "target"),
    "diabetes.csv": ("regression", "target"),
    "iris.csv": ("clustering", None),
    "flights.parquet": ("regression", "arr_delay"),
}
# The order of the tables; any other case file in bench/cases/ runs after these, by name.
CASE_ORDER = [
    "ames_ridge",
    "ames_tree",
    "penguins_logreg",
    "flights_ridge",
    "flights_ridge_csv",
    "flights_tree",
    "flights_hgb",
    "wine_forest",
    "diabetes_gbm",
    "iris_kmeans",
    "wide_ridge",
]
# Copies also written as CSV (from the parquet copy, fold column included) for the CSV reading cases.
CSV_COPIES = {"flights.parquet": "flights.csv"}
# The polars-only reference: a whole Python process that imports polars and reads the file with
# polars' defaults (schema inferred from the first 100 rows), nothing else.
POLARS_READ = "import sys, polars as pl; df = pl.read_csv(sys.argv[1]); print(df.height)"
TOOL_NAMES = {"sklearn": "scikit-learn", "kiln": "kiln", "lightgbm": "LightGBM", "polars": "polars read"}


def prepare_data():
    """Copies of data/* with a fold column; rewritten only when missing or older than the source."""
    import numpy as np
    import pandas as pd
    from sklearn.model_selection import KFold, StratifiedKFold

    DATA_OUT.mkdir(parents=True, exist_ok=True)
    for name, (task, target) in SOURCES.items():
        src, dst = ROOT / "data" / name, DATA_OUT / name
        if dst.exists() and dst.stat().st_mtime >= src.stat().st_mtime:
            continue
        if name.endswith(".parquet"):
            df = pd.read_parquet(src)
        else:
            df = pd.read_csv(src, keep_default_na=False, na_values=["", "NA"])
        fold = np.zeros(len(df), dtype=np.int64)
        known = np.flatnonzero(df[target].notna().to_numpy()) if target else np.arange(len(df))
        if task == "classification":
            splits = StratifiedKFold(FOLDS, shuffle=True, random_state=SEED).split(known, df[target].iloc[known].astype(str))
        else:
            splits = KFold(FOLDS, shuffle=True, random_state=SEED).split(known)
        for f, (_, val) in enumerate(splits):
            fold[known[val]] = f
        # Rows without a target are left out by both tools; give them a fold all the same.
        unknown = np.setdiff1d(np.arange(len(df)), known)
        fold[unknown] = np.arange(len(unknown)) % FOLDS
        df["fold"] = fold
        tmp = dst.with_suffix(dst.suffix + ".tmp")
        if name.endswith(".parquet"):
            df.to_parquet(tmp, index=False)
        else:
            df.to_csv(tmp, index=False)
        tmp.replace(dst)
        print(f"wrote {dst.relative_to(ROOT)} ({len(df)} rows, {FOLDS} folds)", file=sys.stderr)
    for name, csv_name in CSV_COPIES.items():
        src, dst = DATA_OUT / name, DATA_OUT / csv_name
        if dst.exists() and dst.stat().st_mtime >= src.stat().st_mtime:
            continue
        import polars as pl

        # polars writes what the parquet holds: integers as integers, nulls as empty fields (kiln's
        # and pandas' null marker), so both tools read the same table as from the parquet copy.
        tmp = dst.with_suffix(".csv.tmp")
        pl.read_parquet(src).write_csv(tmp)
        tmp.replace(dst)
        print(f"wrote {dst.relative_to(ROOT)} (a CSV copy of {name})", file=sys.stderr)


def case_config(case):
    return tomllib.loads((BENCH / "cases" / f"{case}.toml").read_text())


def data_path(case, cfg):
    return (BENCH / "cases" / cfg["data"]["path"]).resolve()


def ensure_data(case, cfg, python):
    """Make a missing data file with bench/<its stem>.py (e.g. bench/wide.py), else say which is missing."""
    path = data_path(case, cfg)
    if path.exists():
        return True
    maker = BENCH / f"{path.stem}.py"
    if maker.is_file():
        print(f"{case}: making {path.relative_to(ROOT)} with bench/{maker.name}", file=sys.stderr)
        if subprocess.run([python, str(maker)], cwd=ROOT).returncode == 0 and path.exists():
            return True
    print(f"error: {case}: its data file {path} is missing" + (f" and bench/{maker.name} did not make it" if maker.is_file() else ""), file=sys.stderr)
    return False


def tools_for(cfg):
    """Which tools run a case: scikit-learn and kiln always; LightGBM beside scikit-learn's
    HistGradientBoosting; the polars-only read beside a case that reads a CSV file."""
    tools = ["sklearn", "kiln"]
    if cfg.get("model", {}).get("type") == "hist_gradient_boosting":
        tools.append("lightgbm")
    if cfg["data"]["path"].lower().endswith(".csv"):
        tools.append("polars")
    return tools


def tree_rss_kb(root_pid):
    """Summed VmRSS (kB) of root_pid and all its descendants."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                stat = fh.read()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: fields follow the last ')'.
        ppid = int(stat[stat.rfind(")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    total, stack = 0, [root_pid]
    while stack:
        pid = stack.pop()
        try:
            with open(f"/proc/{pid}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
        except OSError:
            pass
        stack.extend(children.get(pid, []))
    return total


def measure(cmd, cwd):
    """Run cmd under /usr/bin/time -v: (wall seconds, max RSS kB, peak tree RSS kB, stdout, rc)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf, tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(["/usr/bin/time", "-v", "-o", tf.name, *cmd], cwd=cwd, stdout=out, stderr=err)
        peak = 0
        while proc.poll() is None:
            peak = max(peak, tree_rss_kb(proc.pid))
            time.sleep(0.05)
        wall = time.perf_counter() - t0
        out.seek(0)
        err.seek(0)
        report = tf.read()
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", report)
        maxrss = int(m.group(1)) if m else 0
        return wall, maxrss, max(peak, maxrss), out.read(), err.read(), proc.returncode


def kiln_result(stdout, case_name):
    """The best mean score, and each candidate's, from the run directory kiln printed."""
    run_dir = None
    for line in stdout.splitlines():
        # "run directory: PATH"; a bare path is taken too.
        text = line.split(": ", 1)[-1].strip()
        if text and (Path(text) / "summary.json").is_file():
            run_dir = Path(text)
    if run_dir is None:
        raise RuntimeError(f"{case_name}: kiln printed no run directory: {stdout!r}")
    summary = json.loads((run_dir / "summary.json").read_text())
    metric = summary["metric"]
    best = summary["best"]
    score = best["mean"][metric] if isinstance(best["mean"], dict) else best["mean"]
    candidates = []
    for line in (run_dir / "trials.jsonl").read_text().splitlines():
        trial = json.loads(line)
        if metric in trial.get("mean", {}):  # a failed candidate has no mean
            params = {k.removeprefix("model."): v for k, v in trial["params"].items()}
            candidates.append({"params": params, "mean": trial["mean"][metric]})
    params = {k.removeprefix("model."): v for k, v in (best.get("params") or {}).items()}
    return {"best_score": score, "best_params": params, "candidates_scores": candidates, "metric": metric, "summary": summary}


def loadavg():
    """The 1-minute load average: other work on the machine during a run inflates its times."""
    try:
        return open("/proc/loadavg").read().split()[0]
    except OSError:
        return "?"


def machine_facts():
    cpu = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_kb = 0
    for line in open("/proc/meminfo"):
        if line.startswith("MemTotal:"):
            mem_kb = int(line.split()[1])
    return {
        "nproc": os.cpu_count(),
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "cpu": cpu,
        "kernel": platform.release(),
        "python": platform.python_version(),
    }


def kiln_build(kiln, note):
    version = subprocess.run([kiln, "--version"], capture_output=True, text=True).stdout.strip()
    path = Path(kiln).resolve()
    profile = note or ("release" if "/release/" in str(path) else "debug/dev" if "/debug/" in str(path) else "unknown profile")
    mtime = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(path.stat().st_mtime))
    return {"binary": str(kiln), "version": version, "profile": profile, "built": mtime}


def fmt_s(x):
    return f"{x:.2f}" if x < 100 else f"{x:.0f}"


def fmt_mb(kb):
    return f"{kb / 1024:.0f}"


def table(columns, results):
    """Rows of text: the header, then one row per result, each column a (header, text of a result) pair."""
    return [[name for name, _ in columns]] + [[cell(r) for _, cell in columns] for r in results]


def wall(tool):
    return lambda r: fmt_s(r[tool]["wall_median"])


def peak(tool, key="maxrss_median"):
    return lambda r: fmt_mb(r[tool][key])


def speed_up(slow, fast):
    """How many times `fast` is quicker than `slow`: slow's time over fast's."""
    return lambda r: f"{r[slow]['wall_median'] / r[fast]['wall_median']:.1f}x"


def render(results):
    return table(
        [
            ("case", lambda r: r["case"]),
            ("rows", lambda r: str(r["rows"])),
            ("fits", lambda r: str(r["fits"])),
            ("sklearn s", wall("sklearn")),
            ("kiln s", wall("kiln")),
            ("speed-up", speed_up("sklearn", "kiln")),
            ("sklearn MB (max proc)", peak("sklearn")),
            ("sklearn MB (tree)", peak("sklearn", "tree_rss_median")),
            ("kiln MB", peak("kiln")),
            ("metric", lambda r: r["metric"]),
            ("sklearn best", lambda r: f"{r['sklearn']['best_score']:.4f}"),
            ("kiln best", lambda r: f"{r['kiln']['best_score']:.4f}"),
        ],
        results,
    )


def as_text(rows):
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for i, row in enumerate(rows):
        lines.append("  ".join(c.rjust(w) if i and j else c.ljust(w) for j, (c, w) in enumerate(zip(row, widths))).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def as_markdown(rows):
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "|".join(["---"] + ["---:"] * (len(rows[0]) - 1)) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows[1:]]
    return "\n".join(lines)


def update_results_md(section, body):
    """Replace the text between <!-- NAME:start --> and <!-- NAME:end --> in bench/RESULTS.md."""
    path = BENCH / "RESULTS.md"
    text = path.read_text() if path.exists() else ""
    start, end = f"<!-- {section}:start -->", f"<!-- {section}:end -->"
    block = f"{start}\n{body.strip()}\n{end}"
    if start in text and end in text:
        text = text[: text.index(start)] + block + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text)


def candidate_key(params):
    return json.dumps(params, sort_keys=True)


def fmt_params(params):
    return ", ".join(f"{k} = {v}" for k, v in sorted(params.items())) or "(defaults)"


def main_and_tree(tool):
    """Peak memory of a Python tool: its main process / its whole process tree."""
    return lambda r: f"{fmt_mb(r[tool]['maxrss_median'])} / {fmt_mb(r[tool]['tree_rss_median'])}"


def render_boosting(results):
    """The hist_gradient_boosting cases: three tools' time and memory, and every candidate's mean."""
    boosting = [r for r in results if "lightgbm" in r]
    timing = table(
        [
            ("case", lambda r: r["case"]),
            ("rows", lambda r: str(r["rows"])),
            ("fits", lambda r: str(r["fits"])),
            ("kiln s", wall("kiln")),
            ("sklearn HGB s", wall("sklearn")),
            ("LightGBM s", wall("lightgbm")),
            ("HGB / kiln", speed_up("sklearn", "kiln")),
            ("LightGBM / kiln", speed_up("lightgbm", "kiln")),
            ("kiln MB", peak("kiln")),
            ("sklearn HGB MB (main / tree)", main_and_tree("sklearn")),
            ("LightGBM MB (main / tree)", main_and_tree("lightgbm")),
        ],
        boosting,
    )
    # One row per candidate, in scikit-learn's order; kiln's and LightGBM's matched by parameters.
    candidates = []
    for r in boosting:
        by_tool = {t: {candidate_key(c["params"]): c["mean"] for c in r[t]["candidates_scores"]} for t in ("kiln", "lightgbm")}
        for c in r["sklearn"]["candidates_scores"]:
            key = candidate_key(c["params"])
            candidates.append({"case": r["case"], "metric": r["metric"], "params": c["params"], "sklearn": c["mean"], "kiln": by_tool["kiln"].get(key), "lightgbm": by_tool["lightgbm"].get(key)})

    def score(tool):
        return lambda c: "-" if c[tool] is None else f"{c[tool]:.4f}"

    scores = table(
        [
            ("case", lambda c: c["case"]),
            ("candidate", lambda c: fmt_params(c["params"])),
            ("metric", lambda c: c["metric"]),
            ("kiln", score("kiln")),
            ("sklearn HGB", score("sklearn")),
            ("LightGBM", score("lightgbm")),
            ("kiln - HGB", lambda c: "-" if c["kiln"] is None else f"{c['kiln'] - c['sklearn']:+.4f}"),
        ],
        candidates,
    )
    return timing, scores


def render_csv(results):
    """The CSV cases beside the polars-only read of their file."""
    return table(
        [
            ("case", lambda r: r["case"]),
            ("rows", lambda r: str(r["rows"])),
            ("polars read s", wall("polars")),
            ("kiln s", wall("kiln")),
            ("kiln / polars read", lambda r: f"{r['kiln']['wall_median'] / r['polars']['wall_median']:.2f}x"),
            ("sklearn s", wall("sklearn")),
            ("sklearn / kiln", speed_up("sklearn", "kiln")),
            ("polars read MB", peak("polars")),
            ("kiln MB", peak("kiln")),
        ],
        [r for r in results if "polars" in r],
    )


def tool_versions(python, tools):
    """The Python tools' versions, as the run used them."""
    code = {
        "sklearn": "import sklearn; print('scikit-learn', sklearn.__version__)",
        "lightgbm": "import lightgbm; print('LightGBM', lightgbm.__version__)",
        "polars": "import polars; print('polars', polars.__version__)",
    }
    out = []
    for tool in ("sklearn", "lightgbm", "polars"):
        if tool in tools:
            out.append(subprocess.run([python, "-c", code[tool]], capture_output=True, text=True).stdout.strip())
    return ", ".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kiln", required=True)
    ap.add_argument("--python", default=sys.executable, help="the Python that runs the scikit-learn, LightGBM and polars side")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--cases", default="", help="comma-separated subset of the bench/cases/*.toml names (default: all): " + ",".join(CASE_ORDER))
    ap.add_argument("--build-note", default="", help="how the kiln binary was built, for RESULTS.md")
    ap.add_argument("--no-write", action="store_true", help="print the tables only; leave RESULTS.md alone")
    args = ap.parse_args()

    prepare_data()
    if args.cases:
        cases = [c for c in args.cases.split(",") if c]
    else:
        others = sorted(p.stem for p in (BENCH / "cases").glob("*.toml") if p.stem not in CASE_ORDER)
        cases = [c for c in CASE_ORDER if (BENCH / "cases" / f"{c}.toml").is_file()] + others
    unknown = [c for c in cases if not (BENCH / "cases" / f"{c}.toml").is_file()]
    if unknown:
        print(f"error: no case file for {unknown} in bench/cases/", file=sys.stderr)
        return 2
    configs = {c: case_config(c) for c in cases}
    if not all([ensure_data(c, configs[c], args.python) for c in cases]):
        return 2
    runs_dir = OUT / "runs"
    runs_dir.mkdir(parents=True, exist_ok=True)

    load_before = loadavg()
    tools = {c: tools_for(configs[c]) for c in cases}
    samples = {c: {t: [] for t in tools[c]} for c in cases}
    info = {}
    for rep in range(args.reps):
        for case in cases:
            path = BENCH / "cases" / f"{case}.toml"
            sklearn_cmd = [args.python, str(BENCH / "sklearn_case.py"), str(path), "--jobs", str(args.jobs)]
            commands = {
                "sklearn": sklearn_cmd,
                "kiln": [args.kiln, "run", str(path), "--out", str(runs_dir), "--quiet", "--jobs", str(args.jobs), *SAME_WORK],
                "lightgbm": [*sklearn_cmd, "--tool", "lightgbm"],
                "polars": [args.python, "-c", POLARS_READ, str(data_path(case, configs[case]))],
            }
            # Rotate which tool goes first, so none always runs on a cache the others warmed.
            shift = rep % len(tools[case])
            for tool in tools[case][shift:] + tools[case][:shift]:
                wall, maxrss, tree, stdout, stderr, rc = measure(commands[tool], ROOT)
                if rc != 0:
                    print(f"error: {tool} failed on {case} (exit {rc}):\n{stderr[-3000:]}", file=sys.stderr)
                    return 1
                if tool in ("sklearn", "lightgbm"):
                    res = json.loads(stdout.strip().splitlines()[-1])
                    info.setdefault(case, {}).update(rows=res["rows"], fits=res["fits"], metric=res["metric"])
                elif tool == "kiln":
                    res = kiln_result(stdout, case)
                    res.pop("summary")
                else:
                    res = {"rows_read": int(stdout.strip().splitlines()[-1])}
                samples[case][tool].append({"wall": wall, "maxrss": maxrss, "tree_rss": tree, **res})
                score = f"best {res['best_score']:.4f}" if "best_score" in res else f"{res['rows_read']} rows read"
                print(f"rep {rep + 1}/{args.reps} {case:18s} {tool:8s} {wall:7.2f}s  {maxrss / 1024:7.0f} MB  {score}", file=sys.stderr)

    results = []
    for case in cases:
        r = {"case": case, **info[case]}
        for tool in tools[case]:
            s = samples[case][tool]
            r[tool] = {
                "wall_median": statistics.median(x["wall"] for x in s),
                "wall_all": [round(x["wall"], 3) for x in s],
                "maxrss_median": statistics.median(x["maxrss"] for x in s),
                "tree_rss_median": statistics.median(x["tree_rss"] for x in s),
            }
            for key in ("best_score", "best_params", "candidates_scores", "version"):
                if key in s[-1]:
                    r[tool][key] = s[-1][key]
        results.append(r)

    load_after = loadavg()
    rows = render(results)
    timing, scores = render_boosting(results)
    csv_rows = render_csv(results)
    print(as_text(rows))
    if len(timing) > 1:
        print("\nhist_gradient_boosting: kiln, scikit-learn's HistGradientBoosting, LightGBM\n" + as_text(timing) + "\n\n" + as_text(scores))
    if len(csv_rows) > 1:
        print("\nCSV cases beside a polars-only read of the same file\n" + as_text(csv_rows))
    facts = machine_facts()
    build = kiln_build(args.kiln, args.build_note)
    used = {t for c in cases for t in tools[c]}
    versions = tool_versions(args.python, used)
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    (OUT / "results.json").write_text(
        json.dumps({"when": stamp, "machine": facts, "load": [load_before, load_after], "kiln": build, "python_tools": versions, "reps": args.reps, "jobs": args.jobs, "results": results}, indent=1)
    )
    if not args.no_write:
        header = (
            f"Measured {stamp} on {facts['nproc']} cores ({facts['cpu']}), {facts['memory_gib']} GiB memory, "
            f"Linux {facts['kernel']}, Python {facts['python']}; {versions}.\n\n"
            f"kiln build measured: **{build['profile']}** (`{build['binary']}`, {build['version']}, binary built {build['built']}).\n"
            f"All tools use {args.jobs} workers; median of {args.reps} repetitions, the order of the tools rotating; wall time and memory are the whole process. "
            f"Load average (1 min) before / after the run: {load_before} / {load_after} "
            f"(above ~0.5, other work shared the cores and the times are inflated).\n\n"
        )
        update_results_md("side-by-side", header + as_markdown(rows))
        if len(timing) > 1:
            update_results_md("boosting", header + as_markdown(timing) + "\n\nMean validation score of every candidate (the same predefined folds for all three):\n\n" + as_markdown(scores))
        if len(csv_rows) > 1:
            update_results_md("csv", header + as_markdown(csv_rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
