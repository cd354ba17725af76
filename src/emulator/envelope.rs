//! The emulator's reply type and the response envelopes Cloudflare uses:
//! the v4 API envelope (`success/errors/messages/result`), the slimmer AI Gateway config
//! error body (`result: {}`), and the data-plane `AiGatewayError` body.

use bytes::Bytes;
use serde_json::{Value, json};

/// A response before it is turned into hyper types. `chunks` are sent in order (one per SSE
/// event for streams, so a slow-body fault can space them out).
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub chunks: Vec<Bytes>,
}

impl Reply {
    pub fn json(status: u16, body: &Value) -> Reply {
        Reply {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            chunks: vec![Bytes::from(body.to_string())],
        }
    }

    /// A `text/event-stream` body, one chunk per event.
    pub fn sse(events: Vec<String>) -> Reply {
        Reply {
            status: 200,
            headers: vec![
                (
                    "content-type".into(),
                    "text/event-stream; charset=utf-8".into(),
                ),
                ("cache-control".into(), "no-cache".into()),
            ],
            chunks: events.into_iter().map(Bytes::from).collect(),
        }
    }

    pub fn html(status: u16, body: String) -> Reply {
        Reply {
            status,
            headers: vec![("content-type".into(), "text/html; charset=UTF-8".into())],
            chunks: vec![Bytes::from(body)],
        }
    }

    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Reply {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    pub fn has_header(&self, name: &str) -> bool {
        self.headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case(name))
    }

    pub fn body_bytes(&self) -> Bytes {
        if self.chunks.len() == 1 {
            return self.chunks[0].clone();
        }
        let mut all = Vec::new();
        for c in &self.chunks {
            all.extend_from_slice(c);
        }
        Bytes::from(all)
    }
}

/// v4 success: `{success: true, errors: [], messages: [], result}`.
pub fn ok(result: Value) -> Reply {
    Reply::json(
        200,
        &json!({"success": true, "errors": [], "messages": [], "result": result}),
    )
}

/// v4 success with `result_info`.
pub fn ok_paged(result: Value, result_info: Value) -> Reply {
    Reply::json(
        200,
        &json!({"success": true, "errors": [], "messages": [], "result": result, "result_info": result_info}),
    )
}

/// v4 failure (`iam_api-response-common-failure`): `result: null`.
pub fn v4_error(status: u16, code: u32, message: &str) -> Reply {
    Reply::json(
        status,
        &json!({"success": false, "errors": [{"code": code, "message": message}], "messages": [], "result": null}),
    )
}

/// The failure body of the AI Gateway config endpoints: inline schemas with `result: {}`;
/// validation errors carry `path`.
pub fn aig_error(status: u16, code: u32, message: &str, path: Option<&[&str]>) -> Reply {
    let mut err = json!({"code": code, "message": message});
    if let Some(p) = path {
        err["path"] = json!(p);
    }
    Reply::json(
        status,
        &json!({"success": false, "errors": [err], "messages": [], "result": {}}),
    )
}

/// `7001 Input Validation Error` pointing at a body field.
pub fn validation_error(field: &str) -> Reply {
    aig_error(400, 7001, "Input Validation Error", Some(&["body", field]))
}

/// `7002 Not Found` for a missing gateway or provider config.
pub fn not_found() -> Reply {
    aig_error(404, 7002, "Not Found", None)
}

/// A data-plane error: `{success:false, result:[], messages:[], error:[{code,message}],
/// name:"AiGatewayError", httpCode}` (note the singular `error`).
pub fn gateway_error(status: u16, code: u32, message: &str) -> Reply {
    Reply::json(
        status,
        &json!({
            "success": false,
            "result": [],
            "messages": [],
            "error": [{"code": code, "message": message}],
            "name": "AiGatewayError",
            "httpCode": status,
            "internalCode": code,
        }),
    )
}

/// The reason phrase for a status, for generated error messages.
pub fn reason(status: u16) -> &'static str {
    http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error")
}
