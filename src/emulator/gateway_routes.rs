//! The AI Gateway data plane, `/v1/{account}/{gateway}/...`: the Universal endpoint, `/compat`
//! (chat completions and the model list), and the provider-native OpenAI and Anthropic routes.
//! Also the shared inference step used by the REST route in `api_routes.rs`.
//!
//! Errors use the `AiGatewayError` body. Emulator choices (UNCONFIRMED in the reference):
//! an unknown data-plane route is 404 code 2000 "Not Found"; a wrong method is 405 code 2000;
//! a Universal body that is not a step (or array of steps), or a step with a provider or
//! endpoint the emulator does not speak, is 400 code 2000.

pub use super::inference::Format;

use super::TokenStatus;
use super::api_routes::effective_status;
use super::billing::{self, Payer};
use super::envelope::{Reply, gateway_error};
use super::inference::{self, Output, estimate_tokens, reply_for};
use super::server::{Ctx, Shared};
use super::state::{self, State};
use serde_json::{Value, json};

/// One inference request, whatever route it came through.
pub struct Infer<'a> {
    pub account: &'a str,
    pub gateway: &'a str,
    pub format: Format,
    /// Provider slug (billing, BYOK lookup, logs): `openai`, `anthropic`, `workers-ai`, ...
    pub provider: String,
    /// The model as the request named it.
    pub model: String,
    /// The model in catalog form, used in the reply text (`openai/gpt-5-mini`).
    pub display_model: String,
    pub body: &'a Value,
    /// A provider key came with the request.
    pub provider_key: bool,
    pub byok_alias: Option<String>,
    /// The gateway authenticated the caller (BYOK and Unified Billing need it).
    pub authenticated: bool,
    pub log_path: String,
    /// The Universal endpoint step index (sent back as `cf-aig-step`).
    pub step: Option<usize>,
    /// The dynamic route that sent this request (logged).
    pub route: Option<String>,
}

/// The provider slug of a catalog-form model id (`openai/gpt-5` → `openai`, `@cf/...` →
/// `workers-ai`); empty when the id has no provider prefix.
pub fn provider_of(model: &str) -> String {
    if model.starts_with("@cf/") || model.starts_with("@hf/") {
        return "workers-ai".into();
    }
    model
        .split_once('/')
        .map(|(p, _)| p.to_string())
        .unwrap_or_default()
}

/// The provider's 400 for a body that is not JSON.
pub fn bad_body(format: Format) -> Reply {
    billing::provider_bad_request(format, "We could not parse the JSON body of your request.")
}

fn bearer_value(h: &str) -> Option<&str> {
    let rest = h.trim();
    let rest = rest
        .strip_prefix("Bearer")
        .or_else(|| rest.strip_prefix("bearer"))
        .unwrap_or(rest);
    let t = rest.trim();
    (!t.is_empty()).then_some(t)
}

fn non_empty(h: Option<&str>) -> bool {
    h.is_some_and(|v| !v.trim().is_empty())
}

enum Kind {
    Universal,
    Models,
    Compat,
    OpenAi(Format),
    Anthropic,
}

pub fn handle(shared: &Shared, ctx: &Ctx) -> Reply {
    let segs: Vec<&str> = ctx.path["/v1/".len()..]
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    if segs.len() < 2 {
        return gateway_error(404, 2000, "Not Found");
    }
    let (a, g) = (segs[0], segs[1]);
    let kind = match segs[2..].join("/").as_str() {
        "" => Kind::Universal,
        "compat/models" => Kind::Models,
        "compat/chat/completions" => Kind::Compat,
        "openai/chat/completions" | "openai/v1/chat/completions" => {
            Kind::OpenAi(Format::OpenAiChat)
        }
        "openai/responses" | "openai/v1/responses" => Kind::OpenAi(Format::OpenAiResponses),
        "anthropic/v1/messages" | "anthropic/messages" => Kind::Anthropic,
        _ => return gateway_error(404, 2000, "Not Found"),
    };
    let want = if matches!(kind, Kind::Models) {
        "GET"
    } else {
        "POST"
    };
    if ctx.method != want {
        return gateway_error(405, 2000, "Method Not Allowed");
    }
    let mut st = shared.lock();
    let mut token = ctx.header("cf-aig-authorization").and_then(bearer_value);
    if token.is_none() && matches!(kind, Kind::Models) {
        token = ctx.header("authorization").and_then(bearer_value);
    }
    let token_ok = token.and_then(|t| st.token(t)).is_some_and(|rec| {
        effective_status(rec) == TokenStatus::Active
            && rec.spec.accounts.iter().any(|x| x == a)
            && rec.spec.permissions.ai_gateway_run
    });
    if st.gateway(a, g).is_none() {
        if g == "default" && token_ok {
            st.add_gateway(a, "default", true);
        } else {
            return gateway_error(
                400,
                2001,
                "Please configure AI Gateway in the Cloudflare dashboard",
            );
        }
    }
    let authenticated = st
        .gateway(a, g)
        .and_then(|gw| gw["authentication"].as_bool())
        .unwrap_or(false);
    if authenticated && !token_ok {
        return gateway_error(401, 2009, "Unauthorized");
    }
    match kind {
        Kind::Models => models(&st),
        Kind::Universal => universal(&mut st, ctx, a, g, authenticated),
        Kind::Compat | Kind::OpenAi(_) | Kind::Anthropic => {
            let format = match kind {
                Kind::OpenAi(f) => f,
                Kind::Anthropic => Format::AnthropicMessages,
                _ => Format::OpenAiChat,
            };
            let body: Value = match serde_json::from_slice(&ctx.body) {
                Ok(v) => v,
                Err(_) => return bad_body(format),
            };
            let model = body["model"].as_str().unwrap_or_default().to_string();
            let (provider, display_model, key) = match kind {
                Kind::Compat => (
                    provider_of(&model),
                    model.clone(),
                    non_empty(ctx.header("authorization").and_then(bearer_value)),
                ),
                Kind::Anthropic => (
                    "anthropic".to_string(),
                    format!("anthropic/{model}"),
                    non_empty(ctx.header("x-api-key"))
                        || non_empty(ctx.header("authorization").and_then(bearer_value)),
                ),
                _ => (
                    "openai".to_string(),
                    format!("openai/{model}"),
                    non_empty(ctx.header("authorization").and_then(bearer_value)),
                ),
            };
            let log_path = segs[3..].join("/");
            infer(
                &mut st,
                ctx,
                Infer {
                    account: a,
                    gateway: g,
                    format,
                    provider,
                    model,
                    display_model,
                    body: &body,
                    provider_key: key,
                    byok_alias: ctx.header("cf-aig-byok-alias").map(str::to_string),
                    authenticated,
                    log_path,
                    step: None,
                    route: None,
                },
            )
        }
    }
}

fn models(st: &State) -> Reply {
    let data: Vec<Value> = st
        .models
        .iter()
        .map(|id| {
            json!({"id": id, "object": "model", "created_at": 1_735_689_600,
                   "owned_by": provider_of(id)})
        })
        .collect();
    Reply::json(200, &json!({"object": "list", "data": data}))
}

/// The Universal endpoint: try each step in order; the first success answers with
/// `cf-aig-step: <index>`, otherwise the last failure is returned.
fn universal(st: &mut State, ctx: &Ctx, a: &str, g: &str, authenticated: bool) -> Reply {
    let steps = match serde_json::from_slice::<Value>(&ctx.body) {
        Ok(Value::Array(s)) if !s.is_empty() => s,
        Ok(v @ Value::Object(_)) => vec![v],
        _ => {
            return gateway_error(
                400,
                2000,
                "Invalid request body: expected an array of steps",
            );
        }
    };
    let mut last = gateway_error(400, 2000, "No step could be run");
    for (i, step) in steps.iter().enumerate() {
        let reply = run_step(st, ctx, a, g, authenticated, i, step);
        if reply.status < 400 {
            return reply;
        }
        last = reply.with_header("cf-aig-step", i.to_string());
    }
    last
}

/// The step's `authorization` bearer is the `cf-aig-authorization` token of the request.
fn step_bearer_is_gateway_token(ctx: &Ctx, step: &Value) -> bool {
    let step_token = step_header(step, "authorization").and_then(bearer_value);
    let gateway_token = ctx.header("cf-aig-authorization").and_then(bearer_value);
    step_token.is_some() && step_token == gateway_token
}

fn step_header<'s>(step: &'s Value, name: &str) -> Option<&'s str> {
    step["headers"].as_object().and_then(|h| {
        h.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| v.as_str())
    })
}

fn run_step(
    st: &mut State,
    ctx: &Ctx,
    a: &str,
    g: &str,
    authenticated: bool,
    index: usize,
    step: &Value,
) -> Reply {
    let provider = step["provider"].as_str().unwrap_or_default();
    let endpoint = step["endpoint"].as_str().unwrap_or_default();
    let endpoint = endpoint.trim_start_matches('/');
    let query = &step["query"];
    let model = query["model"].as_str().unwrap_or_default().to_string();
    let bearer_key = non_empty(step_header(step, "authorization").and_then(bearer_value));
    let (format, slug, display, key) = match (provider, endpoint.trim_start_matches("v1/")) {
        ("openai", "responses") => (
            Format::OpenAiResponses,
            "openai".to_string(),
            format!("openai/{model}"),
            bearer_key,
        ),
        ("openai", "chat/completions") => (
            Format::OpenAiChat,
            "openai".to_string(),
            format!("openai/{model}"),
            bearer_key,
        ),
        ("anthropic", "messages") => (
            Format::AnthropicMessages,
            "anthropic".to_string(),
            format!("anthropic/{model}"),
            bearer_key || non_empty(step_header(step, "x-api-key")),
        ),
        // The compat step of `ai-gateway-provider`'s `createUnified({apiKey})` (OpenCode 2,
        // and V1 for Workers AI) carries the Cloudflare token itself as `authorization`. The
        // gateway treats a bearer equal to the request's `cf-aig-authorization` token as the
        // gateway credential, not a provider key: billing goes on to BYOK or Unified Billing.
        // (Emulator rule; reference/opencode-v2.md §5.)
        ("compat", "chat/completions") => (
            Format::OpenAiChat,
            provider_of(&model),
            model.clone(),
            bearer_key && !step_bearer_is_gateway_token(ctx, step),
        ),
        _ => {
            let msg =
                format!("Unsupported provider or endpoint in step {index}: {provider} {endpoint}");
            return gateway_error(400, 2000, &msg);
        }
    };
    infer(
        st,
        ctx,
        Infer {
            account: a,
            gateway: g,
            format,
            provider: slug,
            model,
            display_model: display,
            body: query,
            provider_key: key,
            byok_alias: ctx.header("cf-aig-byok-alias").map(str::to_string),
            authenticated,
            log_path: endpoint.to_string(),
            step: Some(index),
            route: None,
        },
    )
}

/// Validate, bill, answer and log one inference request.
pub fn infer(st: &mut State, ctx: &Ctx, i: Infer) -> Reply {
    if i.route.is_none()
        && let Some(name) = i.model.strip_prefix("dynamic/")
    {
        let (account, gateway) = (i.account, i.gateway);
        return super::dynamic::run(st, ctx, (account, gateway), name, &i);
    }
    let f = i.format;
    if i.model.is_empty() {
        return billing::provider_bad_request(f, "model: Field required");
    }
    if i.provider.is_empty() {
        return billing::provider_bad_request(
            f,
            "model must name its provider, in the form {provider}/{model}",
        );
    }
    let input = match f {
        Format::OpenAiResponses => &i.body["input"],
        _ => &i.body["messages"],
    };
    let input_ok = match f {
        Format::OpenAiResponses => input.is_string() || input.is_array(),
        _ => input.as_array().is_some_and(|m| !m.is_empty()),
    };
    if !input_ok {
        let field = if f == Format::OpenAiResponses {
            "input"
        } else {
            "messages"
        };
        return billing::provider_bad_request(f, &format!("{field}: Field required"));
    }
    let tokens_in = estimate_tokens(&input.to_string());
    let text = reply_for(&i.display_model);
    let tokens_out = estimate_tokens(&text);
    let stream = i.body["stream"].as_bool().unwrap_or(false);
    let model = i
        .model
        .strip_prefix(&format!("{}/", i.provider))
        .unwrap_or(&i.model)
        .to_string();
    let log_id = state::log_id();
    let mut rec = super::logs::LogRec {
        id: log_id.clone(),
        at: chrono::Utc::now(),
        provider: i.provider.clone(),
        model,
        path: i.log_path.clone(),
        duration_ms: 0,
        status_code: 0,
        cached: false,
        tokens_in: None,
        tokens_out: None,
        cost: 0.0,
        stream,
        step: i.step,
        metadata: ctx.header("cf-aig-metadata").map(str::to_string),
        error_code: None,
        route: i.route.clone(),
        logged: false,
        request_body: Some(i.body.to_string()),
        response_body: None,
        annotations: Default::default(),
    };
    let cache_key = super::dynamic::cache_key(&i);
    let mut reply = match super::dynamic::refusal(st, ctx, &i, &rec) {
        Some((r, code)) => {
            rec.error_code = code;
            r
        }
        None if super::dynamic::cache_hit(st, ctx, &i, cache_key) => {
            rec.cached = true;
            rec.tokens_in = Some(tokens_in);
            rec.tokens_out = Some(tokens_out);
            render_ok(&i, &text, stream, tokens_in, tokens_out)
        }
        None => match billing::decide(st, &i) {
            Err(r) => r,
            Ok(payer) => {
                let cost = billing::cost(tokens_in, tokens_out);
                if payer == Payer::Unified {
                    let bal = st.balance(i.account);
                    st.credits.insert(i.account.to_string(), bal - cost);
                }
                if payer != Payer::Free {
                    rec.cost = cost;
                }
                rec.tokens_in = Some(tokens_in);
                rec.tokens_out = Some(tokens_out);
                super::dynamic::cache_store(st, &i, cache_key);
                render_ok(&i, &text, stream, tokens_in, tokens_out)
            }
        },
    };
    rec.status_code = reply.status;
    rec.duration_ms = ctx.started.elapsed().as_millis() as u64;
    if reply.status >= 400 {
        rec.response_body = Some(String::from_utf8_lossy(&reply.body_bytes()).into_owned());
    }
    rec.logged = match ctx.header("cf-aig-collect-log") {
        Some(v) => v.trim().eq_ignore_ascii_case("true"),
        None => st
            .gateway(i.account, i.gateway)
            .and_then(|g| g["collect_logs"].as_bool())
            .unwrap_or(false),
    };
    let cached = rec.cached;
    st.push_log(i.account, i.gateway, rec);
    reply = reply
        .with_header("cf-aig-log-id", log_id)
        .with_header("cf-aig-cache-status", if cached { "HIT" } else { "MISS" });
    if let Some(s) = i.step {
        reply = reply.with_header("cf-aig-step", s.to_string());
    }
    reply
}

fn render_ok(i: &Infer, text: &str, stream: bool, tokens_in: u64, tokens_out: u64) -> Reply {
    inference::render(&Output {
        format: i.format,
        model: &i.model,
        text,
        stream,
        include_usage: i.body["stream_options"]["include_usage"]
            .as_bool()
            .unwrap_or(false),
        tokens_in,
        tokens_out,
    })
}
