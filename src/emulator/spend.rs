//! The gateway's own refusals on the data plane, checked before a request reaches a provider:
//! the request-count rate limit (`rate_limiting_limit` per `rate_limiting_interval` seconds,
//! 429 code 2003 "Rate limited") and the `spend_limits` cost rules (429 code 2045, no
//! `Retry-After`, message `Spend limit exceeded: rule '<id>' (cost limit L per Ws, technique)
//! for <provider> <model>`), per `shared/reference/cloudflare-control-plane.md` §9.
//!
//! Both count the gateway's own request records (see `logs.rs`): cost is the sum of `cost` of
//! the records in the window; a rule's `model`/`provider` filter (or partition) narrows the
//! records to the request's own model/provider. Windows are in seconds: `fixed` windows start
//! at multiples of the window since the Unix epoch, `sliding` windows end now.

use super::envelope::{Reply, gateway_error};
use super::logs::LogRec;
use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

pub const RATE_LIMITED: u32 = 2003;
pub const SPEND_LIMITED: u32 = 2045;

/// The message of a gateway refusal code (for seeded records without a stored body).
pub fn message_for(code: u32) -> &'static str {
    match code {
        RATE_LIMITED => "Rate limited",
        SPEND_LIMITED => "Spend limit exceeded",
        _ => "Gateway error",
    }
}

fn window_start(now: DateTime<Utc>, secs: i64, fixed: bool) -> DateTime<Utc> {
    let secs = secs.max(1);
    if fixed {
        let t = now.timestamp();
        DateTime::from_timestamp(t - t.rem_euclid(secs), 0).unwrap_or(now)
    } else {
        now - Duration::seconds(secs)
    }
}

/// Records at or after `since`, newest first (the log is in time order).
fn recent(log: &[LogRec], since: DateTime<Utc>) -> impl Iterator<Item = &LogRec> {
    log.iter().rev().take_while(move |l| l.at >= since)
}

/// The rate limit refusal, if the gateway has one and it is reached.
pub fn rate_check(gw: &Value, log: &[LogRec], now: DateTime<Utc>) -> Option<Reply> {
    let limit = gw["rate_limiting_limit"].as_u64().unwrap_or(0);
    let interval = gw["rate_limiting_interval"].as_i64().unwrap_or(0);
    if limit == 0 || interval <= 0 {
        return None;
    }
    let fixed = gw["rate_limiting_technique"].as_str() != Some("sliding");
    let since = window_start(now, interval, fixed);
    let used = recent(log, since)
        .filter(|l| l.error_code != Some(RATE_LIMITED))
        .count() as u64;
    (used >= limit).then(|| gateway_error(429, RATE_LIMITED, "Rate limited"))
}

fn dimension_ok(rule: &Value, dim: &str, mine: &str) -> bool {
    let d = &rule[dim];
    match d["mode"].as_str() {
        Some("filter") => d["values"]
            .as_array()
            .is_some_and(|vs| vs.iter().any(|v| v.as_str() == Some(mine))),
        _ => true,
    }
}

/// The first enabled spend rule the request's provider/model falls under that is already
/// spent, as the gateway's 429.
pub fn spend_check(
    gw: &Value,
    log: &[LogRec],
    provider: &str,
    model: &str,
    now: DateTime<Utc>,
) -> Option<Reply> {
    let sl = &gw["spend_limits"];
    if sl["enabled"].as_bool() != Some(true) {
        return None;
    }
    for (i, rule) in sl["rules"].as_array()?.iter().enumerate() {
        if rule["enabled"].as_bool() == Some(false) || rule["limitType"].as_str() != Some("cost") {
            continue;
        }
        if !dimension_ok(rule, "provider", provider) || !dimension_ok(rule, "model", model) {
            continue;
        }
        let (Some(limit), Some(window)) = (rule["limit"].as_f64(), rule["window"].as_i64()) else {
            continue;
        };
        let technique = rule["technique"].as_str().unwrap_or("sliding");
        let since = window_start(now, window, technique == "fixed");
        let narrowed = |l: &&LogRec| {
            (rule["provider"]["mode"].is_null() || l.provider == provider)
                && (rule["model"]["mode"].is_null() || l.model == model)
        };
        let spent: f64 = recent(log, since).filter(narrowed).map(|l| l.cost).sum();
        if spent >= limit {
            let id = rule["id"]
                .as_str()
                .map_or_else(|| format!("rule-{}", i + 1), str::to_string);
            let msg = format!(
                "Spend limit exceeded: rule '{id}' (cost limit {limit} per {window}s, {technique}) for {provider} {model}"
            );
            return Some(gateway_error(429, SPEND_LIMITED, &msg));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_windows_start_on_boundaries() {
        let now = DateTime::from_timestamp(7_250, 0).unwrap();
        assert_eq!(window_start(now, 3600, true).timestamp(), 7_200);
        assert_eq!(window_start(now, 3600, false).timestamp(), 3_650);
    }
}
