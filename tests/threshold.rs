//! `search.threshold` through the real binary: the threshold in trials.jsonl and model.json, the
//! labels `kiln predict` writes cut at it (the probabilities unchanged), the same trials for any
//! --jobs, for shards merged and for a run rebuilt from its fits.jsonl. Parity of the tuned
//! thresholds with scikit-learn's TunedThresholdClassifierCV is
//! tests/reference/breast_cancer_threshold (tests/reference.rs).

mod common;
use common::*;

const CASE: &str = "tests/reference/breast_cancer_threshold.toml";
const DATA: &str = "tests/reference/breast_cancer_logreg.csv";

/// (label, probability of malignant) of every row `kiln predict` wrote.
fn predictions(model: &std::path::Path) -> Vec<(String, f64)> {
    let (csv, _) = run_ok(&["predict", model.to_str().unwrap(), DATA]);
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let at = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (label, proba) = (at("prediction"), at("proba_malignant"));
    lines
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            (cells[label].to_string(), cells[proba].parse().unwrap())
        })
        .collect()
}

#[test]
fn a_tuned_threshold_is_logged_kept_in_the_model_and_cuts_predictions() {
    let dir = scratch("threshold-tuned");
    let one = same_trials_for_any_jobs_and_shards(CASE.as_ref(), &dir);
    let trials = trials(&one);
    for t in &trials {
        let th = t["threshold"]
            .as_f64()
            .expect("every trial logs its threshold");
        assert!(th > 0.0 && th < 1.0, "{t}");
        assert!(
            t["folds"][0].get("curves").is_none(),
            "curves stay in fits.jsonl"
        );
    }
    let model = json(&one.join("model.json"));
    let best = json(&one.join("summary.json"))["best"]["candidate"].clone();
    let best = trials.iter().find(|t| t["candidate"] == best).unwrap();
    assert_eq!(model["threshold"], best["threshold"]);
    let t = model["threshold"].as_f64().unwrap();
    for (label, p) in predictions(&one.join("model.json")) {
        let want = if p >= t { "malignant" } else { "benign" };
        assert_eq!(label, want, "probability {p} at threshold {t}");
    }
    // The plan says what is tuned.
    let (plan, _) = run_ok(&["validate", CASE]);
    assert!(plan.contains("threshold: tuned per candidate"), "{plan}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_resumed_run_tunes_the_same_thresholds_from_its_fits() {
    let dir = scratch("threshold-resume");
    let whole = run_into(CASE.as_ref(), &dir.join("whole"), &[]);
    let before = trials_without_times(&whole);
    // As if killed after its last fit: every fit logged, no trial, no model.
    std::fs::write(whole.join("trials.jsonl"), "").unwrap();
    std::fs::remove_file(whole.join("model.json")).unwrap();
    run_ok(&[
        "run",
        CASE,
        "--out",
        dir.join("whole").to_str().unwrap(),
        "--quiet",
        "--resume",
        whole.to_str().unwrap(),
    ]);
    assert_eq!(trials_without_times(&whole), before);
    assert!(whole.join("model.json").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_fixed_threshold_cuts_every_score_and_prediction_at_it() {
    let dir = scratch("threshold-fixed");
    let args = [
        "--set",
        "search.threshold=0.9",
        "--set",
        "grid.model.C=[1.0]",
    ];
    let fixed = run_into(CASE.as_ref(), &dir.join("fixed"), &args);
    let argmax = run_into(
        CASE.as_ref(),
        &dir.join("argmax"),
        &[
            "--set",
            "search.threshold=0.5",
            "--set",
            "grid.model.C=[1.0]",
        ],
    );
    let (f, a) = (&trials(&fixed)[0], &trials(&argmax)[0]);
    assert_eq!(f["threshold"], 0.9);
    // A stricter cut finds fewer malignant rows: recall falls, and the probabilities' own
    // metric does not move.
    assert_eq!(f["mean"]["roc_auc"], a["mean"]["roc_auc"]);
    assert_ne!(f["mean"]["f1"], a["mean"]["f1"]);
    let rows = predictions(&fixed.join("model.json"));
    let between = rows.iter().filter(|(_, p)| (0.5..0.9).contains(p)).count();
    assert!(
        between > 0,
        "no row between 0.5 and 0.9: the test would not tell"
    );
    for (label, p) in rows {
        assert_eq!(label == "malignant", p >= 0.9, "probability {p}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn kiln_schema_names_the_threshold_key() {
    let (stdout, _) = run_ok(&["schema"]);
    assert!(
        stdout.contains("\"threshold\""),
        "kiln schema lacks threshold"
    );
    assert!(stdout.contains("TunedThresholdClassifierCV"));
}
