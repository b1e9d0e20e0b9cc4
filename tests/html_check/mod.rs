//! Checks shared by the tests of kiln's HTML pages (explore --html, report.html): the page parses as
//! XML, loads nothing from anywhere, and each chart is an inline SVG with a title, marks and text.
#![allow(dead_code)]

/// What a page holds, once checked.
pub struct CheckedPage {
    /// Each chart's `<title>`, in page order.
    pub charts: Vec<String>,
    /// Every table's rows (cells as text), in page order.
    pub tables: Vec<Vec<Vec<String>>>,
    /// The text of every `<pre>`.
    pub pre: Vec<String>,
    /// All text of the page, for searching.
    pub text: String,
}

fn text_of(node: roxmltree::Node) -> String {
    node.descendants()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .collect::<Vec<_>>()
        .join("")
}

/// Parses and checks a page; panics (the test fails) on the first problem.
pub fn check(html: &str) -> CheckedPage {
    let opts = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    let doc = roxmltree::Document::parse_with_options(html, opts)
        .unwrap_or_else(|e| panic!("the page is not well-formed: {e}"));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "html");
    let mut charts = Vec::new();
    let mut tables = Vec::new();
    let mut pre = Vec::new();
    for node in root.descendants().filter(|n| n.is_element()) {
        let name = node.tag_name().name();
        assert!(
            !matches!(
                name,
                "script" | "link" | "iframe" | "img" | "object" | "embed"
            ),
            "the page must not load or run anything: <{name}>"
        );
        for a in node.attributes() {
            let local = a.name();
            assert!(
                local != "src" && !local.starts_with("on"),
                "attribute {local} on <{name}>"
            );
            if local == "href" {
                assert!(
                    !a.value().contains("://"),
                    "a link out of the page: {}",
                    a.value()
                );
            }
        }
        match name {
            "svg" => {
                let title = node
                    .children()
                    .find(|c| c.tag_name().name() == "title")
                    .map(text_of)
                    .unwrap_or_default();
                assert!(!title.is_empty(), "a chart without a title");
                let marks = node
                    .descendants()
                    .filter(|d| {
                        matches!(d.tag_name().name(), "rect" | "circle" | "polyline" | "line")
                    })
                    .count();
                assert!(marks > 1, "chart `{title}` draws nothing");
                let texts = node
                    .descendants()
                    .filter(|d| d.tag_name().name() == "text")
                    .count();
                assert!(texts >= 2, "chart `{title}` has no labels");
                charts.push(title);
            }
            "table" => {
                let rows: Vec<Vec<String>> = node
                    .descendants()
                    .filter(|d| d.tag_name().name() == "tr")
                    .map(|tr| {
                        tr.children()
                            .filter(|c| c.is_element())
                            .map(text_of)
                            .collect()
                    })
                    .collect();
                tables.push(rows);
            }
            "pre" => pre.push(text_of(node)),
            "style" => assert!(
                !text_of(node).contains("url("),
                "the style must not fetch anything"
            ),
            _ => {}
        }
    }
    assert!(
        !html.contains("NaN"),
        "a NaN leaked into the page (a coordinate or a number)"
    );
    CheckedPage {
        charts,
        tables,
        pre,
        text: text_of(root),
    }
}

impl CheckedPage {
    /// Panics unless some chart title starts with `prefix`.
    pub fn has_chart(&self, prefix: &str) {
        assert!(
            self.charts.iter().any(|c| c.starts_with(prefix)),
            "no chart titled `{prefix}...`; charts: {:?}",
            self.charts
        );
    }
}
