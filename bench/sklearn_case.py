#!/usr/bin/env python3
"""Run one benchmark case in scikit-learn's GridSearchCV, reading the same kiln pipeline file.

    python bench/sklearn_case.py bench/cases/ames_ridge.toml [--jobs 2]

The case file is the kiln pipeline itself, so both sides run the same data, features, preprocessing,
model, grid and folds: [data] path/target/features/drop, [model] type and parameters, [grid]
model.* lists, [cv] fold_column (a PredefinedSplit), [search] metric, [pipeline] seed (random_state).
Preprocessing is kiln's default pipeline, which every case uses:

  ColumnTransformer([("num", [SimpleImputer(median), StandardScaler()], numeric columns),
                     ("cat", [SimpleImputer(most_frequent), OneHotEncoder(handle_unknown="ignore")],
                      text columns)]) -> model

One-hot output stays scikit-learn's default, sparse (ColumnTransformer stacks it sparse when the
result is under 30% dense), unless --dense is given. That is what a scikit-learn user writes, and
on the large flights cases it is scikit-learn's faster and leaner choice. The price: Ridge solves
a sparse input iteratively (sparse_cg, tol 1e-4) rather than exactly, so on ames its best r2 is
~3e-4 off kiln's exact solution; with --dense the two agree to every printed digit.

Prints one JSON line: case, rows, candidates, fits, best params, best score, seconds inside the
process (load, search). The whole process is timed from outside by the driver.
"""

import argparse
import json
import sys
import time
import tomllib
from pathlib import Path

T_START = time.perf_counter()

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.compose import ColumnTransformer  # noqa: E402
from sklearn.impute import SimpleImputer  # noqa: E402
from sklearn.model_selection import GridSearchCV, PredefinedSplit  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import OneHotEncoder, StandardScaler  # noqa: E402

T_IMPORTED = time.perf_counter()

# kiln metric name -> scikit-learn scorer name (greater is better, as GridSearchCV wants).
SCORERS = {
    "r2": "r2",
    "rmse": "neg_root_mean_squared_error",
    "mae": "neg_mean_absolute_error",
    "mse": "neg_mean_squared_error",
    "accuracy": "accuracy",
    "balanced_accuracy": "balanced_accuracy",
    "f1": "f1_macro",
    "log_loss": "neg_log_loss",
    "roc_auc": "roc_auc_ovr",
}
NEGATED = {"rmse", "mae", "mse", "log_loss"}


def fail(msg):
    print(f"sklearn_case: {msg}", file=sys.stderr)
    sys.exit(2)


def model_for(task, mtype, params, seed):
    """The scikit-learn estimator for a kiln model type, with kiln's parameter names (the same)."""
    p = dict(params)
    reg = task == "regression"
    if mtype == "ridge":
        from sklearn.linear_model import Ridge

        return Ridge(**p)
    if mtype == "linear_regression":
        from sklearn.linear_model import LinearRegression

        p.pop("solver", None)
        return LinearRegression(**p)
    if mtype == "lasso":
        from sklearn.linear_model import Lasso

        return Lasso(**p)
    if mtype == "elastic_net":
        from sklearn.linear_model import ElasticNet

        return ElasticNet(**p)
    if mtype == "logistic_regression":
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(**p)
    if mtype == "decision_tree":
        from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

        return (DecisionTreeRegressor if reg else DecisionTreeClassifier)(random_state=seed, **p)
    if mtype == "random_forest":
        from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

        if reg:
            p.setdefault("max_features", 1.0)
        return (RandomForestRegressor if reg else RandomForestClassifier)(random_state=seed, **p)
    if mtype == "gradient_boosting":
        from sklearn.ensemble import GradientBoostingClassifier, GradientBoostingRegressor

        return (GradientBoostingRegressor if reg else GradientBoostingClassifier)(random_state=seed, **p)
    if mtype == "knn":
        from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

        return (KNeighborsRegressor if reg else KNeighborsClassifier)(**p)
    if mtype == "naive_bayes":
        from sklearn.naive_bayes import GaussianNB

        return GaussianNB(**p)
    if mtype == "kmeans":
        from sklearn.cluster import KMeans

        return KMeans(random_state=seed, **p)
    fail(f"no scikit-learn equivalent for model type {mtype!r}")


def clustering_scorer(metric):
    """Scores the validation rows assigned to the centres learned on the training rows, on the
    preprocessed features - what kiln does for clustering."""
    from sklearn.metrics import davies_bouldin_score, silhouette_score

    def score(pipe, X, y=None):
        xt = pipe[:-1].transform(X)
        km = pipe[-1]
        if metric == "inertia":
            return km.score(xt)  # minus the inertia: greater is better
        labels = km.predict(xt)
        if metric == "silhouette":
            return silhouette_score(xt, labels)
        if metric == "davies_bouldin":
            return -davies_bouldin_score(xt, labels)
        fail(f"metric {metric!r} is not a clustering metric")

    return score


def load(path, cfg):
    data = cfg.get("data", {})
    null_values = data.get("null_values", ["", "NA"])
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        df = pd.read_parquet(path)
    elif suffix in (".csv", ".tsv"):
        # kiln's null markers and nothing else ("None" can be a real category).
        sep = data.get("separator", "\t" if suffix == ".tsv" else ",")
        df = pd.read_csv(path, sep=sep, keep_default_na=False, na_values=null_values)
    else:
        fail(f"{path}: only csv, tsv and parquet cases are supported")
    return df


def main():
    ap = argparse.ArgumentParser(description="GridSearchCV twin of a kiln pipeline")
    ap.add_argument("pipeline")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--dense", action="store_true", help="dense one-hot output (default: sparse, scikit-learn's default)")
    args = ap.parse_args()

    case = Path(args.pipeline)
    try:
        cfg = tomllib.loads(case.read_text())
    except (OSError, tomllib.TOMLDecodeError) as e:
        fail(f"{case}: {e}")
    task = cfg["pipeline"]["task"]
    seed = cfg["pipeline"].get("seed", 0)
    data = cfg["data"]
    for section, wanted in [("impute", {"numeric": "median", "categorical": "most_frequent"}), ("encode", {"method": "one_hot"}), ("scale", {"method": "standard"})]:
        for key, value in cfg.get(section, {}).items():
            if key in wanted and value != wanted[key]:
                fail(f"{case}: {section}.{key} = {value!r}; this twin supports only {wanted[key]!r}")
    if cfg.get("grid") and not isinstance(cfg["grid"], dict):
        fail(f"{case}: only a single [grid] table is supported")
    fold_column = cfg.get("cv", {}).get("fold_column")
    if not fold_column:
        fail(f"{case}: the benchmark needs [cv] fold_column so both tools use identical folds")

    t0 = time.perf_counter()
    df = load((case.parent / data["path"]).resolve(), cfg)
    target = data.get("target")
    if target:
        df = df[df[target].notna()].reset_index(drop=True)  # kiln leaves these rows out too
    drop = set(data.get("drop", [])) | {fold_column} | ({target} if target else set())
    features = data.get("features") or [c for c in df.columns if c not in drop]
    categorical = set(data.get("categorical", []))
    X = df[features].copy()
    numeric = [c for c in features if pd.api.types.is_numeric_dtype(X[c]) and c not in categorical]
    text = [c for c in features if c not in numeric]
    for c in text:  # object dtype with np.nan: what SimpleImputer and OneHotEncoder expect
        X[c] = X[c].astype(str).where(X[c].notna(), np.nan).astype(object)
    y = df[target].astype(str).to_numpy() if task == "classification" else (df[target].to_numpy() if target else None)
    folds = df[fold_column].to_numpy()
    t_loaded = time.perf_counter()

    parts = []
    if numeric:
        parts.append(("num", Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]), numeric))
    if text:
        unknown = cfg.get("encode", {}).get("unknown", "ignore")
        parts.append(
            (
                "cat",
                Pipeline(
                    [
                        ("impute", SimpleImputer(strategy="most_frequent")),
                        ("onehot", OneHotEncoder(handle_unknown=unknown, sparse_output=not args.dense)),
                    ]
                ),
                text,
            )
        )
    model_cfg = dict(cfg.get("model", {}))
    mtype = model_cfg.pop("type")
    pipe = Pipeline([("pre", ColumnTransformer(parts)), ("model", model_for(task, mtype, model_cfg, seed))])

    grid = {}
    for key, values in cfg.get("grid", {}).items():
        if key != "model" or not isinstance(values, dict):
            fail(f"{case}: grid key {key!r}: only model.* keys are supported")
        for name, v in values.items():
            grid[f"model__{name}"] = v if isinstance(v, list) else [v]

    metric = cfg.get("search", {}).get("metric") or {"regression": "r2", "classification": "accuracy", "clustering": "silhouette"}[task]
    scoring = clustering_scorer(metric) if task == "clustering" else SCORERS.get(metric)
    if scoring is None:
        fail(f"{case}: metric {metric!r} has no scikit-learn scorer here")
    if not grid:
        fail(f"{case}: the benchmark needs a [grid] of model parameters")
    search = GridSearchCV(pipe, grid, scoring=scoring, cv=PredefinedSplit(folds), n_jobs=args.jobs, refit=True, error_score="raise")
    if y is None:
        search.fit(X)
    else:
        search.fit(X, y)
    t_done = time.perf_counter()

    best = float(search.best_score_)
    if metric in NEGATED or metric in ("inertia", "davies_bouldin"):
        best = -best
    n_candidates = len(search.cv_results_["params"])
    n_folds = len(np.unique(folds))
    print(
        json.dumps(
            {
                "case": case.stem,
                "rows": int(len(X)),
                "candidates": n_candidates,
                "folds": n_folds,
                "fits": n_candidates * n_folds,
                "metric": metric,
                "best_score": best,
                "best_params": {k.removeprefix("model__"): v for k, v in search.best_params_.items()},
                "seconds": {
                    "import": round(T_IMPORTED - T_START, 3),
                    "load": round(t_loaded - t0, 3),
                    "search_and_refit": round(t_done - t_loaded, 3),
                },
            }
        )
    )


if __name__ == "__main__":
    main()
