//! The typed objects the client returns and sends: tokens, accounts, gateways, provider
//! configs (BYOK), credit balance, log entries, models, chat requests and outcomes.
//!
//! Parsing is lenient: unknown fields are ignored (or kept, for gateways, so a PUT does not
//! drop settings this version does not know about), and odd timestamps become `None`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};
use std::time::Duration;

use super::dataplane::Route;

/// Parses an RFC 3339 timestamp; anything else (absent, null, another format) is `None`.
fn lenient_time<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    let v = Option::<Value>::deserialize(d)?;
    Ok(v.and_then(|v| {
        v.as_str()
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
    })
    .map(|t| t.with_timezone(&Utc)))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenStatus {
    Active,
    Disabled,
    Expired,
}

/// Which verify endpoint accepted the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenOwner {
    User,
    Account,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    /// The token's id (not the secret).
    pub id: String,
    pub status: TokenStatus,
    pub expires_on: Option<DateTime<Utc>>,
    pub not_before: Option<DateTime<Utc>>,
    pub owner: TokenOwner,
}

/// The wire form of a verify result.
#[derive(Debug, Deserialize)]
pub(crate) struct VerifyResult {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub status: String,
    #[serde(default, deserialize_with = "lenient_time")]
    pub expires_on: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "lenient_time")]
    pub not_before: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Account {
    pub id: String,
    #[serde(default)]
    pub name: String,
    /// `standard` or `enterprise`.
    #[serde(default, rename = "type")]
    pub kind: String,
}

/// A gateway as Cloudflare returns it. Fields this version does not model are kept in `extra`
/// and sent back by [`Gateway::to_update_body`].
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Gateway {
    pub id: String,
    #[serde(default)]
    pub cache_invalidate_on_update: bool,
    #[serde(default)]
    pub cache_ttl: Option<u64>,
    #[serde(default)]
    pub collect_logs: bool,
    #[serde(default)]
    pub rate_limiting_interval: Option<u64>,
    #[serde(default)]
    pub rate_limiting_limit: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limiting_technique: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authentication: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_default: Option<bool>,
    #[serde(
        default,
        deserialize_with = "lenient_time",
        skip_serializing_if = "Option::is_none"
    )]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(
        default,
        deserialize_with = "lenient_time",
        skip_serializing_if = "Option::is_none"
    )]
    pub modified_at: Option<DateTime<Utc>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Read-only fields that must not be sent in a PUT body.
pub(crate) const READ_ONLY: &[&str] = &[
    "id",
    "created_at",
    "modified_at",
    "is_default",
    "account_id",
    "account_tag",
    "internal_id",
];

impl Gateway {
    /// The body of `PUT .../gateways/{id}`: the whole object minus `id` and read-only fields.
    /// The caller GETs, modifies, then PUTs this.
    pub fn to_update_body(&self) -> Value {
        let mut v = serde_json::to_value(self).unwrap_or(Value::Null);
        if let Value::Object(m) = &mut v {
            for k in READ_ONLY {
                m.remove(*k);
            }
        }
        v
    }
}

/// The body of `POST .../gateways`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewGateway {
    pub id: String,
    pub cache_invalidate_on_update: bool,
    pub cache_ttl: Option<u64>,
    pub collect_logs: bool,
    pub rate_limiting_interval: Option<u64>,
    pub rate_limiting_limit: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_limiting_technique: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authentication: Option<bool>,
}

impl NewGateway {
    /// The minimal body the wizard sends: no cache, no rate limit, logs on, authentication on
    /// (needed for Unified Billing and BYOK).
    pub fn recommended(id: impl Into<String>) -> NewGateway {
        NewGateway {
            id: id.into(),
            cache_invalidate_on_update: false,
            cache_ttl: Some(0),
            collect_logs: true,
            rate_limiting_interval: Some(0),
            rate_limiting_limit: Some(0),
            rate_limiting_technique: Some("fixed".to_string()),
            authentication: Some(true),
        }
    }
}

/// Whether a gateway id follows Cloudflare's rules: 1..=64 chars of `[a-z0-9_]`, single `-`
/// separators, no leading/trailing `-`.
pub fn is_valid_gateway_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        })
}

/// A stored provider key (BYOK). The raw key is never returned, only a preview.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct ProviderConfig {
    pub id: String,
    #[serde(default)]
    pub provider_slug: String,
    #[serde(default)]
    pub alias: String,
    #[serde(default)]
    pub default_config: bool,
    #[serde(default)]
    pub gateway_id: Option<String>,
    #[serde(default, deserialize_with = "lenient_time")]
    pub modified_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub secret_id: Option<String>,
    /// Cloudflare's masked preview of the key (e.g. `sk-...abcd`).
    #[serde(default)]
    pub secret_preview: Option<String>,
    #[serde(default)]
    pub rate_limit: Option<f64>,
    #[serde(default)]
    pub rate_limit_period: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct PaymentMethod {
    #[serde(default)]
    pub brand: Option<String>,
    #[serde(default)]
    pub last4: Option<String>,
}

/// Unified Billing credits. The unit of `balance` is not documented.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct CreditBalance {
    #[serde(default)]
    pub balance: f64,
    #[serde(default)]
    pub has_default_payment_method: bool,
    #[serde(default)]
    pub payment_method: Option<PaymentMethod>,
}

/// The account's Unified Billing spending limit (`/ai-gateway/billing/spending-limit`): the
/// older, account-wide limit beside each gateway's `spend_limits`. Set in the dashboard (the
/// API's `POST` is deprecated); `amount` is in US cents, as the `POST` body documents.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct AccountSpendingLimit {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub config: AccountSpendingConfig,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct AccountSpendingConfig {
    pub amount: Option<f64>,
    /// `daily`, `weekly` or `monthly`.
    pub duration: Option<String>,
    /// `fixed` or `sliding`.
    pub strategy: Option<String>,
}

/// One gateway log line (summary fields only).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct LogEntry {
    pub id: String,
    #[serde(default, deserialize_with = "lenient_time")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub provider: String,
    #[serde(default)]
    pub model: String,
    #[serde(default)]
    pub path: String,
    /// Milliseconds.
    #[serde(default)]
    pub duration: Option<f64>,
    #[serde(default)]
    pub success: bool,
    #[serde(default)]
    pub cached: bool,
    #[serde(default)]
    pub tokens_in: Option<u64>,
    #[serde(default)]
    pub tokens_out: Option<u64>,
    #[serde(default)]
    pub cost: Option<f64>,
    #[serde(default)]
    pub status_code: Option<u16>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Model {
    pub id: String,
    pub owned_by: Option<String>,
}

/// Where a model list came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelSource {
    /// The gateway's own `/compat/models` listing.
    Gateway,
    /// aigate's built-in list (the listing endpoint is unavailable).
    Curated,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModelList {
    pub models: Vec<Model>,
    pub source: ModelSource,
}

/// One test prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatRequest {
    /// Gateway catalog id, e.g. `openai/gpt-5-mini`.
    pub model: String,
    pub prompt: String,
    pub max_tokens: u32,
    pub stream: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatOutcome {
    pub text: String,
    pub route: Route,
    /// Time to the first non-empty text delta (streaming only).
    pub ttft: Option<Duration>,
    pub total: Duration,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn gateway_update_body_drops_read_only_and_keeps_unknown_fields() {
        let gw: Gateway = serde_json::from_value(json!({
            "id": "my-gateway", "cache_invalidate_on_update": false, "cache_ttl": null,
            "collect_logs": true, "rate_limiting_interval": 0, "rate_limiting_limit": 0,
            "rate_limiting_technique": "fixed", "authentication": true, "is_default": false,
            "workers_ai_billing_mode": "postpaid", "byok_only": false, "account_tag": "x",
            "created_at": "2026-07-22T10:00:00Z", "modified_at": "not a date"
        }))
        .unwrap();
        assert!(gw.created_at.is_some());
        assert!(gw.modified_at.is_none());
        let body = gw.to_update_body();
        let m = body.as_object().unwrap();
        for k in [
            "id",
            "created_at",
            "modified_at",
            "is_default",
            "account_tag",
        ] {
            assert!(!m.contains_key(k), "{k} in {body}");
        }
        assert_eq!(m["cache_ttl"], Value::Null, "required nullable fields stay");
        assert_eq!(m["workers_ai_billing_mode"], "postpaid");
        assert_eq!(m["byok_only"], false);
        assert_eq!(m["authentication"], true);
    }

    #[test]
    fn recommended_new_gateway_is_the_minimal_body() {
        let v = serde_json::to_value(NewGateway::recommended("my-gateway")).unwrap();
        assert_eq!(
            v,
            json!({"id": "my-gateway", "cache_invalidate_on_update": false, "cache_ttl": 0,
                   "collect_logs": true, "rate_limiting_interval": 0, "rate_limiting_limit": 0,
                   "rate_limiting_technique": "fixed", "authentication": true})
        );
    }

    #[test]
    fn gateway_id_rules() {
        for ok in ["default", "my-gateway", "a_b-c1", "x"] {
            assert!(is_valid_gateway_id(ok), "{ok}");
        }
        let long = "a".repeat(65);
        for bad in ["", "-a", "a-", "a--b", "My-Gw", "a.b", long.as_str()] {
            assert!(!is_valid_gateway_id(bad), "{bad}");
        }
    }
}
