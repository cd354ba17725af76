//! Who pays for an inference request: a provider key sent in the request, a stored BYOK key
//! (alias `default`, or the one named by `cf-aig-byok-alias`), Unified Billing credits, or
//! nobody (Workers AI models cost no credits here).

use super::envelope::{Reply, gateway_error};
use super::gateway_routes::Infer;
use super::inference::Format;
use super::state::State;
use serde_json::json;

#[derive(Debug, Clone, PartialEq)]
pub enum Payer {
    Free,
    RequestKey,
    Byok(String),
    Unified,
}

/// The cost in credits of a request (a small, deterministic amount).
pub fn cost(tokens_in: u64, tokens_out: u64) -> f64 {
    (tokens_in as f64 * 2.0 + tokens_out as f64 * 8.0) / 1_000_000.0 + 0.0001
}

/// Decide the payer, or the error the gateway (or the provider) answers with.
pub fn decide(st: &State, i: &Infer) -> Result<Payer, Reply> {
    let (account, gateway, provider) = (i.account, i.gateway, i.provider.as_str());
    let (alias, format) = (i.byok_alias.as_deref(), i.format);
    if provider == "workers-ai" {
        return Ok(Payer::Free);
    }
    if i.provider_key {
        return Ok(Payer::RequestKey);
    }
    // BYOK and Unified Billing both require an authenticated gateway; without one the
    // request reaches the provider with no key and the provider refuses it.
    if !i.authenticated {
        return Err(provider_unauthorized(format));
    }
    let wanted = alias.unwrap_or("default");
    let configs: Vec<_> = st
        .provider_configs(account, gateway)
        .iter()
        .filter(|p| p.provider_slug == provider)
        .collect();
    if configs.iter().any(|p| p.alias == wanted) {
        return Ok(Payer::Byok(wanted.to_string()));
    }
    if let Some(a) = alias {
        let names: Vec<&str> = configs.iter().map(|p| p.alias.as_str()).collect();
        let list = if names.is_empty() {
            "(none)".to_string()
        } else {
            names.join(", ")
        };
        let msg = format!(
            "Provider '{provider}' has no BYOK credential named '{a}'. Configured aliases: {list}"
        );
        return Err(gateway_error(400, 2040, &msg));
    }
    if st.balance(account) <= 0.0 {
        return Err(gateway_error(
            402,
            2021,
            "Insufficient wholesale credits. Please top up your account to continue using Unified Billing.",
        ));
    }
    Ok(Payer::Unified)
}

/// The provider's own 401 when it receives no key.
pub fn provider_unauthorized(format: Format) -> Reply {
    match format {
        Format::AnthropicMessages => Reply::json(
            401,
            &json!({"type": "error", "error": {"type": "authentication_error",
                    "message": "x-api-key header is required"}}),
        ),
        _ => Reply::json(
            401,
            &json!({"error": {"message": "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
                    "type": "invalid_request_error", "param": null, "code": null}}),
        ),
    }
}

/// The provider's own 400 for a malformed request body.
pub fn provider_bad_request(format: Format, message: &str) -> Reply {
    match format {
        Format::AnthropicMessages => Reply::json(
            400,
            &json!({"type": "error", "error": {"type": "invalid_request_error", "message": message}}),
        ),
        _ => Reply::json(
            400,
            &json!({"error": {"message": message, "type": "invalid_request_error",
                    "param": null, "code": null}}),
        ),
    }
}
