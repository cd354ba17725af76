//! The `usage` report: the numbers (`--json`, `schemas/usage.json`) and the table a person
//! reads, with a bar per row (unicode blocks; `#` when colours are off).

use crate::cloudflare::analytics::{Group, GroupBy, HighQuantile, UsageAnalytics};
use crate::cloudflare::gateway_settings::SpendRule;
use crate::domain::limits::{Span, trim_amount};
use crate::report::Report;
use crate::ui::Ui;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

#[derive(Debug, Clone, Default, Serialize)]
pub struct Totals {
    pub requests: u64,
    pub errors: u64,
    pub cached: u64,
    pub tokens_in: u64,
    pub tokens_out: u64,
    pub cost_usd: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p50_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p95_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p90_ms: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct UsageRow {
    pub key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    #[serde(flatten)]
    pub numbers: Totals,
}

#[derive(Debug, Clone, Serialize)]
pub struct StatusCount {
    pub status: u16,
    pub count: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct RecentError {
    pub at: Option<DateTime<Utc>>,
    pub provider: String,
    pub model: String,
    pub status: Option<u16>,
    /// The gateway's error code (2003 rate limited, 2045 spend limit, ...), when logged.
    pub code: Option<u64>,
    pub message: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Window {
    pub requested_since: String,
    pub reason: String,
}

#[derive(Debug, Serialize)]
pub struct UsageReport {
    pub since: String,
    pub until: String,
    pub group_by: GroupBy,
    /// Present when retention or the longest window cut the window asked for.
    pub window_cut: Option<Window>,
    pub analytics: bool,
    pub total: Totals,
    pub rows: Vec<UsageRow>,
    pub errors_by_status: Vec<StatusCount>,
    pub recent_errors: Vec<RecentError>,
    pub logs_collected: bool,
    /// How many logs the window holds (fewer than requests when logs were off or dropped).
    pub logs_in_window: Option<u64>,
    pub spend_limits: Vec<SpendRule>,
    pub notes: Vec<String>,
    /// Cloudflare API requests this summary took.
    pub api_requests: u32,
}

pub struct Parts {
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
    pub requested_since: DateTime<Utc>,
    pub cut_reason: Option<String>,
    pub group_by: GroupBy,
    pub analytics: Option<UsageAnalytics>,
    pub recent: Vec<RecentError>,
    pub logs_in_window: Option<u64>,
    pub collect_logs: bool,
    pub spend_rules: Vec<SpendRule>,
    pub spend_enabled: bool,
    pub notes: Vec<String>,
    pub api_requests: u32,
}

fn numbers(g: &Group, high: Option<HighQuantile>) -> Totals {
    let (p95, p90) = match high {
        Some(HighQuantile::P95) => (g.quantiles.p95, None),
        Some(HighQuantile::P90) => (None, g.quantiles.p90),
        None => (None, None),
    };
    Totals {
        requests: g.count,
        errors: g.sum.errored_requests,
        cached: g.sum.cached_requests,
        tokens_in: g.sum.tokens_in,
        tokens_out: g.sum.tokens_out,
        cost_usd: g.sum.cost,
        p50_ms: g.quantiles.p50,
        p95_ms: p95,
        p90_ms: p90,
    }
}

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub fn build(p: Parts) -> UsageReport {
    let mut notes = p.notes;
    let (total, mut rows, errors_by_status) = match &p.analytics {
        Some(a) => {
            let rows: Vec<UsageRow> = a
                .rows
                .iter()
                .map(|g| {
                    let (key, provider) = match p.group_by {
                        GroupBy::Model => (
                            g.dimensions.model.clone().unwrap_or_default(),
                            g.dimensions.provider.clone(),
                        ),
                        GroupBy::Provider => {
                            (g.dimensions.provider.clone().unwrap_or_default(), None)
                        }
                    };
                    UsageRow {
                        key,
                        provider,
                        numbers: numbers(g, a.high),
                    }
                })
                .collect();
            let mut by_status: Vec<StatusCount> = a
                .errors_by_status
                .iter()
                .map(|(status, count)| StatusCount {
                    status: *status,
                    count: *count,
                })
                .collect();
            by_status.sort_by_key(|s| (std::cmp::Reverse(s.count), s.status));
            (numbers(&a.total, a.high), rows, by_status)
        }
        None => (Totals::default(), vec![], vec![]),
    };
    rows.sort_by(|x, y| {
        y.numbers
            .cost_usd
            .total_cmp(&x.numbers.cost_usd)
            .then(y.numbers.requests.cmp(&x.numbers.requests))
            .then(x.key.cmp(&y.key))
    });
    if p.analytics.is_some() && total.requests == 0 {
        notes.push(
            "no requests in the window (analytics arrive 2–6 minutes late: the last minutes \
             may not be counted yet)"
                .into(),
        );
    }
    if let (Some(logs), true) = (p.logs_in_window, p.collect_logs)
        && logs < total.requests
    {
        notes.push(format!(
            "the logs hold {logs} of the window's {} requests (some were sent with logging off, \
             or the gateway's log limit dropped older ones)",
            total.requests
        ));
    }
    if let Some(e) = p.recent.iter().find(|e| e.code == Some(2045)) {
        let msg = e.message.as_deref().unwrap_or("Spend limit exceeded");
        notes.push(format!(
            "the gateway is refusing traffic because a spend limit was reached: {msg} \
             (raise or remove it with `aigate gateway set --spend-limit AMOUNT/WINDOW` or \
             `--no-spend-limit`)"
        ));
    } else if p.recent.iter().any(|e| e.code == Some(2003)) {
        notes.push(
            "the gateway's rate limit refused requests (change it with `aigate gateway set \
             --rate-limit N/SECONDS`)"
                .into(),
        );
    }
    UsageReport {
        since: time(p.since),
        until: time(p.until),
        group_by: p.group_by,
        window_cut: p.cut_reason.map(|reason| Window {
            requested_since: time(p.requested_since),
            reason,
        }),
        analytics: p.analytics.is_some(),
        total,
        rows,
        errors_by_status,
        recent_errors: p.recent,
        logs_collected: p.collect_logs,
        logs_in_window: p.logs_in_window,
        spend_limits: if p.spend_enabled {
            p.spend_rules.into_iter().filter(|r| r.enabled).collect()
        } else {
            vec![]
        },
        notes,
        api_requests: p.api_requests,
    }
}

/// A bar `width` cells long for `frac` (0..=1): eighth blocks, or `#` in ASCII.
pub fn bar(frac: f64, width: usize, unicode: bool) -> String {
    let frac = if frac.is_finite() {
        frac.clamp(0.0, 1.0)
    } else {
        0.0
    };
    if !unicode {
        let n = (frac * width as f64).round() as usize;
        return "#".repeat(n);
    }
    const PARTS: [&str; 8] = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];
    let eighths = (frac * width as f64 * 8.0).round() as usize;
    let mut s = "█".repeat(eighths / 8);
    s.push_str(PARTS[eighths % 8]);
    s
}

fn ms(v: Option<f64>) -> String {
    v.map_or("-".into(), |x| format!("{x:.0}ms"))
}

fn money(c: f64) -> String {
    if c >= 100.0 {
        format!("${c:.0}")
    } else {
        format!("${c:.4}")
    }
}

fn count(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

impl UsageReport {
    fn high_label(&self) -> &'static str {
        if self.total.p90_ms.is_some() {
            "P90"
        } else {
            "P95"
        }
    }

    /// The table lines (also used by tests and the README capture).
    pub fn table(&self, unicode: bool) -> Vec<String> {
        let head = match self.group_by {
            GroupBy::Model => "MODEL",
            GroupBy::Provider => "PROVIDER",
        };
        let width = self
            .rows
            .iter()
            .map(|r| r.key.chars().count())
            .chain([head.len(), 5])
            .max()
            .unwrap_or(5)
            .min(44);
        let max_cost = self
            .rows
            .iter()
            .map(|r| r.numbers.cost_usd)
            .fold(0.0, f64::max);
        let mut lines = vec![format!(
            "{head:<width$}  {:>9}  {:>7}  {:>7}  {:>11}  {:>10}  {:>11}  {:>7}  {:>7}  COST SHARE",
            "REQUESTS",
            "ERRORS",
            "CACHED",
            "TOKENS IN",
            "TOKENS OUT",
            "COST",
            "P50",
            self.high_label()
        )];
        let line = |key: &str, n: &Totals, b: String| {
            let key: String = key.chars().take(width).collect();
            format!(
                "{key:<width$}  {:>9}  {:>7}  {:>7}  {:>11}  {:>10}  {:>11}  {:>7}  {:>7}  {b}",
                count(n.requests),
                count(n.errors),
                count(n.cached),
                count(n.tokens_in),
                count(n.tokens_out),
                money(n.cost_usd),
                ms(n.p50_ms),
                ms(n.p95_ms.or(n.p90_ms)),
            )
        };
        for r in &self.rows {
            let frac = if max_cost > 0.0 {
                r.numbers.cost_usd / max_cost
            } else {
                0.0
            };
            lines.push(line(&r.key, &r.numbers, bar(frac, 20, unicode)));
        }
        lines.push(line("TOTAL", &self.total, String::new()));
        lines
    }
}

impl Report for UsageReport {
    fn render(&self, ui: &Ui) {
        let unicode = console::colors_enabled();
        ui.out(&format!(
            "Gateway usage {} → {} (by {})",
            self.since,
            self.until,
            match self.group_by {
                GroupBy::Model => "model",
                GroupBy::Provider => "provider",
            }
        ));
        if let Some(w) = &self.window_cut {
            ui.out(&format!("Window cut: {}", w.reason));
        }
        if self.analytics {
            for l in self.table(unicode) {
                ui.out(l.trim_end());
            }
        }
        if !self.errors_by_status.is_empty() {
            let parts: Vec<String> = self
                .errors_by_status
                .iter()
                .map(|s| format!("{} × {}", s.status, count(s.count)))
                .collect();
            ui.out(&format!("Errors by status: {}", parts.join(", ")));
        }
        if !self.recent_errors.is_empty() {
            ui.out("Recent errors:");
            for e in &self.recent_errors {
                let at =
                    e.at.map(|t| t.format("%H:%M:%S").to_string())
                        .unwrap_or_default();
                let code = e.code.map(|c| format!(" code {c}")).unwrap_or_default();
                ui.out(&format!(
                    "  {at} {}/{} {}{code} {}",
                    e.provider,
                    e.model,
                    e.status.map(|s| s.to_string()).unwrap_or_default(),
                    e.message.as_deref().unwrap_or("")
                ));
            }
        }
        for r in &self.spend_limits {
            ui.out(&format!(
                "Spend limit: ${} per {} ({})",
                trim_amount(r.limit),
                Span(r.window),
                r.technique
            ));
        }
        for n in &self.notes {
            ui.note(n);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::bar;

    #[test]
    fn bars_degrade_to_ascii() {
        assert_eq!(bar(1.0, 4, true), "████");
        assert_eq!(bar(0.5, 3, true), "█▌");
        assert_eq!(bar(0.5, 4, false), "##");
        assert_eq!(bar(0.0, 4, true), "");
    }
}
