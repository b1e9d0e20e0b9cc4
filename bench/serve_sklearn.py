#!/usr/bin/env python3
"""The usual Python route to serving the model `kiln serve` serves: scikit-learn behind FastAPI on uvicorn.

    SERVE_PIPELINE=bench/out/serve/ames_ridge.toml SERVE_KILN_MODEL=.../model.json \
        python -m uvicorn --app-dir bench serve_sklearn:app --workers 2 --port 8000

Run by bench/serve.sh. At start-up each worker reads the same kiln pipeline file that `kiln run` trained
on, loads its data the way bench/sklearn_case.py does (same null markers, same feature list), and fits
the scikit-learn twin of kiln's preprocessing:

  ColumnTransformer([("num",  [SimpleImputer(median), StandardScaler()], numeric columns),
                     ("gap",  MissingIndicator(features="missing-only"), numeric columns),  # impute.indicator
                     ("text", [SimpleImputer(most_frequent), OneHotEncoder(handle_unknown="ignore")],
                      text columns)]) -> Ridge(alpha = the alpha kiln's grid chose, read from model.json)

One-hot output is dense, as in `sklearn_case.py --dense`: that is where the two agree to rounding, and
for one-row requests it is also scikit-learn's faster choice.

POST /predict takes kiln's request body, {"rows": [{column: value, ...}, ...]}, and answers
{"predictions": [...]}; GET /health answers {"status": "ok"}. A body that is not JSON or not of that
shape gets a 400/422 as in kiln; nothing else is checked (a FastAPI app written in a hurry).
"""

import json
import os
import sys
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from sklearn.compose import ColumnTransformer
from sklearn.impute import MissingIndicator, SimpleImputer
from sklearn.linear_model import Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sklearn_case import load  # noqa: E402  (kiln's null markers, as the GridSearchCV twin reads data)


def fit(pipeline_path, kiln_model_path):
    """Fits the twin of the kiln pipeline; returns (pipeline, feature names, numeric, text columns)."""
    case = Path(pipeline_path)
    cfg = tomllib.loads(case.read_text())
    data = cfg["data"]
    if data.get("test_size"):
        raise SystemExit(f"{case}: remove data.test_size, so both sides fit every row")
    df = load((case.parent / data["path"]).resolve(), cfg)
    target = data["target"]
    df = df[df[target].notna()].reset_index(drop=True)
    drop = set(data.get("drop", [])) | {target}
    features = data.get("features") or [c for c in df.columns if c not in drop]
    X = df[features].copy()
    numeric = [c for c in features if pd.api.types.is_numeric_dtype(X[c])]
    text = [c for c in features if c not in numeric]
    X = typed(X, numeric, text)
    kiln_model = json.loads(Path(kiln_model_path).read_text())
    alpha = float(kiln_model["params"].get("model.alpha", cfg.get("model", {}).get("alpha", 1.0)))
    parts = [
        ("num", Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]), numeric),
        ("text", Pipeline([("impute", SimpleImputer(strategy="most_frequent")), ("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False))]), text),
    ]
    if cfg.get("impute", {}).get("indicator"):
        parts.insert(1, ("gap", MissingIndicator(features="missing-only", error_on_new=False), numeric))
    pipe = Pipeline([("pre", ColumnTransformer(parts)), ("model", Ridge(alpha=alpha))])
    pipe.fit(X, df[target].to_numpy(dtype=float))
    return pipe, features, numeric, text


def typed(X, numeric, text):
    """Numbers as float64 (None -> NaN), text as object with NaN for gaps: what the imputers expect."""
    X = X.astype({c: "float64" for c in numeric})
    for c in text:
        X[c] = X[c].where(X[c].notna(), np.nan).astype(object)
    return X


def frame(rows):
    """Request rows -> the frame the pipeline reads, a column at a time (a missing key: KeyError)."""
    cols = {}
    for c in FEATURES:
        values = [r[c] for r in rows]
        if c in NUMERIC_SET:
            cols[c] = np.array(values, dtype=float)  # None -> NaN
        else:
            cols[c] = np.array([np.nan if v is None else v for v in values], dtype=object)
    return pd.DataFrame(cols, copy=False)


PIPE, FEATURES, NUMERIC, TEXT = fit(os.environ["SERVE_PIPELINE"], os.environ["SERVE_KILN_MODEL"])
NUMERIC_SET = set(NUMERIC)
app = FastAPI()


@app.get("/health")
async def health():
    return {"status": "ok"}


@app.post("/predict")
async def predict(request: Request):
    try:
        body = json.loads(await request.body())
    except ValueError as e:
        return JSONResponse({"error": f"the body is not valid JSON: {e}"}, status_code=400)
    rows = body.get("rows") if isinstance(body, dict) else None
    if not isinstance(rows, list):
        return JSONResponse({"error": 'expected {"rows": [...]}'}, status_code=422)
    try:
        y = PIPE.predict(frame(rows))
    except (ValueError, TypeError, KeyError) as e:
        return JSONResponse({"error": str(e)}, status_code=422)
    # json.dumps writes Python's shortest round-trip repr of each float, as kiln does.
    return Response(json.dumps({"predictions": y.tolist()}), media_type="application/json")
