//! The account's Unified Billing spending limit (`/accounts/{a}/ai-gateway/billing/spending-limit`),
//! the older account-wide limit beside the gateways' `spend_limits` rules.
//!
//! Emulator choices (reference `cloudflare-control-plane.md` §6):
//! - `GET` answers `{enabled, config{amount, duration, strategy}}`; with no limit every config
//!   field is `null` and `enabled` is false. `amount` is in cents, as the `POST` body documents.
//! - `POST` is deprecated at Cloudflare and refused with 403 for every caller (code 10000,
//!   naming the gateways' `spend_limits` as the replacement). A limit set in the dashboard is
//!   seeded with [`crate::emulator::Emulator::set_account_spending_limit`].
//! - `DELETE` turns the limit off (`result: {}`), also when there was none.
//! - The limit is shown, not enforced on the data plane: Cloudflare documents no refusal for it.

use super::envelope::{Reply, ok, v4_error};
use serde_json::json;

/// An account-wide Unified Billing limit as the dashboard sets it.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountLimit {
    /// US cents.
    pub amount_cents: u64,
    /// `daily`, `weekly` or `monthly`.
    pub duration: String,
    /// `fixed` or `sliding`.
    pub strategy: String,
}

pub fn get(limit: Option<&AccountLimit>) -> Reply {
    let result = match limit {
        Some(l) => json!({"enabled": true, "config": {
            "amount": l.amount_cents, "duration": l.duration, "strategy": l.strategy}}),
        None => json!({"enabled": false, "config": {
            "amount": null, "duration": null, "strategy": null}}),
    };
    ok(result)
}

pub fn set() -> Reply {
    v4_error(
        403,
        10000,
        "Setting the account spending limit through the API is deprecated: set spend_limits on the gateway instead",
    )
}

/// Turn the limit off; the caller removes it from the state.
pub fn deleted() -> Reply {
    ok(json!({}))
}
