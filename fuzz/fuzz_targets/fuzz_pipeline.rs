//! Arbitrary bytes as a pipeline file, through parsing, `--set` overrides, grid expansion and
//! validation (`kiln::config::load_str`, what `kiln validate` does before it reads any data).
//! Input: the pipeline text, optionally followed by a NUL byte and `--set` arguments, one per line.
//! Every outcome must be Ok or a KilnError; a panic, an abort or a hang is a bug.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let (pipeline, sets) = match data.iter().position(|b| *b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let Ok(text) = std::str::from_utf8(pipeline) else {
        return;
    };
    let mut overrides = Vec::new();
    for line in String::from_utf8_lossy(sets).lines() {
        match kiln::config::Override::parse(line) {
            Ok(o) => overrides.push(o),
            Err(e) => {
                assert!(!e.to_string().is_empty());
                return;
            }
        }
    }
    match kiln::config::load_str(Path::new("fuzz.toml"), text.to_string(), &overrides) {
        Ok(loaded) => {
            // What `kiln validate` and a run use next: every candidate is whole.
            assert!(!loaded.candidates.is_empty());
            let _ = loaded.document_text();
            let _ = loaded.base().preprocessing_key();
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
});
