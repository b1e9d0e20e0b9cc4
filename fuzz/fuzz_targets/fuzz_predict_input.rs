//! A data file's bytes through `kiln predict`'s input decoding: read as csv the way `kiln predict`
//! reads it (header, every row typed, "" and "NA" missing), then the model's input columns
//! (`predict::input::columns_from_frame`), the checks and the prediction, against a small fixed model
//! (fuzz/models/penguins.model.json: numeric and categorical inputs, indicators, one-hot).
//! Every outcome must be predictions or an error; a panic is a bug.
#![no_main]

use kiln::artifact::Artifact;
use kiln::predict::Predictor;
use libfuzzer_sys::fuzz_target;
use polars::prelude::*;
use std::sync::LazyLock;

static PREDICTOR: LazyLock<Predictor> = LazyLock::new(|| {
    let artifact: Artifact =
        serde_json::from_str(include_str!("../models/penguins.model.json")).expect("the fuzz model");
    Predictor::new(artifact)
});

fuzz_target!(|data: &[u8]| {
    let predictor = &*PREDICTOR;
    // The first byte picks where the chunk starts in the whole input, as predict's streaming does.
    let (first_row, bytes) = match data.split_first() {
        Some((b, rest)) => (usize::from(*b) * 65_536, rest),
        None => (0, data),
    };
    let parse = CsvParseOptions::default().with_null_values(Some(NullValues::AllColumns(vec![
        "".into(),
        "NA".into(),
    ])));
    let read = CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(None)
        .with_parse_options(parse)
        .into_reader_with_file_handle(std::io::Cursor::new(bytes))
        .finish();
    let Ok(df) = read else { return };
    match predictor.predict_frame(&df, first_row) {
        Ok(p) => assert_eq!(p.len(), df.height()),
        Err(e) => {
            assert!(!e.message.is_empty());
            if let Some(r) = e.row {
                assert!(r > first_row && r <= first_row + df.height(), "row {r} out of range");
            }
        }
    }
});
