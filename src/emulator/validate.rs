//! Request-body validation for gateway create (`POST`) and update (`PUT`), following the
//! OpenAPI request schema. A failure is `400 7001 Input Validation Error` with `path`.

use super::envelope::{Reply, aig_error, validation_error};
use serde_json::{Map, Value};

/// `^[a-z0-9_]+(?:-[a-z0-9_]+)*$`, 1 to 64 characters.
pub fn valid_gateway_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id.split('-').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        })
}

/// Parse a JSON object body, or the 7001 error pointing at `body`.
pub fn object_body(body: &[u8]) -> Result<Map<String, Value>, Reply> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(aig_error(
            400,
            7001,
            "Input Validation Error",
            Some(&["body"]),
        )),
    }
}

fn int_in(v: &Value, min: i64, max: i64) -> bool {
    v.as_i64().is_some_and(|n| n >= min && n <= max)
}

/// The fields to store for a gateway create (`create`) or update body.
pub fn gateway_body(body: &[u8], create: bool) -> Result<Map<String, Value>, Reply> {
    let m = object_body(body)?;
    let mut out = Map::new();
    let field = |name: &str| m.get(name);
    if create {
        match field("id").and_then(Value::as_str) {
            Some(id) if valid_gateway_id(id) => {
                out.insert("id".into(), Value::from(id));
            }
            _ => return Err(validation_error("id")),
        }
    }
    for name in ["cache_invalidate_on_update", "collect_logs"] {
        match field(name) {
            Some(v @ Value::Bool(_)) => {
                out.insert(name.into(), v.clone());
            }
            _ => return Err(validation_error(name)),
        }
    }
    for name in ["cache_ttl", "rate_limiting_interval", "rate_limiting_limit"] {
        match field(name) {
            Some(Value::Null) => {
                out.insert(name.into(), Value::Null);
            }
            Some(v) if int_in(v, 0, i64::MAX) => {
                out.insert(name.into(), v.clone());
            }
            _ => return Err(validation_error(name)),
        }
    }
    let optional: &[(&str, Check)] = &[
        (
            "rate_limiting_technique",
            Check::Enum(&["fixed", "sliding"]),
        ),
        ("authentication", Check::Bool),
        ("log_management", Check::Int(10_000, 10_000_000)),
        (
            "log_management_strategy",
            Check::Enum(&["STOP_INSERTING", "DELETE_OLDEST"]),
        ),
        ("logpush", Check::Bool),
        ("logpush_public_key", Check::Str(16, 1024)),
        (
            "retry_backoff",
            Check::Enum(&["constant", "linear", "exponential"]),
        ),
        ("retry_delay", Check::Int(0, 5000)),
        ("retry_max_attempts", Check::Int(1, 5)),
        (
            "workers_ai_billing_mode",
            Check::EnumNotNull(&["postpaid", "unified"]),
        ),
        ("log_classification", Check::Bool),
        ("zdr", Check::Bool),
        ("byok_only", Check::Bool),
        ("store_id", Check::Str(1, 1024)),
        ("otel", Check::Array),
        ("guardrails", Check::Object),
        ("spend_limits", Check::Object),
        ("stripe", Check::Object),
        ("dlp", Check::ObjectNotNull),
    ];
    for (name, check) in optional {
        let Some(v) = field(name) else { continue };
        if !check.accepts(v) {
            return Err(validation_error(name));
        }
        out.insert(name.to_string(), v.clone());
    }
    Ok(out)
}

enum Check {
    Bool,
    /// Nullable integer range.
    Int(i64, i64),
    /// Nullable string length range.
    Str(usize, usize),
    /// Nullable enum.
    Enum(&'static [&'static str]),
    EnumNotNull(&'static [&'static str]),
    Array,
    Object,
    ObjectNotNull,
}

impl Check {
    fn accepts(&self, v: &Value) -> bool {
        let nullable = !matches!(
            self,
            Check::Bool | Check::EnumNotNull(_) | Check::ObjectNotNull
        );
        if v.is_null() {
            return nullable;
        }
        match self {
            Check::Bool => v.is_boolean(),
            Check::Int(lo, hi) => int_in(v, *lo, *hi),
            Check::Str(lo, hi) => v
                .as_str()
                .is_some_and(|s| (*lo..=*hi).contains(&s.chars().count())),
            Check::Enum(allowed) | Check::EnumNotNull(allowed) => {
                v.as_str().is_some_and(|s| allowed.contains(&s))
            }
            Check::Array => v.is_array(),
            Check::Object | Check::ObjectNotNull => v.is_object(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gateway_ids_follow_the_pattern() {
        for ok in ["a", "my-gateway", "team_1", "a-b-c", &"x".repeat(64)] {
            assert!(valid_gateway_id(ok), "{ok}");
        }
        for bad in ["", "-a", "a-", "a--b", "My", "a b", "a.b", &"x".repeat(65)] {
            assert!(!valid_gateway_id(bad), "{bad}");
        }
    }

    #[test]
    fn create_requires_every_required_field() {
        let full = serde_json::json!({"id": "gw", "cache_invalidate_on_update": false,
            "cache_ttl": null, "collect_logs": true, "rate_limiting_interval": 0,
            "rate_limiting_limit": 0});
        assert!(gateway_body(full.to_string().as_bytes(), true).is_ok());
        for missing in ["id", "cache_ttl", "collect_logs", "rate_limiting_limit"] {
            let mut b = full.clone();
            b.as_object_mut().unwrap().remove(missing);
            let err = gateway_body(b.to_string().as_bytes(), true).unwrap_err();
            let body: Value = serde_json::from_slice(&err.body_bytes()).unwrap();
            assert_eq!(body["errors"][0]["path"][1], missing);
        }
    }
}
