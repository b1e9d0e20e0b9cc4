//! hist_gradient_boosting through the real binary: identical results for any thread count, and
//! missing values kept as NaN from the pipeline file to `kiln predict`.

mod common;
use common::*;
use std::path::Path;

fn model_json(dir: &Path) -> serde_json::Value {
    let mut m = json(&dir.join("model.json"));
    m.as_object_mut().unwrap().remove("created_at");
    m
}

/// Histograms and split searches run in parallel with a fixed order of sums: `--jobs 1` and
/// `--jobs 2` give the same trials and the same model, bit for bit.
#[test]
fn results_are_identical_for_one_and_two_threads() {
    let pipeline = "tests/reference/penguins_hgb_native.toml";
    let one = run_to_dir(pipeline, "hgb-jobs-1", &["--jobs", "1"]);
    let two = run_to_dir(pipeline, "hgb-jobs-2", &["--jobs", "2"]);
    assert_eq!(trials_without_times(&one), trials_without_times(&two));
    assert_eq!(model_json(&one), model_json(&two));
}

/// With `impute.numeric = "none"` the penguins' missing measurements reach the model as NaN, the
/// fitted model is checked when read back, and `kiln predict` scores rows with gaps.
#[test]
fn missing_values_are_kept_from_the_pipeline_to_predict() {
    let dir = scratch("hgb-nan-pipeline");
    let pipeline = dir.join("penguins_nan.toml");
    let data = root().join("data/penguins.csv");
    std::fs::write(
        &pipeline,
        format!(
            "[pipeline]\ntask = \"classification\"\nseed = 1\n\n[data]\npath = {:?}\n\
             target = \"species\"\n\n[impute]\nnumeric = \"none\"\n\n[encode]\nmethod = \"ordinal\"\n\n\
             [model]\ntype = \"hist_gradient_boosting\"\nmax_iter = 10\n\n[cv]\nfolds = 3\n",
            data.to_str().unwrap()
        ),
    )
    .unwrap();
    let run_dir = run_to_dir(pipeline.to_str().unwrap(), "hgb-nan", &[]);
    let model = json(&run_dir.join("model.json"));
    assert_eq!(model["preprocessor"]["numeric"][0]["keep_missing"], true);
    let trials = trials(&run_dir);
    let accuracy = trials[0]["mean"]["accuracy"].as_f64().unwrap();
    assert!(accuracy > 0.9, "accuracy {accuracy}");
    let (code, stdout, stderr) = run(&[
        "predict",
        run_dir.join("model.json").to_str().unwrap(),
        data.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 345, "a header and one line per penguin");
    // Row 4 has no measurements at all: it is still scored.
    assert!(
        lines[4].starts_with("Adelie,Torgersen,,,,,,2007,"),
        "{}",
        lines[4]
    );
}

/// A run whose models all read their design a column at a time may keep its numeric columns in a
/// temporary file (`KILN_SPILL_ABOVE`, see src/data/numbers.rs). On a flights sample read from
/// parquet a column at a time, with cancelled flights (no target) left out after the columns were
/// spilled, the spilled run and the run in memory give the same trials and model, bit for bit.
#[test]
fn spilled_columns_give_the_same_run_bit_for_bit() {
    use polars::prelude::*;
    let dir = scratch("hgb-spill");
    let sample = dir.join("flights_sample.parquet");
    let mut df =
        ParquetReader::new(std::fs::File::open(root().join("data/flights.parquet")).unwrap())
            .finish()
            .unwrap()
            .slice(0, 12_000);
    ParquetWriter::new(std::fs::File::create(&sample).unwrap())
        .finish(&mut df)
        .unwrap();
    let pipeline = dir.join("flights_spill.toml");
    std::fs::write(
        &pipeline,
        format!(
            "[pipeline]\ntask = \"regression\"\nseed = 3\n\n[data]\npath = {:?}\n\
             target = \"arr_delay\"\nfeatures = [\"month\", \"hour\", \"dep_delay\", \"distance\", \
             \"carrier\", \"origin\"]\n\n[impute]\nnumeric = \"median\"\n\n[encode]\n\
             method = \"one_hot\"\n\n[scale]\nmethod = \"standard\"\n\n\
             [model]\ntype = \"hist_gradient_boosting\"\nmax_iter = 15\n\n[cv]\nfolds = 3\n\n\
             [grid]\nmodel.max_leaf_nodes = [7, 15]\n",
            sample.to_str().unwrap()
        ),
    )
    .unwrap();
    let run_with = |spill: &str| {
        let out = dir.join(format!("out-{spill}"));
        let output = kiln()
            .args([
                "run",
                pipeline.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ])
            .env("KILN_SPILL_ABOVE", spill)
            .current_dir(root())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(output.status.success(), "{stderr}");
        (run_dir(&out), stderr)
    };
    let (spilled, said) = run_with("0");
    let (in_memory, quiet) = run_with("off");
    assert!(said.contains("read from a temporary file"), "{said}");
    assert!(!quiet.contains("temporary file"), "{quiet}");
    assert_eq!(
        trials_without_times(&spilled),
        trials_without_times(&in_memory)
    );
    assert_eq!(model_json(&spilled), model_json(&in_memory));
    let summary = json(&spilled.join("summary.json"));
    assert!(summary["data"]["dropped_missing_target"].as_u64().unwrap() > 0);
}

/// A `KILN_SPILL_ABOVE` that is not a size stops the run before any fit, naming the variable.
#[test]
fn a_bad_spill_size_is_refused() {
    let output = kiln()
        .args([
            "run",
            "tests/reference/penguins_hgb_native.toml",
            "--dry-run",
        ])
        .env("KILN_SPILL_ABOVE", "lots")
        .current_dir(root())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("KILN_SPILL_ABOVE"), "{stderr}");
}
