//! `kiln predict` through the real binary, on models that `kiln run` trains here: every output format,
//! every kind of bad input, chunked inputs, and predictions equal bit for bit to the library's in memory.

mod common;
use common::*;

use kiln::artifact::Artifact;
use kiln::data::{read_frame, TextOptions};
use kiln::predict::{Predictions, Predictor};
use polars::prelude::*;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::OnceLock;

struct Models {
    ridge: PathBuf,
    penguins: PathBuf,
    iris: PathBuf,
}

/// Trains the three models once per test binary: a ridge regression on Ames (numbers with gaps and a
/// text column), a logistic regression on penguins (text and numeric gaps; `encode.unknown = "error"`)
/// and k-means on iris.
fn models() -> &'static Models {
    static MODELS: OnceLock<Models> = OnceLock::new();
    MODELS.get_or_init(|| {
        let dir = scratch("predict-models");
        let data = root().join("data");
        let pipelines = [
            (
                "ridge",
                format!(
                    r#"[pipeline]
name = "ridge"
task = "regression"
[data]
path = "{}"
target = "price"
features = ["area", "Bedroom.AbvGr", "Neighborhood", "Year.Built", "Lot.Frontage"]
[model]
type = "ridge"
alpha = 1.0
"#,
                    data.join("ames.csv").display()
                ),
            ),
            (
                "penguins",
                format!(
                    r#"[pipeline]
name = "penguins"
task = "classification"
seed = 3
[data]
path = "{}"
target = "species"
drop = ["year"]
[encode]
unknown = "error"
[model]
type = "logistic_regression"
"#,
                    data.join("penguins.csv").display()
                ),
            ),
            (
                "iris",
                format!(
                    r#"[pipeline]
name = "iris"
task = "clustering"
[data]
path = "{}"
drop = ["target"]
[model]
type = "kmeans"
n_clusters = 3
n_init = 3
"#,
                    data.join("iris.csv").display()
                ),
            ),
        ];
        let mut paths = Vec::new();
        for (name, text) in pipelines {
            let toml = dir.join(format!("{name}.toml"));
            std::fs::write(&toml, text).unwrap();
            paths.push(train(&toml, &dir.join(format!("runs-{name}"))));
        }
        Models {
            iris: paths.pop().unwrap(),
            penguins: paths.pop().unwrap(),
            ridge: paths.pop().unwrap(),
        }
    })
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn predictor(model: &Path) -> Predictor {
    Predictor::new(Artifact::load(model).unwrap())
}

/// The library's own predictions for every row of a data file, read as `kiln run` reads it.
fn in_memory(model: &Path, data: &Path) -> Predictions {
    let df = read_frame(data, &TextOptions::default()).unwrap();
    predictor(model).predict_frame(&df, 0).unwrap()
}

fn read_csv_text(text: &str) -> DataFrame {
    CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(None)
        .into_reader_with_file_handle(std::io::Cursor::new(text.as_bytes().to_vec()))
        .finish()
        .unwrap()
}

fn f64s(df: &DataFrame, name: &str) -> Vec<f64> {
    df.column(name)
        .unwrap()
        .cast(&DataType::Float64)
        .unwrap()
        .f64()
        .unwrap()
        .into_no_null_iter()
        .collect()
}

fn strings(df: &DataFrame, name: &str) -> Vec<String> {
    df.column(name)
        .unwrap()
        .cast(&DataType::String)
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .map(|v| v.expect("no nulls").to_string())
        .collect()
}

#[test]
fn regression_csv_on_stdout_is_the_input_plus_predictions_bit_for_bit() {
    let m = models();
    let data = root().join("data/ames.csv");
    let (code, stdout, stderr) = run(&["predict", s(&m.ridge), s(&data)]);
    assert_eq!(code, 0, "{stderr}");
    let out = read_csv_text(&stdout);
    let input = read_frame(&data, &TextOptions::default()).unwrap();
    assert_eq!(out.height(), input.height());
    let mut expected_names: Vec<String> = input
        .get_column_names()
        .iter()
        .map(|n| n.to_string())
        .collect();
    expected_names.push("prediction".into());
    let names: Vec<String> = out
        .get_column_names()
        .iter()
        .map(|n| n.to_string())
        .collect();
    assert_eq!(names, expected_names, "input columns, then prediction");
    // Extra columns are carried through unchanged.
    assert_eq!(f64s(&out, "PID"), f64s(&input, "PID"));
    let Predictions::Values(expected) = in_memory(&m.ridge, &data) else {
        panic!("regression")
    };
    let got = f64s(&out, "prediction");
    assert_eq!(got.len(), expected.len());
    for (i, (g, e)) in got.iter().zip(&expected).enumerate() {
        assert_eq!(g.to_bits(), e.to_bits(), "row {}: {g} vs {e}", i + 1);
    }
    // A sanity check that the model learned something: predictions track the price.
    let price = f64s(&input, "price");
    let mean = price.iter().sum::<f64>() / price.len() as f64;
    let ss_res: f64 = price.iter().zip(&got).map(|(y, p)| (y - p).powi(2)).sum();
    let ss_tot: f64 = price.iter().map(|y| (y - mean).powi(2)).sum();
    assert!(1.0 - ss_res / ss_tot > 0.6, "r2 {}", 1.0 - ss_res / ss_tot);
}

#[test]
fn classification_adds_the_class_and_one_probability_per_class() {
    let m = models();
    let data = root().join("data/penguins.csv");
    let (code, stdout, stderr) = run(&["predict", s(&m.penguins), s(&data)]);
    assert_eq!(code, 0, "{stderr}");
    let out = read_csv_text(&stdout);
    let classes = ["Adelie", "Chinstrap", "Gentoo"];
    let proba: Vec<Vec<f64>> = classes
        .iter()
        .map(|c| f64s(&out, &format!("proba_{c}")))
        .collect();
    let predicted = strings(&out, "prediction");
    let Predictions::Classes {
        labels,
        proba: expected,
    } = in_memory(&m.penguins, &data)
    else {
        panic!("classification")
    };
    for i in 0..out.height() {
        let row: Vec<f64> = proba.iter().map(|p| p[i]).collect();
        assert!(
            (row.iter().sum::<f64>() - 1.0).abs() < 1e-12,
            "row {i}: {row:?}"
        );
        assert_eq!(predicted[i], classes[labels[i]]);
        for (j, p) in row.iter().enumerate() {
            assert_eq!(p.to_bits(), expected.get(i, j).to_bits(), "row {i}");
        }
    }
    let truth = strings(&out, "species");
    let right = truth.iter().zip(&predicted).filter(|(a, b)| a == b).count();
    assert!(right as f64 / truth.len() as f64 > 0.95, "{right} right");
}

#[test]
fn clustering_adds_the_cluster() {
    let m = models();
    let data = root().join("data/iris.csv");
    let (code, stdout, stderr) = run(&["predict", s(&m.iris), s(&data)]);
    assert_eq!(code, 0, "{stderr}");
    let out = read_csv_text(&stdout);
    let cluster = f64s(&out, "cluster");
    assert_eq!(cluster, f64s(&out, "prediction"));
    let Predictions::Clusters(expected) = in_memory(&m.iris, &data) else {
        panic!("clustering")
    };
    assert_eq!(
        cluster,
        expected.iter().map(|c| *c as f64).collect::<Vec<_>>()
    );
    let mut seen = cluster.clone();
    seen.sort_by(f64::total_cmp);
    seen.dedup();
    assert_eq!(seen, [0.0, 1.0, 2.0]);
}

#[test]
fn output_formats_follow_the_extension() {
    let m = models();
    let data = root().join("data/penguins.csv");
    let dir = scratch("predict-formats");
    let Predictions::Classes { labels, .. } = in_memory(&m.penguins, &data) else {
        panic!("classification")
    };
    let classes = ["Adelie", "Chinstrap", "Gentoo"];
    let expected: Vec<&str> = labels.iter().map(|l| classes[*l]).collect();

    let parquet = dir.join("out.parquet");
    let (code, _, stderr) = run(&["predict", s(&m.penguins), s(&data), "-o", s(&parquet)]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("predicted 344 rows"), "{stderr}");
    let df = read_frame(&parquet, &TextOptions::default()).unwrap();
    assert_eq!(strings(&df, "prediction"), expected);
    assert_eq!(
        df.column("proba_Gentoo").unwrap().dtype(),
        &DataType::Float64
    );
    assert_eq!(df.width(), 8 + 1 + 3);

    let json = dir.join("out.json");
    let (code, _, stderr) = run(&["predict", s(&m.penguins), s(&data), "-o", s(&json)]);
    assert_eq!(code, 0, "{stderr}");
    let rows: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(rows.len(), 344);
    let got: Vec<&str> = rows
        .iter()
        .map(|r| r["prediction"].as_str().unwrap())
        .collect();
    assert_eq!(got, expected);
    assert!(
        rows[3]["bill_length_mm"].is_null(),
        "gaps stay null: {}",
        rows[3]
    );

    let ndjson = dir.join("out.ndjson");
    let (code, _, stderr) = run(&["predict", s(&m.penguins), s(&data), "-o", s(&ndjson)]);
    assert_eq!(code, 0, "{stderr}");
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&ndjson)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines, rows);

    // Any format polars reads goes in: the parquet written above, less its added columns.
    let mut df = df.drop_many([
        "prediction",
        "proba_Adelie",
        "proba_Chinstrap",
        "proba_Gentoo",
    ]);
    let again = dir.join("again.parquet");
    ParquetWriter::new(std::fs::File::create(&again).unwrap())
        .finish(&mut df)
        .unwrap();
    let (code, stdout, stderr) = run(&["predict", s(&m.penguins), s(&again)]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(strings(&read_csv_text(&stdout), "prediction"), expected);

    let bad = dir.join("out.xlsx");
    let (code, _, stderr) = run(&["predict", s(&m.penguins), s(&data), "-o", s(&bad)]);
    assert_eq!(code, 2);
    assert!(stderr.contains("unsupported extension"), "{stderr}");
    assert!(!bad.exists());
}

#[test]
fn a_missing_column_is_named() {
    let m = models();
    let dir = scratch("predict-missing");
    let data = dir.join("rows.csv");
    std::fs::write(
        &data,
        "area,Bedroom.AbvGr,Neighbourhood,Year.Built,Lot.Frontage\n1000,3,NAmes,1990,60\n",
    )
    .unwrap();
    let (code, stdout, stderr) = run(&["predict", s(&m.ridge), s(&data)]);
    assert_eq!(code, 2, "{stdout}");
    assert!(
        stderr.contains("column `Neighborhood` is missing"),
        "{stderr}"
    );
    assert!(stderr.contains("did you mean `Neighbourhood`"), "{stderr}");
    assert!(stdout.is_empty());
}

#[test]
fn a_value_of_the_wrong_type_is_named_by_column_and_row_even_past_the_first_chunk() {
    let m = models();
    let dir = scratch("predict-bad-value");
    let data = dir.join("rows.csv");
    let mut text = String::from("id,area,Bedroom.AbvGr,Neighborhood,Year.Built,Lot.Frontage\n");
    let bad_row = 70_000; // past the first chunk of 65,536 rows
    for i in 1..=80_000 {
        let area = if i == bad_row {
            "large".to_string()
        } else {
            (500 + i % 2000).to_string()
        };
        text.push_str(&format!("{i},{area},3,NAmes,1990,60\n"));
    }
    std::fs::write(&data, text).unwrap();
    let out = dir.join("out.csv");
    let (code, _, stderr) = run(&["predict", s(&m.ridge), s(&data), "-o", s(&out)]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("column `area` at row 70000: \"large\" is not a number"),
        "{stderr}"
    );
    // No half-written output under the asked-for name, and no temporary file left behind.
    assert!(!out.exists());
    let left: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert_eq!(left.len(), 1, "{left:?}");
}

#[test]
fn large_inputs_stream_in_chunks_with_the_same_predictions() {
    let m = models();
    let dir = scratch("predict-large");
    let data = dir.join("rows.csv");
    let mut text = String::from("area,Bedroom.AbvGr,Neighborhood,Year.Built,Lot.Frontage\n");
    let hoods = ["NAmes", "OldTown", "Edwards", "NoSuchPlace"];
    for i in 0..150_000usize {
        let frontage = if i % 7 == 0 {
            String::new()
        } else {
            (40 + i % 80).to_string()
        };
        text.push_str(&format!(
            "{},{},{},{},{frontage}\n",
            600 + i % 3000,
            i % 5,
            hoods[i % 4],
            1900 + i % 110
        ));
    }
    std::fs::write(&data, text).unwrap();
    let out = dir.join("out.csv");
    let (code, _, stderr) = run(&["predict", s(&m.ridge), s(&data), "-o", s(&out)]);
    assert_eq!(code, 0, "{stderr}");
    let got = f64s(
        &read_frame(&out, &TextOptions::default()).unwrap(),
        "prediction",
    );
    let Predictions::Values(expected) = in_memory(&m.ridge, &data) else {
        panic!("regression")
    };
    assert_eq!(got.len(), 150_000);
    assert!(got
        .iter()
        .zip(&expected)
        .all(|(a, b)| a.to_bits() == b.to_bits()));
}

#[test]
fn unknown_categories_follow_encode_unknown() {
    let m = models();
    let dir = scratch("predict-unknown");
    // ridge: encode.unknown = "ignore" (the default): an unseen neighbourhood is an all-zero row.
    let data = dir.join("ames.csv");
    std::fs::write(
        &data,
        "area,Bedroom.AbvGr,Neighborhood,Year.Built,Lot.Frontage\n1500,3,Atlantis,1990,\n1500,3,NAmes,1990,\n",
    )
    .unwrap();
    let (code, stdout, stderr) = run(&["predict", s(&m.ridge), s(&data)]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(f64s(&read_csv_text(&stdout), "prediction").len(), 2);
    // penguins: encode.unknown = "error".
    let data = dir.join("penguins.csv");
    std::fs::write(
        &data,
        "island,bill_length_mm,bill_depth_mm,flipper_length_mm,body_mass_g,sex\n\
         Biscoe,45,15,210,4500,female\nBiscoe,45,15,210,4500,female\nAtlantis,45,15,210,4500,male\n",
    )
    .unwrap();
    let (code, _, stderr) = run(&["predict", s(&m.penguins), s(&data)]);
    assert_eq!(code, 2);
    assert!(
        stderr
            .contains("column `island` has category \"Atlantis\" at row 3 that training never saw"),
        "{stderr}"
    );
}

#[test]
fn other_files_and_newer_versions_are_refused() {
    let m = models();
    let dir = scratch("predict-artifacts");
    let data = root().join("data/penguins.csv");
    let summary = dir.join("summary.json");
    std::fs::write(&summary, r#"{"status": "complete"}"#).unwrap();
    let (code, _, stderr) = run(&["predict", s(&summary), s(&data)]);
    assert_eq!(code, 2);
    assert!(stderr.contains("is not a kiln model"), "{stderr}");
    let mut model = json(&m.penguins);
    model["version"] = serde_json::json!(99);
    let newer = dir.join("newer.json");
    std::fs::write(&newer, model.to_string()).unwrap();
    let (code, _, stderr) = run(&["predict", s(&newer), s(&data)]);
    assert_eq!(code, 2);
    assert!(stderr.contains("newer than this kiln reads"), "{stderr}");
    let (code, _, stderr) = run(&["predict", s(&m.penguins), s(&dir.join("nope.csv"))]);
    assert_eq!(code, 2);
    assert!(stderr.contains("nope.csv"), "{stderr}");
}

#[test]
fn a_closed_stdout_ends_quietly() {
    let m = models();
    let dir = scratch("predict-pipe");
    let data = dir.join("rows.csv");
    let mut text = String::from("area,Bedroom.AbvGr,Neighborhood,Year.Built,Lot.Frontage\n");
    for i in 0..200_000 {
        text.push_str(&format!("{},3,NAmes,1990,60\n", 500 + i % 1000));
    }
    std::fs::write(&data, text).unwrap();
    let mut child = kiln()
        .args(["predict", s(&m.ridge), s(&data)])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut head = [0u8; 100];
    child.stdout.take().unwrap().read_exact(&mut head).unwrap();
    // The reader is gone (as with `| head -c 100`).
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
}

/// A linear model.json of `n` numeric inputs x0..x{n-1}, each unscaled with coefficient 1 (a
/// prediction is the sum of the row plus 0.5), with a drift table per input.
fn wide_model(n: usize) -> String {
    let names: Vec<String> = (0..n).map(|i| format!("x{i}")).collect();
    serde_json::json!({
        "format": "kiln-model", "version": 1, "kiln_version": "0.1.0", "pipeline": "wide",
        "task": "regression", "created_at": "2026-12-01T00:00:00Z", "target": "y",
        "inputs": names.iter().map(|c| serde_json::json!({"name": c, "kind": "numeric"})).collect::<Vec<_>>(),
        "preprocessor": {
            "numeric": names.iter().map(|c| serde_json::json!(
                {"name": c, "fill": 0.0, "indicator": false, "center": 0.0, "scale": 1.0})).collect::<Vec<_>>(),
            "categorical": [], "method": "one_hot", "unknown": "ignore", "output_names": names,
        },
        "model": {"kind": "linear", "coef": vec![1.0; n], "intercept": 0.5},
        "params": {}, "metric": "r2", "cv": {"r2": 0.5}, "test": {}, "data_hash": "0",
        "training_rows": 3,
        "drift": names.iter().map(|c| serde_json::json!(
            {"kind": "numeric", "name": c, "edges": [0.0, 1.0], "shares": [0.3, 0.4, 0.3], "missing": 0.0}))
            .collect::<Vec<_>>(),
    })
    .to_string()
}

/// A model of 20,000 inputs loads, matches its inputs and predicts (matching was quadratic in the
/// inputs: issue 14, item 11), and a file missing most of them gets a message of bounded length.
#[test]
fn a_wide_model_predicts_and_a_missing_column_message_is_capped() {
    let n = 20_000;
    let dir = scratch("predict-wide");
    let model = dir.join("model.json");
    std::fs::write(&model, wide_model(n)).unwrap();
    let names: Vec<String> = (0..n).map(|i| format!("x{i}")).collect();
    let mut csv = names.join(",") + "\n";
    for r in 0..3 {
        let row: Vec<String> = (0..n).map(|i| ((i + r) % 3).to_string()).collect();
        csv += &(row.join(",") + "\n");
    }
    let data = dir.join("wide.csv");
    std::fs::write(&data, csv).unwrap();
    let (code, stdout, stderr) = run(&["predict", s(&model), s(&data)]);
    assert_eq!(code, 0, "{stderr}");
    let out = read_csv_text(&stdout);
    let expected: Vec<f64> = (0..3)
        .map(|r| (0..n).map(|i| ((i + r) % 3) as f64).sum::<f64>() + 0.5)
        .collect();
    assert_eq!(f64s(&out, "prediction"), expected);

    let few = dir.join("few.csv");
    std::fs::write(&few, "x0,x1,x2\n1,2,3\n").unwrap();
    let (code, _, stderr) = run(&["predict", s(&model), s(&few)]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("column `x3` is missing: the model needs it as an input (19,996 other inputs are missing too)"),
        "{stderr}"
    );
    assert!(stderr.contains("`x19` ... and 19,980 more"), "{stderr}");
    assert!(stderr.len() < 2_000, "{} bytes", stderr.len());
}

/// A prediction that overflows from finite inputs is an error naming the row from the library
/// function `kiln serve` calls (which answers it 422), not a null (issue 14, item 5).
#[test]
fn a_non_finite_prediction_is_an_error_naming_the_row() {
    let model = root().join("tests/bad/data/large_coefficient_model.json");
    let p = predictor(&model);
    let row = |age: f64| serde_json::json!({"age": age, "sex": 0.05, "bmi": 0.06, "bp": 0.02});
    let ok = p.predict_json(&[row(0.03)]).unwrap();
    assert_eq!(ok.len(), 1);
    let e = p.predict_json(&[row(0.03), row(5e108)]).unwrap_err();
    assert_eq!(e.row, Some(2), "{e}");
    assert!(
        e.message.contains("row 2: the model's prediction is inf"),
        "{e}"
    );
    let e = p.predict_json(&[row(1.797e308)]).unwrap_err();
    assert_eq!((e.column.as_deref(), e.row), (Some("age"), Some(1)), "{e}");
}
