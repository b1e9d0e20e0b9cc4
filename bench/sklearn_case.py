#!/usr/bin/env python3
"""Run one benchmark case in scikit-learn's GridSearchCV, reading the same kiln pipeline file.

    python bench/sklearn_case.py bench/cases/ames_ridge.toml [--jobs 2] [--tool sklearn|lightgbm]

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

`hist_gradient_boosting` needs a dense input (scikit-learn's HistGradientBoosting rejects sparse
matrices), so its one-hot output is always dense, for both tools below.

--tool lightgbm runs a `hist_gradient_boosting` case in LightGBM (LGBMRegressor / LGBMClassifier)
instead of scikit-learn's HistGradientBoostingRegressor / Classifier, in the same GridSearchCV on the
same preprocessing and folds. kiln's parameter names are scikit-learn's; LIGHTGBM_PARAMS below maps
them, one row each.

Prints one JSON line: case, tool, rows, candidates, fits, best params, best score, every candidate's
mean score, seconds inside the process (load, search). The whole process is timed from outside by
the driver.
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

# kiln's (= scikit-learn's HistGradientBoosting) parameter -> (LightGBM's, how the value maps).
# scikit-learn and LightGBM build the same kind of model - histogram bins, leaf-wise growth, Newton
# leaf values -G/(H + l2) - so the map is name for name; LIGHTGBM_FIXED sets what LightGBM has
# that scikit-learn fixes.
LIGHTGBM_PARAMS = {
    "learning_rate": ("learning_rate", lambda v: v),
    "max_iter": ("n_estimators", lambda v: v),  # one tree per stage (per class for K > 2), both
    "max_leaf_nodes": ("num_leaves", lambda v: 131072 if v is None else v),  # None: no limit; 131072 is LightGBM's ceiling
    "max_depth": ("max_depth", lambda v: -1 if v is None else v),  # both count a stump as depth 1; -1 is LightGBM's "none"
    "min_samples_leaf": ("min_child_samples", lambda v: v),  # LightGBM's min_data_in_leaf
    "l2_regularization": ("reg_lambda", lambda v: v),  # LightGBM's lambda_l2, in the same -G/(H + l2)
    "max_features": ("colsample_bynode", lambda v: v),  # both draw the columns per split node
    "max_bins": ("max_bin", lambda v: v),
}
LIGHTGBM_FIXED = {
    "min_child_weight": 1e-3,  # min_sum_hessian_in_leaf: scikit-learn's hessian floor (min_hessian_to_split = 1e-3)
    "reg_alpha": 0.0,  # no L1 term in scikit-learn
    "min_split_gain": 0.0,  # scikit-learn splits on any positive gain
    "subsample": 1.0,  # no row bagging in scikit-learn
    "colsample_bytree": 1.0,  # no per-tree column sampling in scikit-learn
    "subsample_for_bin": 200_000,  # scikit-learn's binner also samples 2e5 rows for the quantiles
    # One thread per model: GridSearchCV(n_jobs=2) already runs two fits at once in two processes on
    # the two cores; LightGBM's default (one OpenMP thread per core in each) would run four threads on
    # two cores, and oversubscribed OpenMP spins and waits. The refit (1 of the 11 fits of flights_hgb)
    # runs on one thread too. scikit-learn's HistGradientBoosting in joblib's workers gets the same
    # cap from joblib (cores // n_jobs OpenMP threads per worker).
    "n_jobs": 1,
    "verbose": -1,
}
# Used only by early stopping, which LightGBM inside GridSearchCV does not have (see lightgbm_model).
EARLY_STOPPING_ONLY = {"validation_fraction", "n_iter_no_change", "tol"}


def fail(msg):
    print(f"sklearn_case: {msg}", file=sys.stderr)
    sys.exit(2)


def tool_version(tool):
    import sklearn

    if tool == "lightgbm":
        import lightgbm

        return f"LightGBM {lightgbm.__version__} (scikit-learn {sklearn.__version__})"
    return f"scikit-learn {sklearn.__version__}"


def lightgbm_model(task, params, seed, rows):
    """LightGBM's LGBMRegressor / LGBMClassifier for a kiln `hist_gradient_boosting` model."""
    import lightgbm

    p = dict(params)
    p.pop("categorical", None)  # only for ordinal-encoded columns, which this twin does not build
    early = p.pop("early_stopping", "auto")
    # LightGBM stops early only on an eval_set given to fit, which GridSearchCV does not pass; so a
    # case must turn scikit-learn's early stopping off ("auto" is off up to 10,000 rows).
    if early is True or (early == "auto" and rows > 10_000):
        fail(f"model.early_stopping = {early!r} on {rows} rows: LightGBM has no early stopping inside GridSearchCV; set model.early_stopping = false")
    for name in EARLY_STOPPING_ONLY:
        p.pop(name, None)
    out = {"random_state": seed, **LIGHTGBM_FIXED}
    for name, value in p.items():
        if name not in LIGHTGBM_PARAMS:
            fail(f"model.{name}: no LightGBM equivalent in bench/sklearn_case.py's LIGHTGBM_PARAMS")
        lgb_name, convert = LIGHTGBM_PARAMS[name]
        out[lgb_name] = convert(value)
    # scikit-learn's defaults where the case leaves a parameter out (LightGBM's own differ:
    # num_leaves 31 and min_child_samples 20 agree, the rest is set here).
    out.setdefault("learning_rate", 0.1)
    out.setdefault("n_estimators", 100)
    out.setdefault("num_leaves", 31)
    out.setdefault("max_depth", -1)
    out.setdefault("min_child_samples", 20)
    out.setdefault("reg_lambda", 0.0)
    out.setdefault("colsample_bynode", 1.0)
    out.setdefault("max_bin", 255)
    if task == "regression":
        return lightgbm.LGBMRegressor(objective="regression", **out)  # the squared error, as scikit-learn's default
    return lightgbm.LGBMClassifier(**out)  # binary or multiclass log loss, from the labels


def grid_for(tool, grid):
    """GridSearchCV's parameter grid: kiln's names, or LightGBM's (mapped values) for --tool lightgbm."""
    if tool != "lightgbm":
        return {f"model__{name}": values for name, values in grid.items()}
    mapped = {}
    for name, values in grid.items():
        if name not in LIGHTGBM_PARAMS:
            fail(f"grid model.{name}: no LightGBM equivalent in bench/sklearn_case.py's LIGHTGBM_PARAMS")
        lgb_name, convert = LIGHTGBM_PARAMS[name]
        mapped[f"model__{lgb_name}"] = [convert(v) for v in values]
    return mapped


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
    if mtype == "hist_gradient_boosting":
        from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

        p.pop("categorical", None)  # only for ordinal-encoded columns, which this twin does not build
        return (HistGradientBoostingRegressor if reg else HistGradientBoostingClassifier)(random_state=seed, **p)
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
    ap.add_argument("--tool", choices=["sklearn", "lightgbm"], default="sklearn", help="lightgbm: run a hist_gradient_boosting case in LightGBM")
    ap.add_argument(
        "--candidates",
        help="a [search] strategy = \"halving\" case: a JSON file with the list of candidates (kiln's params) "
        "kiln drew; run HalvingRandomSearchCV over exactly those, with the case's factor",
    )
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

    # HistGradientBoosting takes dense input only; LightGBM is given the same matrix.
    dense = args.dense or cfg.get("model", {}).get("type") == "hist_gradient_boosting"
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
                        ("onehot", OneHotEncoder(handle_unknown=unknown, sparse_output=not dense)),
                    ]
                ),
                text,
            )
        )
    model_cfg = dict(cfg.get("model", {}))
    mtype = model_cfg.pop("type")
    if args.tool == "lightgbm":
        if mtype != "hist_gradient_boosting":
            fail(f"{case}: --tool lightgbm runs hist_gradient_boosting cases only, not {mtype!r}")
        model = lightgbm_model(task, model_cfg, seed, len(X))
    else:
        model = model_for(task, mtype, model_cfg, seed)
    pipe = Pipeline([("pre", ColumnTransformer(parts)), ("model", model)])

    kiln_grid = {}
    for key, values in cfg.get("grid", {}).items():
        if key != "model" or not isinstance(values, dict):
            fail(f"{case}: grid key {key!r}: only model.* keys are supported")
        for name, v in values.items():
            kiln_grid[name] = v if isinstance(v, list) else [v]
    grid = grid_for(args.tool, kiln_grid)

    metric = cfg.get("search", {}).get("metric") or {"regression": "r2", "classification": "accuracy", "clustering": "silhouette"}[task]
    scoring = clustering_scorer(metric) if task == "clustering" else SCORERS.get(metric)
    if scoring is None:
        fail(f"{case}: metric {metric!r} has no scikit-learn scorer here")
    if not grid:
        fail(f"{case}: the benchmark needs a [grid] of model parameters")
    halving = cfg.get("search", {}).get("strategy") == "halving"
    if halving:
        if not args.candidates:
            fail(f"{case}: a halving case needs --candidates (the candidates kiln drew)")
        if cfg["search"].get("resource", "rows") != "rows":
            fail(f"{case}: only resource = \"rows\" (scikit-learn's n_samples) is supported here")
        from sklearn.experimental import enable_halving_search_cv  # noqa: F401
        from sklearn.model_selection import HalvingRandomSearchCV

        drawn = json.loads(Path(args.candidates).read_text())
        # One single-point grid per candidate: the sampler then draws each exactly once.
        points = [{f"model__{k.removeprefix('model.')}": [v] for k, v in c.items()} for c in drawn]
        search = HalvingRandomSearchCV(
            pipe,
            points,
            n_candidates=len(points),
            factor=cfg["search"].get("factor", 3),
            min_resources=cfg["search"].get("min_resources", "exhaust"),
            scoring=scoring,
            cv=PredefinedSplit(folds),
            n_jobs=args.jobs,
            refit=True,
            error_score="raise",
            random_state=seed,
        )
        grid = {k: sorted({p[k][0] for p in points}) for k in points[0]}
        kiln_grid = {k.removeprefix("model__"): v for k, v in grid.items()}
    else:
        search = GridSearchCV(pipe, grid, scoring=scoring, cv=PredefinedSplit(folds), n_jobs=args.jobs, refit=True, error_score="raise")
    if y is None:
        search.fit(X)
    else:
        search.fit(X, y)
    t_done = time.perf_counter()

    sign = -1.0 if metric in NEGATED or metric in ("inertia", "davies_bouldin") else 1.0
    best = sign * float(search.best_score_)
    # Each candidate in kiln's names and values, so the driver can set it beside kiln's trials.
    names_back = {f"model__{LIGHTGBM_PARAMS[n][0] if args.tool == 'lightgbm' else n}": n for n in kiln_grid}
    candidates = []
    for i, params in enumerate(search.cv_results_["params"]):
        kiln_params = {}
        for key in params:
            name = names_back[key]
            kiln_params[name] = kiln_grid[name][grid[key].index(params[key])]
        candidates.append({"params": kiln_params, "mean": sign * float(search.cv_results_["mean_test_score"][i])})
    n_folds = len(np.unique(folds))
    n_candidates = len(search.cv_results_["params"])
    fits = n_candidates * n_folds
    if halving:
        # A halving search's best is its last rung's; its fits are every rung's.
        fits = sum(search.n_candidates_) * n_folds
        n_candidates = search.n_candidates_[0]
        last = np.max(search.cv_results_["iter"])
        candidates = [c for c, it in zip(candidates, search.cv_results_["iter"]) if it == last]
    print(
        json.dumps(
            {
                "case": case.stem,
                "tool": args.tool,
                "version": tool_version(args.tool),
                "rows": int(len(X)),
                "candidates": n_candidates,
                "folds": n_folds,
                "fits": fits,
                "metric": metric,
                "best_score": best,
                "best_params": {names_back[k]: kiln_grid[names_back[k]][grid[k].index(v)] for k, v in search.best_params_.items()},
                "candidates_scores": candidates,
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
