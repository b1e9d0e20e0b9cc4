//! Parity with scikit-learn: every reference case in tests/reference runs through the real binary on
//! its predefined folds, and every candidate's mean score for every metric must agree with
//! scikit-learn's (NAME.json) within the case's tolerance.

mod common;
use common::*;

fn check_case(name: &str) {
    let out = scratch(&format!("ref-{name}"));
    let pipeline = format!("tests/reference/{name}.toml");
    let (code, stdout, stderr) =
        run(&["run", &pipeline, "--out", out.to_str().unwrap(), "--quiet"]);
    assert_eq!(code, 0, "kiln run {pipeline} failed:\n{stdout}\n{stderr}");
    let reference = json(&root().join(format!("tests/reference/{name}.json")));
    let tolerance = reference["tolerance"].as_f64().unwrap();
    let trials = trials(&run_dir(&out));
    let candidates = reference["candidates"].as_array().unwrap();
    assert_eq!(trials.len(), candidates.len(), "{name}: candidate count");
    let mut report = Vec::new();
    let mut worst: f64 = 0.0;
    for cand in candidates {
        let params = &cand["params"];
        let trial = trials
            .iter()
            .find(|t| &t["params"] == params)
            .unwrap_or_else(|| panic!("{name}: no trial with params {params}"));
        assert_eq!(
            trial["status"], "ok",
            "{name}: {params} failed: {}",
            trial["error"]
        );
        for (metric, expected) in cand["mean"].as_object().unwrap() {
            let got = trial["mean"][metric]
                .as_f64()
                .unwrap_or_else(|| panic!("{name}: no {metric} in {trial}"));
            let diff = (got - expected.as_f64().unwrap()).abs();
            worst = worst.max(diff);
            if diff > tolerance {
                report.push(format!("{params} {metric}: kiln {got} vs scikit-learn {expected} (diff {diff:.3e} > {tolerance})"));
            }
        }
        // A tuned-threshold case: the threshold each candidate picked.
        if let Some(expected) = cand["threshold"].as_f64() {
            let got = trial["threshold"].as_f64().unwrap_or(f64::NAN);
            let diff = (got - expected).abs();
            worst = worst.max(diff);
            if diff.is_nan() || diff > tolerance {
                report.push(format!(
                    "{params} threshold: kiln {got} vs scikit-learn {expected}"
                ));
            }
        }
        // A case that checks its folds: every fold's score too, which agrees only on the same rows.
        if reference["check_folds"].as_bool() == Some(true) {
            for (f, fold) in cand["folds"].as_array().unwrap().iter().enumerate() {
                for (metric, expected) in fold["scores"].as_object().unwrap() {
                    let got = trial["folds"][f]["scores"][metric]
                        .as_f64()
                        .unwrap_or(f64::NAN);
                    let diff = (got - expected.as_f64().unwrap()).abs();
                    worst = worst.max(diff);
                    if diff.is_nan() || diff > tolerance {
                        report.push(format!(
                            "{params} fold {f} {metric}: kiln {got} vs scikit-learn {expected}"
                        ));
                    }
                }
            }
        }
    }
    assert!(
        report.is_empty(),
        "{name} is outside its tolerance:\n{}",
        report.join("\n")
    );
    // A halving case: the same candidates ran in every rung, at the same resource.
    for rung in reference["rungs"].as_array().into_iter().flatten() {
        let r = rung["rung"].as_u64().unwrap();
        let in_rung: Vec<&serde_json::Value> = trials
            .iter()
            .filter(|t| t["rung"].as_u64() == Some(r))
            .collect();
        let mut ran: Vec<u64> = in_rung
            .iter()
            .map(|t| t["candidate"].as_u64().unwrap())
            .collect();
        ran.sort_unstable();
        let expected: Vec<u64> = rung["candidates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_u64().unwrap())
            .collect();
        assert_eq!(ran, expected, "{name}: the candidates of rung {r}");
        for t in in_rung {
            assert_eq!(
                t["resource"], rung["resource"],
                "{name}: rung {r}'s resource"
            );
        }
    }
    // Permutation importance of the refitted best model on the holdout, shuffle for shuffle.
    if let Some(expected) = reference.get("permutation_importance") {
        let summary = json(&run_dir(&out).join("summary.json"));
        let got = &summary["permutation_importance"];
        assert_eq!(got["n_repeats"], expected["n_repeats"], "{name}: n_repeats");
        let close = |a: &serde_json::Value, b: &serde_json::Value| {
            (a.as_f64().unwrap_or(f64::NAN) - b.as_f64().unwrap()).abs() <= tolerance
        };
        assert!(
            close(&got["baseline"], &expected["baseline"]),
            "{name}: baseline {got}"
        );
        let features = expected["features"].as_array().unwrap();
        assert_eq!(
            got["features"].as_array().map(Vec::len),
            Some(features.len())
        );
        for (g, e) in got["features"].as_array().unwrap().iter().zip(features) {
            assert_eq!(g["feature"], e["feature"], "{name}: feature order");
            for key in ["mean", "std"] {
                assert!(
                    close(&g[key], &e[key]),
                    "{name}: {} {key}: kiln {g} vs {e}",
                    e["feature"]
                );
            }
            for (a, b) in g["importances"]
                .as_array()
                .unwrap()
                .iter()
                .zip(e["importances"].as_array().unwrap())
            {
                assert!(
                    close(a, b),
                    "{name}: {} importances: kiln {g} vs {e}",
                    e["feature"]
                );
            }
        }
    }
    // The plan names each fold's rows, as scikit-learn's splitter made them.
    for split in reference["splits"].as_array().into_iter().flatten() {
        let (stdout, _) = run_ok(&["validate", &pipeline]);
        let line = format!(
            "fold {}: {} training rows, {} validation rows",
            split["fold"], split["n_train"], split["n_valid"]
        );
        assert!(
            stdout.contains(&line),
            "{name}: no `{line}` in the plan:\n{stdout}"
        );
    }
    eprintln!("{name}: worst difference {worst:.3e} (tolerance {tolerance})");
    let _ = std::fs::remove_dir_all(&out);
}

macro_rules! reference_cases {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                check_case(stringify!($name));
            }
        )*
        /// Every case shipped in tests/reference has a test above.
        #[test]
        fn every_reference_case_is_tested() {
            let listed = [$(stringify!($name)),*];
            for entry in std::fs::read_dir(root().join("tests/reference")).unwrap() {
                let path = entry.unwrap().path();
                if path.extension().is_some_and(|e| e == "toml") {
                    let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
                    assert!(listed.contains(&stem.as_str()), "reference case {stem} has no test");
                }
            }
        }
    };
}

reference_cases!(
    ames_hgb_early,
    ames_hgb_nan,
    ames_hgb_native,
    ames_ridge,
    ames_tree,
    breast_cancer_hgb,
    breast_cancer_logreg,
    diabetes_gbm,
    diabetes_halving,
    diabetes_halving_hgb,
    diabetes_hgb,
    diabetes_hgb_depth,
    diabetes_lasso,
    diabetes_ols,
    diabetes_ridge,
    flights_time,
    breast_cancer_threshold,
    diabetes_weighted,
    diabetes_weighted_ols,
    breast_cancer_weighted,
    breast_cancer_balanced,
    wine_weighted_nb,
    diabetes_weighted_lasso,
    diabetes_weighted_tree,
    breast_cancer_weighted_tree,
    wine_weighted_forest,
    diabetes_weighted_gbm,
    breast_cancer_weighted_gbm,
    diabetes_weighted_hgb,
    breast_cancer_weighted_hgb,
    iris_weighted_kmeans,
    iris_kmeans,
    iris_knn,
    penguins_hgb,
    penguins_hgb_native,
    penguins_logreg,
    penguins_tree,
    wine_forest,
    wine_nb,
);
