#!/usr/bin/env python3
"""The side-by-side benchmark behind bench/run.sh: kiln against scikit-learn's GridSearchCV.

    python bench/driver.py --kiln PATH [--reps 3] [--jobs 2] [--cases a,b] [--build-note TEXT]

1. Writes copies of the shipped datasets with a `fold` column (5 folds, seed 0; stratified for
   classification) to bench/out/data/, which every case in bench/cases/ reads: both tools score the
   very same folds.
2. For each repetition and case, runs `python bench/sklearn_case.py CASE` and
   `kiln run CASE --jobs N` one after the other (the order alternates between repetitions), each as a
   whole process under /usr/bin/time -v: wall time includes interpreter start-up, imports and data
   loading. Peak memory is reported twice: /usr/bin/time's "Maximum resident set size" (the largest
   single process: for GridSearchCV with n_jobs > 1 that leaves out the worker processes) and the
   peak of the summed RSS of the whole process tree, sampled every 50 ms.
3. Prints the table (medians over the repetitions) and writes it, with the machine's facts and the
   kiln build measured, to bench/RESULTS.md (between the markers of the side-by-side section) and
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
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OUT = BENCH / "out"
DATA_OUT = OUT / "data"
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
CASE_ORDER = [
    "ames_ridge",
    "ames_tree",
    "penguins_logreg",
    "flights_ridge",
    "flights_tree",
    "wine_forest",
    "diabetes_gbm",
    "iris_kmeans",
]


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
    """The best mean score from the run directory kiln printed."""
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
    return {"best_score": score, "best_params": best.get("params"), "metric": metric, "summary": summary}


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


def render(results):
    headers = [
        "case",
        "rows",
        "fits",
        "sklearn s",
        "kiln s",
        "speed-up",
        "sklearn MB (max proc)",
        "sklearn MB (tree)",
        "kiln MB",
        "metric",
        "sklearn best",
        "kiln best",
    ]
    rows = [headers]
    for r in results:
        rows.append(
            [
                r["case"],
                str(r["rows"]),
                str(r["fits"]),
                fmt_s(r["sklearn"]["wall_median"]),
                fmt_s(r["kiln"]["wall_median"]),
                f"{r['sklearn']['wall_median'] / r['kiln']['wall_median']:.1f}x",
                fmt_mb(r["sklearn"]["maxrss_median"]),
                fmt_mb(r["sklearn"]["tree_rss_median"]),
                fmt_mb(r["kiln"]["maxrss_median"]),
                r["metric"],
                f"{r['sklearn']['best_score']:.4f}",
                f"{r['kiln']['best_score']:.4f}",
            ]
        )
    return rows


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


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kiln", required=True)
    ap.add_argument("--python", default=sys.executable, help="the Python that runs the scikit-learn side")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--cases", default="", help="comma-separated subset of: " + ",".join(CASE_ORDER))
    ap.add_argument("--build-note", default="", help="how the kiln binary was built, for RESULTS.md")
    ap.add_argument("--no-write", action="store_true", help="print the table only; leave RESULTS.md alone")
    args = ap.parse_args()

    prepare_data()
    cases = [c for c in (args.cases.split(",") if args.cases else CASE_ORDER) if c]
    unknown = [c for c in cases if not (BENCH / "cases" / f"{c}.toml").is_file()]
    if unknown:
        print(f"error: no case file for {unknown} in bench/cases/", file=sys.stderr)
        return 2
    runs_dir = OUT / "runs"
    runs_dir.mkdir(parents=True, exist_ok=True)

    load_before = loadavg()
    samples = {c: {"sklearn": [], "kiln": []} for c in cases}
    info = {}
    for rep in range(args.reps):
        for case in cases:
            path = BENCH / "cases" / f"{case}.toml"
            commands = {
                "sklearn": [args.python, str(BENCH / "sklearn_case.py"), str(path), "--jobs", str(args.jobs)],
                "kiln": [args.kiln, "run", str(path), "--out", str(runs_dir), "--quiet", "--jobs", str(args.jobs)],
            }
            order = ["sklearn", "kiln"] if rep % 2 == 0 else ["kiln", "sklearn"]
            for tool in order:
                wall, maxrss, tree, stdout, stderr, rc = measure(commands[tool], ROOT)
                if rc != 0:
                    print(f"error: {tool} failed on {case} (exit {rc}):\n{stderr[-3000:]}", file=sys.stderr)
                    return 1
                if tool == "sklearn":
                    res = json.loads(stdout.strip().splitlines()[-1])
                    info.setdefault(case, {}).update(rows=res["rows"], fits=res["fits"], metric=res["metric"])
                else:
                    res = kiln_result(stdout, case)
                    res.pop("summary")
                samples[case][tool].append({"wall": wall, "maxrss": maxrss, "tree_rss": tree, **res})
                print(f"rep {rep + 1}/{args.reps} {case:16s} {tool:8s} {wall:7.2f}s  {maxrss / 1024:7.0f} MB  best {res['best_score']:.4f}", file=sys.stderr)

    results = []
    for case in cases:
        r = {"case": case, **info[case]}
        for tool in ("sklearn", "kiln"):
            s = samples[case][tool]
            r[tool] = {
                "wall_median": statistics.median(x["wall"] for x in s),
                "wall_all": [round(x["wall"], 3) for x in s],
                "maxrss_median": statistics.median(x["maxrss"] for x in s),
                "tree_rss_median": statistics.median(x["tree_rss"] for x in s),
                "best_score": s[-1]["best_score"],
                "best_params": s[-1]["best_params"],
            }
        results.append(r)

    load_after = loadavg()
    rows = render(results)
    print(as_text(rows))
    facts = machine_facts()
    build = kiln_build(args.kiln, args.build_note)
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    (OUT / "results.json").write_text(json.dumps({"when": stamp, "machine": facts, "load": [load_before, load_after], "kiln": build, "reps": args.reps, "jobs": args.jobs, "results": results}, indent=1))
    if not args.no_write:
        body = (
            f"Measured {stamp} on {facts['nproc']} cores ({facts['cpu']}), {facts['memory_gib']} GiB memory, "
            f"Linux {facts['kernel']}, Python {facts['python']}.\n\n"
            f"kiln build measured: **{build['profile']}** (`{build['binary']}`, {build['version']}, binary built {build['built']}).\n"
            f"Both tools use {args.jobs} workers; median of {args.reps} alternating repetitions; wall time and memory are the whole process. "
            f"Load average (1 min) before / after the run: {load_before} / {load_after} "
            f"(above ~0.5, other work shared the cores and the times are inflated).\n\n"
            + as_markdown(rows)
        )
        update_results_md("side-by-side", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
