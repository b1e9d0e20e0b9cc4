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
    iris_kmeans,
    iris_knn,
    penguins_hgb,
    penguins_hgb_native,
    penguins_logreg,
    penguins_tree,
    wine_forest,
    wine_nb,
);
