"""kiln export checked by a runtime nobody here wrote: for every reference case (tests/reference/*.toml
and its data, and bench/onnx_cases/*.toml for the kinds and options those do not cover), `kiln run`, `kiln export --onnx`, then onnxruntime on the case's rows, compared with
`kiln predict` on the same rows: predictions and probabilities within 1e-6 relative (probabilities relative to max(p, 1e-6)), class labels and
clusters exactly. Prints one line per case and a summary; exits 1 if any case disagrees.

    /work/venv/bin/python bench/onnx_check.py [--kiln target/release/kiln] [CASE ...]

A case kiln refuses to export (it says why, exit 2) is listed as refused, not failed.
"""

import argparse
import glob
import json
import math
import os
import subprocess
import sys
import tempfile
import tomllib

import numpy as np
import onnxruntime as ort
import pandas as pd

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOLERANCE = 1e-6
# Probabilities are compared relative to max(p, 1e-6): a probability near 0 from 1 - p(other), the
# subtraction kiln makes too, carries 1e-16 of p(other)'s rounding, which is a large share of 1e-10.
PROBA_FLOOR = 1e-6


def rel_err(a, b, floor=1e-300):
    """max |a - b| / max(|b|, floor), elementwise over arrays; 0 for equal values (inf == inf)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    same = (a == b) | (np.isnan(a) & np.isnan(b))
    err = np.where(same, 0.0, np.abs(a - b) / np.maximum(np.abs(b), floor))
    return float(err.max()) if err.size else 0.0


def feeds(model, data_path, null_values, sep):
    """The ONNX inputs from the data file, read as kiln reads it: nulls as NaN (numbers) or the
    empty string (categories)."""
    df = pd.read_csv(data_path, sep=sep, dtype=str, keep_default_na=False)
    out = {}
    for col in model["inputs"]:
        raw = df[col["name"]].tolist()
        missing = [v in null_values for v in raw]
        if col["kind"] == "numeric":
            vals = [math.nan if m else float(v) for v, m in zip(raw, missing)]
            out[col["name"]] = np.array(vals, dtype=np.float64).reshape(-1, 1)
        else:
            vals = ["" if m else v for v, m in zip(raw, missing)]
            out[col["name"]] = np.array(vals, dtype=object).reshape(-1, 1)
    return out


def check_case(kiln, toml_path, work):
    name = os.path.splitext(os.path.basename(toml_path))[0]
    with open(toml_path, "rb") as f:
        pipeline = tomllib.load(f)
    data = pipeline["data"]
    data_path = os.path.join(os.path.dirname(toml_path), data["path"])
    if not data_path.endswith(".csv"):
        return name, "skipped", "data is not csv", None
    out = os.path.join(work, name)
    r = subprocess.run([kiln, "run", toml_path, "--out", out, "--quiet"], capture_output=True, text=True)
    if r.returncode != 0:
        return name, "failed", "kiln run: " + r.stderr.strip()[-300:], None
    [model_path] = glob.glob(os.path.join(out, "*", "*", "model.json"))
    onnx_path = os.path.join(out, "model.onnx")
    r = subprocess.run([kiln, "export", model_path, "--onnx", onnx_path], capture_output=True, text=True)
    if r.returncode == 2:
        return name, "refused", r.stderr.strip().splitlines()[-1], None
    if r.returncode != 0:
        return name, "failed", "kiln export: " + r.stderr.strip()[-300:], None
    pred_path = os.path.join(out, "predictions.csv")
    r = subprocess.run([kiln, "predict", model_path, data_path, "-o", pred_path], capture_output=True, text=True)
    if r.returncode != 0:
        return name, "failed", "kiln predict: " + r.stderr.strip()[-300:], None
    with open(model_path) as f:
        model = json.load(f)
    kind = model["model"]["kind"]
    nulls = data.get("null_values", ["", "NA"])
    sep = data.get("separator", ",")
    x = feeds(model, data_path, nulls, sep)
    session = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
    got = dict(zip([o.name for o in session.get_outputs()], session.run(None, x)))
    want = pd.read_csv(pred_path, dtype={"prediction": str}, keep_default_na=False)
    rows = len(want)
    task = model["task"]
    if task == "regression":
        err = rel_err(got["prediction"].ravel(), want["prediction"].astype(float))
        ok = err <= TOLERANCE
        detail = f"{rows} rows, prediction max rel err {err:.2e}"
    elif task == "classification":
        labels = [str(v) for v in got["label"].ravel()]
        mismatched = sum(a != b for a, b in zip(labels, want["prediction"]))
        proba = np.column_stack([want[f"proba_{c}"].astype(float) for c in model["classes"]])
        err = rel_err(got["probabilities"], proba, PROBA_FLOOR)
        ok = mismatched == 0 and err <= TOLERANCE
        detail = f"{rows} rows, {mismatched} labels differ, probabilities max rel err {err:.2e}"
    else:
        clusters = got["label"].ravel().astype(int)
        mismatched = int((clusters != want["cluster"].astype(int).to_numpy()).sum())
        err = 0.0
        ok = mismatched == 0
        detail = f"{rows} rows, {mismatched} clusters differ"
    return name, "ok" if ok else "FAILED", f"{kind}: {detail}", err


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kiln", default=os.path.join(ROOT, "target", "release", "kiln"))
    ap.add_argument("cases", nargs="*")
    a = ap.parse_args()
    cases = a.cases or sorted(glob.glob(os.path.join(ROOT, "tests", "reference", "*.toml"))) + sorted(
        glob.glob(os.path.join(ROOT, "bench", "onnx_cases", "*.toml"))
    )
    results = []
    with tempfile.TemporaryDirectory(prefix="kiln-onnx-") as work:
        for c in cases:
            res = check_case(a.kiln, c, work)
            results.append(res)
            print(f"{res[0]:36} {res[1]:8} {res[2]}", flush=True)
    counts = {}
    for r in results:
        counts[r[1]] = counts.get(r[1], 0) + 1
    worst = max((r[3] for r in results if r[3] is not None), default=0.0)
    print(f"\n{len(results)} cases: " + ", ".join(f"{v} {k}" for k, v in sorted(counts.items()))
          + f"; max relative error {worst:.2e}")
    sys.exit(0 if all(r[1] in ("ok", "refused", "skipped") for r in results) else 1)


if __name__ == "__main__":
    main()
