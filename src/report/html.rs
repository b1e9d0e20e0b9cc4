//! One self-contained HTML page: inline CSS and inline SVG charts, no script, no external resource.
//! The page is written as well-formed XML (every element closed, every attribute quoted, only XML's
//! own entities), so it reads the same in any browser and can be checked by any XML parser.

use super::fmt::esc;

const STYLE: &str = "
body { font-family: -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; color: #222222;
       margin: 24px auto; max-width: 1280px; padding: 0 16px; line-height: 1.4; }
h1 { font-size: 22px; margin-bottom: 4px; }
h2 { font-size: 18px; border-bottom: 1px solid #dddddd; padding-bottom: 4px; margin-top: 32px; }
h3 { font-size: 14px; margin: 16px 0 6px 0; }
p.meta { color: #555555; margin-top: 0; }
table { border-collapse: collapse; font-size: 12px; margin: 8px 0; }
th, td { border-bottom: 1px solid #e4e4e4; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f5f5f5; position: sticky; top: 0; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.best td { background: #fff4e5; }
div.scroll { overflow-x: auto; }
div.charts { display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-start; }
figure { margin: 0; }
figure svg { max-width: 100%; height: auto; }
ul.warnings li { color: #8a4b00; }
pre { background: #f7f7f7; padding: 12px; overflow-x: auto; font-size: 12px; }
.note { color: #666666; font-size: 12px; }
";

/// A page being built: sections of escaped text, tables and charts.
pub struct Page {
    title: String,
    body: String,
}

/// A table cell: text, right-aligned when it is a number.
pub struct Cell {
    pub text: String,
    pub numeric: bool,
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Cell {
        Cell {
            text: s.into(),
            numeric: false,
        }
    }

    pub fn num(s: impl Into<String>) -> Cell {
        Cell {
            text: s.into(),
            numeric: true,
        }
    }
}

impl Page {
    pub fn new(title: &str) -> Page {
        Page {
            title: title.to_string(),
            body: String::new(),
        }
    }

    pub fn h1(&mut self, text: &str) {
        self.body.push_str(&format!("<h1>{}</h1>\n", esc(text)));
    }

    pub fn h2(&mut self, text: &str) {
        self.body.push_str(&format!("<h2>{}</h2>\n", esc(text)));
    }

    pub fn h3(&mut self, text: &str) {
        self.body.push_str(&format!("<h3>{}</h3>\n", esc(text)));
    }

    pub fn meta(&mut self, text: &str) {
        self.body
            .push_str(&format!("<p class=\"meta\">{}</p>\n", esc(text)));
    }

    pub fn p(&mut self, text: &str) {
        self.body.push_str(&format!("<p>{}</p>\n", esc(text)));
    }

    pub fn note(&mut self, text: &str) {
        self.body
            .push_str(&format!("<p class=\"note\">{}</p>\n", esc(text)));
    }

    pub fn warnings(&mut self, items: &[String]) {
        if items.is_empty() {
            return;
        }
        self.body.push_str("<ul class=\"warnings\">\n");
        for w in items {
            self.body.push_str(&format!("<li>{}</li>\n", esc(w)));
        }
        self.body.push_str("</ul>\n");
    }

    pub fn pre(&mut self, text: &str) {
        self.body.push_str(&format!("<pre>{}</pre>\n", esc(text)));
    }

    /// A table; rows whose index is in `highlight` are marked.
    pub fn table(&mut self, header: &[&str], rows: &[Vec<Cell>], highlight: Option<usize>) {
        self.body
            .push_str("<div class=\"scroll\"><table>\n<thead><tr>");
        for h in header {
            self.body.push_str(&format!("<th>{}</th>", esc(h)));
        }
        self.body.push_str("</tr></thead>\n<tbody>\n");
        for (i, row) in rows.iter().enumerate() {
            if highlight == Some(i) {
                self.body.push_str("<tr class=\"best\">");
            } else {
                self.body.push_str("<tr>");
            }
            for cell in row {
                if cell.numeric {
                    self.body
                        .push_str(&format!("<td class=\"n\">{}</td>", esc(&cell.text)));
                } else {
                    self.body.push_str(&format!("<td>{}</td>", esc(&cell.text)));
                }
            }
            self.body.push_str("</tr>\n");
        }
        self.body.push_str("</tbody></table></div>\n");
    }

    /// Charts side by side, wrapping; each SVG comes from `svg` and is trusted markup.
    pub fn charts(&mut self, svgs: &[String]) {
        if svgs.is_empty() {
            return;
        }
        self.body.push_str("<div class=\"charts\">\n");
        for s in svgs {
            self.body.push_str("<figure>");
            self.body.push_str(s);
            self.body.push_str("</figure>\n");
        }
        self.body.push_str("</div>\n");
    }

    pub fn render(&self) -> String {
        format!(
            "<!DOCTYPE html>\n<html lang=\"en\" xmlns=\"http://www.w3.org/1999/xhtml\">\n<head>\n\
             <meta charset=\"utf-8\"/>\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n\
             <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{}</body>\n</html>\n",
            esc(&self.title),
            self.body
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_escapes_text_and_closes_every_element() {
        let mut p = Page::new("a & b");
        p.h1("x < y");
        p.table(
            &["name", "n"],
            &[vec![Cell::text("<b>"), Cell::num("1")]],
            Some(0),
        );
        let html = p.render();
        assert!(html.contains("<title>a &amp; b</title>"));
        assert!(html.contains("<h1>x &lt; y</h1>"));
        assert!(html.contains("<tr class=\"best\"><td>&lt;b&gt;</td><td class=\"n\">1</td></tr>"));
        assert!(!html.contains("<script") && !html.contains(" src="));
    }
}
