//! The server's metrics and their Prometheus text exposition (format 0.0.4): requests by endpoint and
//! status, a latency histogram, rows predicted, and the drift scores of the input columns.

use super::drift::{DriftScore, ALERT, MIN_ALERT_ROWS};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds: 100 µs to 2.5 s.
pub const BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(&'static str, u16), u64>>,
    /// Requests per bucket (not cumulative); the last one is past the largest bound.
    buckets: [AtomicU64; 15],
    count: AtomicU64,
    sum_nanos: AtomicU64,
    rows: AtomicU64,
}

/// What /metrics shows of drift.
pub struct DriftView {
    pub scores: Vec<DriftScore>,
    pub window_rows: usize,
    pub window_capacity: usize,
    pub alert: bool,
}

impl Metrics {
    /// Counts one finished request.
    pub fn observe(&self, endpoint: &'static str, status: u16, elapsed: Duration) {
        if let Ok(mut r) = self.requests.lock() {
            *r.entry((endpoint, status)).or_insert(0) += 1;
        }
        let secs = elapsed.as_secs_f64();
        let bucket = BUCKETS.partition_point(|b| *b < secs);
        self.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_nanos
            .fetch_add(elapsed.as_nanos() as u64, Ordering::Relaxed);
    }

    pub fn add_rows(&self, n: usize) {
        self.rows.fetch_add(n as u64, Ordering::Relaxed);
    }

    pub fn rows(&self) -> u64 {
        self.rows.load(Ordering::Relaxed)
    }

    /// Requests answered so far.
    pub fn requests(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    /// The exposition text; `log_dropped` is the count of log lines stderr did not take.
    pub fn render(&self, drift: &DriftView, log_dropped: u64) -> String {
        let mut s = String::with_capacity(4096);
        s.push_str(
            "# HELP kiln_http_requests_total HTTP requests answered, by endpoint and status.\n",
        );
        s.push_str("# TYPE kiln_http_requests_total counter\n");
        if let Ok(r) = self.requests.lock() {
            for ((endpoint, status), n) in r.iter() {
                let _ = writeln!(
                    s,
                    "kiln_http_requests_total{{endpoint=\"{endpoint}\",status=\"{status}\"}} {n}"
                );
            }
        }
        s.push_str(
            "# HELP kiln_request_duration_seconds Time from a request's arrival to its response.\n",
        );
        s.push_str("# TYPE kiln_request_duration_seconds histogram\n");
        let mut cumulative = 0;
        for (bound, bucket) in BUCKETS.iter().zip(&self.buckets) {
            cumulative += bucket.load(Ordering::Relaxed);
            let _ = writeln!(
                s,
                "kiln_request_duration_seconds_bucket{{le=\"{bound}\"}} {cumulative}"
            );
        }
        cumulative += self.buckets[BUCKETS.len()].load(Ordering::Relaxed);
        let _ = writeln!(
            s,
            "kiln_request_duration_seconds_bucket{{le=\"+Inf\"}} {cumulative}"
        );
        let sum = self.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
        let _ = writeln!(s, "kiln_request_duration_seconds_sum {sum}");
        let _ = writeln!(s, "kiln_request_duration_seconds_count {cumulative}");
        s.push_str("# HELP kiln_rows_predicted_total Rows predicted by POST /predict.\n");
        s.push_str("# TYPE kiln_rows_predicted_total counter\n");
        let _ = writeln!(s, "kiln_rows_predicted_total {}", self.rows());
        s.push_str(
            "# HELP kiln_drift_psi Population stability index of each input column over the recent \
             rows, against its training distribution (above 0.2: a shift worth a look).\n",
        );
        s.push_str("# TYPE kiln_drift_psi gauge\n");
        for d in &drift.scores {
            let _ = writeln!(
                s,
                "kiln_drift_psi{{column=\"{}\"}} {}",
                escape_label(&d.column),
                d.psi
            );
        }
        s.push_str("# HELP kiln_drift_window_rows Rows in the drift window now.\n");
        s.push_str("# TYPE kiln_drift_window_rows gauge\n");
        let _ = writeln!(s, "kiln_drift_window_rows {}", drift.window_rows);
        s.push_str("# HELP kiln_drift_window_capacity Rows the drift window holds when full (--drift-window).\n");
        s.push_str("# TYPE kiln_drift_window_capacity gauge\n");
        let _ = writeln!(s, "kiln_drift_window_capacity {}", drift.window_capacity);
        let _ = writeln!(
            s,
            "# HELP kiln_drift_alert 1 when any column's drift score is above {ALERT} (once the window \
             holds {} rows or is full), else 0.",
            MIN_ALERT_ROWS
        );
        s.push_str("# TYPE kiln_drift_alert gauge\n");
        let _ = writeln!(s, "kiln_drift_alert {}", u8::from(drift.alert));
        s.push_str(
            "# HELP kiln_log_lines_dropped_total Log lines dropped because stderr did not keep up.\n",
        );
        s.push_str("# TYPE kiln_log_lines_dropped_total counter\n");
        let _ = writeln!(s, "kiln_log_lines_dropped_total {log_dropped}");
        s
    }
}

/// A label value with backslash, double quote and newline escaped, as the text format requires.
pub fn escape_label(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for ch in v.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_is_cumulative_and_labels_are_escaped() {
        let m = Metrics::default();
        m.observe("/predict", 200, Duration::from_micros(50));
        m.observe("/predict", 200, Duration::from_millis(3));
        m.observe("/predict", 422, Duration::from_secs(10));
        m.add_rows(7);
        let text = m.render(
            &DriftView {
                scores: vec![DriftScore {
                    column: "a\"b".into(),
                    psi: 0.5,
                }],
                window_rows: 7,
                window_capacity: 10,
                alert: true,
            },
            4,
        );
        assert!(text.contains("kiln_http_requests_total{endpoint=\"/predict\",status=\"200\"} 2\n"));
        assert!(text.contains("kiln_http_requests_total{endpoint=\"/predict\",status=\"422\"} 1\n"));
        assert!(text.contains("kiln_request_duration_seconds_bucket{le=\"0.0001\"} 1\n"));
        assert!(text.contains("kiln_request_duration_seconds_bucket{le=\"0.005\"} 2\n"));
        assert!(text.contains("kiln_request_duration_seconds_bucket{le=\"2.5\"} 2\n"));
        assert!(text.contains("kiln_request_duration_seconds_bucket{le=\"+Inf\"} 3\n"));
        assert!(text.contains("kiln_request_duration_seconds_count 3\n"));
        assert!(text.contains("kiln_rows_predicted_total 7\n"));
        assert!(text.contains("kiln_drift_psi{column=\"a\\\"b\"} 0.5\n"));
        assert!(text.contains("kiln_drift_alert 1\n"));
        assert!(text.contains("kiln_log_lines_dropped_total 4\n"));
    }
}
