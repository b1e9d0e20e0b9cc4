#!/usr/bin/env python3
"""Write the time-series reference case of tests/reference: flights_time.csv (2,400 flights from
the project's data/flights.parquet, in random order, with the departure hour as ISO text),
flights_time.toml (a ridge grid on `cv.method = "time_series"`, ordered by that text column, which
is dropped from the features) and flights_time.json (what scikit-learn does on the same data).

    /work/venv/bin/python bench/reference_time_series.py

scikit-learn's side, written out: the rows sorted by `time_hour` (a stable sort, so ties keep
their file order, as kiln's `cv.order_by`), the last ceil(test_size * n) of them held out as
train_test_split(shuffle=False) does, TimeSeriesSplit(n_splits, gap, max_train_size) on the rest,
and GridSearchCV over Ridge(alpha) behind kiln's default preprocessing (median imputation and
standard scaling of the numbers, most-frequent imputation and one-hot encoding of the text). The
JSON holds every candidate's per-fold and mean scores and each fold's row counts and its train and
validation rows (0-based rows of the csv); tests/reference.rs checks kiln's per-fold scores (the
case sets `check_folds`), which agree only when every fold holds the same rows. It also holds the
permutation importance of the best candidate, refitted on every training row, on the holdout
(sklearn.inspection.permutation_importance, scoring r2, random_state = the seed), which kiln
computes with the same shuffles: summary.json's `permutation_importance` must agree.
"""

import json
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.inspection import permutation_importance
from sklearn.linear_model import Ridge
from sklearn.metrics import mean_absolute_error, r2_score, root_mean_squared_error
from sklearn.model_selection import TimeSeriesSplit
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

sys.path.insert(0, str(Path(__file__).resolve().parent))
import driver  # noqa: E402  (the preprocessing every benchmark pipeline spells out)

ROOT = Path(__file__).resolve().parent.parent
REF = ROOT / "tests" / "reference"
NAME = "flights_time"
ROWS = 2400
SEED = 0
TEST_SIZE = 0.2
FOLDS, GAP, MAX_TRAIN = 4, 24, 1000
ALPHAS = [0.1, 1.0, 10.0, 100.0]
REPEATS = 10
NUMERIC = ["dep_delay", "distance", "hour"]
TEXT = ["carrier", "origin"]
TARGET = "arr_delay"

PIPELINE = f"""# reference case {NAME}: time-series folds ordered by a text column that is not a feature;
# what scikit-learn's TimeSeriesSplit and GridSearchCV do on the same rows is in {NAME}.json
# (written by bench/reference_time_series.py)

[pipeline]
name = "{NAME}"
task = "regression"
seed = {SEED}

[data]
path = "{NAME}.csv"
target = "{TARGET}"
drop = ["time_hour"]
test_size = {TEST_SIZE}

{driver.PREPROCESSING_TOML}
[model]
type = "ridge"

[cv]
method = "time_series"
order_by = "time_hour"
folds = {FOLDS}
gap = {GAP}
max_train_size = {MAX_TRAIN}

[explain]
permutation_repeats = {REPEATS}

[search]
metric = "r2"
metrics = ["rmse", "mae"]

[grid]
model.alpha = {ALPHAS}
"""


def write_data():
    flights = pd.read_parquet(ROOT / "data" / "flights.parquet")
    flights = flights.dropna(subset=[TARGET] + NUMERIC)
    sample = flights.sample(n=ROWS, random_state=SEED)
    out = sample[NUMERIC + TEXT + ["time_hour", TARGET]].copy()
    out["time_hour"] = pd.to_datetime(out["time_hour"], utc=True).dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    out.to_csv(REF / f"{NAME}.csv", index=False)
    return pd.read_csv(REF / f"{NAME}.csv")


def main():
    df = write_data()
    (REF / f"{NAME}.toml").write_text(PIPELINE)
    order = np.argsort(df["time_hour"].to_numpy(), kind="stable")
    n = len(df)
    n_test = math.ceil(TEST_SIZE * n)
    train_rows = order[: n - n_test]
    X = df.iloc[train_rows][NUMERIC + TEXT].reset_index(drop=True)
    y = df.iloc[train_rows][TARGET].to_numpy()
    splits = list(TimeSeriesSplit(n_splits=FOLDS, gap=GAP, max_train_size=MAX_TRAIN).split(X))
    pre = ColumnTransformer(
        [
            ("num", Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]), NUMERIC),
            ("cat", Pipeline([("impute", SimpleImputer(strategy="most_frequent")), ("encode", OneHotEncoder(handle_unknown="ignore", sparse_output=False))]), TEXT),
        ]
    )
    candidates = []
    for i, alpha in enumerate(ALPHAS):
        folds = []
        for f, (tr, va) in enumerate(splits):
            model = Pipeline([("pre", pre), ("ridge", Ridge(alpha=alpha))]).fit(X.iloc[tr], y[tr])
            pred = model.predict(X.iloc[va])
            folds.append(
                {
                    "fold": f,
                    "scores": {
                        "r2": r2_score(y[va], pred),
                        "rmse": root_mean_squared_error(y[va], pred),
                        "mae": mean_absolute_error(y[va], pred),
                    },
                }
            )
        mean = {m: float(np.mean([fo["scores"][m] for fo in folds])) for m in ["r2", "rmse", "mae"]}
        candidates.append({"candidate": i, "params": {"model.alpha": alpha}, "folds": folds, "mean": mean})
    # The best candidate refitted on every training row; permutation importance on the holdout, its
    # rows in file order as kiln keeps them (the shuffles permute positions, so order matters).
    best = max(candidates, key=lambda c: c["mean"]["r2"])
    X_all = df[NUMERIC + TEXT]
    model = Pipeline([("pre", pre), ("ridge", Ridge(alpha=best["params"]["model.alpha"]))]).fit(X, y)
    test_rows = np.sort(order[n - n_test :])
    X_test, y_test = X_all.iloc[test_rows].reset_index(drop=True), df[TARGET].to_numpy()[test_rows]
    perm = permutation_importance(model, X_test, y_test, scoring="r2", n_repeats=REPEATS, random_state=SEED)
    permutation = {
        "on": "holdout",
        "metric": "r2",
        "n_repeats": REPEATS,
        "baseline": r2_score(y_test, model.predict(X_test)),
        "features": [
            {"feature": f, "mean": float(perm.importances_mean[j]), "std": float(perm.importances_std[j]), "importances": [float(v) for v in perm.importances[j]]}
            for j, f in enumerate(NUMERIC + TEXT)
        ],
    }
    reference = {
        "case": NAME,
        "pipeline": f"{NAME}.toml",
        "metric": "r2",
        "tolerance": 1e-6,
        "tolerance_means": "absolute, on every candidate's mean and per-fold score for every metric listed",
        "check_folds": True,
        "rows": n,
        "generated_by": f"bench/reference_time_series.py, scikit-learn {sklearn.__version__}",
        "holdout_rows": sorted(int(r) for r in order[n - n_test :]),
        "splits": [
            {
                "fold": f,
                "n_train": len(tr),
                "n_valid": len(va),
                # Rows of the csv (0-based), as kiln's dataset rows here: no row is dropped.
                "train": sorted(int(r) for r in train_rows[tr]),
                "valid": sorted(int(r) for r in train_rows[va]),
            }
            for f, (tr, va) in enumerate(splits)
        ],
        "candidates": candidates,
        "permutation_importance": permutation,
    }
    (REF / f"{NAME}.json").write_text(json.dumps(reference, indent=1) + "\n")
    print(f"wrote {NAME}.csv, .toml, .json: {n} rows, folds", [(len(tr), len(va)) for tr, va in splits])


if __name__ == "__main__":
    main()
