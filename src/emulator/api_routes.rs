//! `/client/v4/...`: token verification, accounts, AI Gateway CRUD, provider configs, credit
//! balance, logs, and the REST inference route. Every reply carries `Ratelimit` headers.
//!
//! Emulator choices where the reference says UNCONFIRMED (documented here so tests and
//! clients know what to expect):
//! - missing `Authorization`: 400, code 9106 "Missing X-Auth-Key, X-Auth-Email or
//!   Authorization headers"; malformed: 400, 6003 with `error_chain` 6111;
//! - unknown token: 401, 1000 "Invalid API Token" on every endpoint; disabled or expired token
//!   on anything but verify: 401, 10000 "Authentication error";
//! - missing permission, or an account the token does not reach: 403, 9109;
//! - account id with characters outside `[A-Za-z0-9_-]`: 400, 7003 "Could not route to ...";
//!   an account the token names but that does not exist: 404, 7003;
//! - `/accounts` with an account-owned token works and lists the token's account;
//!   `per_page` outside 5..50 is clamped (the reply's `result_info.per_page` tells);
//! - gateway list carries `result_info` (page, per_page, count, total_count);
//! - duplicate gateway id: 400, 7001 "A gateway with that id already exists", path body.id;
//! - duplicate provider config (slug + alias): 400, 7001, path body.alias;
//! - token routes: see `tokens.rs`.

use super::envelope::{
    Reply, aig_error, gateway_error, not_found, ok, ok_paged, v4_error, validation_error,
};
use super::gateway_routes::{self, Format, Infer};
use super::server::{Ctx, Shared};
use super::state::{self, ProviderConfig, State, TokenRec};
use super::tokens::{self, Scope};
use super::validate;
use super::{TokenOwner, TokenStatus};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const RATE_QUOTA: usize = 1200;
const RATE_WINDOW: Duration = Duration::from_secs(300);

#[derive(Clone, Copy, PartialEq, Eq)]
enum Need {
    Nothing,
    Read,
    Write,
    SecretsWrite,
    /// Listing stores and secrets: the emulator has no separate Secrets Store Read grant, so
    /// Secrets Store Write (which includes reading) is what it checks.
    SecretsRead,
    Run,
    TokensRead(TokenScope),
    TokensWrite(TokenScope),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum TokenScope {
    Account,
    User,
}

enum Route<'a> {
    UserVerify,
    AccountVerify(&'a str),
    Accounts,
    Gateways(&'a str),
    Gateway(&'a str, &'a str),
    Providers(&'a str, &'a str),
    Provider(&'a str, &'a str, &'a str),
    Credits(&'a str),
    /// The account's Unified Billing spending limit (see `billing_limit.rs`).
    SpendingLimit(&'a str),
    /// Secrets Store (see `secrets_store.rs`).
    Stores(&'a str),
    Secrets(&'a str, &'a str),
    /// `.../gateways/{g}/logs...` and `.../routes...` (see `control.rs`).
    Control(&'a str, &'a str, Vec<&'a str>),
    /// `POST /graphql` (see `graphql.rs`).
    GraphQl,
    Inference(&'a str, Format),
    Models(&'a str),
    Tokens(Scope<'a>),
    Token(Scope<'a>, &'a str),
    TokenValue(Scope<'a>, &'a str),
    PermissionGroups(Scope<'a>),
}

impl Route<'_> {
    fn methods(&self) -> &'static [&'static str] {
        match self {
            Route::Gateways(_) | Route::Providers(..) => &["GET", "POST"],
            Route::Stores(_) | Route::Secrets(..) => &["GET", "POST"],
            Route::SpendingLimit(_) => &["GET", "POST", "DELETE"],
            Route::Gateway(..) => &["GET", "PUT", "DELETE"],
            Route::Provider(..) => &["PUT", "DELETE"],
            Route::Inference(..) | Route::GraphQl => &["POST"],
            Route::Control(..) => &["GET", "POST", "PATCH", "DELETE"],
            Route::Models(_) => &[],
            Route::Tokens(_) => &["GET", "POST"],
            Route::Token(..) => &["GET", "PUT", "DELETE"],
            Route::TokenValue(..) => &["PUT"],
            _ => &["GET"],
        }
    }

    fn account(&self) -> Option<&str> {
        match self {
            Route::UserVerify | Route::Accounts | Route::GraphQl => None,
            Route::Tokens(s)
            | Route::Token(s, _)
            | Route::TokenValue(s, _)
            | Route::PermissionGroups(s) => match s {
                Scope::Account(a) => Some(a),
                Scope::User => None,
            },
            Route::AccountVerify(a)
            | Route::Gateways(a)
            | Route::Gateway(a, _)
            | Route::Providers(a, _)
            | Route::Provider(a, _, _)
            | Route::Credits(a)
            | Route::SpendingLimit(a)
            | Route::Stores(a)
            | Route::Secrets(a, _)
            | Route::Control(a, _, _)
            | Route::Inference(a, _)
            | Route::Models(a) => Some(a),
        }
    }

    /// The AI Gateway config routes answer errors with their slimmer `result: {}` body.
    fn aig_style(&self) -> bool {
        matches!(
            self,
            Route::Gateways(_)
                | Route::Gateway(..)
                | Route::Providers(..)
                | Route::Provider(..)
                | Route::Control(..)
        )
    }

    fn need(&self, method: &str) -> Need {
        match (self, method) {
            (Route::UserVerify | Route::AccountVerify(_) | Route::Accounts, _) => Need::Nothing,
            // The analytics API checks the account itself (and answers no rows without Read).
            (Route::GraphQl, _) => Need::Nothing,
            (Route::Control(..), "POST" | "PATCH" | "DELETE") => Need::Write,
            (Route::Gateways(_), "POST") | (Route::Gateway(..), "PUT" | "DELETE") => Need::Write,
            (Route::Providers(..), "POST") | (Route::Provider(..), _) => Need::SecretsWrite,
            (Route::SpendingLimit(_), "POST" | "DELETE") => Need::Write,
            (Route::Stores(_) | Route::Secrets(..), "POST") => Need::SecretsWrite,
            (Route::Stores(_) | Route::Secrets(..), _) => Need::SecretsRead,
            (Route::Inference(..), _) => Need::Run,
            (
                Route::Tokens(s) | Route::Token(s, _) | Route::TokenValue(s, _),
                "POST" | "PUT" | "DELETE",
            ) => Need::TokensWrite(token_scope(s)),
            (
                Route::Tokens(s)
                | Route::Token(s, _)
                | Route::TokenValue(s, _)
                | Route::PermissionGroups(s),
                _,
            ) => Need::TokensRead(token_scope(s)),
            _ => Need::Read,
        }
    }
}

fn token_scope(s: &Scope) -> TokenScope {
    match s {
        Scope::Account(_) => TokenScope::Account,
        Scope::User => TokenScope::User,
    }
}

fn parse_route<'a>(segs: &[&'a str]) -> Option<Route<'a>> {
    Some(match segs {
        ["user", "tokens", "verify"] => Route::UserVerify,
        ["accounts"] => Route::Accounts,
        ["user", "tokens"] => Route::Tokens(Scope::User),
        ["user", "tokens", "permission_groups"] => Route::PermissionGroups(Scope::User),
        ["user", "tokens", id] => Route::Token(Scope::User, id),
        ["user", "tokens", id, "value"] => Route::TokenValue(Scope::User, id),
        ["accounts", a, "tokens", "verify"] => Route::AccountVerify(a),
        ["accounts", a, "tokens"] => Route::Tokens(Scope::Account(a)),
        ["accounts", a, "tokens", "permission_groups"] => {
            Route::PermissionGroups(Scope::Account(a))
        }
        ["accounts", a, "tokens", id] => Route::Token(Scope::Account(a), id),
        ["accounts", a, "tokens", id, "value"] => Route::TokenValue(Scope::Account(a), id),
        ["accounts", a, "ai-gateway", "gateways"] => Route::Gateways(a),
        ["accounts", a, "ai-gateway", "gateways", g] => Route::Gateway(a, g),
        [
            "accounts",
            a,
            "ai-gateway",
            "gateways",
            g,
            "provider_configs",
        ] => Route::Providers(a, g),
        [
            "accounts",
            a,
            "ai-gateway",
            "gateways",
            g,
            "provider_configs",
            id,
        ] => Route::Provider(a, g, id),
        ["graphql"] => Route::GraphQl,
        ["accounts", a, "ai-gateway", "gateways", g, rest @ ..] if super::control::owns(rest) => {
            Route::Control(a, g, rest.to_vec())
        }
        ["accounts", a, "ai-gateway", "billing", "credit-balance"] => Route::Credits(a),
        ["accounts", a, "ai-gateway", "billing", "spending-limit"] => Route::SpendingLimit(a),
        ["accounts", a, "secrets_store", "stores"] => Route::Stores(a),
        ["accounts", a, "secrets_store", "stores", id, "secrets"] => Route::Secrets(a, id),
        ["accounts", a, "ai", "v1", "chat", "completions"] => {
            Route::Inference(a, Format::OpenAiChat)
        }
        ["accounts", a, "ai", "v1", "responses"] => Route::Inference(a, Format::OpenAiResponses),
        ["accounts", a, "ai", "v1", "messages"] => Route::Inference(a, Format::AnthropicMessages),
        ["accounts", a, "ai", "v1", "models"] => Route::Models(a),
        _ => return None,
    })
}

/// The `Ratelimit` headers for a request not tied to a known token.
pub fn add_default_ratelimit(reply: &mut Reply) {
    set_ratelimit(reply, RATE_QUOTA - 1, RATE_WINDOW.as_secs());
}

fn set_ratelimit(reply: &mut Reply, remaining: usize, reset: u64) {
    reply
        .headers
        .retain(|(k, _)| !k.eq_ignore_ascii_case("ratelimit"));
    reply.headers.push((
        "ratelimit".into(),
        format!("\"default\";r={remaining};t={reset}"),
    ));
    reply.headers.push((
        "ratelimit-policy".into(),
        format!("\"burst\";q={RATE_QUOTA};w={}", RATE_WINDOW.as_secs()),
    ));
}

pub fn handle(shared: &Shared, ctx: &Ctx) -> Reply {
    let rest = ctx.path.trim_start_matches("/client/v4");
    let segs: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    let Some(route) = parse_route(&segs) else {
        return v4_error(404, 7003, "No route for the URI");
    };
    if !route.methods().contains(&ctx.method.as_str()) {
        let msg = format!("{} not supported for requested URI.", ctx.method);
        return v4_error(405, 7001, &msg);
    }
    let token = match bearer(ctx) {
        Ok(t) => t,
        Err(reply) => return reply,
    };
    let mut st = shared.lock();
    let Some(rec) = st.token(token) else {
        return v4_error(401, 1000, "Invalid API Token");
    };
    let token_id = rec.id.clone();
    let (remaining, reset) = match rate_check(&mut st, &token_id) {
        Ok(x) => x,
        Err(retry) => {
            let mut r = v4_error(
                429,
                971,
                "Please wait and consider throttling your request speed",
            )
            .with_header("retry-after", retry.to_string());
            set_ratelimit(&mut r, 0, retry);
            return r;
        }
    };
    let mut reply = dispatch(&mut st, ctx, &route, &token_id);
    set_ratelimit(&mut reply, remaining, reset);
    reply
}

/// The token from `Authorization: Bearer <token>`, or the 400 Cloudflare sends.
fn bearer(ctx: &Ctx) -> Result<&str, Reply> {
    let Some(h) = ctx.header("authorization") else {
        return Err(v4_error(
            400,
            9106,
            "Missing X-Auth-Key, X-Auth-Email or Authorization headers",
        ));
    };
    match h.strip_prefix("Bearer ") {
        Some(t) if !t.is_empty() && t.chars().all(|c| c.is_ascii_graphic()) => Ok(t),
        _ => Err(Reply::json(
            400,
            &json!({"success": false, "errors": [{"code": 6003, "message": "Invalid request headers",
                "error_chain": [{"code": 6111, "message": "Invalid format for Authorization header"}]}],
                "messages": [], "result": null}),
        )),
    }
}

/// Count the request against the token's window: `(remaining, reset seconds)` or the
/// `Retry-After` seconds when over quota.
fn rate_check(st: &mut State, token_id: &str) -> Result<(usize, u64), u64> {
    let now = Instant::now();
    let q = st.rate.entry(token_id.to_string()).or_default();
    while q
        .front()
        .is_some_and(|t| now.duration_since(*t) >= RATE_WINDOW)
    {
        q.pop_front();
    }
    let reset = |q: &std::collections::VecDeque<Instant>| {
        q.front().map_or(RATE_WINDOW.as_secs(), |t| {
            (RATE_WINDOW - now.duration_since(*t)).as_secs().max(1)
        })
    };
    if q.len() >= RATE_QUOTA {
        return Err(reset(q));
    }
    q.push_back(now);
    Ok((RATE_QUOTA - q.len(), reset(q)))
}

/// The token's status, counting a past `expires_on` as expired.
pub fn effective_status(rec: &TokenRec) -> TokenStatus {
    if rec.spec.status == TokenStatus::Active
        && let Some(exp) = &rec.spec.expires_on
        && let Ok(t) = chrono::DateTime::parse_from_rfc3339(exp)
        && t < chrono::Utc::now()
    {
        return TokenStatus::Expired;
    }
    rec.spec.status
}

fn has(rec: &TokenRec, need: Need) -> bool {
    let p = rec.spec.permissions;
    match need {
        Need::Nothing => true,
        Need::Read => p.ai_gateway_read || p.ai_gateway_write,
        Need::Write => p.ai_gateway_write,
        Need::SecretsWrite | Need::SecretsRead => p.secrets_store_write,
        Need::Run => p.ai_gateway_run,
        Need::TokensRead(TokenScope::Account) => p.account_tokens_read || p.account_tokens_write,
        Need::TokensWrite(TokenScope::Account) => p.account_tokens_write,
        // User tokens are managed only by user tokens.
        Need::TokensRead(TokenScope::User) => {
            rec.spec.owner == TokenOwner::User && (p.user_tokens_read || p.user_tokens_write)
        }
        Need::TokensWrite(TokenScope::User) => {
            rec.spec.owner == TokenOwner::User && p.user_tokens_write
        }
    }
}

fn valid_account_id(a: &str) -> bool {
    (1..=64).contains(&a.len())
        && a.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn dispatch(st: &mut State, ctx: &Ctx, route: &Route, token_id: &str) -> Reply {
    let Some(rec) = st.tokens.iter().find(|t| t.id == token_id) else {
        return v4_error(401, 1000, "Invalid API Token");
    };
    match route {
        Route::UserVerify => {
            return match rec.spec.owner {
                TokenOwner::User => verify_reply(rec),
                TokenOwner::Account(_) => v4_error(401, 1000, "Invalid API Token"),
            };
        }
        Route::AccountVerify(a) => {
            return match &rec.spec.owner {
                TokenOwner::Account(owner) if owner == a => verify_reply(rec),
                _ => v4_error(401, 1000, "Invalid API Token"),
            };
        }
        _ => {}
    }
    if effective_status(rec) != TokenStatus::Active {
        return v4_error(401, 10000, "Authentication error");
    }
    if let Some(a) = route.account() {
        if !valid_account_id(a) {
            let msg = format!(
                "Could not route to {}, perhaps your object identifier is invalid?",
                ctx.path.trim_start_matches("/client/v4")
            );
            return if route.aig_style() {
                aig_error(400, 7003, &msg, None)
            } else {
                v4_error(400, 7003, &msg)
            };
        }
        if !rec.spec.accounts.iter().any(|x| x == a) {
            return v4_error(403, 9109, "Unauthorized to access requested resource");
        }
    }
    if !has(rec, route.need(&ctx.method)) {
        return v4_error(403, 9109, "Unauthorized to access requested resource");
    }
    if let Some(a) = route.account()
        && st.account(a).is_none()
    {
        let msg = format!(
            "Could not route to {}, perhaps your object identifier is invalid?",
            ctx.path.trim_start_matches("/client/v4")
        );
        return v4_error(404, 7003, &msg);
    }
    let accounts = rec.spec.accounts.clone();
    let m = ctx.method.as_str();
    match *route {
        Route::Accounts => list_accounts(st, ctx, &accounts),
        Route::Gateways(a) if m == "GET" => list_gateways(st, ctx, a),
        Route::Gateways(a) => create_gateway(st, ctx, a),
        Route::Gateway(a, g) => match m {
            "GET" => st.gateway(a, g).cloned().map_or_else(not_found, ok),
            "PUT" => update_gateway(st, ctx, a, g),
            _ => st.remove_gateway(a, g).map_or_else(not_found, ok),
        },
        Route::Providers(a, g) if m == "GET" => list_providers(st, ctx, a, g),
        Route::Providers(a, g) => create_provider(st, ctx, a, g),
        Route::Provider(a, g, id) if m == "PUT" => update_provider(st, ctx, a, g, id),
        Route::Provider(a, g, id) => {
            let list = st.provider_configs_mut(a, g);
            match list.iter().position(|p| p.id == id) {
                Some(pos) => ok(list.remove(pos).to_json()),
                None => not_found(),
            }
        }
        Route::Credits(a) => ok(json!({
            "balance": st.balance(a),
            "has_default_payment_method": true,
            "payment_method": {"brand": "visa", "last4": "4242"},
            "topup_config": {"threshold": null, "amount": null, "error": null,
                             "disabledReason": null, "lastFailedAt": null},
            "first_topup_success": true,
        })),
        Route::SpendingLimit(a) => match m {
            "GET" => super::billing_limit::get(st.account_limits.get(a)),
            "POST" => super::billing_limit::set(),
            _ => {
                st.account_limits.remove(a);
                super::billing_limit::deleted()
            }
        },
        Route::Stores(a) if m == "GET" => super::secrets_store::list_stores(st, ctx, a),
        Route::Stores(a) => super::secrets_store::create_store(st, ctx, a),
        Route::Secrets(a, id) if m == "GET" => super::secrets_store::list_secrets(st, ctx, a, id),
        Route::Secrets(a, id) => super::secrets_store::create_secrets(st, ctx, a, id),
        Route::Control(a, g, ref rest) => super::control::handle(st, ctx, a, g, rest)
            .unwrap_or_else(|| v4_error(404, 7003, "No route for the URI")),
        Route::GraphQl => {
            let spec = rec.spec.clone();
            super::graphql::handle(st, ctx, &spec)
        }
        Route::Inference(a, format) => rest_inference(st, ctx, a, format),
        Route::Tokens(s) if m == "GET" => tokens::list(st, ctx, s),
        Route::Tokens(s) => tokens::create(st, ctx, s, token_id),
        Route::Token(s, id) => match m {
            "GET" => tokens::get(st, s, id),
            "PUT" => tokens::update(st, ctx, s, id, token_id),
            _ => tokens::delete(st, s, id),
        },
        Route::TokenValue(s, id) => tokens::roll(st, s, id),
        Route::PermissionGroups(s) => tokens::permission_groups(ctx, s),
        Route::UserVerify | Route::AccountVerify(_) | Route::Models(_) => {
            v4_error(404, 7003, "No route for the URI")
        }
    }
}

fn verify_reply(rec: &TokenRec) -> Reply {
    let status = effective_status(rec);
    let mut result = json!({"id": rec.id, "status": status.as_str()});
    if let Some(exp) = &rec.spec.expires_on {
        result["expires_on"] = json!(exp);
    }
    let messages = if status == TokenStatus::Active {
        json!([{"code": 10000, "message": "This API Token is valid and active", "type": null}])
    } else {
        json!([])
    };
    Reply::json(
        200,
        &json!({"success": true, "errors": [], "messages": messages, "result": result}),
    )
}

/// An integer query parameter within `min..=max`, or the list-endpoint 400.
fn int_param(ctx: &Ctx, name: &str, default: i64, min: i64, max: i64) -> Result<i64, Reply> {
    let Some(raw) = ctx.query_param(name) else {
        return Ok(default);
    };
    match raw.parse::<i64>() {
        Ok(n) if n >= min && n <= max => Ok(n),
        _ => Err(aig_error(
            400,
            7001,
            &format!("{name}: must be an integer between {min} and {max}"),
            None,
        )),
    }
}

/// The slice for `page`/`per_page` of `total` items.
fn page_range(total: usize, page: i64, per_page: i64) -> std::ops::Range<usize> {
    let start = ((page - 1) * per_page) as usize;
    let start = start.min(total);
    let end = (start + per_page as usize).min(total);
    start..end
}

fn list_accounts(st: &State, ctx: &Ctx, reach: &[String]) -> Reply {
    let page = ctx
        .query_param("page")
        .and_then(|p| p.parse::<i64>().ok())
        .unwrap_or(1)
        .max(1);
    let per_page = ctx
        .query_param("per_page")
        .and_then(|p| p.parse::<i64>().ok())
        .unwrap_or(20)
        .clamp(5, 50);
    let name = ctx.query_param("name").map(|n| n.to_lowercase());
    let mut accts: Vec<_> = st
        .accounts
        .iter()
        .filter(|a| reach.contains(&a.id))
        .filter(|a| {
            name.as_deref()
                .is_none_or(|n| a.name.to_lowercase().contains(n))
        })
        .collect();
    accts.sort_by(|x, y| x.name.cmp(&y.name).then(x.id.cmp(&y.id)));
    if ctx.query_param("direction").as_deref() == Some("desc") {
        accts.reverse();
    }
    let range = page_range(accts.len(), page, per_page);
    let result: Vec<Value> = accts[range]
        .iter()
        .map(|a| {
            json!({"id": a.id, "name": a.name, "type": "standard", "created_on": a.created_on,
                   "settings": {"enforce_twofactor": false}})
        })
        .collect();
    let info = json!({"page": page, "per_page": per_page, "count": result.len(),
                      "total_count": accts.len()});
    ok_paged(Value::Array(result), info)
}

fn list_gateways(st: &State, ctx: &Ctx, a: &str) -> Reply {
    let (page, per_page) = match (
        int_param(ctx, "page", 1, 1, i64::MAX / 1000),
        int_param(ctx, "per_page", 20, 1, 100),
    ) {
        (Ok(p), Ok(pp)) => (p, pp),
        (Err(e), _) | (_, Err(e)) => return e,
    };
    let search = ctx.query_param("search").unwrap_or_default();
    let all: Vec<&Value> = st
        .gateways
        .get(a)
        .map(|l| {
            l.iter()
                .filter(|g| g["id"].as_str().is_some_and(|id| id.contains(&search)))
                .collect()
        })
        .unwrap_or_default();
    let range = page_range(all.len(), page, per_page);
    let result: Vec<Value> = all[range].iter().map(|g| (*g).clone()).collect();
    let info = json!({"page": page, "per_page": per_page, "count": result.len(),
                      "total_count": all.len()});
    ok_paged(Value::Array(result), info)
}

fn create_gateway(st: &mut State, ctx: &Ctx, a: &str) -> Reply {
    let fields = match validate::gateway_body(&ctx.body, true) {
        Ok(f) => f,
        Err(e) => return e,
    };
    let id = fields["id"].as_str().unwrap_or_default().to_string();
    if st.gateway(a, &id).is_some() {
        return aig_error(
            400,
            7001,
            "A gateway with that id already exists",
            Some(&["body", "id"]),
        );
    }
    let mut gw = state::new_gateway(&id, false, &state::now_rfc3339());
    for (k, v) in fields {
        gw[k] = v;
    }
    st.gateways
        .entry(a.to_string())
        .or_default()
        .push(gw.clone());
    ok(gw)
}

fn update_gateway(st: &mut State, ctx: &Ctx, a: &str, g: &str) -> Reply {
    let Some(old) = st.gateway(a, g).cloned() else {
        return not_found();
    };
    let fields = match validate::gateway_body(&ctx.body, false) {
        Ok(f) => f,
        Err(e) => return e,
    };
    let mut gw = state::new_gateway(g, false, old["created_at"].as_str().unwrap_or_default());
    gw["is_default"] = old["is_default"].clone();
    for (k, v) in fields {
        gw[k] = v;
    }
    gw["modified_at"] = json!(state::now_rfc3339());
    if let Some(slot) = st.gateway_mut(a, g) {
        *slot = gw.clone();
    }
    ok(gw)
}

fn list_providers(st: &State, ctx: &Ctx, a: &str, g: &str) -> Reply {
    let (page, per_page) = match (
        int_param(ctx, "page", 1, 1, i64::MAX / 1000),
        int_param(ctx, "per_page", 20, 1, 100),
    ) {
        (Ok(p), Ok(pp)) => (p, pp),
        (Err(e), _) | (_, Err(e)) => return e,
    };
    if st.gateway(a, g).is_none() {
        return not_found();
    }
    let all = st.provider_configs(a, g);
    let range = page_range(all.len(), page, per_page);
    let result: Vec<Value> = all[range].iter().map(ProviderConfig::to_json).collect();
    let info = json!({"page": page, "per_page": per_page, "count": result.len(),
                      "total_count": all.len()});
    ok_paged(Value::Array(result), info)
}

fn non_empty_str<'a>(m: &'a serde_json::Map<String, Value>, k: &str) -> Option<&'a str> {
    m.get(k).and_then(Value::as_str).filter(|s| !s.is_empty())
}

fn create_provider(st: &mut State, ctx: &Ctx, a: &str, g: &str) -> Reply {
    if st.gateway(a, g).is_none() {
        return not_found();
    }
    let m = match validate::object_body(&ctx.body) {
        Ok(m) => m,
        Err(e) => return e,
    };
    let Some(slug) = non_empty_str(&m, "provider_slug") else {
        return validation_error("provider_slug");
    };
    let Some(default_config) = m.get("default_config").and_then(Value::as_bool) else {
        return validation_error("default_config");
    };
    let Some(alias) = non_empty_str(&m, "alias") else {
        return validation_error("alias");
    };
    let secret = non_empty_str(&m, "secret");
    let secret_id = non_empty_str(&m, "secret_id");
    if secret.is_none() && secret_id.is_none() {
        return validation_error("secret");
    }
    let num = |k: &str| m.get(k).map(|v| v.as_f64().ok_or(k.to_string()));
    let rate_limit = match num("rate_limit").transpose() {
        Ok(v) => v,
        Err(k) => return validation_error(&k),
    };
    let period = match num("rate_limit_period").transpose() {
        Ok(v) => v.unwrap_or(60.0),
        Err(k) => return validation_error(&k),
    };
    let list = st.provider_configs_mut(a, g);
    if list
        .iter()
        .any(|p| p.provider_slug == slug && p.alias == alias)
    {
        return aig_error(
            400,
            7001,
            "A provider config with that alias already exists for this provider",
            Some(&["body", "alias"]),
        );
    }
    if default_config {
        for p in list.iter_mut().filter(|p| p.provider_slug == slug) {
            p.default_config = false;
        }
    }
    let cfg = ProviderConfig {
        id: state::hex_id(),
        provider_slug: slug.to_string(),
        alias: alias.to_string(),
        default_config,
        gateway_id: g.to_string(),
        modified_at: state::now_rfc3339(),
        secret_id: secret_id.map_or_else(state::hex_id, str::to_string),
        secret: secret.map(str::to_string),
        secret_preview: secret.map_or_else(|| "...".to_string(), state::secret_preview),
        rate_limit,
        rate_limit_period: period,
    };
    list.push(cfg.clone());
    ok(cfg.to_json())
}

fn update_provider(st: &mut State, ctx: &Ctx, a: &str, g: &str, id: &str) -> Reply {
    if st.gateway(a, g).is_none() || !st.provider_configs(a, g).iter().any(|p| p.id == id) {
        return not_found();
    }
    let m = match validate::object_body(&ctx.body) {
        Ok(m) => m,
        Err(e) => return e,
    };
    let Some(secret) = non_empty_str(&m, "secret") else {
        return validation_error("secret");
    };
    let list = st.provider_configs_mut(a, g);
    let Some(cfg) = list.iter_mut().find(|p| p.id == id) else {
        return not_found();
    };
    cfg.secret = Some(secret.to_string());
    cfg.secret_preview = state::secret_preview(secret);
    cfg.modified_at = state::now_rfc3339();
    ok(cfg.to_json())
}

/// `POST /accounts/{a}/ai/v1/...`: the gateway from `cf-aig-gateway-id` (or `default`,
/// auto-created), third-party models through Unified Billing or the `default` BYOK alias.
fn rest_inference(st: &mut State, ctx: &Ctx, a: &str, format: Format) -> Reply {
    let gw_id = ctx
        .header("cf-aig-gateway-id")
        .unwrap_or("default")
        .to_string();
    if st.gateway(a, &gw_id).is_none() {
        if gw_id == "default" {
            st.add_gateway(a, "default", true);
        } else {
            return gateway_error(
                400,
                2001,
                "Please configure AI Gateway in the Cloudflare dashboard",
            );
        }
    }
    let body: Value = match serde_json::from_slice(&ctx.body) {
        Ok(v) => v,
        Err(_) => return gateway_routes::bad_body(format),
    };
    let model = body["model"].as_str().unwrap_or_default().to_string();
    let provider = gateway_routes::provider_of(&model);
    gateway_routes::infer(
        st,
        ctx,
        Infer {
            account: a,
            gateway: &gw_id,
            format,
            provider,
            display_model: model.clone(),
            model,
            body: &body,
            provider_key: false,
            byok_alias: None,
            authenticated: true,
            log_path: ctx
                .path
                .split("/ai/")
                .nth(1)
                .unwrap_or_default()
                .to_string(),
            step: None,
            route: None,
        },
    )
}
