//! The emulator's API tokens against Cloudflare's contract (`contracts/cloudflare-openapi-2026-08-14.json`):
//! every token operation (account and user) with its 200 and a 4XX, each body validated
//! against the operation's schema; and the permissions of a minted token enforced on every
//! route (a Run + Read token sends prompts and reads, but cannot create gateways, keys or tokens).
//! The schema helper is the one of `tests/emulator_conformance.rs`, pointed at the repository's copy.

use aigate::emulator::{
    Emulator, EmulatorOptions, Permissions, Seed, TokenOwner, TokenSpec, sandbox,
};
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;

const CONTRACT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/contracts/cloudflare-openapi-2026-08-14.json"
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

const ADMIN: &str = "cfut_tokens_admin_with_token_write_000000000000";
const PLAIN: &str = "cfut_tokens_all_gateway_perms_no_token_write_00";
const ACCOUNT_ADMIN: &str = "cfat_tokens_account_admin_token_write_000000000";
const RUN_GROUP_ID: &str = "644535f4ed854494a59cb289d634b257";
const READ_GROUP_ID: &str = "4dc8917b4b40457d88d3035d5dadb054";

async fn world() -> (Emulator, Api) {
    let emu = Emulator::start(EmulatorOptions {
        tls_proxy: false,
        seed: Seed::Sandbox,
    })
    .await
    .unwrap();
    let acct = sandbox::ACCOUNT_ID;
    emu.add_token(TokenSpec {
        permissions: Permissions::admin(),
        ..TokenSpec::user(ADMIN, &[acct])
    });
    emu.add_token(TokenSpec::user(PLAIN, &[acct]));
    emu.add_token(TokenSpec {
        permissions: Permissions::admin(),
        ..TokenSpec::account(ACCOUNT_ADMIN, acct)
    });
    let api = Api {
        http: reqwest::Client::builder().no_proxy().build().unwrap(),
        base: emu.api_url(),
    };
    (emu, api)
}

fn run_read_body(name: &str, account: &str) -> Value {
    json!({"name": name, "policies": [{"effect": "allow",
        "resources": {format!("com.cloudflare.api.account.{account}"): "*"},
        "permission_groups": [{"id": RUN_GROUP_ID}, {"id": READ_GROUP_ID}]}]})
}

#[tokio::test]
async fn every_token_operation_matches_the_contract() {
    use reqwest::Method;
    let (emu, api) = world().await;
    let acct = sandbox::ACCOUNT_ID;
    let mut c = Contract::load();
    for (scope, base, admin) in [
        ("account", format!("/accounts/{acct}/tokens"), ACCOUNT_ADMIN),
        ("user", "/user/tokens".to_string(), ADMIN),
    ] {
        let op = |name: &str| {
            if scope == "account" {
                format!("account-api-tokens-{name}")
            } else if name == "list-permission-groups" {
                "permission-groups-list-permission-groups".to_string()
            } else {
                format!("user-api-tokens-{name}")
            }
        };
        // Permission groups, by name.
        let path = format!("{base}/permission_groups?name=AI%20Gateway%20Run");
        let (s, b) = api.call(Method::GET, &path, admin, None).await;
        assert_eq!(s, 200, "{b}");
        c.check(&op("list-permission-groups"), s, &b);
        assert_eq!(b["result"].as_array().unwrap().len(), 1, "{b}");
        assert_eq!(b["result"][0]["id"], RUN_GROUP_ID);
        let (s, b) = api.call(Method::GET, &path, PLAIN, None).await;
        assert_eq!(s, 403, "{b}");
        c.check(&op("list-permission-groups"), s, &b);

        // Create.
        let (s, b) = api
            .call(
                Method::POST,
                &base,
                admin,
                Some(run_read_body(&format!("aigate {scope}"), acct)),
            )
            .await;
        assert_eq!(s, 200, "{b}");
        c.check(&op("create-token"), s, &b);
        let id = b["result"]["id"].as_str().unwrap().to_string();
        let value = b["result"]["value"].as_str().unwrap().to_string();
        let prefix = if scope == "account" { "cfat_" } else { "cfut_" };
        assert!(value.starts_with(prefix));
        let grant = emu.token_grant(&value).unwrap();
        assert_eq!(grant.groups, vec!["AI Gateway Read", "AI Gateway Run"]);
        assert_eq!(grant.accounts, vec![acct.to_string()]);
        let (s, b) = api
            .call(Method::POST, &base, PLAIN, Some(run_read_body("x", acct)))
            .await;
        assert_eq!(s, 403, "{b}");
        c.check(&op("create-token"), s, &b);
        let mut unknown_group = run_read_body("x", acct);
        unknown_group["policies"][0]["permission_groups"] = json!([{"id": "nope"}]);
        let (s, b) = api
            .call(Method::POST, &base, admin, Some(unknown_group))
            .await;
        assert_eq!(s, 400, "{b}");
        c.check(&op("create-token"), s, &b);

        // List.
        let (s, b) = api
            .call(Method::GET, &format!("{base}?per_page=5"), admin, None)
            .await;
        assert_eq!(s, 200, "{b}");
        c.check(&op("list-tokens"), s, &b);
        assert!(
            b["result"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t["id"] == id.as_str())
        );
        assert!(
            b["result"]
                .as_array()
                .unwrap()
                .iter()
                .all(|t| t.get("value").is_none())
        );
        let (s, b) = api.call(Method::GET, &base, &value, None).await;
        assert_eq!(s, 403, "a Run + Read token cannot list tokens: {b}");
        c.check(&op("list-tokens"), s, &b);

        // Details.
        let one = format!("{base}/{id}");
        let (s, b) = api.call(Method::GET, &one, admin, None).await;
        assert_eq!(s, 200, "{b}");
        c.check(&op("token-details"), s, &b);
        assert_eq!(
            b["result"]["policies"][0]["permission_groups"][0]["name"],
            "AI Gateway Run"
        );
        let (s, b) = api
            .call(Method::GET, &format!("{base}/0000"), admin, None)
            .await;
        assert_eq!(s, 404, "{b}");
        c.check(&op("token-details"), s, &b);

        // Update.
        let mut upd = run_read_body(&format!("aigate {scope} renamed"), acct);
        upd["status"] = json!("active");
        let (s, b) = api.call(Method::PUT, &one, admin, Some(upd.clone())).await;
        assert_eq!(s, 200, "{b}");
        c.check(&op("update-token"), s, &b);
        assert_eq!(b["result"]["name"], format!("aigate {scope} renamed"));
        let (s, b) = api.call(Method::PUT, &one, &value, Some(upd)).await;
        assert_eq!(s, 403, "{b}");
        c.check(&op("update-token"), s, &b);

        // Roll: the old value stops working, the new one works.
        let roll = format!("{one}/value");
        let (s, b) = api.call(Method::PUT, &roll, admin, Some(json!({}))).await;
        assert_eq!(s, 200, "{b}");
        c.check(&op("roll-token"), s, &b);
        let rolled = b["result"].as_str().unwrap().to_string();
        assert_ne!(rolled, value);
        assert!(emu.token_grant(&value).is_none());
        assert_eq!(emu.token_grant(&rolled).unwrap().id, id);
        let (s, b) = api.call(Method::PUT, &roll, &rolled, Some(json!({}))).await;
        assert_eq!(s, 403, "{b}");
        c.check(&op("roll-token"), s, &b);

        // Delete.
        let (s, b) = api.call(Method::DELETE, &one, admin, Some(json!({}))).await;
        assert_eq!(s, 200, "{b}");
        c.check(&op("delete-token"), s, &b);
        assert_eq!(b["result"]["id"], id.as_str());
        assert!(emu.token_grant(&rolled).is_none());
        let (s, b) = api.call(Method::DELETE, &one, admin, Some(json!({}))).await;
        assert_eq!(s, 404, "{b}");
        c.check(&op("delete-token"), s, &b);
    }
    let missing: Vec<_> = c
        .documented()
        .into_iter()
        .filter(|(op, _)| op.contains("tokens") && !op.contains("verify"))
        .filter(|k| !c.covered.contains(k))
        .collect();
    assert!(missing.is_empty(), "not exercised: {missing:?}");
}

#[tokio::test]
async fn a_run_and_read_token_prompts_and_reads_but_changes_nothing() {
    use reqwest::Method;
    let (emu, api) = world().await;
    let acct = sandbox::ACCOUNT_ID;
    let (s, b) = api
        .call(
            Method::POST,
            &format!("/accounts/{acct}/tokens"),
            ADMIN,
            Some(run_read_body("daily", acct)),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let daily = b["result"]["value"].as_str().unwrap().to_string();
    let gw = format!("/accounts/{acct}/ai-gateway/gateways");
    let (s, _) = api.call(Method::GET, &gw, &daily, None).await;
    assert_eq!(s, 200, "Read lists gateways");
    let (s, _) = api
        .call(Method::GET, &format!("{gw}/default"), &daily, None)
        .await;
    assert_eq!(s, 200, "Read reads a gateway");
    let (s, _) = api
        .call(
            Method::GET,
            &format!("/accounts/{acct}/ai-gateway/billing/credit-balance"),
            &daily,
            None,
        )
        .await;
    assert_eq!(s, 200, "Read reads the credits");
    let prompt =
        json!({"model": "openai/gpt-5-mini", "messages": [{"role": "user", "content": "hi"}]});
    let (s, b) = api
        .call(
            Method::POST,
            &format!("/accounts/{acct}/ai/v1/chat/completions"),
            &daily,
            Some(prompt),
        )
        .await;
    assert_eq!(s, 200, "Run sends prompts: {b}");
    let create = json!({"id": "not-allowed", "cache_invalidate_on_update": false,
        "cache_ttl": 0, "collect_logs": true, "rate_limiting_interval": 0, "rate_limiting_limit": 0});
    let (s, b) = api.call(Method::POST, &gw, &daily, Some(create)).await;
    assert_eq!(
        (s, b["errors"][0]["code"].as_i64()),
        (403, Some(9109)),
        "{b}"
    );
    assert!(!emu.gateway_ids(acct).contains(&"not-allowed".to_string()));
    let (s, _) = api
        .call(Method::DELETE, &format!("{gw}/default"), &daily, None)
        .await;
    assert_eq!(s, 403);
    let key = json!({"provider_slug": "openai", "alias": "default", "default_config": true, "secret": "sk-xxxxxxxxxxxxxxxxxxxx"});
    let (s, _) = api
        .call(
            Method::POST,
            &format!("{gw}/default/provider_configs"),
            &daily,
            Some(key),
        )
        .await;
    assert_eq!(s, 403);
    let (s, _) = api
        .call(
            Method::POST,
            &format!("/accounts/{acct}/tokens"),
            &daily,
            Some(run_read_body("x", acct)),
        )
        .await;
    assert_eq!(s, 403);
    // The other account is out of reach.
    let other = sandbox::SECOND_ACCOUNT_ID;
    let (s, _) = api
        .call(
            Method::GET,
            &format!("/accounts/{other}/ai-gateway/gateways"),
            &daily,
            None,
        )
        .await;
    assert_eq!(s, 403);
    // An account token cannot be given a resource outside its account.
    let (s, b) = api
        .call(
            Method::POST,
            &format!("/accounts/{acct}/tokens"),
            ADMIN,
            Some(run_read_body("x", other)),
        )
        .await;
    assert_eq!(s, 400, "{b}");
    // Account-owned tokens cannot manage user tokens.
    let (s, _) = api
        .call(
            Method::POST,
            "/user/tokens",
            ACCOUNT_ADMIN,
            Some(run_read_body("x", acct)),
        )
        .await;
    assert_eq!(s, 403);
    let grant = emu.token_grant(&daily).unwrap();
    assert_eq!(grant.owner, TokenOwner::Account(acct.to_string()));
    assert_eq!(grant.permissions, Permissions::run_read());
}
