//! The emulator's mutable world: accounts, tokens, gateways, provider configs, logs, credits,
//! the model catalog, armed faults and the request log.

use super::control::Control;
use super::faults::Armed;
use super::logs::LogRec;
use super::{RecordedRequest, TokenSpec};
use serde_json::{Value, json};
use std::collections::{HashMap, VecDeque};
use std::time::Instant;

/// The default gateway model catalog, in OpenCode's catalog form.
pub const DEFAULT_MODELS: &[&str] = &[
    "openai/gpt-5-mini",
    "openai/gpt-5",
    "openai/gpt-5.4-nano",
    "openai/gpt-4.1-mini",
    "anthropic/claude-sonnet-4.5",
    "anthropic/claude-haiku-4.5",
    "anthropic/claude-opus-4.5",
    "xai/grok-4.3",
    "deepseek/deepseek-v4-pro",
    "alibaba/qwen3-max",
    "moonshotai/kimi-k3",
    "workers-ai/@cf/meta/llama-3.3-70b-instruct-fp8-fast",
];

pub struct Account {
    pub id: String,
    pub name: String,
    pub created_on: String,
}

pub struct TokenRec {
    pub id: String,
    pub spec: TokenSpec,
    pub name: String,
    /// The policies as the API shows them (synthesized for seeded tokens).
    pub policies: Value,
    pub issued_on: String,
    pub modified_on: String,
    pub last_used_on: Option<String>,
    pub not_before: Option<String>,
    pub condition: Option<Value>,
}

/// A stored BYOK key. `secret` is the raw key (never returned by the API).
#[derive(Clone)]
pub struct ProviderConfig {
    pub id: String,
    pub provider_slug: String,
    pub alias: String,
    pub default_config: bool,
    pub gateway_id: String,
    pub modified_at: String,
    pub secret_id: String,
    pub secret: Option<String>,
    pub secret_preview: String,
    pub rate_limit: Option<f64>,
    pub rate_limit_period: f64,
}

impl ProviderConfig {
    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "id": self.id,
            "provider_slug": self.provider_slug,
            "alias": self.alias,
            "default_config": self.default_config,
            "gateway_id": self.gateway_id,
            "modified_at": self.modified_at,
            "secret_id": self.secret_id,
            "secret_preview": self.secret_preview,
            "rate_limit_period": self.rate_limit_period,
        });
        if let Some(r) = self.rate_limit {
            v["rate_limit"] = json!(r);
        }
        v
    }
}

/// `sk-...abcd`: enough to recognise a key, never enough to use it.
pub fn secret_preview(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    if chars.len() < 12 {
        return "...".to_string();
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}...{tail}")
}

#[derive(Default)]
pub struct State {
    pub accounts: Vec<Account>,
    pub tokens: Vec<TokenRec>,
    /// account id → gateway objects in creation order.
    pub gateways: HashMap<String, Vec<Value>>,
    /// (account, gateway) → provider configs in creation order.
    pub providers: HashMap<(String, String), Vec<ProviderConfig>>,
    /// (account, gateway) → request records, oldest first (see `logs.rs`).
    pub logs: HashMap<(String, String), Vec<LogRec>>,
    pub credits: HashMap<String, f64>,
    pub models: Vec<String>,
    pub faults: Vec<Armed>,
    pub requests: Vec<RecordedRequest>,
    /// Added before every answer (see [`crate::emulator::Emulator::set_latency`]).
    pub latency: Option<std::time::Duration>,
    /// token id → request instants in the current rate-limit window.
    pub rate: HashMap<String, VecDeque<Instant>>,
    /// Routes, GraphQL limits, failing models, cache (see `control.rs`).
    pub control: Control,
    /// account id → its Unified Billing spending limit (see `billing_limit.rs`).
    pub account_limits: HashMap<String, super::billing_limit::AccountLimit>,
    /// Secrets Store stores and secrets (see `secrets_store.rs`).
    pub stores: Vec<super::secrets_store::Store>,
    pub secrets: Vec<super::secrets_store::StoredSecret>,
}

pub fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// 32 lowercase hex characters, like Cloudflare's identifiers.
pub fn hex_id() -> String {
    (0..32)
        .map(|_| char::from_digit(fastrand::u32(0..16), 16).unwrap_or('0'))
        .collect()
}

/// A 26-character ULID-like id, like gateway log ids.
pub fn log_id() -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut ms = chrono::Utc::now().timestamp_millis() as u64;
    let mut head = [b'0'; 10];
    for c in head.iter_mut().rev() {
        *c = ALPHABET[(ms % 32) as usize];
        ms /= 32;
    }
    let mut s = String::from_utf8_lossy(&head).into_owned();
    s.extend((0..16).map(|_| ALPHABET[fastrand::usize(0..32)] as char));
    s
}

/// A gateway object with the defaults Cloudflare fills in.
pub fn new_gateway(id: &str, authentication: bool, now: &str) -> Value {
    json!({
        "id": id,
        "cache_invalidate_on_update": false,
        "cache_ttl": 0,
        "collect_logs": true,
        "rate_limiting_interval": 0,
        "rate_limiting_limit": 0,
        "rate_limiting_technique": "fixed",
        "authentication": authentication,
        "is_default": id == "default",
        "log_classification": false,
        "log_management": null,
        "log_management_strategy": null,
        "logpush": false,
        "logpush_public_key": null,
        "retry_backoff": null,
        "retry_delay": null,
        "retry_max_attempts": null,
        "store_id": null,
        "workers_ai_billing_mode": "postpaid",
        "zdr": false,
        "created_at": now,
        "modified_at": now,
    })
}

impl State {
    pub fn new() -> State {
        State {
            models: DEFAULT_MODELS.iter().map(|s| s.to_string()).collect(),
            ..State::default()
        }
    }

    pub fn add_account(&mut self, id: &str, name: &str) {
        if self.account(id).is_some() {
            return;
        }
        self.accounts.push(Account {
            id: id.to_string(),
            name: name.to_string(),
            created_on: now_rfc3339(),
        });
    }

    pub fn account(&self, id: &str) -> Option<&Account> {
        self.accounts.iter().find(|a| a.id == id)
    }

    pub fn add_token(&mut self, spec: TokenSpec) {
        self.tokens.retain(|t| t.spec.value != spec.value);
        let now = now_rfc3339();
        self.tokens.push(TokenRec {
            id: hex_id(),
            name: "emulator token".to_string(),
            policies: super::tokens::synthesize_policies(&spec),
            spec,
            issued_on: now.clone(),
            modified_on: now,
            last_used_on: None,
            not_before: None,
            condition: None,
        });
    }

    pub fn token(&self, value: &str) -> Option<&TokenRec> {
        self.tokens.iter().find(|t| t.spec.value == value)
    }

    pub fn add_gateway(&mut self, account_id: &str, gateway_id: &str, authentication: bool) {
        let gw = new_gateway(gateway_id, authentication, &now_rfc3339());
        let list = self.gateways.entry(account_id.to_string()).or_default();
        list.retain(|g| g["id"] != gateway_id);
        list.push(gw);
    }

    pub fn gateway(&self, account_id: &str, gateway_id: &str) -> Option<&Value> {
        self.gateways
            .get(account_id)?
            .iter()
            .find(|g| g["id"] == gateway_id)
    }

    pub fn gateway_mut(&mut self, account_id: &str, gateway_id: &str) -> Option<&mut Value> {
        self.gateways
            .get_mut(account_id)?
            .iter_mut()
            .find(|g| g["id"] == gateway_id)
    }

    pub fn gateway_ids(&self, account_id: &str) -> Vec<String> {
        self.gateways
            .get(account_id)
            .map(|l| {
                l.iter()
                    .filter_map(|g| g["id"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn remove_gateway(&mut self, account_id: &str, gateway_id: &str) -> Option<Value> {
        let list = self.gateways.get_mut(account_id)?;
        let pos = list.iter().position(|g| g["id"] == gateway_id)?;
        let key = (account_id.to_string(), gateway_id.to_string());
        self.providers.remove(&key);
        self.logs.remove(&key);
        self.control.routes.remove(&key);
        Some(list.remove(pos))
    }

    pub fn provider_configs(&self, account_id: &str, gateway_id: &str) -> &[ProviderConfig] {
        self.providers
            .get(&(account_id.to_string(), gateway_id.to_string()))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    pub fn provider_configs_mut(
        &mut self,
        account_id: &str,
        gateway_id: &str,
    ) -> &mut Vec<ProviderConfig> {
        self.providers
            .entry((account_id.to_string(), gateway_id.to_string()))
            .or_default()
    }

    pub fn logs(&self, account_id: &str, gateway_id: &str) -> &[LogRec] {
        self.logs
            .get(&(account_id.to_string(), gateway_id.to_string()))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    pub fn logs_mut(&mut self, account_id: &str, gateway_id: &str) -> &mut Vec<LogRec> {
        self.logs
            .entry((account_id.to_string(), gateway_id.to_string()))
            .or_default()
    }

    pub fn push_log(&mut self, account_id: &str, gateway_id: &str, item: LogRec) {
        self.logs_mut(account_id, gateway_id).push(item);
    }

    pub fn balance(&self, account_id: &str) -> f64 {
        self.credits.get(account_id).copied().unwrap_or(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preview_hides_the_middle_of_the_key() {
        assert_eq!(secret_preview("sk-abcdefghijklmnop1234"), "sk-...1234");
        assert_eq!(secret_preview("short"), "...");
    }

    #[test]
    fn ids_have_cloudflare_shapes() {
        let id = hex_id();
        assert_eq!(id.len(), 32);
        assert!(id.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(log_id().len(), 26);
    }
}
