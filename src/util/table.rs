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

    pub fn render(&self) -> String {
        let n = self.header.len();
        let mut width = vec![0usize; n];
        for row in std::iter::once(&self.header).chain(&self.rows) {
            for (j, cell) in row.iter().enumerate().take(n) {
                width[j] = width[j].max(cell.chars().count());
            }
        }
        let numeric = |s: &str| {
            let t = s.trim_start_matches(['-', '+']);
            t.chars().next().is_some_and(|c| c.is_ascii_digit())
        };
        let mut out = String::new();
        for (r, row) in std::iter::once(&self.header).chain(&self.rows).enumerate() {
            let cells: Vec<String> = (0..n)
                .map(|j| {
                    let cell = row.get(j).map(String::as_str).unwrap_or("");
                    let pad = width[j] - cell.chars().count();
                    if r > 0 && numeric(cell) {
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
}
