#!/usr/bin/env python3
"""Request bodies for bench/serve.sh, and the check that two servers predict alike.

    python bench/serve_bodies.py write DATA.csv OUTDIR MODEL.json  # the bodies below, from the data's rows
    python bench/serve_bodies.py compare URL_A URL_B BODY  # POSTs BODY to both /predict; prints the gap

Bodies are kiln's request format, {"rows": [{column: value, ...}]}, with every column of a data row
(the target and identifiers too: servers ignore extra keys): integers as integers, floats in
Python's shortest round-trip form, text as strings, gaps as null. Written to OUTDIR:

  good_1.json          row 1                      (200)
  good_100.json        rows 1..100                (200)
  good_7.json          rows 101..107              (200)
  empty_rows.json      {"rows": []}               (200)
  bad_json.json        a truncated body           (400)
  bad_utf8.bin         bytes that are not UTF-8   (400)
  bad_shape.json       a JSON array               (422)
  bad_rows.json        "rows" is an object        (422)
  bad_missing.json     row 2 without "area"       (422)
  bad_type.json        "area" is "large" on row 3 (422)
  bad_nested.json      "Neighborhood" is an object (422)
  big.json             60 rows, ~100 KB: over the hardening run's --max-body 64k (413)

and for the other protocols (POST /v2/models/ames-ridge/infer, POST /invocations):

  oip_good_7.json      rows 101..107 as Open Inference Protocol tensors, one per column (200)
  oip_bad_shape.json   a [7, 2] tensor                          (400)
  oip_bad_type.json    "area" as strings in an FP64 tensor      (400)
  oip_missing.json     no "area" tensor                         (400)
  mlflow_split_7.json  rows 101..107 as {"dataframe_split"}     (200)
  mlflow_records_7.json rows 101..107 as {"dataframe_records"}  (200)
  mlflow_bad.json      {"dataframe_split"} with a short row     (400)
  mlflow_unknown.json  {"rows": ...}: not one of MLflow's keys  (400)
"""

import json
import sys
import urllib.request
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sklearn_case import load  # noqa: E402


def rows_of(df):
    out = []
    for rec in df.to_dict(orient="records"):
        row = {}
        for k, v in rec.items():
            if isinstance(v, float) and np.isnan(v):
                v = None
            elif isinstance(v, np.integer):
                v = int(v)
            elif isinstance(v, np.floating):
                v = float(v)
            row[k] = v
        out.append(row)
    return out


def dump(path, rows):
    Path(path).write_text(json.dumps({"rows": rows}, separators=(",", ":")))


def write(data, outdir, model):
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    rows = rows_of(load(Path(data), {}))
    dump(out / "good_1.json", rows[:1])
    dump(out / "good_100.json", rows[:100])
    dump(out / "good_7.json", rows[100:107])
    (out / "empty_rows.json").write_text('{"rows":[]}')
    (out / "bad_json.json").write_text(json.dumps({"rows": rows[:2]})[:-40])
    (out / "bad_utf8.bin").write_bytes(b'{"rows":[{"area":"\xff\xfe"}]}')
    (out / "bad_shape.json").write_text(json.dumps(rows[:2]))
    (out / "bad_rows.json").write_text(json.dumps({"rows": rows[0]}))
    missing = [dict(r) for r in rows[:3]]
    del missing[1]["area"]
    dump(out / "bad_missing.json", missing)
    wrong = [dict(r) for r in rows[:3]]
    wrong[2]["area"] = "large"
    dump(out / "bad_type.json", wrong)
    nested = [dict(r) for r in rows[:2]]
    nested[0]["Neighborhood"] = {"name": nested[0]["Neighborhood"]}
    dump(out / "bad_nested.json", nested)
    dump(out / "big.json", rows[:60])
    inputs = [c["name"] for c in json.loads(Path(model).read_text())["inputs"]]
    write_protocol_bodies(out, rows[100:107], inputs)
    for p in sorted(out.glob("*.json")) + [out / "bad_utf8.bin"]:
        print(f"{p.name:18} {p.stat().st_size:>9} bytes", file=sys.stderr)


def tensors(rows, inputs):
    """One tensor per model input (the protocol refuses others): numbers as FP64, text as BYTES
    (a column of both is text)."""
    out = []
    for name in inputs:
        values = [r[name] for r in rows]
        text = any(isinstance(v, str) for v in values)
        if text:
            values = [None if v is None else str(v) for v in values]
        out.append({"name": name, "shape": [len(rows), 1], "datatype": "BYTES" if text else "FP64", "data": values})
    return out


def write_protocol_bodies(out, rows, inputs):
    def put(name, body):
        (out / name).write_text(json.dumps(body, separators=(",", ":")))

    good = tensors(rows, inputs)
    put("oip_good_7.json", {"inputs": good})
    shape = [dict(t) for t in good]
    shape[1] = dict(shape[1], shape=[len(rows), 2])
    put("oip_bad_shape.json", {"inputs": shape})
    put("oip_bad_type.json", {"inputs": [dict(t, data=["large"] * len(rows)) if t["name"] == "area" else t for t in good]})
    put("oip_missing.json", {"inputs": [t for t in good if t["name"] != "area"]})
    columns = list(rows[0])
    split = {"columns": columns, "data": [[r[c] for c in columns] for r in rows]}
    put("mlflow_split_7.json", {"dataframe_split": split})
    put("mlflow_records_7.json", {"dataframe_records": rows})
    put("mlflow_bad.json", {"dataframe_split": dict(split, data=[split["data"][0][:-1]])})
    put("mlflow_unknown.json", {"rows": rows})


def post(url, body):
    req = urllib.request.Request(url + "/predict", data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read())["predictions"]


def compare(a, b, body_path):
    body = Path(body_path).read_bytes()
    pa, pb = np.array(post(a, body)), np.array(post(b, body))
    rel = np.abs(pa - pb) / np.maximum(np.abs(pb), 1.0)
    same = int(np.sum(pa == pb))
    print(f"{len(pa)} rows: max relative difference {rel.max():.3g}, {same} bit-identical")


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "write":
        write(sys.argv[2], sys.argv[3], sys.argv[4])
    elif len(sys.argv) == 5 and sys.argv[1] == "compare":
        compare(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit(__doc__)
