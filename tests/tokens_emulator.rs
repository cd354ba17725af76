//! The emulator's API tokens against Cloudflare's contract (`contracts/cloudflare-openapi-2026-08-14.json`):
//! every token operation (account and user) with its 200 and a 4XX, each body validated
//! against the operation's schema; and the permissions of a minted token enforced on every
//! route (a Run + Read token sends prompts and reads, but cannot create gateways, keys or tokens).
//! The schema helper is `tests/contract/`, shared with `tests/emulator_conformance.rs`.

use aigate::emulator::{
    Emulator, EmulatorOptions, Permissions, Seed, TokenOwner, TokenSpec, sandbox,
};
use serde_json::{Value, json};

mod contract;
use contract::Contract;

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
