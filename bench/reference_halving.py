#!/usr/bin/env python3
"""Write the successive-halving reference cases of tests/reference: kiln pipelines (NAME.toml, on
diabetes_gbm.csv and its `fold` column) and what scikit-learn's HalvingGridSearchCV does with the
same grid, folds, factor, min_resources and resource (NAME.json), in the format
tests/reference.rs reads.

    /work/venv/bin/python bench/reference_halving.py

scikit-learn runs kiln's preprocessing (median imputation, standard scaling or none; the data has
no text columns) and GradientBoostingRegressor / HistGradientBoostingRegressor(random_state=0),
with resource = n_estimators / max_iter.
The JSON's `candidates` are cv_results_'s rows: one per (candidate, rung), its params including
n_estimators at the rung's resource, as kiln's trials.jsonl has them; `rungs` lists each rung's
resource and the candidates (grid indices) it ran. kiln must run the same (candidate, rung) pairs,
so it must keep the same candidates rung by rung, and score each within the tolerance. `margin`
is, per rung, the gap between the last candidate kept and the first one dropped: a case is only a
fair check of the selection if every gap is wider than the tolerance (kiln's gradient boosting
agrees with scikit-learn's to within 0.007 here, not to the last digit: their trees break ties
between equal splits differently).
"""

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import GradientBoostingRegressor, HistGradientBoostingRegressor
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.impute import SimpleImputer
from sklearn.model_selection import HalvingGridSearchCV, PredefinedSplit
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

REF = Path(__file__).resolve().parent.parent / "tests" / "reference"
CSV = "diabetes_gbm.csv"
SEED = 0
FACTOR = 3
MAX_RESOURCES = 90
# kiln's grid order is scikit-learn's ParameterGrid order: keys sorted, the last varying fastest.
# Two cases: gradient boosting growing n_estimators (kiln agrees with scikit-learn to ~0.007), and
# histogram boosting growing max_iter (kiln agrees to the last digits, so the selection is checked
# without any margin to spare). Histogram boosting runs unscaled, as in bench/reference_hgb.py.
CASES = [
    {"name": "diabetes_halving", "model": "gradient_boosting", "resource": "n_estimators", "scale": "standard", "tolerance": 0.01, "grid": {"learning_rate": [0.01, 0.03, 0.1, 0.3], "max_depth": [1, 2, 3]}},
    {"name": "diabetes_halving_hgb", "model": "hist_gradient_boosting", "resource": "max_iter", "scale": "none", "tolerance": 1e-6, "grid": {"learning_rate": [0.03, 0.1, 0.3], "max_leaf_nodes": [3, 7, 15], "min_samples_leaf": [5, 20]}},
]


def pipeline_text(case):
    NAME, GRID = case["name"], case["grid"]
    grid_lines = "\n".join(f"model.{k} = {v}" for k, v in GRID.items())
    return f"""# reference case {NAME}: what scikit-learn's HalvingGridSearchCV does on the same folds is
# in {NAME}.json (written by bench/reference_halving.py)

[pipeline]
name = "{NAME}"
task = "regression"
seed = {SEED}

[data]
path = "{CSV}"
target = "target"
drop = ["fold"]

[scale]
method = "{case["scale"]}"

[model]
type = "{case["model"]}"

[cv]
fold_column = "fold"

[search]
metric = "r2"
strategy = "halving"
factor = {FACTOR}
resource = "model.{case["resource"]}"
min_resources = "exhaust"
max_resources = {MAX_RESOURCES}

[grid]
{grid_lines}
"""


def model_for(case):
    if case["model"] == "gradient_boosting":
        return GradientBoostingRegressor(random_state=SEED)
    return HistGradientBoostingRegressor(random_state=SEED)


def run_case(case):
    NAME, GRID = case["name"], case["grid"]
    df = pd.read_csv(REF / CSV)
    features = [c for c in df.columns if c not in ("target", "fold")]
    X, y = df[features], df["target"]
    steps = [("impute", SimpleImputer(strategy="median"))] + ([("scale", StandardScaler())] if case["scale"] == "standard" else [])
    pre = ColumnTransformer([("num", Pipeline(steps), features)])
    pipe = Pipeline([("pre", pre), ("model", model_for(case))])
    search = HalvingGridSearchCV(
        pipe,
        {f"model__{k}": v for k, v in GRID.items()},
        cv=PredefinedSplit(df["fold"].to_numpy()),
        scoring="r2",
        factor=FACTOR,
        resource=f"model__{case['resource']}",
        min_resources="exhaust",
        max_resources=MAX_RESOURCES,
        refit=False,
    ).fit(X, y)
    r = search.cv_results_
    keys = sorted(GRID)
    # A candidate's grid index: its position in ParameterGrid order (what kiln numbers it).
    points = [dict(zip(keys, vals)) for vals in np.array(np.meshgrid(*[GRID[k] for k in keys], indexing="ij")).reshape(len(keys), -1).T.tolist()]
    index = {tuple((k, p[k]) for k in keys): i for i, p in enumerate(points)}
    n_folds = search.n_splits_
    candidates, rungs = [], []
    for row, params in enumerate(r["params"]):
        point = {k: params[f"model__{k}"] for k in keys}
        point = {k: int(v) if isinstance(v, (int, np.integer)) else float(v) for k, v in point.items()}
        ci = index[tuple((k, point[k]) for k in keys)]
        rung, resource = int(r["iter"][row]), int(r["n_resources"][row])
        while len(rungs) <= rung:
            rungs.append({"rung": len(rungs), "resource": resource, "candidates": []})
        rungs[rung]["candidates"].append(ci)
        candidates.append(
            {
                "candidate": ci,
                "rung": rung,
                "params": {**{f"model.{k}": point[k] for k in keys}, f"model.{case['resource']}": resource},
                "folds": [{"fold": f, "scores": {"r2": float(r[f"split{f}_test_score"][row])}} for f in range(n_folds)],
                "mean": {"r2": float(r["mean_test_score"][row])},
            }
        )
    margins = []
    for rung in rungs[:-1]:
        scores = sorted((c["mean"]["r2"] for c in candidates if c["rung"] == rung["rung"]), reverse=True)
        kept = len(rungs[rung["rung"] + 1]["candidates"])
        margins.append(scores[kept - 1] - scores[kept])
    for rung in rungs:
        rung["candidates"].sort()
    out = {
        "case": NAME,
        "pipeline": f"{NAME}.toml",
        "metric": "r2",
        "tolerance": case["tolerance"],
        "tolerance_means": "absolute, on every (candidate, rung)'s mean score",
        "rows": int(len(df)),
        "factor": FACTOR,
        "resource": f"model.{case['resource']}",
        "min_resources": int(search.min_resources_),
        "max_resources": int(search.max_resources_),
        "rungs": rungs,
        "margin": margins,
        "candidates": candidates,
        "reference": f"scikit-learn {sklearn.__version__} HalvingGridSearchCV",
    }
    (REF / f"{NAME}.toml").write_text(pipeline_text(case))
    (REF / f"{NAME}.json").write_text(json.dumps(out, indent=1) + "\n")
    print(NAME, "rungs", [(g["resource"], g["candidates"]) for g in rungs], "margins", margins)
    if min(margins) <= case["tolerance"]:
        raise SystemExit(f"{NAME}: a rung's margin {min(margins):.4f} is within the tolerance; choose another grid")


def main():
    warnings.filterwarnings("ignore")
    for case in CASES:
        run_case(case)


if __name__ == "__main__":
    main()
