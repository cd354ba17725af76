//! The gateway's settings as the raw JSON object Cloudflare returns, with typed reads of the
//! fields `aigate gateway` shows and typed edits for `gateway set`.
//!
//! `PUT .../gateways/{id}` replaces the whole object, so an update must carry every field it
//! does not change exactly as it came: [`GatewaySettings`] keeps the object as
//! `serde_json::Map` (fields aigate does not know included) and edits only the keys asked for.

use reqwest::Method;
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::api::seg;
use super::error::{ApiError, ops};
use super::http::Client;
use super::types::READ_ONLY;

/// The id aigate gives the spend rule it manages (other rules are left as they are).
pub const AIGATE_RULE_ID: &str = "aigate";

#[derive(Debug, Clone, PartialEq)]
pub struct GatewaySettings {
    pub raw: Map<String, Value>,
}

/// One `spend_limits` rule, as aigate reads it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpendRule {
    pub id: Option<String>,
    pub enabled: bool,
    /// US dollars.
    pub limit: f64,
    /// Seconds.
    pub window: u64,
    pub technique: String,
    /// `model`/`provider` filters, as `mode: values` text.
    pub scope: Option<String>,
}

/// A change `gateway set` makes.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    RateLimit {
        limit: u64,
        interval: u64,
    },
    NoRateLimit,
    CacheTtl(u64),
    /// `0` clears `retry_max_attempts` (no retries).
    Retries(u8),
    Zdr(bool),
    CollectLogs(bool),
    SpendLimit {
        amount: f64,
        window: u64,
    },
    NoSpendLimit,
}

impl GatewaySettings {
    fn bool(&self, k: &str) -> Option<bool> {
        self.raw.get(k).and_then(Value::as_bool)
    }

    fn int(&self, k: &str) -> Option<u64> {
        self.raw.get(k).and_then(Value::as_u64)
    }

    pub fn id(&self) -> &str {
        self.raw.get("id").and_then(Value::as_str).unwrap_or("")
    }

    pub fn authentication(&self) -> bool {
        self.bool("authentication").unwrap_or(false)
    }

    pub fn collect_logs(&self) -> bool {
        self.bool("collect_logs").unwrap_or(false)
    }

    pub fn zdr(&self) -> bool {
        self.bool("zdr").unwrap_or(false)
    }

    /// Seconds; 0 or absent = caching off.
    pub fn cache_ttl(&self) -> u64 {
        self.int("cache_ttl").unwrap_or(0)
    }

    /// `(requests, seconds, technique)` when a rate limit is on.
    pub fn rate_limit(&self) -> Option<(u64, u64, String)> {
        let (l, i) = (
            self.int("rate_limiting_limit")?,
            self.int("rate_limiting_interval")?,
        );
        let t = self
            .raw
            .get("rate_limiting_technique")
            .and_then(Value::as_str)
            .unwrap_or("fixed");
        (l > 0 && i > 0).then(|| (l, i, t.to_string()))
    }

    pub fn retry_max_attempts(&self) -> Option<u64> {
        self.int("retry_max_attempts")
    }

    /// Maximum logs kept (`log_management`), when set.
    pub fn log_limit(&self) -> Option<u64> {
        self.int("log_management")
    }

    pub fn spend_limits_enabled(&self) -> bool {
        self.raw
            .get("spend_limits")
            .and_then(|s| s.get("enabled"))
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }

    pub fn spend_rules(&self) -> Vec<SpendRule> {
        let rules = self
            .raw
            .get("spend_limits")
            .and_then(|s| s.get("rules"))
            .and_then(Value::as_array);
        rules
            .into_iter()
            .flatten()
            .filter(|r| r["limitType"] == "cost")
            .map(|r| {
                let scope: Vec<String> = ["provider", "model"]
                    .iter()
                    .filter_map(|d| {
                        let vals = r[*d]["values"].as_array()?;
                        let vals: Vec<&str> = vals.iter().filter_map(Value::as_str).collect();
                        Some(format!("{d} {}", vals.join(",")))
                    })
                    .collect();
                SpendRule {
                    id: r["id"].as_str().map(str::to_string),
                    enabled: r["enabled"].as_bool().unwrap_or(true),
                    limit: r["limit"].as_f64().unwrap_or(0.0),
                    window: r["window"].as_u64().unwrap_or(0),
                    technique: r["technique"].as_str().unwrap_or("sliding").to_string(),
                    scope: (!scope.is_empty()).then(|| scope.join("; ")),
                }
            })
            .collect()
    }

    /// A copy with `change` applied; every other key is untouched.
    pub fn with(&self, change: &Change) -> GatewaySettings {
        let mut raw = self.raw.clone();
        match change {
            Change::RateLimit { limit, interval } => {
                raw.insert("rate_limiting_limit".into(), json!(limit));
                raw.insert("rate_limiting_interval".into(), json!(interval));
            }
            Change::NoRateLimit => {
                raw.insert("rate_limiting_limit".into(), json!(0));
                raw.insert("rate_limiting_interval".into(), json!(0));
            }
            Change::CacheTtl(s) => {
                raw.insert("cache_ttl".into(), json!(s));
            }
            Change::Retries(0) => {
                raw.insert("retry_max_attempts".into(), Value::Null);
            }
            Change::Retries(n) => {
                raw.insert("retry_max_attempts".into(), json!(n));
            }
            Change::Zdr(b) => {
                raw.insert("zdr".into(), json!(b));
            }
            Change::CollectLogs(b) => {
                raw.insert("collect_logs".into(), json!(b));
            }
            Change::SpendLimit { amount, window } => {
                let mut sl = raw
                    .get("spend_limits")
                    .and_then(Value::as_object)
                    .cloned()
                    .unwrap_or_default();
                let mut rules: Vec<Value> = sl
                    .get("rules")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                let rule = json!({"id": AIGATE_RULE_ID, "enabled": true, "limitType": "cost",
                    "limit": amount, "window": window, "technique": "sliding"});
                match rules.iter_mut().find(|r| r["id"] == AIGATE_RULE_ID) {
                    Some(r) => *r = rule,
                    None => rules.push(rule),
                }
                sl.insert("enabled".into(), json!(true));
                sl.insert("rules".into(), Value::Array(rules));
                raw.insert("spend_limits".into(), Value::Object(sl));
            }
            Change::NoSpendLimit => {
                if let Some(Value::Object(sl)) = raw.get_mut("spend_limits") {
                    sl.insert("enabled".into(), json!(false));
                }
            }
        }
        GatewaySettings { raw }
    }

    /// The settings of a gateway read as the typed [`super::Gateway`] (the wizard's one read of
    /// it): every field it came with, those aigate does not type included (kept in `extra`).
    pub fn of_gateway(g: &super::Gateway) -> GatewaySettings {
        let raw = match serde_json::to_value(g) {
            Ok(Value::Object(m)) => m,
            _ => Map::new(),
        };
        GatewaySettings { raw }
    }

    /// The `PUT` body: every field as read, minus the read-only ones.
    pub fn update_body(&self) -> Value {
        let mut m = self.raw.clone();
        for k in READ_ONLY {
            m.remove(*k);
        }
        Value::Object(m)
    }
}

fn path(account_id: &str, gateway_id: &str) -> String {
    format!(
        "/accounts/{}/ai-gateway/gateways/{}",
        seg(account_id),
        seg(gateway_id)
    )
}

impl Client {
    /// The gateway object exactly as Cloudflare returns it.
    pub async fn gateway_settings(
        &self,
        account_id: &str,
        gateway_id: &str,
    ) -> Result<GatewaySettings, ApiError> {
        let r = self
            .api::<Map<String, Value>>(
                Method::GET,
                &path(account_id, gateway_id),
                &[],
                None,
                ops::GET_GATEWAY,
            )
            .await?;
        Ok(GatewaySettings { raw: r.result })
    }

    /// One `PUT` carrying every field of `settings` (idempotent: a retry sends the same
    /// object).
    pub async fn put_gateway_settings(
        &self,
        account_id: &str,
        gateway_id: &str,
        settings: &GatewaySettings,
    ) -> Result<GatewaySettings, ApiError> {
        let body = settings.update_body();
        let r = self
            .api::<Map<String, Value>>(
                Method::PUT,
                &path(account_id, gateway_id),
                &[],
                Some(&body),
                ops::UPDATE_GATEWAY,
            )
            .await?;
        Ok(GatewaySettings { raw: r.result })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> GatewaySettings {
        let v = json!({"id": "gw", "cache_ttl": 0, "collect_logs": true, "zdr": false,
            "future_field": {"x": [1, 2.5]}, "rate_limiting_limit": 0,
            "spend_limits": {"enabled": true, "rules": [{"id": "team", "limitType": "cost",
                "limit": 9.5, "window": 86400}]}});
        GatewaySettings {
            raw: v.as_object().unwrap().clone(),
        }
    }

    #[test]
    fn a_change_touches_only_its_keys() {
        let s = sample();
        let t = s.with(&Change::CacheTtl(300));
        for (k, v) in &s.raw {
            if k != "cache_ttl" {
                assert_eq!(t.raw.get(k), Some(v), "{k}");
            }
        }
        assert_eq!(t.cache_ttl(), 300);
        assert!(t.update_body().get("id").is_none());
    }

    #[test]
    fn the_aigate_rule_is_added_beside_others() {
        let t = sample().with(&Change::SpendLimit {
            amount: 5.0,
            window: 86_400,
        });
        let rules = t.spend_rules();
        assert_eq!(rules.len(), 2);
        assert_eq!(rules[0].id.as_deref(), Some("team"));
        assert_eq!(rules[1].limit, 5.0);
        let off = t.with(&Change::NoSpendLimit);
        assert!(!off.spend_limits_enabled());
        assert_eq!(off.spend_rules().len(), 2);
    }
}
