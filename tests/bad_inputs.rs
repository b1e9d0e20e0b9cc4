//! The bad-input corpus: every tests/bad/*.toml is run through `kiln run`. Its leading comment lines
//! say what must happen: `# expect: <text>` (must appear in the output), `# expect-exit: N` (default
//! 2), `# args: ...` (extra arguments). Whatever the input: no panic, and no model.json from a
//! failed run.

mod common;
use common::*;

struct Case {
    name: String,
    args: Vec<String>,
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
            expect: Vec::new(),
            exit: 2,
        };
        for line in text.lines().take_while(|l| l.starts_with('#')) {
            let line = line.trim_start_matches('#').trim();
            if let Some(e) = line.strip_prefix("expect:") {
                case.expect.push(e.trim().to_string());
            } else if let Some(a) = line.strip_prefix("args:") {
                case.args.extend(a.split_whitespace().map(String::from));
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

#[test]
fn every_bad_input_gets_a_clear_message_and_exit_code() {
    let out = scratch("bad");
    let mut failures = Vec::new();
    let all = cases();
    assert!(all.len() >= 30, "the corpus holds {} cases", all.len());
    for case in &all {
        let pipeline = format!("tests/bad/{}", case.name);
        let mut args = vec![
            "run".to_string(),
            pipeline,
            "--out".into(),
            out.display().to_string(),
            "--quiet".into(),
        ];
        args.extend(case.args.iter().cloned());
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
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n\n{}",
        failures.len(),
        all.len(),
        failures.join("\n\n")
    );
    // A failed run never leaves a model.json.
    for entry in walk(&out) {
        assert!(
            !entry.ends_with("model.json"),
            "a failed run left {}",
            entry.display()
        );
    }
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
