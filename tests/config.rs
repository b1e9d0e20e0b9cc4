//! The pipeline file as a new user meets it (issue 14, items 1 and 12): keys the grid overrides,
//! `[model]` values in sub-grids, and what the messages say about bad data and bad `--set` values.
//! Runs the real binary on the shipped pipelines and on the corpus' data.

mod common;
use common::*;

/// `kiln validate` with these arguments: (exit code, stdout and stderr together).
fn validate(args: &[&str]) -> (i32, String) {
    let mut all = vec!["validate"];
    all.extend_from_slice(args);
    let (code, stdout, stderr) = run(&all);
    (code, format!("{stdout}{stderr}"))
}

#[test]
fn every_shipped_pipeline_validates() {
    let mut files: Vec<String> = std::fs::read_dir(root().join("pipelines"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .map(|p| format!("pipelines/{}", p.file_name().unwrap().to_string_lossy()))
        .collect();
    files.sort();
    let args: Vec<&str> = files.iter().map(String::as_str).collect();
    let (code, out) = validate(&args);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn a_set_that_the_grid_overrides_is_refused_and_the_grid_key_works() {
    // The README's old example: ames_ridge's grid sets model.alpha for every candidate.
    let (code, out) = validate(&["pipelines/ames_ridge.toml", "--set", "model.alpha=3"]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("--set model.alpha=3: `model.alpha` has no effect: the grid overrides it for every candidate (line 35 sets `model.alpha`)"),
        "{out}"
    );
    let (code, out) = validate(&["pipelines/ames_ridge.toml", "--set", "grid.model.alpha=[3]"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("1 candidate"), "{out}");
}

#[test]
fn model_keys_under_sub_grids_are_checked() {
    // breast_cancer: every sub-grid sets model.type; `--set model.C=abc` used to say ok.
    let (code, out) = validate(&["pipelines/breast_cancer.toml", "--set", "model.C=abc"]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("--set model.C=abc: `model.C`: expected a number, found the string \"abc\""),
        "{out}"
    );
    // A valid C is still refused: the logistic sub-grid sets model.C itself.
    let (code, out) = validate(&["pipelines/breast_cancer.toml", "--set", "model.C=5"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("line 26 sets `model.C`"), "{out}");
    assert!(
        out.contains("line 29 sets `model.type = \"random_forest\"`, which starts from that model's defaults"),
        "{out}"
    );
    // A [model] parameter that the logistic sub-grid does not set carries into it.
    let (code, out) = validate(&["pipelines/breast_cancer.toml", "--set", "model.max_iter=50"]);
    assert_eq!(code, 0, "{out}");
}

/// Mean CV r2 of a ridge run on diabetes whose `[model]` has `alpha` and whose only sub-grid is of
/// `[model]`'s own type.
fn carried_alpha_r2(alpha: &str, name: &str) -> f64 {
    let dir = scratch(name);
    let data = root().join("data/diabetes.csv");
    let pipeline = dir.join("p.toml");
    std::fs::write(
        &pipeline,
        format!(
            "[pipeline]\ntask = \"regression\"\n[data]\npath = {:?}\ntarget = \"target\"\n\
             [model]\ntype = \"ridge\"\nalpha = {alpha}\n[cv]\nfolds = 3\n\
             [[grid]]\nmodel.type = \"ridge\"\nmodel.fit_intercept = [true]\n",
            data.display().to_string()
        ),
    )
    .unwrap();
    let out = dir.join("runs");
    let (code, stdout, stderr) = run(&[
        "run",
        &pipeline.display().to_string(),
        "--out",
        &out.display().to_string(),
        "--quiet",
    ]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    json(&run_dir(&out).join("summary.json"))["best"]["mean"]["r2"]
        .as_f64()
        .unwrap()
}

#[test]
fn a_model_value_carries_into_a_sub_grid_of_its_type_and_is_what_runs() {
    // A huge penalty shrinks every coefficient to nothing: r2 near 0, where alpha 1 explains a lot.
    let shrunk = carried_alpha_r2("1e9", "config-carry-shrunk");
    let plain = carried_alpha_r2("1.0", "config-carry-plain");
    assert!(
        shrunk < 0.05,
        "alpha = 1e9 did not reach the candidate: r2 {shrunk}"
    );
    assert!(plain > 0.3, "r2 {plain}");
}

#[test]
fn a_misspelt_model_type_is_named_without_its_side_effects() {
    let (code, out) = validate(&["tests/bad/grid_large_with_typo.toml"]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("unknown model type `elastic_nett`; did you mean `elastic_net`?"),
        "{out}"
    );
    assert!(!out.contains("set model.type first"), "{out}");
}

#[test]
fn control_bytes_from_the_data_never_reach_the_terminal_raw() {
    let out = scratch("config-control");
    let out = out.display().to_string();
    for case in [
        "tests/bad/escape_in_header.toml",
        "tests/bad/control_bytes_in_target.toml",
    ] {
        for args in [vec!["validate", case], vec!["run", case, "--out", &out]] {
            let (code, stdout, stderr) = run(&args);
            let all = format!("{stdout}{stderr}");
            assert_eq!(code, 2, "{args:?}: {all}");
            assert!(
                !all.contains('\u{1b}') && !all.contains('\0'),
                "{args:?} printed a raw control byte: {all:?}"
            );
            assert!(all.contains("\\u{1b}"), "{args:?}: {all}");
        }
    }
}

#[test]
fn a_numeric_target_with_many_classes_warns() {
    // ames' price as classes: 1,032 distinct numbers, each a class.
    let (code, out) = validate(&[
        "pipelines/ames_ridge.toml",
        "--set",
        "model.type=naive_bayes",
        "--set",
        "data.features=[\"area\"]",
        "--set",
        "pipeline.task=classification",
        "--set",
        "search.metric=accuracy",
        "--set",
        "search.metrics=[]",
        "--set",
        "expect={}",
        "--set",
        "grid={}",
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("warning: target `price` holds 1032 distinct numbers"),
        "{out}"
    );
    assert!(
        out.contains("set `pipeline.task = \"regression\"`"),
        "{out}"
    );
}
