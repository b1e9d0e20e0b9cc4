//! The bad-input corpus: every tests/bad/*.toml is run through `kiln run`. Its leading comment lines
//! say what must happen: `# expect: <text>` (must appear in the output), `# expect-exit: N` (default
//! 2), `# args: ...` (extra arguments). A case with `# command: ...` runs that kiln command instead
//! (from the repository root; `{model}` stands for a model.json trained once from
//! tests/bad/data/model.toml), for bad models and predict inputs. A case expecting exit 0 is an
//! unusual input with a graceful result: it runs without `--quiet`, so its warnings are shown.
//! Whatever the input: no panic, and no model.json from a failed run.

mod common;
use common::*;

struct Case {
    name: String,
    args: Vec<String>,
    /// `# command:`: the whole argument list, instead of `run <case> ...`.
    command: Option<Vec<String>>,
    expect: Vec<String>,
    exit: i32,
}

fn cases() -> Vec<Case> {
    let dir = root().join("tests/bad");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let mut case = Case {
            name: path.file_name().unwrap().to_string_lossy().into_owned(),
            args: Vec::new(),
            command: None,
            expect: Vec::new(),
            exit: 2,
        };
        for line in text.lines().take_while(|l| l.starts_with('#')) {
            let line = line.trim_start_matches('#').trim();
            if let Some(e) = line.strip_prefix("expect:") {
                case.expect.push(e.trim().to_string());
            } else if let Some(a) = line.strip_prefix("args:") {
                case.args.extend(a.split_whitespace().map(String::from));
            } else if let Some(c) = line.strip_prefix("command:") {
                case.command = Some(c.split_whitespace().map(String::from).collect());
            } else if let Some(c) = line.strip_prefix("expect-exit:") {
                case.exit = c.trim().parse().unwrap();
            }
        }
        assert!(
            !case.expect.is_empty(),
            "{}: no `# expect:` line",
            case.name
        );
        out.push(case);
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// Trains the model the `{model}` cases predict with; returns its model.json.
fn train_model(out: &std::path::Path) -> String {
    train(&root().join("tests/bad/data/model.toml"), out)
        .display()
        .to_string()
}

#[test]
fn every_bad_input_gets_a_clear_message_and_exit_code() {
    let out = scratch("bad");
    let mut failures = Vec::new();
    let all = cases();
    assert!(all.len() >= 45, "the corpus holds {} cases", all.len());
    let mut model: Option<String> = None;
    for case in &all {
        let case_out = out.join(case.name.trim_end_matches(".toml"));
        let args: Vec<String> = match &case.command {
            Some(command) => {
                let mut args = Vec::new();
                for a in command {
                    if a.contains("{model}") {
                        let m = model.get_or_insert_with(|| train_model(&out.join("_model")));
                        args.push(a.replace("{model}", m));
                    } else {
                        args.push(a.clone());
                    }
                }
                args.extend(case.args.iter().cloned());
                args
            }
            None => {
                let mut args = vec![
                    "run".to_string(),
                    format!("tests/bad/{}", case.name),
                    "--out".into(),
                    case_out.display().to_string(),
                ];
                if case.exit != 0 {
                    args.push("--quiet".into());
                }
                args.extend(case.args.iter().cloned());
                args
            }
        };
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, stdout, stderr) = run(&argv);
        let text = format!("{stdout}{stderr}");
        if text.contains("panicked") {
            failures.push(format!("{}: panicked:\n{text}", case.name));
            continue;
        }
        if code != case.exit {
            failures.push(format!(
                "{}: exit {code}, expected {}:\n{text}",
                case.name, case.exit
            ));
        }
        for e in &case.expect {
            if !text.contains(e.as_str()) {
                failures.push(format!("{}: missing `{e}` in:\n{text}", case.name));
            }
        }
        // A failed run never leaves a model.json.
        if code != 0 {
            for entry in walk(&case_out) {
                if entry.ends_with("model.json") {
                    failures.push(format!(
                        "{}: a failed run left {}",
                        case.name,
                        entry.display()
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n\n{}",
        failures.len(),
        all.len(),
        failures.join("\n\n")
    );
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}
