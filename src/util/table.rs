//! Plain text tables for the terminal: columns padded to their widest cell, numbers right-aligned.

pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(header: &[&str]) -> Self {
        Table {
            header: header.iter().map(|s| s.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    pub fn push(&mut self, row: Vec<String>) {
        self.rows.push(row);
    }

    /// The table with numbers right-aligned (in the rows; the header stays left-aligned).
    pub fn render(&self) -> String {
        let numeric = |s: &str| {
            let t = s.trim_start_matches(['-', '+']);
            t.chars().next().is_some_and(|c| c.is_ascii_digit())
        };
        self.render_with(|row, _, cell| row > 0 && numeric(cell))
    }

    /// The table with every cell of the columns where `right(column)` right-aligned, header
    /// included, and the others left-aligned.
    pub fn render_columns(&self, right: impl Fn(usize) -> bool) -> String {
        self.render_with(|_, column, _| right(column))
    }

    /// Pads every cell to its column's widest; `right(row, column, cell)` (row 0: the header) says
    /// which are right-aligned.
    fn render_with(&self, right: impl Fn(usize, usize, &str) -> bool) -> String {
        let n = self.header.len();
        let mut width = vec![0usize; n];
        for row in std::iter::once(&self.header).chain(&self.rows) {
            for (j, cell) in row.iter().enumerate().take(n) {
                width[j] = width[j].max(cell.chars().count());
            }
        }
        let mut out = String::new();
        for (r, row) in std::iter::once(&self.header).chain(&self.rows).enumerate() {
            let cells: Vec<String> = (0..n)
                .map(|j| {
                    let cell = row.get(j).map(String::as_str).unwrap_or("");
                    let pad = width[j] - cell.chars().count();
                    if right(r, j, cell) {
                        format!("{}{cell}", " ".repeat(pad))
                    } else {
                        format!("{cell}{}", " ".repeat(pad))
                    }
                })
                .collect();
            out.push_str(cells.join("  ").trim_end());
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pads_and_right_aligns_numbers() {
        let mut t = Table::new(&["rank", "name"]);
        t.push(vec!["1".into(), "ridge".into()]);
        t.push(vec!["10".into(), "x".into()]);
        assert_eq!(t.render(), "rank  name\n   1  ridge\n  10  x\n");
    }

    #[test]
    fn chosen_columns_are_right_aligned_header_and_all() {
        let mut t = Table::new(&["name", "n"]);
        t.push(vec!["ridge".into(), "1".into()]);
        t.push(vec!["x".into(), "10".into()]);
        t.push(vec!["lasso".into()]);
        assert_eq!(
            t.render_columns(|j| j == 1),
            "name    n\nridge   1\nx      10\nlasso\n"
        );
    }
}
