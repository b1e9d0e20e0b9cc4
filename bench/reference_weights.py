#!/usr/bin/env python3
"""Write the row-weight reference cases of tests/reference: for each, a CSV (a shipped reference
CSV with a `weight` column added), a kiln pipeline with `data.weight = "weight"`, and what
scikit-learn does on the same folds with `sample_weight`.

    /work/venv/bin/python bench/reference_weights.py

scikit-learn's side, per candidate and fold: Pipeline(SimpleImputer(median), StandardScaler(),
model).fit(X_train, y_train, model__sample_weight=w_train), the imputer and scaler fitted
unweighted (a Pipeline routes sample_weight to the model step only, as kiln does), then every
metric on the validation fold with sample_weight=w_valid; the mean is the plain mean over folds.
The weights are a fixed function of the row number (1 + (row * 7 mod 5) / 2, and 0 for every
eleventh row), so a change in either side's weighting moves the scores. breast_cancer_balanced
has no row weights: its grid is over `class_weight` ("balanced" and two tables), which the fit
folds into its row weights as scikit-learn does, the scores unweighted.

The tree models, the boostings and k-means (weighted in kiln since 2026-12-03) follow: a tree
and a gradient boosting checked per fold (deterministic on both sides); forests, whose bootstrap
draws differ from numpy's draw by draw, on their means with a forest's tolerance. scikit-learn's
GradientBoostingClassifier has no class_weight: its case multiplies the row weights by
compute_sample_weight(class_weight, y_train), the recipe kiln's `class_weight` follows for it.
k-means scores inertia weighted (-KMeans.score(X, sample_weight=w)); silhouette is unweighted.
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn
from sklearn.impute import SimpleImputer
from sklearn.cluster import KMeans
from sklearn.ensemble import (
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
)
from sklearn.linear_model import Lasso, LinearRegression, LogisticRegression, Ridge
from sklearn.metrics import silhouette_score
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.naive_bayes import GaussianNB
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    f1_score,
    log_loss,
    mean_absolute_error,
    r2_score,
    roc_auc_score,
    root_mean_squared_error,
)
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

REF = Path(__file__).resolve().parent.parent / "tests" / "reference"


def weights(n):
    rows = np.arange(n)
    w = 1.0 + (rows * 7 % 5) / 2.0
    w[rows % 11 == 0] = 0.0
    return w


def regression_metrics(y, p, w):
    return {
        "r2": r2_score(y, p, sample_weight=w),
        "rmse": root_mean_squared_error(y, p, sample_weight=w),
        "mae": mean_absolute_error(y, p, sample_weight=w),
    }


def classification_metrics(y, proba, w, positive):
    pred = proba.argmax(axis=1)
    k = proba.shape[1]
    scores = {
        "balanced_accuracy": balanced_accuracy_score(y, pred, sample_weight=w),
        "log_loss": log_loss(y, proba, sample_weight=w, labels=list(range(k))),
        "accuracy": accuracy_score(y, pred, sample_weight=w),
    }
    if k == 2:
        scores["f1"] = f1_score(y, pred, pos_label=positive, sample_weight=w)
        scores["roc_auc"] = roc_auc_score(y, proba[:, positive], sample_weight=w)
    return scores


CASES = [
    {
        "name": "wine_weighted_nb",
        "csv": "wine_nb.csv",
        "task": "classification",
        "model": "naive_bayes",
        "grid_key": "model.var_smoothing",
        "grid": [1e-09, 0.001],
        "make": lambda v: GaussianNB(var_smoothing=v),
        "metric": "accuracy",
        "metrics": ["log_loss", "balanced_accuracy"],
    },
    {
        "name": "diabetes_weighted",
        "csv": "diabetes_ridge.csv",
        "task": "regression",
        "model": "ridge",
        "grid_key": "model.alpha",
        "grid": [0.01, 1.0, 100.0],
        "make": lambda a: Ridge(alpha=a),
        "metric": "r2",
        "metrics": ["rmse", "mae"],
    },
    {
        "name": "diabetes_weighted_lasso",
        "csv": "diabetes_ridge.csv",
        "task": "regression",
        "model": "lasso",
        "grid_key": "model.alpha",
        "grid": [0.01, 0.1, 1.0],
        "make": lambda a: Lasso(alpha=a, tol=1e-12, max_iter=100000),
        "extra_model": "tol = 1e-12\nmax_iter = 100000\n",
        "metric": "r2",
        "metrics": ["rmse"],
    },
    {
        "name": "diabetes_weighted_ols",
        "csv": "diabetes_ridge.csv",
        "task": "regression",
        "model": "linear_regression",
        "grid_key": "model.fit_intercept",
        "grid": [True, False],
        "make": lambda b: LinearRegression(fit_intercept=b),
        "metric": "r2",
        "metrics": ["rmse"],
    },
    {
        # class_weight, no row weights: the fit weighs each class, the scores are unweighted.
        "name": "breast_cancer_balanced",
        "csv": "breast_cancer_logreg.csv",
        "task": "classification",
        "model": "logistic_regression",
        "grid_key": "model.class_weight",
        "grid": ["balanced", {"malignant": 3.0}, {"benign": 0.5, "malignant": 2.0}],
        "make": lambda cw: LogisticRegression(
            C=0.1, class_weight=cw, solver="newton-cholesky", tol=1e-12, max_iter=1000
        ),
        "extra_model": "C = 0.1\n",
        "metric": "balanced_accuracy",
        "metrics": ["accuracy", "f1", "log_loss", "roc_auc"],
        "positive": "malignant",
        "row_weights": False,
    },
    {
        "name": "breast_cancer_weighted",
        "csv": "breast_cancer_logreg.csv",
        "task": "classification",
        "model": "logistic_regression",
        "grid_key": "model.C",
        "grid": [0.01, 0.1, 1.0],
        "make": lambda c: LogisticRegression(
            C=c, solver="newton-cholesky", tol=1e-12, max_iter=1000
        ),
        "metric": "log_loss",
        "metrics": ["accuracy", "f1", "roc_auc"],
        "positive": "malignant",
    },
    {
        "name": "diabetes_weighted_tree",
        "csv": "diabetes_ridge.csv",
        "task": "regression",
        "model": "decision_tree",
        "grid_key": "model.max_depth",
        "grid": [2, 3],
        "make": lambda d: DecisionTreeRegressor(max_depth=d, random_state=0),
        "metric": "r2",
        "metrics": [],
        # scikit-learn's trees split X cast to float32 and break ties between features at random:
        # the tolerance of the unweighted tree and boosting cases (ames_tree, diabetes_gbm).
        "tolerance": 0.03,
        "check_folds": False,
    },
    {
        # Row weights and class weights: "balanced" counts the training rows unweighted for a
        # tree (compute_sample_weight), then multiplies the row weights.
        "name": "breast_cancer_weighted_tree",
        "csv": "breast_cancer_logreg.csv",
        "task": "classification",
        "model": "decision_tree",
        "grid_key": "model.class_weight",
        "grid": ["balanced", {"malignant": 3.0}],
        "make": lambda cw: DecisionTreeClassifier(max_depth=3, class_weight=cw, random_state=0),
        "extra_model": "max_depth = 3\n",
        "metric": "accuracy",
        "metrics": ["roc_auc"],
        "positive": "malignant",
        "tolerance": 0.03,
        "check_folds": False,
    },
    {
        "name": "wine_weighted_forest",
        "csv": "wine_forest.csv",
        "task": "classification",
        "model": "random_forest",
        "grid_key": "model.class_weight",
        "grid": ["balanced", "balanced_subsample"],
        "make": lambda cw: RandomForestClassifier(n_estimators=300, class_weight=cw, random_state=0),
        "extra_model": "n_estimators = 300\n",
        "metric": "accuracy",
        "metrics": ["log_loss"],
        "tolerance": 0.04,
        "check_folds": False,
    },
    {
        "name": "diabetes_weighted_gbm",
        "csv": "diabetes_ridge.csv",
        "task": "regression",
        "model": "gradient_boosting",
        "grid_key": "model.max_depth",
        "grid": [2, 3],
        "make": lambda d: GradientBoostingRegressor(n_estimators=50, max_depth=d, random_state=0),
        "extra_model": "n_estimators = 50\n",
        "metric": "r2",
        "metrics": [],
        "tolerance": 0.03,
        "check_folds": False,
    },
    {
        "name": "breast_cancer_weighted_gbm",
        "csv": "breast_cancer_logreg.csv",
        "task": "classification",
        "model": "gradient_boosting",
        "grid_key": "model.class_weight",
        "grid": ["balanced", {"malignant": 2.0}],
        "make": lambda cw: GradientBoostingClassifier(n_estimators=30, max_depth=2, random_state=0),
        "class_weight_as_rows": True,
        "extra_model": "n_estimators = 30\nmax_depth = 2\n",
        "metric": "log_loss",
        "metrics": ["accuracy", "roc_auc"],
        "positive": "malignant",
        "tolerance": 0.03,
        "check_folds": False,
    },
    {
        "name": "diabetes_weighted_hgb",
        "csv": "diabetes_ridge.csv",
        "task": "regression",
        "model": "hist_gradient_boosting",
        "grid_key": "model.max_leaf_nodes",
        "grid": [7, 31],
        "make": lambda m: HistGradientBoostingRegressor(max_iter=50, max_leaf_nodes=m, random_state=0),
        "extra_model": "max_iter = 50\n",
        "metric": "r2",
        "metrics": ["rmse"],
    },
    {
        "name": "breast_cancer_weighted_hgb",
        "csv": "breast_cancer_logreg.csv",
        "task": "classification",
        "model": "hist_gradient_boosting",
        "grid_key": "model.class_weight",
        "grid": ["balanced", {"malignant": 2.0}],
        "make": lambda cw: HistGradientBoostingClassifier(
            max_iter=30, max_leaf_nodes=7, class_weight=cw, random_state=0
        ),
        "extra_model": "max_iter = 30\nmax_leaf_nodes = 7\n",
        "metric": "log_loss",
        "metrics": ["accuracy", "roc_auc"],
        "positive": "malignant",
    },
    {
        "name": "iris_weighted_kmeans",
        "csv": "iris_kmeans.csv",
        "task": "clustering",
        "model": "kmeans",
        "grid_key": "model.n_clusters",
        "grid": [2, 3, 4],
        "make": lambda k: KMeans(n_clusters=k, n_init=10, random_state=0),
        "extra_model": "n_init = 10\n",
        "metric": "inertia",
        "metrics": ["silhouette"],
    },
]


def toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return f'"{v}"'
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(x)}" for k, x in v.items()) + " }"
    return repr(v)


def pipeline_text(case, csv):
    extra_model = "tol = 1e-12\n" if case["model"] == "logistic_regression" else ""
    extra_model += case.get("extra_model", "")
    weight = 'weight = "weight"\n' if case.get("row_weights", True) else ""
    positive = f'positive_class = "{case["positive"]}"\n' if "positive" in case else ""
    grid = "[" + ", ".join(toml_value(v) for v in case["grid"]) + "]"
    metrics = ", ".join(f'"{m}"' for m in case["metrics"])
    metrics = f"metrics = [{metrics}]\n" if metrics else ""
    target = 'drop = ["target"]\n' if case["task"] == "clustering" else 'target = "target"\n'
    return f"""# reference case {case["name"]}: every fit and score weighted by the `weight` column; what
# scikit-learn does with sample_weight on the same folds is in {case["name"]}.json (written by
# bench/reference_weights.py)

[pipeline]
name = "{case["name"]}"
task = "{case["task"]}"
seed = 0

[data]
path = "{csv}"
{target}{weight}{positive}
[impute]
numeric = "median"

[scale]
method = "standard"

[model]
type = "{case["model"]}"
{extra_model}
[cv]
fold_column = "fold"

[search]
metric = "{case["metric"]}"
{metrics}
[grid]
{case["grid_key"]} = {grid}
"""


def run_case(case):
    df = pd.read_csv(REF / case["csv"])
    if case.get("row_weights", True):
        df["weight"] = weights(len(df))
        csv = f"{case['name']}.csv"
        df.to_csv(REF / csv, index=False)
        w = df["weight"].to_numpy()
    else:
        csv = case["csv"]
        w = np.ones(len(df))
    x = df.drop(columns=[c for c in ["target", "fold", "weight"] if c in df])
    if case["task"] == "clustering":
        y = None
    elif case["task"] == "classification":
        classes = sorted(df["target"].unique())
        y = np.array([classes.index(v) for v in df["target"]])
        positive = classes.index(case["positive"]) if "positive" in case else len(classes) - 1
    else:
        y = df["target"].to_numpy()
    folds = df["fold"].to_numpy()

    def by_index(value):
        # y is class indices here: a class_weight table's labels become their indices.
        if isinstance(value, dict):
            return {classes.index(k): v for k, v in value.items()}
        return value

    candidates = []
    for value in case["grid"]:
        per_fold = []
        for f in sorted(np.unique(folds)):
            train, valid = folds != f, folds == f
            model = Pipeline(
                [
                    ("impute", SimpleImputer(strategy="median")),
                    ("scale", StandardScaler()),
                    ("model", case["make"](by_index(value))),
                ]
            )
            y_train = None if y is None else y[train]
            w_train = w[train]
            if case.get("class_weight_as_rows"):
                w_train = w_train * compute_sample_weight(by_index(value), y_train)
            if case.get("row_weights", True) or case.get("class_weight_as_rows"):
                model.fit(x[train], y_train, model__sample_weight=w_train)
            else:
                model.fit(x[train], y_train)
            if case["task"] == "clustering":
                xv = model[:-1].transform(x[valid])
                labels = model[-1].predict(xv)
                scores = {
                    "inertia": -model[-1].score(xv, sample_weight=w[valid]),
                    "silhouette": silhouette_score(xv, labels),
                }
            elif case["task"] == "classification":
                scores = classification_metrics(
                    y[valid], model.predict_proba(x[valid]), w[valid], positive
                )
            else:
                scores = regression_metrics(y[valid], model.predict(x[valid]), w[valid])
            names = [case["metric"], *case["metrics"]]
            scores = {m: scores[m] for m in names}
            per_fold.append({"fold": int(f), "scores": scores})
        mean = {m: float(np.mean([p["scores"][m] for p in per_fold])) for m in names}
        candidates.append({"params": {case["grid_key"]: value}, "folds": per_fold, "mean": mean})
        print(case["name"], value, mean)
    reference = {
        "case": case["name"],
        "pipeline": f"{case['name']}.toml",
        "metric": case["metric"],
        "tolerance": case.get("tolerance", 1e-6),
        "tolerance_means": "absolute, on every candidate's mean and per-fold score for every metric listed"
        if case.get("check_folds", True)
        else "absolute, on every candidate's mean score for every metric listed",
        "check_folds": case.get("check_folds", True),
        "rows": len(df),
        "candidates": candidates,
        "reference": f"scikit-learn {sklearn.__version__}",
    }
    (REF / f"{case['name']}.toml").write_text(pipeline_text(case, csv))
    (REF / f"{case['name']}.json").write_text(json.dumps(reference, indent=1) + "\n")


def main():
    import sys

    names = sys.argv[1:]
    for case in CASES:
        if not names or case["name"] in names:
            run_case(case)


if __name__ == "__main__":
    main()
