#!/usr/bin/env python3
"""Write the hist_gradient_boosting reference cases of tests/reference: for each case, a kiln
pipeline (NAME.toml, reading a CSV that already carries a `fold` column) and scikit-learn's scores
on the same folds (NAME.json), in the format tests/reference.rs reads.

    /work/venv/bin/python bench/reference_hgb.py [--only NAME]

scikit-learn runs the pipeline kiln runs:
  ColumnTransformer([("num", SimpleImputer(<impute>) or passthrough, numeric columns),
                     ("cat", [SimpleImputer(most_frequent), OneHotEncoder(ignore) or
                              OrdinalEncoder], text columns)])
  -> HistGradientBoostingRegressor / Classifier(random_state=seed, **params)
Numeric columns are not scaled (kiln's scale.method = "none"): trees do not care, and the bins are
then the same numbers on both sides. With impute "none" the numeric columns keep NaN; with the
ordinal encoder and categorical = "native" the code columns are passed as `categorical_features`.
Scores per fold are the metric on the held-out fold; the mean is their plain mean, as kiln's.
"""

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.impute import SimpleImputer
from sklearn.metrics import accuracy_score, log_loss, r2_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder

REF = Path(__file__).resolve().parent.parent / "tests" / "reference"
# Early stopping holds out a random validation_fraction of each fold's training rows: kiln draws
# them from its own generator, scikit-learn from numpy's, so the two never hold out the same rows.
# The case is only a fair check if that draw moves the mean score by less than the tolerance:
# run_case refits scikit-learn with `spread_seeds` random_state values and records the spread.
SPREAD_NOTE = (
    "early stopping holds out validation_fraction of each fold's training rows at random; kiln "
    "and scikit-learn draw different rows, so the means are compared within the tolerance only "
    "because the draw moves them less: `spread` is scikit-learn's mean score over random_state "
    "0..spread_seeds-1 (min, max). n_iter is scikit-learn's stopping iteration per fold, for "
    "reading only: it moves with the held-out rows by tens of iterations (see spread.n_iter) and "
    "is not compared."
)
SEED = 0
TOLERANCE = 0.01

# The ames regression cases' data, target and metric.
AMES = dict(csv="ames_tree.csv", task="regression", target="price", drop=["Order", "PID"], metrics=["r2"])

CASES = [
    dict(
        name="diabetes_hgb",
        csv="diabetes_gbm.csv",
        task="regression",
        target="target",
        metrics=["r2"],
        fixed={"early_stopping": False},
        grid={"max_iter": [50, 100], "max_leaf_nodes": [7, 31], "l2_regularization": [0.0, 1.0]},
    ),
    dict(
        name="diabetes_hgb_depth",
        csv="diabetes_gbm.csv",
        task="regression",
        target="target",
        metrics=["r2"],
        fixed={"early_stopping": False, "learning_rate": 0.05},
        grid={"max_depth": [2, 4], "min_samples_leaf": [5, 20], "max_bins": [16, 255]},
    ),
    dict(
        name="breast_cancer_hgb",
        csv="breast_cancer_logreg.csv",
        task="classification",
        target="target",
        metrics=["accuracy", "log_loss"],
        fixed={"early_stopping": False},
        grid={"max_iter": [30, 100], "max_leaf_nodes": [7, 31]},
    ),
    dict(
        name="penguins_hgb",
        csv="penguins_tree.csv",
        task="classification",
        target="species",
        metrics=["accuracy", "log_loss"],
        fixed={"early_stopping": False},
        grid={"max_iter": [20, 50], "learning_rate": [0.1, 0.3]},
    ),
    dict(
        name="penguins_hgb_native",
        csv="penguins_tree.csv",
        task="classification",
        target="species",
        metrics=["accuracy", "log_loss"],
        encode="ordinal",
        fixed={"early_stopping": False, "categorical": "native"},
        grid={"max_iter": [20, 50], "min_samples_leaf": [5, 20]},
    ),
    dict(
        name="ames_hgb_native",
        **AMES,
        encode="ordinal",
        fixed={"early_stopping": False, "categorical": "native", "max_iter": 50},
        grid={"max_leaf_nodes": [15, 31]},
    ),
    dict(
        name="ames_hgb_nan",
        **AMES,
        impute="none",
        encode="ordinal",
        fixed={"early_stopping": False, "categorical": "ordinal", "max_iter": 50},
        grid={"max_leaf_nodes": [15, 31]},
    ),
    dict(
        name="ames_hgb_early",
        **AMES,
        encode="ordinal",
        fixed={
            "early_stopping": True,
            "categorical": "native",
            "learning_rate": 0.3,
            "max_iter": 200,
            "validation_fraction": 0.2,
            "n_iter_no_change": 30,
        },
        grid={"min_samples_leaf": [10, 20]},
        spread_seeds=6,
        note=SPREAD_NOTE,
    ),
]


def numeric_and_text(df, target, drop):
    cols = [c for c in df.columns if c not in (target, "fold") and c not in drop]
    numeric = [c for c in cols if pd.api.types.is_numeric_dtype(df[c])]
    text = [c for c in cols if c not in numeric]
    return numeric, text


def make_pipeline(case, params, numeric, text, seed):
    impute = case.get("impute", "median")
    encode = case.get("encode", "one_hot")
    num = "passthrough" if impute == "none" else SimpleImputer(strategy=impute)
    if encode == "one_hot":
        cat_enc = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
    else:
        cat_enc = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)
    cat = Pipeline([("impute", SimpleImputer(strategy="most_frequent")), ("encode", cat_enc)])
    pre = ColumnTransformer([("num", num, numeric), ("cat", cat, text)], sparse_threshold=0)
    p = dict(params)
    native = p.pop("categorical", "native") == "native"
    if encode == "ordinal" and native and text:
        n = len(numeric)
        p["categorical_features"] = list(range(n, n + len(text)))
    else:
        p["categorical_features"] = None
    cls = HistGradientBoostingRegressor if case["task"] == "regression" else HistGradientBoostingClassifier
    return Pipeline([("pre", pre), ("model", cls(random_state=seed, **p))])


def score(metric, model, X, y):
    if metric == "r2":
        return r2_score(y, model.predict(X))
    if metric == "accuracy":
        return accuracy_score(y, model.predict(X))
    if metric == "log_loss":
        return log_loss(y, model.predict_proba(X), labels=model.classes_)
    raise SystemExit(f"unknown metric {metric}")


def grid_points(grid):
    keys = list(grid)
    points = [{}]
    for k in keys:
        points = [dict(p, **{k: v}) for p in points for v in grid[k]]
    return points


def toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return f'"{v}"'
    return repr(v)


def write_pipeline(case):
    lines = [
        f"# reference case {case['name']}: scikit-learn's scores on the same folds are in "
        f"{case['name']}.json (written by bench/reference_hgb.py)",
        "",
        "[pipeline]",
        f'name = "{case["name"]}"',
        f'task = "{case["task"]}"',
        f"seed = {SEED}",
        "",
        "[data]",
        f'path = "{case["csv"]}"',
        f'target = "{case["target"]}"',
    ]
    if case.get("drop"):
        lines.append("drop = [" + ", ".join(f'"{c}"' for c in case["drop"]) + "]")
    lines += [
        "",
        "[impute]",
        f'numeric = "{case.get("impute", "median")}"',
        'categorical = "most_frequent"',
        "",
        "[encode]",
        f'method = "{case.get("encode", "one_hot")}"',
        'unknown = "ignore"',
        "",
        "[scale]",
        'method = "none"',
        "",
        "[model]",
        'type = "hist_gradient_boosting"',
    ]
    lines += [f"{k} = {toml_value(v)}" for k, v in case["fixed"].items()]
    lines += ["", "[cv]", 'fold_column = "fold"', "", "[search]", f'metric = "{case["metrics"][0]}"']
    if len(case["metrics"]) > 1:
        lines.append("metrics = [" + ", ".join(f'"{m}"' for m in case["metrics"][1:]) + "]")
    lines += ["", "[grid]"]
    lines += [f"model.{k} = [{', '.join(toml_value(v) for v in vs)}]" for k, vs in case["grid"].items()]
    (REF / f"{case['name']}.toml").write_text("\n".join(lines) + "\n")


def cross_validate(case, params, numeric, text, X, y, fold, seed):
    """Each fold's scores (and, with early stopping, scikit-learn's n_iter_) for one candidate."""
    folds = []
    for f in sorted(set(fold)):
        train, test = fold != f, fold == f
        model = make_pipeline(case, params, numeric, text, seed).fit(X[train], y[train])
        entry = {"fold": int(f), "scores": {m: score(m, model, X[test], y[test]) for m in case["metrics"]}}
        if params.get("early_stopping") is True:
            entry["n_iter"] = int(model[-1].n_iter_)
        folds.append(entry)
    return folds


def mean_scores(case, folds):
    return {m: float(np.mean([fo["scores"][m] for fo in folds])) for m in case["metrics"]}


def run_case(case):
    df = pd.read_csv(REF / case["csv"], keep_default_na=False, na_values=["", "NA"])
    target = case["target"]
    numeric, text = numeric_and_text(df, target, case.get("drop", []))
    X, y, fold = df[numeric + text], df[target], df["fold"].to_numpy()
    candidates = []
    for ci, point in enumerate(grid_points(case["grid"])):
        params = dict(case["fixed"], **point)
        folds = cross_validate(case, params, numeric, text, X, y, fold, SEED)
        candidate = {
            "candidate": ci,
            "params": {f"model.{k}": v for k, v in point.items()},
            "folds": folds,
            "mean": mean_scores(case, folds),
        }
        if case.get("spread_seeds"):
            runs = [folds] + [
                cross_validate(case, params, numeric, text, X, y, fold, seed)
                for seed in range(SEED + 1, SEED + case["spread_seeds"])
            ]
            spread = {}
            for m in case["metrics"]:
                means = [mean_scores(case, r)[m] for r in runs]
                spread[m] = [min(means), max(means)]
            spread["n_iter"] = [[fo["n_iter"] for fo in r] for r in runs]
            candidate["spread"] = spread
            print(case["name"], point, spread, file=sys.stderr)
        candidates.append(candidate)
    metric = case["metrics"][0]
    sign = -1 if metric == "log_loss" else 1
    best = max(candidates, key=lambda c: sign * c["mean"][metric])
    out = {
        "case": case["name"],
        "pipeline": f"{case['name']}.toml",
        "metric": metric,
        "tolerance": TOLERANCE,
        "tolerance_means": "absolute, on every candidate's mean score for every metric listed",
        "rows": int(len(df)),
        "candidates": candidates,
        "best": {"params": best["params"], "mean": best["mean"]},
        "reference": f"scikit-learn {sklearn.__version__}",
    }
    if case.get("spread_seeds"):
        out["spread_seeds"] = case["spread_seeds"]
    if case.get("note"):
        out["note"] = case["note"]
    (REF / f"{case['name']}.json").write_text(json.dumps(out, indent=1) + "\n")
    print(case["name"], {k: v for k, v in best["mean"].items()}, file=sys.stderr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only")
    args = ap.parse_args()
    for case in CASES:
        if args.only and args.only not in case["name"]:
            continue
        write_pipeline(case)
        run_case(case)


if __name__ == "__main__":
    main()
