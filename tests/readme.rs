//! The README shows what kiln prints; these tests run what it shows and compare (issue 14, item 16).
//! Every code block of README.md that starts with `$ ` is a command and its output: the command is
//! run from the repository root (a `kiln run` writes its run directory under a scratch folder) and
//! what it prints must be the block's text, line for line. Only run ids and the scratch folder are
//! normalised; a line `...` in the block stands for any number of lines.

mod common;
use common::*;

/// README.md's fenced code blocks: (the word after the fence, the lines inside).
fn blocks() -> Vec<(String, Vec<String>)> {
    let text = std::fs::read_to_string(root().join("README.md")).unwrap();
    let mut out = Vec::new();
    let mut current: Option<(String, Vec<String>)> = None;
    for line in text.lines() {
        match (&mut current, line.strip_prefix("```")) {
            (None, Some(lang)) => current = Some((lang.trim().to_string(), Vec::new())),
            (Some(_), Some(_)) => out.extend(current.take()),
            (Some((_, lines)), None) => lines.push(line.to_string()),
            (None, None) => {}
        }
    }
    out
}

/// A command line as the README writes it, split into arguments ('single quotes' group words).
fn words(command: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    let mut any = false;
    for c in command.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                any = true;
            }
            ' ' if !quoted => {
                if any {
                    out.push(std::mem::take(&mut word));
                    any = false;
                }
            }
            _ => {
                word.push(c);
                any = true;
            }
        }
    }
    if any {
        out.push(word);
    }
    out
}

/// Run ids (`20261125T103501Z-3f9a2c`) become `<id>`: they differ from run to run.
fn without_ids(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let is_id = |at: usize| -> Option<usize> {
        let digits = |from: usize, n: usize| {
            (from..from + n).all(|i| chars.get(i).is_some_and(|c| c.is_ascii_digit()))
        };
        if !(digits(at, 8) && chars.get(at + 8) == Some(&'T') && digits(at + 9, 6)) {
            return None;
        }
        if chars.get(at + 15) != Some(&'Z') || chars.get(at + 16) != Some(&'-') {
            return None;
        }
        let hex = (at + 17..)
            .take_while(|&i| chars.get(i).is_some_and(|c| c.is_ascii_hexdigit()))
            .count();
        (hex > 0).then_some(17 + hex)
    };
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        match is_id(i) {
            Some(len) => {
                out.push_str("<id>");
                i += len;
            }
            None => {
                out.push(chars[i]);
                i += 1;
            }
        }
    }
    out
}

/// Whether `actual` is `expected`, where an expected line `...` takes any number of lines.
fn matches(expected: &[String], actual: &[String]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((e, rest)) if e == "..." => {
            (0..=actual.len()).any(|skip| matches(rest, &actual[skip..]))
        }
        Some((e, rest)) => actual
            .split_first()
            .is_some_and(|(a, more)| a.trim_end() == e.trim_end() && matches(rest, more)),
    }
}

#[test]
fn every_sample_output_is_what_kiln_prints() {
    let scratch_dir = scratch("readme");
    let runs = scratch_dir.join("runs");
    let mut checked = 0;
    let mut failures = Vec::new();
    for (lang, lines) in blocks() {
        let Some(command) = lines.first().and_then(|l| l.strip_prefix("$ ")) else {
            continue;
        };
        assert!(
            lang.is_empty(),
            "a sample output block has no language: {command}"
        );
        let mut args = words(command);
        // `cargo run --release -- ARGS` and `kiln ARGS` both run the binary under test.
        let skip = if args.first().is_some_and(|a| a == "cargo") {
            4
        } else {
            1
        };
        let mut args: Vec<String> = args.drain(skip..).collect();
        if args.first().is_some_and(|a| a == "run") {
            args.push("--out".into());
            args.push(runs.display().to_string());
        }
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, stdout, stderr) = run(&argv);
        // Errors are on stderr; what a run reports, on stdout (its progress on stderr is left out).
        let printed = if code == 2 { stderr } else { stdout };
        let printed = without_ids(&printed.replace(&runs.display().to_string(), "runs"));
        // The leaderboard opens with a blank line, to set it off from the progress above it.
        let actual: Vec<String> = printed
            .trim_start_matches('\n')
            .lines()
            .map(String::from)
            .collect();
        let expected: Vec<String> = lines[1..].iter().map(|l| without_ids(l)).collect();
        if !matches(&expected, &actual) {
            failures.push(format!(
                "$ {command}\n--- README shows:\n{}\n--- kiln printed (exit {code}):\n{}",
                expected.join("\n"),
                actual.join("\n")
            ));
        }
        checked += 1;
    }
    assert!(
        checked >= 3,
        "only {checked} sample outputs found in README.md"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn the_pipeline_shown_is_the_shipped_one() {
    let text = std::fs::read_to_string(root().join("README.md")).unwrap();
    let at = text
        .find("`pipelines/house_prices.toml`, the example")
        .expect("the README introduces pipelines/house_prices.toml");
    let shown = blocks()
        .into_iter()
        .find(|(lang, lines)| {
            lang == "toml"
                && lines.first().is_some_and(|l| l == "[pipeline]")
                && text[at..].contains(&lines.join("\n"))
        })
        .expect("a toml block after it");
    let file = std::fs::read_to_string(root().join("pipelines/house_prices.toml")).unwrap();
    let from = file.find("[pipeline]").unwrap();
    assert_eq!(
        shown.1.join("\n"),
        file[from..].trim_end(),
        "README.md and pipelines/house_prices.toml differ"
    );
}

#[test]
fn the_corpus_cases_shown_are_the_corpus_files() {
    // The README quotes two tests/bad cases "as they are in the corpus".
    let text = std::fs::read_to_string(root().join("README.md")).unwrap();
    let at = text
        .find("Two cases as they are in the")
        .expect("the corpus section");
    let shown: Vec<Vec<String>> = blocks()
        .into_iter()
        .filter(|(lang, lines)| lang == "toml" && text[at..].contains(&lines.join("\n")))
        .map(|(_, lines)| lines)
        .take(2)
        .collect();
    assert_eq!(shown.len(), 2);
    for (lines, file) in shown
        .iter()
        .zip(["bad_set.toml", "predict_missing_input_file.toml"])
    {
        let case = std::fs::read_to_string(root().join("tests/bad").join(file)).unwrap();
        assert_eq!(
            lines.join("\n"),
            case.trim_end(),
            "README.md and tests/bad/{file} differ"
        );
    }
}
