#!/usr/bin/env python3
"""Write the tuned-threshold reference case of tests/reference: breast_cancer_threshold.toml (a
logistic-regression grid with `search.threshold = "tune"` and metric f1, on the shipped
breast_cancer_logreg.csv and its `fold` column) and breast_cancer_threshold.json (what
scikit-learn's TunedThresholdClassifierCV does on the same folds).

    /work/venv/bin/python bench/reference_threshold.py

scikit-learn's side: for each C, TunedThresholdClassifierCV(Pipeline(SimpleImputer(median),
StandardScaler(), LogisticRegression(C)), scoring=f1 of "malignant", cv=PredefinedSplit(fold),
thresholds=100) fitted on every row; its best_threshold_ and best_score_ are the candidate's
threshold and mean f1 in kiln's trials.jsonl. The logistic fits are solved to tol 1e-12 so both
sides sit at the same optimum (scikit-learn's default tol stops lbfgs early). The accuracy listed
per candidate is read off each fold's accuracy curve at best_threshold_ by the same interpolation
(scikit-learn computes it only for the scoring metric; kiln logs every label metric so).
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, make_scorer
from sklearn.model_selection import PredefinedSplit, TunedThresholdClassifierCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

REF = Path(__file__).resolve().parent.parent / "tests" / "reference"
NAME = "breast_cancer_threshold"
CSV = "breast_cancer_logreg.csv"
POSITIVE = "malignant"
CS = [0.01, 0.1, 1.0]
TOLERANCE = 1e-6

PIPELINE = f"""# reference case {NAME}: the decision threshold tuned per candidate on the folds'
# validation rows; what scikit-learn's TunedThresholdClassifierCV does on the same folds is in
# {NAME}.json (written by bench/reference_threshold.py)

[pipeline]
name = "{NAME}"
task = "classification"
seed = 0

[data]
path = "{CSV}"
target = "target"
positive_class = "{POSITIVE}"

[impute]
numeric = "median"

[scale]
method = "standard"

[model]
type = "logistic_regression"
tol = 1e-12

[cv]
fold_column = "fold"

[search]
metric = "f1"
metrics = ["accuracy", "roc_auc"]
threshold = "tune"

[grid]
model.C = {CS}
"""


def model(c):
    return Pipeline(
        [
            ("impute", SimpleImputer(strategy="median")),
            ("scale", StandardScaler()),
            ("model", LogisticRegression(C=c, solver="newton-cholesky", tol=1e-12, max_iter=1000)),
        ]
    )


def fold_curve(score, y, p):
    """One fold's curve, as scikit-learn's _CurveScorer makes it: 100 thresholds evenly spaced
    over the fold's predicted probabilities, a row positive at or above the threshold."""
    thresholds = np.linspace(p.min(), p.max(), 100)
    return thresholds, np.array([score(y, p >= t) for t in thresholds])


def main():
    df = pd.read_csv(REF / CSV)
    y = (df["target"] == POSITIVE).to_numpy()
    x = df.drop(columns=["target", "fold"])
    split = PredefinedSplit(df["fold"].to_numpy())
    candidates = []
    for c in CS:
        tuned = TunedThresholdClassifierCV(
            model(c),
            scoring=make_scorer(f1_score),
            cv=split,
            thresholds=100,
        ).fit(x, y)
        # Every fold's accuracy curve, read at the tuned threshold.
        accuracy = []
        for train, valid in split.split():
            fitted = model(c).fit(x.iloc[train], y[train])
            p = fitted.predict_proba(x.iloc[valid])[:, 1]
            th, scores = fold_curve(accuracy_score, y[valid], p)
            accuracy.append(float(np.interp(tuned.best_threshold_, th, scores)))
        candidates.append(
            {
                "params": {"model.C": c},
                "threshold": float(tuned.best_threshold_),
                "mean": {
                    "f1": float(tuned.best_score_),
                    "accuracy": float(np.mean(accuracy)),
                },
            }
        )
        print(f"C={c}: threshold {tuned.best_threshold_:.6f}, f1 {tuned.best_score_:.6f}")
    reference = {
        "case": NAME,
        "pipeline": f"{NAME}.toml",
        "metric": "f1",
        "tolerance": TOLERANCE,
        "tolerance_means": "absolute, on every candidate's tuned threshold and mean score",
        "rows": len(df),
        "candidates": candidates,
        "reference": f"scikit-learn {sklearn.__version__}",
    }
    (REF / f"{NAME}.toml").write_text(PIPELINE)
    (REF / f"{NAME}.json").write_text(json.dumps(reference, indent=1) + "\n")


if __name__ == "__main__":
    main()
