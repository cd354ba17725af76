//! Data-plane policies around one inference: the gateway's own refusals (rate limit, spend
//! limits, see `spend.rs`), a provider made to fail (an emulator fault, for fallbacks), the
//! response cache (`cache_ttl`, `cf-aig-skip-cache`, `cf-aig-cache-ttl`), and the walk of a
//! dynamic route (`"model": "dynamic/<name>"` on `/compat/chat/completions`): each model
//! element is tried (`retries` more times on failure), then its `fallback` output, until one
//! answers; every attempt is a request record with the route's name.

use super::envelope::{Reply, gateway_error};
use super::gateway_routes::{self, Infer};
use super::logs::LogRec;
use super::routes::{self, Step};
use super::server::Ctx;
use super::spend;
use super::state::State;
use serde_json::json;
use std::hash::{Hash, Hasher};
use std::time::{Duration, Instant};

/// The gateway's or the provider's refusal of this request before it is answered, with the
/// gateway error code when the gateway itself refused.
pub fn refusal(st: &State, _ctx: &Ctx, i: &Infer, rec: &LogRec) -> Option<(Reply, Option<u32>)> {
    let gw = st.gateway(i.account, i.gateway)?;
    let log = st.logs(i.account, i.gateway);
    if let Some(r) = spend::rate_check(gw, log, rec.at) {
        return Some((r, Some(spend::RATE_LIMITED)));
    }
    if let Some(r) = spend::spend_check(gw, log, &rec.provider, &rec.model, rec.at) {
        return Some((r, Some(spend::SPEND_LIMITED)));
    }
    let full = format!("{}/{}", rec.provider, rec.model);
    let failing = &st.control.failing_models;
    let status = failing
        .get(&full)
        .or_else(|| failing.get(&i.display_model))?;
    let body = json!({"error": {"message": "The server had an error while processing your request. Sorry about that!",
        "type": "server_error", "param": null, "code": null}});
    Some((Reply::json(*status, &body), None))
}

/// The cache key of a request when the gateway caches (`cache_ttl` > 0, no skip header).
pub fn cache_key(i: &Infer) -> Option<u64> {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    i.provider.hash(&mut h);
    i.model.hash(&mut h);
    i.body.to_string().hash(&mut h);
    Some(h.finish())
}

fn ttl(st: &State, ctx: &Ctx, i: &Infer) -> Option<Duration> {
    if ctx
        .header("cf-aig-skip-cache")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
    {
        return None;
    }
    let secs = match ctx.header("cf-aig-cache-ttl") {
        Some(v) => v.trim().parse::<u64>().ok()?,
        None => st.gateway(i.account, i.gateway)?["cache_ttl"].as_u64()?,
    };
    (secs > 0).then(|| Duration::from_secs(secs))
}

pub fn cache_hit(st: &State, ctx: &Ctx, i: &Infer, key: Option<u64>) -> bool {
    let (Some(ttl), Some(key)) = (ttl(st, ctx, i), key) else {
        return false;
    };
    let k = (i.account.to_string(), i.gateway.to_string(), key);
    st.control
        .cache
        .get(&k)
        .is_some_and(|at| at.elapsed() < ttl)
}

pub fn cache_store(st: &mut State, i: &Infer, key: Option<u64>) {
    let cached_gateway = st
        .gateway(i.account, i.gateway)
        .and_then(|g| g["cache_ttl"].as_u64())
        .is_some_and(|t| t > 0);
    if let (true, Some(key)) = (cached_gateway, key) {
        let k = (i.account.to_string(), i.gateway.to_string(), key);
        st.control.cache.insert(k, Instant::now());
    }
}

/// Answer a `dynamic/<name>` request by walking the route's deployed elements.
pub fn run(st: &mut State, ctx: &Ctx, (a, g): (&str, &str), name: &str, i: &Infer) -> Reply {
    let (body, provider_key, authenticated) = (i.body, i.provider_key, i.authenticated);
    let els = match routes::elements_of(st, a, g, name) {
        Ok(e) => e,
        Err(r) => return r,
    };
    let mut last = gateway_error(400, 2000, "The route has no model to send the request to");
    let mut from: Option<String> = None;
    for _ in 0..=els.len() {
        let Step::Model {
            provider,
            model,
            retries,
            fallback,
        } = routes::next_step(&els, from.as_deref())
        else {
            return last;
        };
        let full = if model.starts_with(&format!("{provider}/")) {
            model
        } else {
            format!("{provider}/{model}")
        };
        let mut b = body.clone();
        b["model"] = json!(full);
        for _ in 0..=retries {
            let r = gateway_routes::infer(
                st,
                ctx,
                Infer {
                    account: a,
                    gateway: g,
                    format: i.format,
                    provider: provider.clone(),
                    model: full.clone(),
                    display_model: full.clone(),
                    body: &b,
                    provider_key,
                    byok_alias: i.byok_alias.clone(),
                    authenticated,
                    log_path: i.log_path.clone(),
                    step: i.step,
                    route: Some(name.to_string()),
                },
            );
            if r.status < 400 {
                return r;
            }
            last = r;
        }
        match fallback {
            Some(f) => from = Some(f),
            None => return last,
        }
    }
    last
}
