//! The emulator's control-plane state (dynamic routes, GraphQL dataset limits, models told to
//! fail, the response cache), the dispatcher for `.../gateways/{g}/logs` and `/routes`, and
//! seeding a large request history for tests and the benchmark.

use super::envelope::Reply;
use super::graphql::Limits;
use super::logs::{self, LogRec};
use super::routes::{self, RouteRec};
use super::server::Ctx;
use super::state::State;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::time::Instant;

#[derive(Default)]
pub struct Control {
    /// (account, gateway) → routes in creation order.
    pub routes: HashMap<(String, String), Vec<RouteRec>>,
    pub graphql: Limits,
    /// Catalog-form model id → the status its provider answers with (an emulator fault).
    pub failing_models: HashMap<String, u16>,
    /// (account, gateway, request key) → when the cached answer was stored.
    pub cache: HashMap<(String, String, u64), Instant>,
}

/// `.../gateways/{g}/<rest>` for `logs...` and `routes...`; `None` when `rest` is neither.
pub fn handle(st: &mut State, ctx: &Ctx, a: &str, g: &str, rest: &[&str]) -> Option<Reply> {
    let m = ctx.method.as_str();
    Some(match rest {
        ["logs"] if m == "GET" || m == "DELETE" => {
            if st.gateway(a, g).is_none() {
                return Some(super::envelope::not_found());
            }
            if m == "GET" {
                logs::list(st, ctx, a, g)
            } else {
                logs::delete(st, ctx, a, g)
            }
        }
        ["logs", id] if m == "GET" || m == "PATCH" => logs::one(st, ctx, a, g, id, None),
        ["logs", id, part @ ("request" | "response")] if m == "GET" => {
            logs::one(st, ctx, a, g, id, Some(part))
        }
        ["routes", tail @ ..] => {
            let params = |k: &str| ctx.query_param(k);
            routes::handle(st, m, &ctx.body, &params, (a, g), tail)
        }
        _ => return None,
    })
}

/// Whether `rest` (the path after `.../gateways/{g}/`) belongs to this module, and the
/// permission a method needs there (`true` = write).
pub fn owns(rest: &[&str]) -> bool {
    matches!(rest.first(), Some(&"logs") | Some(&"routes"))
}

/// One past request for [`crate::emulator::Emulator::seed_history`].
#[derive(Debug, Clone)]
pub struct HistoryEntry {
    pub at: DateTime<Utc>,
    pub provider: String,
    /// The model without the provider prefix, as logs show it (`gpt-5-mini`).
    pub model: String,
    pub status: u16,
    pub cached: bool,
    pub tokens_in: u64,
    pub tokens_out: u64,
    /// US dollars.
    pub cost: f64,
    pub duration_ms: u64,
    /// A gateway refusal code (2003, 2045) for 429s the gateway itself sent.
    pub error_code: Option<u32>,
}

impl HistoryEntry {
    /// `n` deterministic entries spread evenly over the `span` before `until` (oldest first):
    /// six models, about 4% errors (429/500/400), 10% cached, varied tokens and durations.
    pub fn generate(n: usize, until: DateTime<Utc>, span: chrono::Duration) -> Vec<HistoryEntry> {
        const MODELS: &[(&str, &str, f64)] = &[
            ("openai", "gpt-5-mini", 1.0),
            ("openai", "gpt-5", 5.0),
            ("anthropic", "claude-sonnet-4.5", 6.0),
            ("anthropic", "claude-haiku-4.5", 2.0),
            ("xai", "grok-4.3", 3.0),
            (
                "workers-ai",
                "@cf/meta/llama-3.3-70b-instruct-fp8-fast",
                0.0,
            ),
        ];
        let step = span.num_milliseconds().max(1) as f64 / n.max(1) as f64;
        (0..n)
            .map(|i| {
                let (provider, model, price) = MODELS[i % MODELS.len()];
                let h = (i as u64).wrapping_mul(2_654_435_761) % 1000;
                let status = match h {
                    0..=14 => 429,
                    15..=29 => 500,
                    30..=39 => 400,
                    _ => 200,
                };
                let ok = status < 400;
                let cached = ok && h % 10 == 3;
                let tokens_in = if ok { 200 + h * 3 } else { 0 };
                let tokens_out = if ok { 50 + (h * 7) % 900 } else { 0 };
                let cost = if ok && !cached {
                    (tokens_in as f64 + 4.0 * tokens_out as f64) * price / 1_000_000.0
                } else {
                    0.0
                };
                let back = ((n - i) as f64 * step) as i64;
                HistoryEntry {
                    at: until - chrono::Duration::milliseconds(back),
                    provider: provider.to_string(),
                    model: model.to_string(),
                    status,
                    cached,
                    tokens_in,
                    tokens_out,
                    cost,
                    duration_ms: if cached {
                        5 + h % 20
                    } else {
                        120 + (h * 37) % 4000
                    },
                    error_code: (status == 429).then_some(super::spend::SPEND_LIMITED),
                }
            })
            .collect()
    }

    pub(crate) fn into_rec(self) -> LogRec {
        let ok = self.status < 400;
        LogRec {
            id: logs::new_id(),
            at: self.at,
            provider: self.provider,
            model: self.model,
            path: "compat/chat/completions".into(),
            duration_ms: self.duration_ms,
            status_code: self.status,
            cached: self.cached,
            tokens_in: ok.then_some(self.tokens_in),
            tokens_out: ok.then_some(self.tokens_out),
            cost: self.cost,
            stream: false,
            step: None,
            metadata: None,
            error_code: self.error_code,
            route: None,
            logged: true,
            request_body: None,
            response_body: None,
            annotations: Default::default(),
        }
    }
}
