//! JSON request bodies through what `kiln serve` does with a POST /predict body: parse it, find its
//! rows, read them as the model's input columns, predict, record drift, write the response
//! (`serve::api::run_predict`), against a small fixed model (fuzz/models/penguins.model.json).
//! Every outcome must be a response body or an error naming what was wrong; a panic is a bug. And
//! the fast path (`predict::json_rows::RowReader`), whenever it reads a body, must read exactly the
//! columns the exact path reads.
#![no_main]

use kiln::artifact::Artifact;
use kiln::predict::Predictor;
use kiln::serve::api::{run_predict, AppState};
use kiln::serve::log::Log;
use libfuzzer_sys::fuzz_target;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

static STATE: LazyLock<AppState> = LazyLock::new(|| {
    let artifact: Artifact =
        serde_json::from_str(include_str!("../models/penguins.model.json")).expect("the fuzz model");
    let log = Arc::new(Log::start());
    AppState::new(Predictor::new(artifact), 50, true, log, Duration::from_secs(30))
        .expect("the fuzz model's drift tables")
});

fuzz_target!(|data: &[u8]| {
    let fast = STATE.rows.read(data);
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        assert!(fast.is_none(), "the fast path read a body that is not JSON");
        return;
    };
    if let Some((columns, n)) = &fast {
        let rows = value["rows"].as_array().expect("the fast path read rows");
        assert_eq!(*n, rows.len());
        let exact = STATE
            .predictor
            .columns_from_json(rows)
            .expect("the exact path reads what the fast path read");
        assert_eq!(format!("{columns:?}"), format!("{exact:?}"));
    }
    match run_predict(&STATE, &value) {
        Ok((body, rows)) => {
            let v: serde_json::Value = serde_json::from_slice(&body).expect("a JSON response");
            assert_eq!(
                v["predictions"].as_array().map(Vec::len),
                Some(rows),
                "one prediction per row"
            );
        }
        Err(e) => assert!(!e.message.is_empty()),
    }
});
