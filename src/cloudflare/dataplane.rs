//! The AI Gateway data plane: model listing (`/compat/models`, with a curated fallback) and
//! one chat request sent exactly the way OpenCode 1.18.33's `cloudflare-ai-gateway` provider
//! sends it (see `route_for`), with the reply parsed in the route's wire format (OpenAI
//! Responses, Anthropic Messages or chat completions; SSE or JSON).
//!
//! Inference requests are never retried, and have no total timeout (only a read timeout), so a
//! slow stream is not cut off.

use reqwest::{Method, header};
use serde_json::{Value, json};
use std::fmt;
use std::time::Instant;

use super::api::seg;
use super::error::{ApiError, ErrorKind, ops};
use super::http::{Client, classify_transport, retry_after};
use super::models_curated::curated_models;
use super::sse::{SseEvent, SseParser};
use super::types::{ChatOutcome, ChatRequest, Model, ModelList, ModelSource};

/// Which reply format a route speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WireFormat {
    OpenAiResponses,
    AnthropicMessages,
    ChatCompletions,
}

/// Where a chat request goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `POST {gateway}/{account}/{gateway_id}` with one Universal-endpoint step.
    Universal {
        provider: &'static str,
        endpoint: &'static str,
        /// The model as sent in the step's query.
        model: String,
    },
    /// `POST {api}/accounts/{account}/ai/v1/chat/completions` with `cf-aig-gateway-id`.
    Rest { model: String },
}

impl Route {
    pub fn format(&self) -> WireFormat {
        match self {
            Route::Universal {
                provider: "openai", ..
            } => WireFormat::OpenAiResponses,
            Route::Universal {
                provider: "anthropic",
                ..
            } => WireFormat::AnthropicMessages,
            _ => WireFormat::ChatCompletions,
        }
    }

    /// The model id as sent upstream.
    pub fn model(&self) -> &str {
        match self {
            Route::Universal { model, .. } | Route::Rest { model } => model,
        }
    }
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Route::Universal {
                provider,
                endpoint,
                model,
            } => {
                write!(
                    f,
                    "Universal endpoint, step {provider}/{endpoint}, model {model}"
                )
            }
            Route::Rest { model } => write!(f, "REST API ai/v1/chat/completions, model {model}"),
        }
    }
}

/// The route OpenCode 1.18.33 uses for a gateway catalog model id:
/// - `openai/…` → Universal step `openai` / `v1/responses`, model without the prefix;
/// - `anthropic/…` → Universal step `anthropic` / `v1/messages`, prefix removed, `.` → `-`;
/// - `workers-ai/…` or `@cf/…` → Universal step `compat` / `chat/completions`, full id;
/// - anything else → the REST API chat completions, full id. That includes a dynamic route
///   `dynamic/…`: 1.18.33's loader has no branch for it (checked in its bundle), and the REST
///   route with `cf-aig-gateway-id` serves dynamic routes (Cloudflare's "Using a dynamic route").
///
/// A leading `cloudflare-ai-gateway/` (OpenCode's provider id) is ignored.
pub fn route_for(model: &str) -> Route {
    let model = model
        .strip_prefix("cloudflare-ai-gateway/")
        .unwrap_or(model);
    if let Some(m) = model.strip_prefix("openai/") {
        Route::Universal {
            provider: "openai",
            endpoint: "v1/responses",
            model: m.to_string(),
        }
    } else if let Some(m) = model.strip_prefix("anthropic/") {
        Route::Universal {
            provider: "anthropic",
            endpoint: "v1/messages",
            model: m.replace('.', "-"),
        }
    } else if model.starts_with("workers-ai/") || model.starts_with("@cf/") {
        Route::Universal {
            provider: "compat",
            endpoint: "chat/completions",
            model: model.to_string(),
        }
    } else {
        Route::Rest {
            model: model.to_string(),
        }
    }
}

/// What one stream event means.
#[derive(Debug, PartialEq)]
enum Delta {
    Text(String),
    Done,
    Error(Value),
    Nothing,
}

fn delta_of(format: WireFormat, ev: &SseEvent) -> Delta {
    let data = ev.data.trim();
    if data == "[DONE]" {
        return Delta::Done;
    }
    let Ok(v) = serde_json::from_str::<Value>(data) else {
        return Delta::Nothing;
    };
    let kind = v
        .get("type")
        .and_then(Value::as_str)
        .or(ev.event.as_deref())
        .unwrap_or("");
    match format {
        WireFormat::OpenAiResponses => match kind {
            "response.output_text.delta" => text(v.get("delta")),
            "response.completed" => Delta::Done,
            "response.failed" => Delta::Error(v.pointer("/response/error").cloned().unwrap_or(v)),
            "error" => Delta::Error(v),
            _ => Delta::Nothing,
        },
        WireFormat::AnthropicMessages => match kind {
            "content_block_delta"
                if v.pointer("/delta/type").and_then(Value::as_str) == Some("text_delta") =>
            {
                text(v.pointer("/delta/text"))
            }
            "message_stop" => Delta::Done,
            "error" => Delta::Error(v),
            _ => Delta::Nothing,
        },
        WireFormat::ChatCompletions => {
            if v.get("error").is_some() {
                return Delta::Error(v);
            }
            text(v.pointer("/choices/0/delta/content"))
        }
    }
}

fn text(v: Option<&Value>) -> Delta {
    match v.and_then(Value::as_str) {
        Some(s) => Delta::Text(s.to_string()),
        None => Delta::Nothing,
    }
}

/// The whole answer of a non-streaming reply.
fn full_text(format: WireFormat, v: &Value) -> Option<String> {
    let joined = |items: &Vec<Value>, kind: &str| -> String {
        items
            .iter()
            .filter(|c| c.get("type").and_then(Value::as_str) == Some(kind))
            .filter_map(|c| c.get("text").and_then(Value::as_str))
            .collect()
    };
    match format {
        WireFormat::OpenAiResponses => {
            if let Some(s) = v.get("output_text").and_then(Value::as_str) {
                return Some(s.to_string());
            }
            let output = v.get("output")?.as_array()?;
            Some(
                output
                    .iter()
                    .filter_map(|o| o.get("content").and_then(Value::as_array))
                    .map(|c| joined(c, "output_text"))
                    .collect(),
            )
        }
        WireFormat::AnthropicMessages => Some(joined(v.get("content")?.as_array()?, "text")),
        WireFormat::ChatCompletions => {
            let c = v.pointer("/choices/0/message/content")?;
            Some(c.as_str().unwrap_or_default().to_string())
        }
    }
}

fn step_body(route: &Route, req: &ChatRequest, token: &str) -> Value {
    let messages = json!([{ "role": "user", "content": req.prompt }]);
    let (provider, endpoint) = match route {
        Route::Universal {
            provider, endpoint, ..
        } => (*provider, *endpoint),
        Route::Rest { .. } => ("", ""),
    };
    let (headers, query) = match route.format() {
        WireFormat::OpenAiResponses => (
            json!({ "content-type": "application/json" }),
            json!({ "model": route.model(), "input": messages,
                    "max_output_tokens": req.max_tokens, "stream": req.stream }),
        ),
        WireFormat::AnthropicMessages => (
            json!({ "content-type": "application/json", "anthropic-version": "2023-06-01" }),
            json!({ "model": route.model(), "messages": messages,
                    "max_tokens": req.max_tokens, "stream": req.stream }),
        ),
        WireFormat::ChatCompletions => (
            json!({ "content-type": "application/json", "authorization": format!("Bearer {token}") }),
            chat_body(route.model(), req),
        ),
    };
    json!([{ "provider": provider, "endpoint": endpoint, "headers": headers, "query": query }])
}

fn chat_body(model: &str, req: &ChatRequest) -> Value {
    json!({ "model": model, "messages": [{ "role": "user", "content": req.prompt }],
            "max_tokens": req.max_tokens, "stream": req.stream })
}

/// Reads `{data|result: [{id, owned_by?}]}` (or a bare array); `None` when the shape is unknown.
fn parse_models(body: &[u8]) -> Option<Vec<Model>> {
    let v: Value = serde_json::from_slice(body).ok()?;
    let items = match &v {
        Value::Array(a) => a,
        _ => v.get("data").or_else(|| v.get("result"))?.as_array()?,
    };
    let models: Vec<Model> = items
        .iter()
        .filter_map(|m| {
            let id = m.get("id").and_then(Value::as_str)?;
            Some(Model {
                id: id.to_string(),
                owned_by: m
                    .get("owned_by")
                    .and_then(Value::as_str)
                    .map(str::to_string),
            })
        })
        .collect();
    (!models.is_empty()).then_some(models)
}

impl Client {
    /// The models the gateway offers (`GET {gateway}/{a}/{g}/compat/models`, undocumented).
    /// Falls back to the curated list only when that endpoint is unavailable (404/405 that is
    /// not a token/permission/gateway/billing error, or a 2xx reply that is not a non-empty
    /// model list); token, permission, missing-gateway and server errors are returned.
    pub async fn list_models(
        &self,
        account_id: &str,
        gateway_id: &str,
    ) -> Result<ModelList, ApiError> {
        let path = format!("/{}/{}/compat/models", seg(account_id), seg(gateway_id));
        let url = format!("{}{}", self.endpoints().gateway_url, path);
        let bearer = format!("Bearer {}", self.token().expose());
        let raw = self
            .send_with_retry(
                ops::LIST_MODELS,
                &Method::GET,
                true,
                &format!("[gateway] {path}"),
                || {
                    self.inner
                        .http
                        .get(&url)
                        .timeout(self.inner.timeouts.api_total)
                        .header("cf-aig-authorization", &bearer)
                        .header(header::AUTHORIZATION, &bearer)
                        .header(header::ACCEPT, "application/json")
                },
            )
            .await?;
        let curated = || ModelList {
            models: curated_models(),
            source: ModelSource::Curated,
        };
        if raw.status.is_success() {
            return Ok(match parse_models(&raw.body) {
                Some(models) => ModelList {
                    models,
                    source: ModelSource::Gateway,
                },
                None => {
                    self.log("the gateway's model list was not understood; using the curated list");
                    curated()
                }
            });
        }
        let status = raw.status.as_u16();
        let err = raw.into_error(ops::LIST_MODELS);
        // A 404/405 that is not about the token, a permission, the gateway or billing means
        // the listing route itself does not exist (any "no route" code, or none).
        let no_route = matches!(
            err.kind(),
            ErrorKind::NotFound | ErrorKind::Validation | ErrorKind::Other
        );
        if matches!(status, 404 | 405) && no_route {
            self.log(&format!(
                "model listing unavailable (HTTP {status}); using the curated list"
            ));
            return Ok(curated());
        }
        Err(err)
    }

    /// Sends one prompt the way OpenCode does for `req.model` and returns the answer. Each
    /// non-empty text delta is passed to `on_text` as it arrives. Not retried.
    pub async fn chat(
        &self,
        account_id: &str,
        gateway_id: &str,
        req: &ChatRequest,
        on_text: &mut (dyn FnMut(&str) + Send),
    ) -> Result<ChatOutcome, ApiError> {
        let route = route_for(&req.model);
        self.chat_on(account_id, gateway_id, &route, req, on_text)
            .await
    }

    /// Sends one prompt by `route` (a client's own route, e.g. OpenCode 2's compat step for
    /// every model). Not retried.
    pub async fn chat_on(
        &self,
        account_id: &str,
        gateway_id: &str,
        route: &Route,
        req: &ChatRequest,
        on_text: &mut (dyn FnMut(&str) + Send),
    ) -> Result<ChatOutcome, ApiError> {
        let op = ops::CHAT;
        let route = route.clone();
        let token = self.token().expose();
        let bearer = format!("Bearer {token}");
        let accept = if req.stream {
            "text/event-stream"
        } else {
            "application/json"
        };
        let (log_path, rb) = match &route {
            Route::Universal { .. } => {
                let path = format!("/{}/{}", seg(account_id), seg(gateway_id));
                let url = format!("{}{}", self.endpoints().gateway_url, path);
                let rb = self
                    .inner
                    .http
                    .post(url)
                    .header("cf-aig-authorization", &bearer)
                    .json(&step_body(&route, req, token));
                (format!("[gateway] {path}"), rb)
            }
            Route::Rest { model } => {
                let path = format!("/accounts/{}/ai/v1/chat/completions", seg(account_id));
                let url = format!("{}{}", self.endpoints().api_url, path);
                let rb = self
                    .inner
                    .http
                    .post(url)
                    .header(header::AUTHORIZATION, &bearer)
                    .header("cf-aig-gateway-id", gateway_id)
                    .json(&chat_body(model, req));
                (path, rb)
            }
        };
        let started = Instant::now();
        let resp = match rb.header(header::ACCEPT, accept).send().await {
            Ok(r) => r,
            Err(e) => {
                let (t, detail) = classify_transport(&e);
                self.log_attempt(
                    &Method::POST,
                    &log_path,
                    &format!("{t:?} error"),
                    started,
                    1,
                );
                return Err(ApiError::transport(op, t, &detail));
            }
        };
        let status = resp.status();
        self.log_attempt(
            &Method::POST,
            &log_path,
            &status.as_u16().to_string(),
            started,
            1,
        );
        let content_type = resp
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        if !status.is_success() {
            let wait = retry_after(resp.headers());
            let body = resp.bytes().await.unwrap_or_default();
            return Err(
                ApiError::from_response(op, status.as_u16(), Some(&content_type), &body)
                    .with_retry_after(wait),
            );
        }
        // Only one step is sent, so `cf-aig-step` (absent = 0) always names it.
        let format = route.format();
        let mut text = String::new();
        let mut ttft = None;
        let read_err = |e: reqwest::Error| {
            let (t, detail) = classify_transport(&e);
            ApiError::transport(op, t, &detail)
        };
        if content_type.starts_with("text/event-stream") {
            let mut resp = resp;
            let mut parser = SseParser::new();
            let mut done = false;
            while !done {
                let events = match resp.chunk().await.map_err(read_err)? {
                    Some(chunk) => parser.push(&chunk),
                    None => {
                        done = true;
                        parser.finish().into_iter().collect()
                    }
                };
                for ev in events {
                    match delta_of(format, &ev) {
                        Delta::Text(t) if !t.is_empty() => {
                            ttft.get_or_insert_with(|| started.elapsed());
                            on_text(&t);
                            text.push_str(&t);
                        }
                        Delta::Error(v) => {
                            let body = serde_json::to_vec(&v).unwrap_or_default();
                            return Err(ApiError::from_response(
                                op,
                                status.as_u16(),
                                Some("application/json"),
                                &body,
                            ));
                        }
                        Delta::Done => done = true,
                        _ => {}
                    }
                }
            }
        } else {
            let body = resp.bytes().await.map_err(read_err)?;
            let v: Value = serde_json::from_slice(&body).map_err(|_| {
                ApiError::from_response(op, status.as_u16(), Some(&content_type), &body)
            })?;
            match full_text(format, &v) {
                Some(t) => {
                    if !t.is_empty() {
                        on_text(&t);
                    }
                    text = t;
                }
                None => {
                    return Err(ApiError::unexpected(
                        op,
                        status.as_u16(),
                        "the reply has no answer text",
                    ));
                }
            }
        }
        Ok(ChatOutcome {
            text,
            route,
            ttft,
            total: started.elapsed(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uni(provider: &'static str, endpoint: &'static str, model: &str) -> Route {
        Route::Universal {
            provider,
            endpoint,
            model: model.to_string(),
        }
    }

    #[test]
    fn routes_match_opencode() {
        assert_eq!(
            route_for("openai/gpt-5-mini"),
            uni("openai", "v1/responses", "gpt-5-mini")
        );
        assert_eq!(
            route_for("openai/gpt-5.4-nano"),
            uni("openai", "v1/responses", "gpt-5.4-nano")
        );
        assert_eq!(
            route_for("anthropic/claude-sonnet-4.5"),
            uni("anthropic", "v1/messages", "claude-sonnet-4-5")
        );
        assert_eq!(
            route_for("workers-ai/@cf/meta/llama-3.3-70b-instruct-fp8-fast"),
            uni(
                "compat",
                "chat/completions",
                "workers-ai/@cf/meta/llama-3.3-70b-instruct-fp8-fast"
            )
        );
        assert_eq!(
            route_for("@cf/moonshotai/kimi-k2.6"),
            uni("compat", "chat/completions", "@cf/moonshotai/kimi-k2.6")
        );
        assert_eq!(
            route_for("xai/grok-4.3"),
            Route::Rest {
                model: "xai/grok-4.3".into()
            }
        );
        assert_eq!(
            route_for("google/gemini-3-flash"),
            Route::Rest {
                model: "google/gemini-3-flash".into()
            }
        );
        assert_eq!(
            route_for("cloudflare-ai-gateway/anthropic/claude-haiku-4.5"),
            uni("anthropic", "v1/messages", "claude-haiku-4-5")
        );
        assert_eq!(route_for("openai/x").format(), WireFormat::OpenAiResponses);
        assert_eq!(
            route_for("anthropic/x").format(),
            WireFormat::AnthropicMessages
        );
        assert_eq!(route_for("@cf/x").format(), WireFormat::ChatCompletions);
        assert_eq!(route_for("xai/x").format(), WireFormat::ChatCompletions);
    }

    #[test]
    fn step_bodies_have_the_opencode_shape() {
        let req = ChatRequest {
            model: "x".into(),
            prompt: "hi".into(),
            max_tokens: 32,
            stream: true,
        };
        let b = step_body(&route_for("openai/gpt-5-mini"), &req, "tok");
        assert_eq!(b[0]["provider"], "openai");
        assert_eq!(b[0]["endpoint"], "v1/responses");
        assert_eq!(b[0]["query"]["model"], "gpt-5-mini");
        assert_eq!(b[0]["query"]["stream"], true);
        assert!(b[0]["headers"].get("authorization").is_none());

        let b = step_body(&route_for("anthropic/claude-sonnet-4.5"), &req, "tok");
        assert_eq!(b[0]["query"]["model"], "claude-sonnet-4-5");
        assert_eq!(b[0]["query"]["max_tokens"], 32);
        assert!(b[0]["headers"].get("authorization").is_none());

        let b = step_body(&route_for("workers-ai/@cf/meta/m"), &req, "tok");
        assert_eq!(b[0]["provider"], "compat");
        assert_eq!(b[0]["headers"]["authorization"], "Bearer tok");
        assert_eq!(b[0]["query"]["model"], "workers-ai/@cf/meta/m");
    }

    fn run(format: WireFormat, stream: &str) -> (String, bool) {
        let mut p = SseParser::new();
        let mut out = String::new();
        let mut done = false;
        let mut events = p.push(stream.as_bytes());
        events.extend(p.finish());
        for ev in events {
            match delta_of(format, &ev) {
                Delta::Text(t) => out.push_str(&t),
                Delta::Done => done = true,
                Delta::Error(v) => panic!("error {v}"),
                Delta::Nothing => {}
            }
        }
        (out, done)
    }

    #[test]
    fn openai_responses_stream() {
        let s = "event: response.created\ndata: {\"type\":\"response.created\",\"response\":{}}\n\n\
                 event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"delta\":\"Hel\"}\n\n\
                 event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"delta\":\"lo\"}\n\n\
                 event: response.output_text.done\ndata: {\"type\":\"response.output_text.done\",\"text\":\"Hello\"}\n\n\
                 event: response.completed\ndata: {\"type\":\"response.completed\",\"response\":{}}\n\n";
        assert_eq!(run(WireFormat::OpenAiResponses, s), ("Hello".into(), true));
    }

    #[test]
    fn anthropic_stream() {
        let s = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{}}\n\n\
                 event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n\
                 event: ping\ndata: {\"type\":\"ping\"}\n\n\
                 event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi \"}}\n\n\
                 event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{}\"}}\n\n\
                 event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"there\"}}\n\n\
                 event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
        assert_eq!(
            run(WireFormat::AnthropicMessages, s),
            ("Hi there".into(), true)
        );
    }

    #[test]
    fn chat_completions_stream() {
        let s = "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\"}}]}\n\n\
                 data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"O\"}}]}\n\n\
                 data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"K\"},\"finish_reason\":null}]}\n\n\
                 data: {\"choices\":[],\"usage\":{\"total_tokens\":3}}\n\n\
                 data: [DONE]\n\n";
        assert_eq!(run(WireFormat::ChatCompletions, s), ("OK".into(), true));
    }

    #[test]
    fn stream_errors_are_recognised() {
        let ev = |data: &str| SseEvent {
            event: None,
            data: data.into(),
        };
        assert!(matches!(
            delta_of(
                WireFormat::AnthropicMessages,
                &ev(
                    r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#
                )
            ),
            Delta::Error(_)
        ));
        assert!(matches!(
            delta_of(WireFormat::OpenAiResponses, &ev(r#"{"type":"response.failed","response":{"error":{"code":"server_error","message":"boom"}}}"#)),
            Delta::Error(v) if v["message"] == "boom"
        ));
        assert!(matches!(
            delta_of(
                WireFormat::ChatCompletions,
                &ev(r#"{"error":{"message":"bad"}}"#)
            ),
            Delta::Error(_)
        ));
    }

    #[test]
    fn non_streaming_bodies() {
        let responses = json!({"output":[{"type":"reasoning","content":[]},{"type":"message","content":[{"type":"output_text","text":"Hello"}]}]});
        assert_eq!(
            full_text(WireFormat::OpenAiResponses, &responses).unwrap(),
            "Hello"
        );
        let anthropic = json!({"content":[{"type":"text","text":"Hi"},{"type":"tool_use"}]});
        assert_eq!(
            full_text(WireFormat::AnthropicMessages, &anthropic).unwrap(),
            "Hi"
        );
        let chat = json!({"choices":[{"index":0,"message":{"role":"assistant","content":"OK"}}]});
        assert_eq!(full_text(WireFormat::ChatCompletions, &chat).unwrap(), "OK");
        assert!(full_text(WireFormat::ChatCompletions, &json!({"x":1})).is_none());
    }

    #[test]
    fn model_list_shapes() {
        let m = parse_models(br#"{"object":"list","data":[{"id":"openai/gpt-4o","owned_by":"openai"},{"id":"workers-ai/@cf/x"}]}"#).unwrap();
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].owned_by.as_deref(), Some("openai"));
        assert!(parse_models(br#"{"success":true,"result":[{"id":"a/b"}]}"#).is_some());
        assert!(parse_models(br#"[{"id":"a/b"}]"#).is_some());
        assert!(parse_models(b"<html></html>").is_none());
        assert!(parse_models(br#"{"data":[]}"#).is_none());
    }
}
