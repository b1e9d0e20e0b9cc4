//! The shape ARCHITECTURE.md describes, checked: imports point one way (down the layers, and no
//! cycle between the modules of one layer), no clap outside the command layer, and no source file
//! above about 700 lines of non-test code.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each top-level module of the library and its layer: a module may import its own layer (without
/// a cycle) and the layers below it, never one above. The same table is in ARCHITECTURE.md.
const LAYERS: &[(&str, &[&str])] = &[
    ("command line", &["cli"]),
    (
        "commands",
        &[
            "pipeline",
            "report",
            "predict",
            "serve",
            "export",
            "init",
            "schema_json",
        ],
    ),
    ("run directory", &["runlog"]),
    ("search and model files", &["search", "artifact"]),
    ("preprocessing", &["preprocess"]),
    ("pipeline file and data", &["config", "data"]),
    ("models and metrics", &["models", "metrics"]),
    (
        "arithmetic and utilities",
        &["design", "linalg", "matrix", "rng", "util", "error"],
    ),
];

/// The most lines of non-test code (the lines before `#[cfg(test)]`) one source file may have.
const MAX_LINES: usize = 700;

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file belongs to: `src/run.rs` and `src/run/x.rs` are both `run`.
fn module_of(file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src()).unwrap();
    let first = rel.components().next()?.as_os_str().to_str()?.to_string();
    let name = first.strip_suffix(".rs").unwrap_or(&first).to_string();
    (!matches!(name.as_str(), "lib" | "main")).then_some(name)
}

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|(_, ms)| ms.contains(&module))
}

/// The non-test text of a file: everything before its `#[cfg(test)]` module.
fn non_test(text: &str) -> &str {
    text.find("\n#[cfg(test)]").map_or(text, |i| &text[..i])
}

/// Every top-level module named by a `crate::name` path in `text`.
fn crate_imports(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = text;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() {
            found.insert(name);
        }
    }
    // `use crate::{a, b::c}` names several at once.
    for (i, _) in text.match_indices("crate::{") {
        let group = &text[i + "crate::{".len()..];
        let group = &group[..group.find('}').unwrap_or(group.len())];
        for part in group.split(',') {
            let name = part.trim().split("::").next().unwrap_or("").trim();
            if !name.is_empty() {
                found.insert(name.to_string());
            }
        }
    }
    found
}

/// module -> the modules it imports, from every file's non-test code.
fn import_graph() -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let Some(module) = module_of(&file) else {
            continue;
        };
        let text = std::fs::read_to_string(&file).unwrap();
        let imports = crate_imports(non_test(&text));
        let entry = graph.entry(module.clone()).or_default();
        entry.extend(imports.into_iter().filter(|m| *m != module));
    }
    graph
}

#[test]
fn every_module_has_a_layer() {
    let unplaced: Vec<String> = import_graph()
        .keys()
        .filter(|m| layer_of(m).is_none())
        .cloned()
        .collect();
    assert!(
        unplaced.is_empty(),
        "modules without a layer in LAYERS (and ARCHITECTURE.md): {unplaced:?}"
    );
}

#[test]
fn imports_point_down_the_layers() {
    let mut upward = Vec::new();
    for (module, imports) in import_graph() {
        let Some(own) = layer_of(&module) else {
            continue;
        };
        for import in imports {
            if layer_of(&import).is_some_and(|l| l < own) {
                upward.push(format!("{module} imports {import}"));
            }
        }
    }
    assert!(
        upward.is_empty(),
        "imports against the data flow: {upward:#?}"
    );
}

#[test]
fn no_import_cycle_between_modules() {
    let graph = import_graph();
    // Depth-first search; a module met again while on the path closes a cycle.
    fn visit(
        m: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
        cycles: &mut Vec<String>,
    ) {
        if let Some(i) = path.iter().position(|p| p == m) {
            let mut cycle = path[i..].to_vec();
            cycle.push(m.to_string());
            cycles.push(cycle.join(" -> "));
            return;
        }
        if !done.insert(m.to_string()) {
            return;
        }
        path.push(m.to_string());
        for next in graph.get(m).into_iter().flatten() {
            visit(next, graph, path, done, cycles);
        }
        path.pop();
    }
    let (mut done, mut cycles) = (BTreeSet::new(), Vec::new());
    for m in graph.keys() {
        visit(m, &graph, &mut Vec::new(), &mut done, &mut cycles);
    }
    assert!(cycles.is_empty(), "import cycles: {cycles:#?}");
}

#[test]
fn clap_stays_in_the_command_layer() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let outside: Vec<String> = files
        .iter()
        .filter(|f| module_of(f).is_some_and(|m| m != "cli"))
        .filter(|f| std::fs::read_to_string(f).unwrap().contains("clap"))
        .map(|f| f.display().to_string())
        .collect();
    assert!(
        outside.is_empty(),
        "clap used outside src/cli/: {outside:#?}"
    );
}

#[test]
fn no_source_file_is_above_700_lines_of_non_test_code() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut long: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let text = std::fs::read_to_string(f).unwrap();
            let n = non_test(&text).lines().count();
            (n > MAX_LINES).then(|| format!("{} ({n} lines)", f.display()))
        })
        .collect();
    long.sort();
    assert!(long.is_empty(), "split these: {long:#?}");
}
