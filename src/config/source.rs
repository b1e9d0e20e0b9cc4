//! Where a key stands in a pipeline file, and errors rendered the way rustc and cargo render them:
//! `file:line:column: message`, then the offending line with a caret under the key. A key that a
//! `--set` override wrote is located at that `--set` instead: the file's line is not what ran.

use std::path::{Path, PathBuf};
use toml_edit::{ImDocument, Item};

/// A pipeline file's text, kept so errors can quote it.
#[derive(Debug, Clone)]
pub struct Source {
    pub path: PathBuf,
    pub text: String,
    doc: Option<ImDocument<String>>,
    /// The `--set` overrides applied to the file: (key path, `KEY=VALUE` as given), in order.
    overrides: Vec<(Vec<String>, String)>,
}

impl Source {
    pub fn new(path: &Path, text: String) -> Self {
        let doc = ImDocument::parse(text.clone()).ok();
        Source {
            path: path.to_path_buf(),
            text,
            doc,
            overrides: Vec::new(),
        }
    }

    /// The same source, with the `--set` overrides that were applied to it.
    pub fn with_overrides(mut self, overrides: &[super::Override]) -> Self {
        self.overrides = overrides
            .iter()
            .map(|o| (o.path.clone(), o.raw.clone()))
            .collect();
        self
    }

    /// The `--set` that wrote the key at `path` (or a table holding it): the last one, as it won.
    pub fn override_of(&self, path: &[String]) -> Option<&str> {
        self.overrides
            .iter()
            .rev()
            .find(|(at, _)| !path.is_empty() && path.starts_with(at))
            .map(|(_, raw)| raw.as_str())
    }

    /// The 1-based line of the key at `path` (or of its deepest ancestor in the file).
    pub fn line_of(&self, path: &[String]) -> Option<usize> {
        let span = self.span_of(path)?;
        Some(
            self.text[..span.start.min(self.text.len())]
                .matches('\n')
                .count()
                + 1,
        )
    }

    /// The byte span of the key at `path` (table keys, or array indices as numbers), falling back to
    /// the deepest ancestor that exists, so an error always points somewhere useful.
    pub fn span_of(&self, path: &[String]) -> Option<std::ops::Range<usize>> {
        let doc = self.doc.as_ref()?;
        let mut node = Node::Table(doc.as_table());
        let mut best = None;
        for segment in path {
            let next = match node {
                Node::Table(t) => t
                    .get_key_value(segment)
                    .map(|(k, v)| (k.span(), Node::Item(v))),
                Node::Item(item) => {
                    if let Some(t) = item.as_table_like() {
                        t.get_key_value(segment)
                            .map(|(k, v)| (k.span(), Node::Item(v)))
                    } else if let (Some(tables), Ok(i)) =
                        (item.as_array_of_tables(), segment.parse::<usize>())
                    {
                        tables.get(i).map(|t| (t.span(), Node::Table(t)))
                    } else if let (Some(array), Ok(i)) = (item.as_array(), segment.parse::<usize>())
                    {
                        array.get(i).map(|v| (v.span(), Node::Leaf))
                    } else {
                        None
                    }
                }
                Node::Leaf => None,
            };
            match next {
                Some((span, n)) => {
                    if span.is_some() {
                        best = span;
                    }
                    node = n;
                }
                None => break,
            }
        }
        best
    }

    /// `file:line:col: message` with the line quoted and the key underlined; `--set KEY=VALUE:
    /// message` when a `--set` wrote the key.
    pub fn error_at(&self, path: &[String], message: &str) -> String {
        if let Some(raw) = self.override_of(path) {
            return format!("--set {raw}: {message}");
        }
        match self.span_of(path) {
            Some(span) => self.render(span, message),
            None => format!("{}: {message}", self.path.display()),
        }
    }

    pub fn render(&self, span: std::ops::Range<usize>, message: &str) -> String {
        let before = &self.text[..span.start.min(self.text.len())];
        let line_no = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let col = before[line_start..].chars().count() + 1;
        let line_end = self.text[line_start..]
            .find('\n')
            .map_or(self.text.len(), |i| line_start + i);
        let line = &self.text[line_start..line_end];
        let width = self.text[span.start.min(line_end)..span.end.min(line_end)]
            .chars()
            .count()
            .max(1);
        let gutter = " ".repeat(line_no.to_string().len());
        format!(
            "{}:{line_no}:{col}: {message}\n{gutter} |\n{line_no} | {line}\n{gutter} | {}{}",
            self.path.display(),
            " ".repeat(col - 1),
            "^".repeat(width)
        )
    }
}

/// A step of the walk down the parsed document.
enum Node<'a> {
    Table(&'a toml_edit::Table),
    Item(&'a Item),
    Leaf,
}
