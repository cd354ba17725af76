//! The model's answer and the wire formats it is sent in: OpenAI Chat Completions (JSON and
//! `chat.completion.chunk` SSE ending with `[DONE]`), OpenAI Responses (JSON and the
//! `response.*` event stream), and Anthropic Messages (JSON and the `message_*` /
//! `content_block_*` event stream). Payloads carry every field the ai-sdk parsers read.

use super::envelope::Reply;
use serde_json::{Value, json};

/// The deterministic reply text for a model.
pub fn reply_for(model: &str) -> String {
    format!("Hello from the aigate emulator (model {model}).")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    OpenAiChat,
    OpenAiResponses,
    AnthropicMessages,
}

/// Everything needed to render one answer.
pub struct Output<'a> {
    pub format: Format,
    /// The model as the request named it (echoed in the body).
    pub model: &'a str,
    pub text: &'a str,
    pub stream: bool,
    pub include_usage: bool,
    pub tokens_in: u64,
    pub tokens_out: u64,
}

/// A rough token estimate: a quarter of the characters, at least 1.
pub fn estimate_tokens(text: &str) -> u64 {
    (text.chars().count() as u64).div_ceil(4).max(1)
}

fn random_alnum(n: usize) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    (0..n)
        .map(|_| A[fastrand::usize(0..A.len())] as char)
        .collect()
}

fn random_hex(n: usize) -> String {
    (0..n)
        .map(|_| char::from_digit(fastrand::u32(0..16), 16).unwrap_or('0'))
        .collect()
}

/// The text split into several word-sized deltas that concatenate back to it.
pub fn deltas(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in text.chars() {
        cur.push(c);
        if c == ' ' {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn data_event(data: &Value) -> String {
    format!("data: {data}\n\n")
}

fn named_event(name: &str, data: &Value) -> String {
    format!("event: {name}\ndata: {data}\n\n")
}

pub fn render(o: &Output) -> Reply {
    match (o.format, o.stream) {
        (Format::OpenAiChat, false) => Reply::json(200, &chat_json(o)),
        (Format::OpenAiChat, true) => Reply::sse(chat_sse(o)),
        (Format::OpenAiResponses, false) => Reply::json(200, &responses_json(o, &new_ids())),
        (Format::OpenAiResponses, true) => Reply::sse(responses_sse(o)),
        (Format::AnthropicMessages, false) => Reply::json(200, &anthropic_json(o)),
        (Format::AnthropicMessages, true) => Reply::sse(anthropic_sse(o)),
    }
}

fn now_secs() -> i64 {
    chrono::Utc::now().timestamp()
}

fn chat_usage(o: &Output) -> Value {
    json!({
        "prompt_tokens": o.tokens_in,
        "completion_tokens": o.tokens_out,
        "total_tokens": o.tokens_in + o.tokens_out,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
            "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0},
    })
}

fn chat_json(o: &Output) -> Value {
    json!({
        "id": format!("chatcmpl-{}", random_alnum(29)),
        "object": "chat.completion",
        "created": now_secs(),
        "model": o.model,
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": o.text, "refusal": null, "annotations": []},
            "logprobs": null,
            "finish_reason": "stop",
        }],
        "usage": chat_usage(o),
        "service_tier": "default",
        "system_fingerprint": "fp_aigate_emulator",
    })
}

fn chat_sse(o: &Output) -> Vec<String> {
    let id = format!("chatcmpl-{}", random_alnum(29));
    let created = now_secs();
    let chunk = |delta: Value, finish: Value| {
        json!({
            "id": id, "object": "chat.completion.chunk", "created": created, "model": o.model,
            "service_tier": "default", "system_fingerprint": "fp_aigate_emulator",
            "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}],
        })
    };
    let mut events = vec![data_event(&chunk(
        json!({"role": "assistant", "content": "", "refusal": null}),
        Value::Null,
    ))];
    for d in deltas(o.text) {
        events.push(data_event(&chunk(json!({"content": d}), Value::Null)));
    }
    events.push(data_event(&chunk(json!({}), json!("stop"))));
    if o.include_usage {
        events.push(data_event(&json!({
            "id": id, "object": "chat.completion.chunk", "created": created, "model": o.model,
            "service_tier": "default", "system_fingerprint": "fp_aigate_emulator",
            "choices": [], "usage": chat_usage(o),
        })));
    }
    events.push("data: [DONE]\n\n".to_string());
    events
}

struct ResponseIds {
    response: String,
    message: String,
    created_at: i64,
}

fn new_ids() -> ResponseIds {
    ResponseIds {
        response: format!("resp_{}", random_hex(48)),
        message: format!("msg_{}", random_hex(48)),
        created_at: now_secs(),
    }
}

fn output_text_part(text: &str) -> Value {
    json!({"type": "output_text", "text": text, "annotations": [], "logprobs": []})
}

fn message_item(ids: &ResponseIds, text: Option<&str>) -> Value {
    match text {
        Some(t) => json!({"id": ids.message, "type": "message", "status": "completed",
                          "role": "assistant", "content": [output_text_part(t)]}),
        None => json!({"id": ids.message, "type": "message", "status": "in_progress",
                       "role": "assistant", "content": []}),
    }
}

/// The Responses API `response` object; `done` adds the output and usage.
fn response_object(o: &Output, ids: &ResponseIds, done: bool) -> Value {
    let (status, output, usage) = if done {
        (
            "completed",
            json!([message_item(ids, Some(o.text))]),
            json!({
                "input_tokens": o.tokens_in,
                "input_tokens_details": {"cached_tokens": 0},
                "output_tokens": o.tokens_out,
                "output_tokens_details": {"reasoning_tokens": 0},
                "total_tokens": o.tokens_in + o.tokens_out,
            }),
        )
    } else {
        ("in_progress", json!([]), Value::Null)
    };
    json!({
        "id": ids.response,
        "object": "response",
        "created_at": ids.created_at,
        "status": status,
        "background": false,
        "error": null,
        "incomplete_details": null,
        "instructions": null,
        "max_output_tokens": null,
        "model": o.model,
        "output": output,
        "parallel_tool_calls": true,
        "previous_response_id": null,
        "reasoning": {"effort": null, "summary": null},
        "service_tier": "default",
        "store": false,
        "temperature": 1.0,
        "text": {"format": {"type": "text"}, "verbosity": "medium"},
        "tool_choice": "auto",
        "tools": [],
        "top_p": 1.0,
        "truncation": "disabled",
        "usage": usage,
        "user": null,
        "metadata": {},
    })
}

fn responses_json(o: &Output, ids: &ResponseIds) -> Value {
    response_object(o, ids, true)
}

fn responses_sse(o: &Output) -> Vec<String> {
    let ids = new_ids();
    let mut seq = 0u64;
    let mut events = Vec::new();
    let mut push = |ty: &str, mut data: Value| {
        data["type"] = json!(ty);
        data["sequence_number"] = json!(seq);
        seq += 1;
        events.push(named_event(ty, &data));
    };
    let item_ref = |extra: Value| {
        let mut v = json!({"item_id": ids.message, "output_index": 0, "content_index": 0});
        if let (Some(m), Some(e)) = (v.as_object_mut(), extra.as_object()) {
            m.extend(e.clone());
        }
        v
    };
    push(
        "response.created",
        json!({"response": response_object(o, &ids, false)}),
    );
    push(
        "response.in_progress",
        json!({"response": response_object(o, &ids, false)}),
    );
    push(
        "response.output_item.added",
        json!({"output_index": 0, "item": message_item(&ids, None)}),
    );
    push(
        "response.content_part.added",
        item_ref(json!({"part": output_text_part("")})),
    );
    for d in deltas(o.text) {
        push(
            "response.output_text.delta",
            item_ref(json!({"delta": d, "logprobs": []})),
        );
    }
    push(
        "response.output_text.done",
        item_ref(json!({"text": o.text, "logprobs": []})),
    );
    push(
        "response.content_part.done",
        item_ref(json!({"part": output_text_part(o.text)})),
    );
    push(
        "response.output_item.done",
        json!({"output_index": 0, "item": message_item(&ids, Some(o.text))}),
    );
    push(
        "response.completed",
        json!({"response": response_object(o, &ids, true)}),
    );
    events
}

fn anthropic_id() -> String {
    format!("msg_01{}", random_alnum(22))
}

fn anthropic_json(o: &Output) -> Value {
    json!({
        "id": anthropic_id(),
        "type": "message",
        "role": "assistant",
        "model": o.model,
        "content": [{"type": "text", "text": o.text}],
        "stop_reason": "end_turn",
        "stop_sequence": null,
        "usage": {"input_tokens": o.tokens_in, "output_tokens": o.tokens_out,
                  "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0,
                  "service_tier": "standard"},
    })
}

fn anthropic_sse(o: &Output) -> Vec<String> {
    let mut events = vec![
        named_event(
            "message_start",
            &json!({"type": "message_start", "message": {
                "id": anthropic_id(), "type": "message", "role": "assistant", "model": o.model,
                "content": [], "stop_reason": null, "stop_sequence": null,
                "usage": {"input_tokens": o.tokens_in, "output_tokens": 1,
                          "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0,
                          "service_tier": "standard"}}}),
        ),
        named_event(
            "content_block_start",
            &json!({"type": "content_block_start", "index": 0,
                    "content_block": {"type": "text", "text": ""}}),
        ),
        named_event("ping", &json!({"type": "ping"})),
    ];
    for d in deltas(o.text) {
        events.push(named_event(
            "content_block_delta",
            &json!({"type": "content_block_delta", "index": 0,
                    "delta": {"type": "text_delta", "text": d}}),
        ));
    }
    events.push(named_event(
        "content_block_stop",
        &json!({"type": "content_block_stop", "index": 0}),
    ));
    events.push(named_event(
        "message_delta",
        &json!({"type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": null},
                "usage": {"output_tokens": o.tokens_out}}),
    ));
    events.push(named_event(
        "message_stop",
        &json!({"type": "message_stop"}),
    ));
    events
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deltas_rebuild_the_text() {
        let t = reply_for("openai/gpt-5-mini");
        let d = deltas(&t);
        assert!(d.len() > 3);
        assert_eq!(d.concat(), t);
    }

    #[test]
    fn responses_stream_numbers_its_events() {
        let o = Output {
            format: Format::OpenAiResponses,
            model: "gpt-5-mini",
            text: "a b",
            stream: true,
            include_usage: false,
            tokens_in: 3,
            tokens_out: 2,
        };
        let events = responses_sse(&o);
        for (i, e) in events.iter().enumerate() {
            let data = e.split_once("data: ").unwrap().1.trim();
            let v: Value = serde_json::from_str(data).unwrap();
            assert_eq!(v["sequence_number"], i as u64);
        }
        assert!(
            events
                .last()
                .unwrap()
                .starts_with("event: response.completed")
        );
    }
}
