//! Every operation of the OpenAPI extract (`shared/contracts/cloudflare-openapi-aigateway.json`)
//! driven against the emulator: its 200 and each documented error status, with the body
//! validated against the operation's response schema (OpenAPI 3.0 converted to JSON Schema).
//! The test fails if any documented (operation, status) pair was not produced and validated.

use aigate::emulator::{Emulator, EmulatorOptions, Permissions, Seed, TokenSpec, sandbox};
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;

const CONTRACT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/contracts/cloudflare-openapi-aigateway.json"
);

/// OpenAPI 3.0 → JSON Schema: `nullable` becomes a `null` type (or an `anyOf` with null),
/// boolean `exclusiveMinimum`/`exclusiveMaximum` become numeric bounds, `x-*` and `example`
/// keys are dropped.
fn convert(v: &Value) -> Value {
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

struct Contract {
    doc: Value,
    components: Value,
    covered: BTreeSet<(String, String)>,
}

impl Contract {
    fn load() -> Contract {
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(CONTRACT).unwrap()).unwrap();
        let components = convert(&doc["components"]);
        Contract {
            doc,
            components,
            covered: BTreeSet::new(),
        }
    }

    /// Every (operationId, response key) the contract documents.
    fn documented(&self) -> BTreeSet<(String, String)> {
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

    fn operation(&self, id: &str) -> &Value {
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
    fn errors(&self, op_id: &str, status: u16, body: &Value) -> (String, Vec<String>) {
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
    fn check(&mut self, op_id: &str, status: u16, body: &Value) {
        let (key, errors) = self.errors(op_id, status, body);
        assert!(
            errors.is_empty(),
            "{op_id} {status}: body does not match the schema: {errors:?}\nbody: {body}"
        );
        self.covered.insert((op_id.to_string(), key));
    }
}

#[test]
fn the_converted_schemas_reject_wrong_bodies() {
    let c = Contract::load();
    let gw = json!({"id": "gw", "cache_invalidate_on_update": false, "cache_ttl": null,
        "collect_logs": true, "rate_limiting_interval": 0, "rate_limiting_limit": 0,
        "created_at": "2026-01-01T00:00:00Z", "modified_at": "2026-01-01T00:00:00Z"});
    let good = json!({"success": true, "result": gw});
    assert!(
        c.errors("aig-config-fetch-gateway", 200, &good)
            .1
            .is_empty()
    );
    let mut negative_ttl = good.clone();
    negative_ttl["result"]["cache_ttl"] = json!(-1);
    assert!(
        !c.errors("aig-config-fetch-gateway", 200, &negative_ttl)
            .1
            .is_empty()
    );
    let mut bad_date = good.clone();
    bad_date["result"]["created_at"] = json!("yesterday");
    assert!(
        !c.errors("aig-config-fetch-gateway", 200, &bad_date)
            .1
            .is_empty()
    );
    assert!(
        !c.errors("aig-config-fetch-gateway", 200, &json!({"success": true}))
            .1
            .is_empty()
    );
    let failure = json!({"success": false, "errors": [{"code": 1000, "message": "x"}],
        "messages": [], "result": null});
    assert!(
        c.errors("user-api-tokens-verify-token", 401, &failure)
            .1
            .is_empty()
    );
    let mut not_null = failure.clone();
    not_null["result"] = json!({});
    assert!(
        !c.errors("user-api-tokens-verify-token", 401, &not_null)
            .1
            .is_empty()
    );
}

struct Api {
    http: reqwest::Client,
    base: String,
}

impl Api {
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self
            .http
            .request(method, format!("{}{}", self.base, path))
            .bearer_auth(token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        let v = serde_json::from_str(&text)
            .unwrap_or_else(|_| panic!("{path}: body is not JSON: {text}"));
        (status, v)
    }
}

const READ_ONLY: &str = "cfut_conformance_read_only_token_0000000000000";
const NO_PERMS: &str = "cfut_conformance_no_permissions_token_00000000";
const GHOST: &str = "cfut_conformance_token_for_a_ghost_account_0000";
const ACCOUNT_TOKEN: &str = "cfat_conformance_account_owned_token_000000000";
const GHOST_ACCOUNT: &str = "0000000000000000000000000000dead";

#[tokio::test]
async fn every_operation_matches_the_openapi_contract() {
    use reqwest::Method;
    let emu = Emulator::start(EmulatorOptions {
        tls_proxy: false,
        seed: Seed::Sandbox,
    })
    .await
    .unwrap();
    let acct = sandbox::ACCOUNT_ID;
    emu.add_token(TokenSpec {
        permissions: Permissions {
            ai_gateway_read: true,
            ..Permissions::none()
        },
        ..TokenSpec::user(READ_ONLY, &[acct])
    });
    emu.add_token(TokenSpec {
        permissions: Permissions::none(),
        ..TokenSpec::user(NO_PERMS, &[acct])
    });
    emu.add_token(TokenSpec::user(GHOST, &[GHOST_ACCOUNT]));
    emu.add_token(TokenSpec::account(ACCOUNT_TOKEN, acct));
    let api = Api {
        http: reqwest::Client::builder().no_proxy().build().unwrap(),
        base: emu.api_url(),
    };
    let tok = sandbox::TOKEN;
    let mut c = Contract::load();
    let gw_base = format!("/accounts/{acct}/ai-gateway/gateways");

    // Token verification.
    let (s, b) = api
        .call(Method::GET, "/user/tokens/verify", tok, None)
        .await;
    assert_eq!(s, 200);
    c.check("user-api-tokens-verify-token", s, &b);
    let (s, b) = api
        .call(Method::GET, "/user/tokens/verify", "cfut_unknown", None)
        .await;
    assert_eq!(s, 401);
    c.check("user-api-tokens-verify-token", s, &b);
    let path = format!("/accounts/{acct}/tokens/verify");
    let (s, b) = api.call(Method::GET, &path, ACCOUNT_TOKEN, None).await;
    assert_eq!(s, 200);
    c.check("account-api-tokens-verify-token", s, &b);
    let (s, b) = api.call(Method::GET, &path, tok, None).await;
    assert_eq!(s, 401);
    c.check("account-api-tokens-verify-token", s, &b);

    // Accounts.
    let (s, b) = api
        .call(Method::GET, "/accounts?per_page=5", tok, None)
        .await;
    assert_eq!(s, 200);
    c.check("accounts-list-accounts", s, &b);
    let (s, b) = api.call(Method::GET, "/accounts", "bad-token", None).await;
    assert_eq!(s, 401);
    c.check("accounts-list-accounts", s, &b);

    // Gateways.
    let create = json!({"id": "conformance-gw", "cache_invalidate_on_update": false,
        "cache_ttl": 0, "collect_logs": true, "rate_limiting_interval": 0,
        "rate_limiting_limit": 0, "rate_limiting_technique": "fixed", "authentication": true});
    let (s, b) = api
        .call(Method::POST, &gw_base, tok, Some(create.clone()))
        .await;
    assert_eq!(s, 200, "{b}");
    c.check("aig-config-create-gateway", s, &b);
    let mut bad = create.clone();
    bad["id"] = json!("Bad--Id");
    let (s, b) = api.call(Method::POST, &gw_base, tok, Some(bad)).await;
    assert_eq!(s, 400);
    c.check("aig-config-create-gateway", s, &b);
    let (s, b) = api.call(Method::POST, &gw_base, tok, Some(create)).await;
    assert_eq!(s, 400, "duplicate id");
    c.check("aig-config-create-gateway", s, &b);

    let (s, b) = api.call(Method::GET, &gw_base, tok, None).await;
    assert_eq!(s, 200);
    assert_eq!(b["result"].as_array().unwrap().len(), 3);
    c.check("aig-config-list-gateway", s, &b);
    let (s, b) = api
        .call(Method::GET, &format!("{gw_base}?per_page=500"), tok, None)
        .await;
    assert_eq!(s, 400);
    c.check("aig-config-list-gateway", s, &b);

    let one = format!("{gw_base}/conformance-gw");
    let (s, b) = api.call(Method::GET, &one, tok, None).await;
    assert_eq!(s, 200);
    c.check("aig-config-fetch-gateway", s, &b);
    let (s, b) = api
        .call(Method::GET, &format!("{gw_base}/missing"), tok, None)
        .await;
    assert_eq!(s, 404);
    c.check("aig-config-fetch-gateway", s, &b);

    let mut put = b_without_readonly(&api.call(Method::GET, &one, tok, None).await.1["result"]);
    put["cache_ttl"] = json!(60);
    put["retry_max_attempts"] = json!(3);
    let (s, b) = api.call(Method::PUT, &one, tok, Some(put.clone())).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["result"]["cache_ttl"], 60);
    c.check("aig-config-update-gateway", s, &b);
    let mut bad = put.clone();
    bad["retry_max_attempts"] = json!(9);
    let (s, b) = api.call(Method::PUT, &one, tok, Some(bad)).await;
    assert_eq!(s, 400);
    c.check("aig-config-update-gateway", s, &b);
    let (s, b) = api
        .call(Method::PUT, &format!("{gw_base}/missing"), tok, Some(put))
        .await;
    assert_eq!(s, 404);
    c.check("aig-config-update-gateway", s, &b);

    // Provider configs.
    let providers = format!("{one}/provider_configs");
    let (s, b) = api
        .call(
            Method::POST,
            &providers,
            tok,
            Some(
                json!({"provider_slug": "openai", "alias": "default", "default_config": true,
                        "secret": "sk-conformance-secret-value-1234"}),
            ),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    c.check("aig-config-create-providers", s, &b);
    let pid = b["result"]["id"].as_str().unwrap().to_string();
    let (s, b) = api
        .call(
            Method::POST,
            &providers,
            tok,
            Some(json!({"provider_slug": "openai", "default_config": true})),
        )
        .await;
    assert_eq!(s, 400);
    c.check("aig-config-create-providers", s, &b);
    let (s, b) = api.call(Method::GET, &providers, tok, None).await;
    assert_eq!(s, 200);
    assert_eq!(b["result"].as_array().unwrap().len(), 1);
    c.check("aig-config-list-providers", s, &b);
    let (s, b) = api
        .call(Method::GET, &format!("{providers}?per_page=101"), tok, None)
        .await;
    assert_eq!(s, 400);
    c.check("aig-config-list-providers", s, &b);
    let p_one = format!("{providers}/{pid}");
    let (s, b) = api
        .call(
            Method::PUT,
            &p_one,
            tok,
            Some(json!({"secret": "sk-rotated-secret-value-5678"})),
        )
        .await;
    assert_eq!(s, 200);
    c.check("aig-config-update-providers", s, &b);
    let (s, b) = api.call(Method::PUT, &p_one, tok, Some(json!({}))).await;
    assert_eq!(s, 400);
    c.check("aig-config-update-providers", s, &b);
    let (s, b) = api
        .call(
            Method::PUT,
            &format!("{providers}/nope"),
            tok,
            Some(json!({"secret": "sk-x-0000000000000"})),
        )
        .await;
    assert_eq!(s, 404);
    c.check("aig-config-update-providers", s, &b);

    // Logs, with one inference request logged first.
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let r = http
        .post(format!(
            "{}/{acct}/conformance-gw/compat/chat/completions",
            emu.gateway_url()
        ))
        .header("cf-aig-authorization", format!("Bearer {tok}"))
        .json(
            &json!({"model": "openai/gpt-5-mini", "messages": [{"role": "user", "content": "hi"}]}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let logs = format!("{one}/logs");
    let (s, b) = api.call(Method::GET, &logs, tok, None).await;
    assert_eq!(s, 200);
    assert_eq!(b["result"].as_array().unwrap().len(), 1);
    c.check("aig-config-list-gateway-logs", s, &b);
    let (s, b) = api
        .call(Method::GET, &format!("{logs}?per_page=51"), tok, None)
        .await;
    assert_eq!(s, 400);
    c.check("aig-config-list-gateway-logs", s, &b);

    // Deletes.
    let (s, b) = api.call(Method::DELETE, &p_one, tok, None).await;
    assert_eq!(s, 200);
    c.check("aig-config-delete-providers", s, &b);
    let (s, b) = api.call(Method::DELETE, &p_one, tok, None).await;
    assert_eq!(s, 404);
    c.check("aig-config-delete-providers", s, &b);
    let (s, b) = api.call(Method::DELETE, &one, tok, None).await;
    assert_eq!(s, 200);
    c.check("aig-config-delete-gateway", s, &b);
    let (s, b) = api.call(Method::DELETE, &one, tok, None).await;
    assert_eq!(s, 404);
    c.check("aig-config-delete-gateway", s, &b);

    // Credit balance.
    let credits = |a: &str| format!("/accounts/{a}/ai-gateway/billing/credit-balance");
    let (s, b) = api.call(Method::GET, &credits(acct), tok, None).await;
    assert_eq!(s, 200);
    // The one inference request above used the stored BYOK key: no credits spent.
    assert_eq!(b["result"]["balance"].as_f64(), Some(sandbox::CREDITS));
    c.check("aig-billing-get-credit-balance", s, &b);
    let (s, b) = api
        .call(Method::GET, &credits("not!an!id"), tok, None)
        .await;
    assert_eq!(s, 400);
    c.check("aig-billing-get-credit-balance", s, &b);
    let (s, b) = api.call(Method::GET, &credits(acct), NO_PERMS, None).await;
    assert_eq!(s, 403);
    c.check("aig-billing-get-credit-balance", s, &b);
    let (s, b) = api
        .call(Method::GET, &credits(GHOST_ACCOUNT), GHOST, None)
        .await;
    assert_eq!(s, 404);
    c.check("aig-billing-get-credit-balance", s, &b);

    // A read-only token can read but not write.
    let (s, _) = api.call(Method::GET, &gw_base, READ_ONLY, None).await;
    assert_eq!(s, 200);

    let missing: Vec<_> = c.documented().difference(&c.covered).cloned().collect();
    assert!(
        missing.is_empty(),
        "documented responses never produced and validated: {missing:?}"
    );
    assert_eq!(c.covered.len(), c.documented().len());
    assert!(c.covered.len() >= 30, "only {} pairs", c.covered.len());
}

/// The gateway object minus the fields a client must not send back in a PUT.
fn b_without_readonly(gw: &Value) -> Value {
    let mut v = gw.clone();
    for k in ["id", "created_at", "modified_at", "is_default"] {
        v.as_object_mut().unwrap().remove(k);
    }
    v
}
