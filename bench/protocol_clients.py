#!/usr/bin/env python3
"""`kiln serve` called by clients nobody here wrote: NVIDIA's `tritonclient[http]` (the Open
Inference Protocol, in JSON and in its default binary tensors) and MLflow-style bodies written by
pandas (`to_json(orient="split")`, `orient="records"`, CSV), checked against `kiln predict` on the
same rows.

    python -m venv /tmp/v && /tmp/v/bin/pip install 'tritonclient[http]' pandas
    KILN_BIN=target/release/kiln /tmp/v/bin/python bench/protocol_clients.py

It trains the shipped ames ridge (regression), penguins (classification) and iris (clustering)
pipelines into a temporary folder, serves each, and prints one line per check; exits 1 on any
mismatch. Predictions must agree with `kiln predict` to the last bit (both print shortest
round-trip decimals), labels exactly.
"""

import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import tritonclient.http as httpclient

ROOT = Path(__file__).resolve().parent.parent
KILN = os.environ.get("KILN_BIN", str(ROOT / "target" / "release" / "kiln"))
ROWS = 200
CASES = [
    ("ames_ridge", "data/ames.csv"),
    ("penguins_species", "data/penguins.csv"),
    ("iris_clusters", "data/iris.csv"),
]
failures = []


def check(what, ok, detail=""):
    print(f"{'ok  ' if ok else 'FAIL'} {what}{(': ' + detail) if detail else ''}")
    if not ok:
        failures.append(what)


def train(tmp, pipeline):
    out = tmp / pipeline
    subprocess.run([KILN, "run", f"pipelines/{pipeline}.toml", "--out", str(out), "--quiet"], cwd=ROOT, check=True)
    return next(out.glob("*/*/model.json"))


def kiln_predict(model, rows_csv, tmp):
    out = tmp / "predicted.csv"
    subprocess.run([KILN, "predict", str(model), str(rows_csv), "-o", str(out)], cwd=ROOT, check=True)
    return pd.read_csv(out, keep_default_na=False)


def serve(model):
    p = subprocess.Popen([KILN, "serve", str(model), "--addr", "127.0.0.1:0", "--quiet"], cwd=ROOT,
                         stderr=subprocess.PIPE, text=True)
    for line in p.stderr:
        m = re.search(r"listening on http://(\S+)", line)
        if m:
            return p, m.group(1)
    raise SystemExit("kiln serve did not start")


def post(url, body, content_type):
    req = urllib.request.Request(url, data=body, headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def triton_inputs(meta, df, binary):
    inputs = []
    for t in meta["inputs"]:
        col = df[t["name"]]
        if t["datatype"] == "BYTES":
            values = np.array([[None if pd.isna(v) else str(v)] for v in col], dtype=object)
            # tritonclient writes a missing string as bytes; send the empty string's absence as "".
            values = np.array([["" if v[0] is None else v[0]] for v in values], dtype=object)
        else:
            values = col.to_numpy(dtype=np.float64).reshape(-1, 1)
        i = httpclient.InferInput(t["name"], list(values.shape), t["datatype"])
        i.set_data_from_numpy(values, binary_data=binary)
        inputs.append(i)
    return inputs


def main():
    if not Path(KILN).exists():
        raise SystemExit(f"no kiln binary at {KILN}; set KILN_BIN")
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        for pipeline, data in CASES:
            model = train(tmp, pipeline)
            df = pd.read_csv(ROOT / data).head(ROWS)
            rows_csv = tmp / "rows.csv"
            rows_csv.write_text("\n".join((ROOT / data).read_text().splitlines()[: ROWS + 1]) + "\n")
            want = kiln_predict(model, rows_csv, tmp)
            server, addr = serve(model)
            try:
                run_case(pipeline, model, df, rows_csv, want, addr)
            finally:
                server.terminate()
                server.wait(timeout=30)
    print(f"\n{len(failures)} failures" if failures else "\nall checks passed")
    sys.exit(1 if failures else 0)


def same(got, want):
    if not pd.api.types.is_numeric_dtype(want):
        return list(map(str, got)) == list(map(str, want))
    return np.array_equal(np.asarray(got, dtype=np.float64), want.to_numpy(dtype=np.float64))


def run_case(pipeline, model, df, rows_csv, want, addr):
    name = json.loads(model.read_text())["pipeline"]
    client = httpclient.InferenceServerClient(url=addr)
    check(f"{pipeline}: tritonclient is_server_live / ready / model ready",
          client.is_server_live() and client.is_server_ready() and client.is_model_ready(name))
    meta = client.get_model_metadata(name)
    check(f"{pipeline}: model metadata lists {len(meta['inputs'])} inputs", len(meta["inputs"]) > 0)
    col = "prediction"
    for binary in (True, False):
        start = time.perf_counter()
        result = client.infer(name, triton_inputs(meta, df, binary),
                              outputs=[httpclient.InferRequestedOutput(o["name"], binary_data=binary) for o in meta["outputs"]])
        ms = (time.perf_counter() - start) * 1e3
        got = result.as_numpy("prediction").reshape(-1)
        if got.dtype == object:
            got = [g.decode() if isinstance(g, bytes) else g for g in got]
        check(f"{pipeline}: tritonclient infer, binary={binary}, {ROWS} rows ({ms:.1f} ms) == kiln predict",
              same(got, want[col]))
        if "probabilities" in [o["name"] for o in meta["outputs"]]:
            proba = result.as_numpy("probabilities")
            classes = meta["parameters"]["classes"]
            cols = [f"proba_{c}" for c in classes]
            if all(c in want.columns for c in cols):
                check(f"{pipeline}: probabilities == kiln predict's", np.array_equal(proba, want[cols].to_numpy(dtype=np.float64)))
    # The default call, as most Triton code writes it: no outputs named, binary tensors both ways.
    result = client.infer(name, triton_inputs(meta, df, True))
    check(f"{pipeline}: tritonclient infer with its defaults", result.as_numpy("prediction") is not None)
    try:
        client.infer("no-such-model", triton_inputs(meta, df, False))
        check(f"{pipeline}: an unknown model is refused", False)
    except Exception as e:  # tritonclient raises InferenceServerException with the server's message
        check(f"{pipeline}: an unknown model is refused by the server", "no model" in str(e), str(e)[:80])

    url = f"http://{addr}/invocations"
    split = json.loads(df.to_json(orient="split"))
    split.pop("index", None)
    bodies = {
        "dataframe_split": json.dumps({"dataframe_split": split}),
        "dataframe_records": json.dumps({"dataframe_records": json.loads(df.to_json(orient="records"))}),
        "instances": json.dumps({"instances": json.loads(df.to_json(orient="records"))}),
        "inputs (columns)": json.dumps({"inputs": {c: [r[j] for r in split["data"]] for j, c in enumerate(split["columns"])}}),
    }
    for what, body in bodies.items():
        status, answer = post(url, body.encode(), "application/json")
        check(f"{pipeline}: MLflow {what} == kiln predict", status == 200 and same(answer["predictions"], want[col]),
              "" if status == 200 else str(answer))
    status, answer = post(url, rows_csv.read_bytes(), "text/csv")
    check(f"{pipeline}: MLflow text/csv == kiln predict", status == 200 and same(answer["predictions"], want[col]))
    status, answer = post(url, b'{"dataframe_split": {"data": [[1]]}}', "application/json")
    check(f"{pipeline}: MLflow bad body -> 400 BAD_REQUEST", status == 400 and answer.get("error_code") == "BAD_REQUEST")


if __name__ == "__main__":
    main()
