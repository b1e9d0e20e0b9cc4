//! JUnit XML, the report format CI systems (GitLab, Jenkins, GitHub Actions reporters) display.

use crate::error::Result;
use std::path::Path;

pub struct JunitCase {
    pub name: String,
    pub seconds: f64,
    /// An unmet expectation.
    pub failure: Option<String>,
    /// A run that could not complete.
    pub error: Option<String>,
}

pub struct JunitSuite {
    pub name: String,
    pub cases: Vec<JunitCase>,
}

fn escape(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '&' => "&amp;".to_string(),
            '<' => "&lt;".to_string(),
            '>' => "&gt;".to_string(),
            '"' => "&quot;".to_string(),
            '\'' => "&apos;".to_string(),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => " ".to_string(),
            c => c.to_string(),
        })
        .collect()
}

pub fn render(suites: &[JunitSuite]) -> String {
    let count = |f: fn(&JunitCase) -> bool| {
        suites
            .iter()
            .flat_map(|s| &s.cases)
            .filter(|c| f(c))
            .count()
    };
    let (tests, failures, errors) = (
        count(|_| true),
        count(|c| c.failure.is_some()),
        count(|c| c.error.is_some()),
    );
    let mut x = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"kiln\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\">\n"
    );
    for s in suites {
        let f = s.cases.iter().filter(|c| c.failure.is_some()).count();
        let e = s.cases.iter().filter(|c| c.error.is_some()).count();
        let time: f64 = s.cases.iter().map(|c| c.seconds).sum();
        x.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{f}\" errors=\"{e}\" time=\"{time:.3}\">\n",
            escape(&s.name),
            s.cases.len()
        ));
        for c in &s.cases {
            x.push_str(&format!(
                "    <testcase classname=\"kiln.{}\" name=\"{}\" time=\"{:.3}\"",
                escape(&s.name),
                escape(&c.name),
                c.seconds
            ));
            match (&c.failure, &c.error) {
                (Some(m), _) => x.push_str(&format!(
                    ">\n      <failure message=\"{}\"/>\n    </testcase>\n",
                    escape(m)
                )),
                (None, Some(m)) => {
                    let first = m.lines().next().unwrap_or("");
                    x.push_str(&format!(
                        ">\n      <error message=\"{}\">{}</error>\n    </testcase>\n",
                        escape(first),
                        escape(m)
                    ))
                }
                (None, None) => x.push_str("/>\n"),
            }
        }
        x.push_str("  </testsuite>\n");
    }
    x.push_str("</testsuites>\n");
    x
}

pub fn write(path: &Path, suites: &[JunitSuite]) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| crate::error::KilnError::io(dir, e))?;
    }
    crate::util::atomic::atomic_write(path, render(suites).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_and_errors_are_counted_and_escaped() {
        let xml = render(&[JunitSuite {
            name: "a<b".into(),
            cases: vec![
                JunitCase {
                    name: "run".into(),
                    seconds: 1.5,
                    failure: None,
                    error: None,
                },
                JunitCase {
                    name: "expect cv.r2 >= 0.9".into(),
                    seconds: 0.0,
                    failure: Some("cv.r2 = 0.8".into()),
                    error: None,
                },
            ],
        }]);
        assert!(xml.contains("tests=\"2\" failures=\"1\" errors=\"0\""));
        assert!(xml.contains("name=\"a&lt;b\""));
        assert!(xml.contains("<failure message=\"cv.r2 = 0.8\"/>"));
        assert!(xml.contains("name=\"expect cv.r2 &gt;= 0.9\""));
    }
}
