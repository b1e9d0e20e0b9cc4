//! Why a model file did not parse, said in terms of its keys (`model.kind`), not of Rust types.

use super::check_header;

/// Why a model file did not parse, in terms of the file: invalid JSON (with its line and column), a
/// file of another format or version, or which key holds what, e.g. "`model.kind` = \"foo\" is not
/// one kiln knows (known: ...)". serde's own words name Rust types ("internally tagged enum
/// FittedModel"); the key comes from the error's position in the text.
pub(super) fn explain_parse_error(shown: &str, text: &str, e: &serde_json::Error) -> String {
    let value: serde_json::Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            // The scan for the key needs no valid JSON before the error's position.
            let path = json_path_at(text, byte_offset(text, e.line(), e.column()));
            let key = if path.is_empty() {
                String::new()
            } else {
                format!(", at `{path}`")
            };
            return format!(
                "{shown} is not valid JSON (line {}, column {}{key}): {e}",
                e.line(),
                e.column()
            );
        }
    };
    let header = check_header(
        shown,
        value.get("format").and_then(|f| f.as_str()),
        value.get("version").and_then(|v| v.as_u64()),
    );
    if let Err(message) = header {
        return message;
    }
    let at = format!(" at line {} column {}", e.line(), e.column());
    let serde_words = e.to_string();
    let serde_words = serde_words.strip_suffix(&at).unwrap_or(&serde_words);
    let path = json_path_at(text, byte_offset(text, e.line(), e.column()));
    format!(
        "{shown} is a damaged kiln model: {} (line {}, column {})",
        in_user_terms(&path, serde_words),
        e.line(),
        e.column()
    )
}

/// The byte offset of a 1-based line and column (as serde_json counts them) in `text`.
fn byte_offset(text: &str, line: usize, column: usize) -> usize {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    (line_start + column).min(text.len())
}

/// The key path (`model.coef[3]`, `drift[2]`) of the JSON value still open at byte `at` of `text`:
/// a scan of brackets, keys and commas up to there. `text` need be valid JSON only up to there.
fn json_path_at(text: &str, at: usize) -> String {
    enum Open {
        /// An object, with the key being read (None between a comma and the next key).
        Object(Option<String>),
        /// An array, with the index of the element being read.
        Array(usize),
    }
    let bytes = &text.as_bytes()[..at.min(text.len())];
    let mut stack: Vec<Open> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                let start = i + 1;
                i = start;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                if let Some(Open::Object(key @ None)) = stack.last_mut() {
                    let end = i.min(bytes.len());
                    *key = Some(String::from_utf8_lossy(&bytes[start..end]).into_owned());
                }
            }
            b'{' => stack.push(Open::Object(None)),
            b'[' => stack.push(Open::Array(0)),
            b'}' | b']' => {
                stack.pop();
            }
            b',' => match stack.last_mut() {
                Some(Open::Array(n)) => *n += 1,
                Some(Open::Object(key)) => *key = None,
                None => {}
            },
            _ => {}
        }
        i += 1;
    }
    let mut path = String::new();
    for open in &stack {
        match open {
            Open::Object(Some(key)) => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
            }
            Open::Object(None) => {}
            Open::Array(n) => path.push_str(&format!("[{n}]")),
        }
    }
    path
}

/// serde's message about the value at `path`, with the Rust type names it uses said as JSON.
fn in_user_terms(path: &str, serde_words: &str) -> String {
    let at = if path.is_empty() {
        "the file".to_string()
    } else {
        format!("`{path}`")
    };
    if let Some(rest) = serde_words.strip_prefix("unknown variant ") {
        // "unknown variant `foo`, expected one of `a`, `b`" (or "expected `a` or `b`")
        let (given, known) = rest.split_once(", expected ").unwrap_or((rest, ""));
        let known = known.trim_start_matches("one of ").replace(" or ", ", ");
        let what = if path == "model.kind" {
            "a model"
        } else {
            "a value"
        };
        return format!(
            "{at} = \"{}\" is not {what} kiln knows (known: {known})",
            given.trim_matches('`')
        );
    }
    if let Some(field) = serde_words.strip_prefix("missing field ") {
        return format!("{at} has no field {field}");
    }
    // "invalid type: string \"x\", expected internally tagged enum FittedModel" and the like.
    let mut words = serde_words.to_string();
    for (rust, json) in [
        (
            "internally tagged enum FittedModel",
            "a model object with a \"kind\"",
        ),
        (
            "internally tagged enum DriftReference",
            "a drift object with a \"kind\"",
        ),
        ("internally tagged enum", "an object with a \"kind\""),
        ("struct variant", "an object"),
        ("tuple struct", "an array"),
        ("struct", "an object"),
        ("enum", "one of its names"),
    ] {
        if let Some(i) = words.find(&format!("expected {rust}")) {
            words.truncate(i);
            words.push_str(&format!("expected {json}"));
            break;
        }
    }
    format!("{at}: {words}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_path_is_found_at_a_position() {
        let text = r#"{"a": {"b": [1, {"c": 2}, 3]}, "d": "x,{["}"#;
        let at = |s: &str| json_path_at(text, text.find(s).unwrap());
        assert_eq!(at("1,"), "a.b[0]");
        assert_eq!(at("2}"), "a.b[1].c");
        assert_eq!(at("3]"), "a.b[2]");
        assert_eq!(at("\"x"), "d");
        assert_eq!(json_path_at(text, text.len()), "");
    }
}
