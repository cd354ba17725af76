//! Cloudflare's OpenAPI contract as the tests use it: the repository's copy, its schemas
//! converted from OpenAPI 3.0 to JSON Schema, and validation of a reply against the schema
//! of its operation and status. Shared by `emulator_conformance` and `tokens_emulator`.

#![allow(dead_code)]

use serde_json::{Map, Value, json};
use std::collections::BTreeSet;

pub const CONTRACT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/contracts/cloudflare-openapi-2026-08-14.json"
);

/// OpenAPI 3.0 → JSON Schema: `nullable` becomes a `null` type (or an `anyOf` with null),
/// boolean `exclusiveMinimum`/`exclusiveMaximum` become numeric bounds, `x-*` and `example`
/// keys are dropped.
pub fn convert(v: &Value) -> Value {
    match v {
        Value::Array(a) => Value::Array(a.iter().map(convert).collect()),
        Value::Object(m) => {
            let mut out = Map::new();
            for (k, val) in m {
                if k.starts_with("x-") || k == "example" || k == "nullable" {
                    continue;
                }
                out.insert(k.clone(), convert(val));
            }
            for (excl, bound) in [
                ("exclusiveMinimum", "minimum"),
                ("exclusiveMaximum", "maximum"),
            ] {
                if let Some(Value::Bool(b)) = out.get(excl).cloned() {
                    out.remove(excl);
                    if b && let Some(n) = out.remove(bound) {
                        out.insert(excl.into(), n);
                    }
                }
            }
            if m.get("nullable") == Some(&Value::Bool(true)) {
                match out.get("type").cloned() {
                    Some(Value::String(t)) => {
                        out.insert("type".into(), json!([t, "null"]));
                        if let Some(Value::Array(e)) = out.get_mut("enum")
                            && !e.contains(&Value::Null)
                        {
                            e.push(Value::Null);
                        }
                    }
                    _ => return json!({"anyOf": [Value::Object(out), {"type": "null"}]}),
                }
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}

pub struct Contract {
    pub doc: Value,
    pub components: Value,
    pub covered: BTreeSet<(String, String)>,
}

impl Contract {
    pub fn load() -> Contract {
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(CONTRACT).unwrap()).unwrap();
        let components = convert(&doc["components"]);
        Contract {
            doc,
            components,
            covered: BTreeSet::new(),
        }
    }

    /// Every (operationId, response key) the contract documents.
    pub fn documented(&self) -> BTreeSet<(String, String)> {
        let mut all = BTreeSet::new();
        for (_, item) in self.doc["paths"].as_object().unwrap() {
            for (_, op) in item.as_object().unwrap() {
                let Some(id) = op["operationId"].as_str() else {
                    continue;
                };
                for status in op["responses"].as_object().unwrap().keys() {
                    all.insert((id.to_string(), status.clone()));
                }
            }
        }
        all
    }

    pub fn operation(&self, id: &str) -> &Value {
        for (_, item) in self.doc["paths"].as_object().unwrap() {
            for (_, op) in item.as_object().unwrap() {
                if op["operationId"] == id {
                    return op;
                }
            }
        }
        panic!("no operation {id} in the contract");
    }

    /// The schema errors of a body for an operation and status (and the response key used).
    pub fn errors(&self, op_id: &str, status: u16, body: &Value) -> (String, Vec<String>) {
        let responses = &self.operation(op_id)["responses"];
        let exact = status.to_string();
        let class = format!("{}XX", status / 100);
        let key = if responses.get(&exact).is_some() {
            exact
        } else if responses.get(&class).is_some() {
            class
        } else {
            panic!("{op_id}: status {status} is not documented; body {body}");
        };
        let schema = &responses[&key]["content"]["application/json"]["schema"];
        let mut root = convert(schema);
        root.as_object_mut()
            .unwrap()
            .insert("components".into(), self.components.clone());
        let validator = jsonschema::options()
            .should_validate_formats(true)
            .build(&root)
            .unwrap_or_else(|e| panic!("{op_id} {key}: schema does not compile: {e}"));
        let errors = validator
            .iter_errors(body)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        (key, errors)
    }

    /// Validate a response body against the schema the operation documents for its status.
    pub fn check(&mut self, op_id: &str, status: u16, body: &Value) {
        let (key, errors) = self.errors(op_id, status, body);
        assert!(
            errors.is_empty(),
            "{op_id} {status}: body does not match the schema: {errors:?}\nbody: {body}"
        );
        self.covered.insert((op_id.to_string(), key));
    }
}
