//! Behaviour of the Cloudflare emulator: auth and permission errors, data-plane billing errors,
//! pagination, faults, the Universal endpoint's stream formats, gateway logs, the request log,
//! and the HTTPS proxy mode.

use aigate::emulator::{
    Emulator, EmulatorOptions, Fault, FaultRule, Permissions, Seed, TokenSpec, TokenStatus,
    reply_for, sandbox,
};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const ACCT: &str = sandbox::ACCOUNT_ID;
const TOK: &str = sandbox::TOKEN;

async fn sandbox_emu() -> Emulator {
    Emulator::start(EmulatorOptions {
        tls_proxy: false,
        seed: Seed::Sandbox,
    })
    .await
    .unwrap()
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

async fn get(emu: &Emulator, path: &str, token: &str) -> (u16, Value) {
    let r = client()
        .get(format!("{}{path}", emu.api_url()))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap())
}

async fn send_json(
    emu: &Emulator,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Value,
) -> (u16, Value) {
    let r = client()
        .request(method, format!("{}{path}", emu.api_url()))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap())
}

fn gateway_body(id: &str) -> Value {
    json!({"id": id, "cache_invalidate_on_update": false, "cache_ttl": 0, "collect_logs": true,
           "rate_limiting_interval": 0, "rate_limiting_limit": 0, "authentication": true})
}

fn v4_code(body: &Value) -> i64 {
    assert_eq!(body["success"], false, "{body}");
    body["errors"][0]["code"].as_i64().unwrap()
}

/// Data-plane errors use the singular `error` key and name `AiGatewayError`.
fn gateway_code(body: &Value) -> i64 {
    assert_eq!(body["success"], false, "{body}");
    assert_eq!(body["name"], "AiGatewayError", "{body}");
    assert_eq!(body["result"], json!([]));
    body["error"][0]["code"].as_i64().unwrap()
}

#[tokio::test]
async fn token_verification_distinguishes_user_account_and_unknown_tokens() {
    let emu = sandbox_emu().await;
    let (s, b) = get(&emu, "/user/tokens/verify", TOK).await;
    assert_eq!(s, 200);
    assert_eq!(b["result"]["status"], "active");
    assert_eq!(b["result"]["id"].as_str().unwrap().len(), 32);

    let (s, b) = get(&emu, "/user/tokens/verify", "cfut_nobody_knows_this").await;
    assert_eq!((s, v4_code(&b)), (401, 1000));
    assert_eq!(b["errors"][0]["message"], "Invalid API Token");
    assert_eq!(b["result"], Value::Null);

    emu.add_token(TokenSpec::account(
        "cfat_acct_owned_token_for_tests_0000",
        ACCT,
    ));
    let (s, b) = get(
        &emu,
        "/user/tokens/verify",
        "cfat_acct_owned_token_for_tests_0000",
    )
    .await;
    assert_eq!((s, v4_code(&b)), (401, 1000));
    let path = format!("/accounts/{ACCT}/tokens/verify");
    let (s, b) = get(&emu, &path, "cfat_acct_owned_token_for_tests_0000").await;
    assert_eq!(s, 200);
    assert_eq!(b["result"]["status"], "active");
}

#[tokio::test]
async fn expired_and_disabled_tokens_verify_but_are_refused_elsewhere() {
    let emu = sandbox_emu().await;
    emu.add_token(TokenSpec {
        status: TokenStatus::Disabled,
        ..TokenSpec::user("cfut_disabled_token_000000000000", &[ACCT])
    });
    emu.add_token(TokenSpec {
        expires_on: Some("2020-01-01T00:00:00Z".into()),
        ..TokenSpec::user("cfut_expired_token_0000000000000", &[ACCT])
    });
    for (tok, status) in [
        ("cfut_disabled_token_000000000000", "disabled"),
        ("cfut_expired_token_0000000000000", "expired"),
    ] {
        let (s, b) = get(&emu, "/user/tokens/verify", tok).await;
        assert_eq!(s, 200);
        assert_eq!(b["result"]["status"], status);
        let (s, b) = get(&emu, &format!("/accounts/{ACCT}/ai-gateway/gateways"), tok).await;
        assert_eq!((s, v4_code(&b)), (401, 10000));
    }
}

#[tokio::test]
async fn malformed_authorization_missing_permissions_and_unknown_routes() {
    let emu = sandbox_emu().await;
    let r = client()
        .get(format!("{}/user/tokens/verify", emu.api_url()))
        .header("authorization", "Token abc")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let b: Value = r.json().await.unwrap();
    assert_eq!(v4_code(&b), 6003);
    assert_eq!(b["errors"][0]["error_chain"][0]["code"], 6111);

    emu.add_token(TokenSpec {
        permissions: Permissions {
            ai_gateway_read: true,
            ..Permissions::none()
        },
        ..TokenSpec::user("cfut_read_only_0000000000000000", &[ACCT])
    });
    let gws = format!("/accounts/{ACCT}/ai-gateway/gateways");
    let (s, _) = get(&emu, &gws, "cfut_read_only_0000000000000000").await;
    assert_eq!(s, 200);
    let (s, b) = send_json(
        &emu,
        reqwest::Method::POST,
        &gws,
        "cfut_read_only_0000000000000000",
        gateway_body("new-gw"),
    )
    .await;
    assert_eq!((s, v4_code(&b)), (403, 9109));
    let (s, b) = send_json(
        &emu,
        reqwest::Method::POST,
        &format!("{gws}/default/provider_configs"),
        "cfut_read_only_0000000000000000",
        json!({"provider_slug": "openai", "alias": "default", "default_config": true, "secret": "sk-x"}),
    )
    .await;
    assert_eq!(
        (s, v4_code(&b)),
        (403, 9109),
        "BYOK needs Secrets Store Write"
    );
    let other = "00000000000000000000000000000bad";
    let (s, b) = get(&emu, &format!("/accounts/{other}/ai-gateway/gateways"), TOK).await;
    assert_eq!(
        (s, v4_code(&b)),
        (403, 9109),
        "token does not reach the account"
    );

    let (s, b) = get(&emu, "/zones/nothing", TOK).await;
    assert_eq!((s, v4_code(&b)), (404, 7003));
    let (s, b) = get(&emu, &format!("/accounts/{ACCT}/ai/v1/models"), TOK).await;
    assert_eq!((s, v4_code(&b)), (405, 7001));
    assert_eq!(
        b["errors"][0]["message"],
        "GET not supported for requested URI."
    );

    let r = client()
        .get(format!("{}/accounts", emu.api_url()))
        .bearer_auth(TOK)
        .send()
        .await
        .unwrap();
    let rl = r.headers()["ratelimit"].to_str().unwrap().to_string();
    assert!(rl.starts_with("\"default\";r="), "{rl}");
    assert!(r.headers().contains_key("ratelimit-policy"));
}

#[tokio::test]
async fn gateway_crud_validates_and_reports_missing_objects() {
    let emu = sandbox_emu().await;
    let gws = format!("/accounts/{ACCT}/ai-gateway/gateways");
    let mut bad = gateway_body("x");
    bad.as_object_mut().unwrap().remove("collect_logs");
    let (s, b) = send_json(&emu, reqwest::Method::POST, &gws, TOK, bad).await;
    assert_eq!((s, v4_code(&b)), (400, 7001));
    assert_eq!(b["errors"][0]["path"], json!(["body", "collect_logs"]));
    let (s, b) = send_json(&emu, reqwest::Method::POST, &gws, TOK, gateway_body("-bad")).await;
    assert_eq!((s, v4_code(&b)), (400, 7001));
    assert_eq!(b["errors"][0]["path"], json!(["body", "id"]));

    let (s, b) = send_json(
        &emu,
        reqwest::Method::POST,
        &gws,
        TOK,
        gateway_body("my-gw"),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(b["result"]["authentication"], true);
    assert_eq!(emu.gateway(ACCT, "my-gw").unwrap()["id"], "my-gw");
    let (s, b) = send_json(
        &emu,
        reqwest::Method::POST,
        &gws,
        TOK,
        gateway_body("my-gw"),
    )
    .await;
    assert_eq!((s, v4_code(&b)), (400, 7001));
    assert!(
        b["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("already exists")
    );

    let (s, b) = get(&emu, &format!("{gws}/nope"), TOK).await;
    assert_eq!((s, v4_code(&b)), (404, 7002));
    let (s, _) = send_json(
        &emu,
        reqwest::Method::DELETE,
        &format!("{gws}/my-gw"),
        TOK,
        json!({}),
    )
    .await;
    assert_eq!(s, 200);
    assert!(!emu.gateway_ids(ACCT).contains(&"my-gw".to_string()));
}

#[tokio::test]
async fn byok_keys_are_stored_raw_but_only_previewed() {
    let emu = sandbox_emu().await;
    let path = format!("/accounts/{ACCT}/ai-gateway/gateways/default/provider_configs");
    let key = "sk-test-emulator-provider-key-9876";
    let (s, b) = send_json(
        &emu,
        reqwest::Method::POST,
        &path,
        TOK,
        json!({"provider_slug": "openai", "alias": "default", "default_config": true, "secret": key}),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(b["result"]["secret_preview"], "sk-...9876");
    assert!(!b.to_string().contains(key));
    assert_eq!(
        emu.stored_provider_secret(ACCT, "default", "openai")
            .as_deref(),
        Some(key)
    );
    let (_, list) = get(&emu, &path, TOK).await;
    assert!(!list.to_string().contains(key));
    assert_eq!(emu.provider_configs(ACCT, "default").len(), 1);
}

async fn pages(emu: &Emulator, path: &str, per_page: u32) -> (Vec<Value>, Vec<Value>) {
    let mut items = Vec::new();
    let mut infos = Vec::new();
    for page in 1.. {
        let sep = if path.contains('?') { '&' } else { '?' };
        let (s, b) = get(
            emu,
            &format!("{path}{sep}page={page}&per_page={per_page}"),
            TOK,
        )
        .await;
        assert_eq!(s, 200, "{b}");
        let got = b["result"].as_array().unwrap().clone();
        infos.push(b["result_info"].clone());
        if got.is_empty() {
            break;
        }
        items.extend(got);
        assert!(page < 100, "pagination never ends");
    }
    (items, infos)
}

#[tokio::test]
async fn accounts_and_gateways_paginate_beyond_one_page() {
    let emu = Emulator::start(EmulatorOptions::default()).await.unwrap();
    let ids: Vec<String> = (0..60).map(|i| format!("{i:032x}")).collect();
    for (i, id) in ids.iter().enumerate() {
        emu.add_account(id, &format!("Account {i:02}"));
    }
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    emu.add_token(TokenSpec::user(TOK, &refs));
    emu.add_account("ffffffffffffffffffffffffffffffff", "Not reachable");

    let (accounts, infos) = pages(&emu, "/accounts", 50).await;
    assert_eq!(accounts.len(), 60);
    assert_eq!(infos[0]["count"], 50);
    assert_eq!(infos[0]["total_count"], 60);
    assert_eq!(infos[1]["count"], 10);
    let (s, b) = get(&emu, "/accounts?per_page=100", TOK).await;
    assert_eq!(s, 200);
    assert_eq!(b["result_info"]["per_page"], 50, "per_page is capped at 50");
    assert_eq!(b["result"].as_array().unwrap().len(), 50);

    for i in 0..120 {
        emu.add_gateway(&ids[0], &format!("gw-{i:03}"), true);
    }
    let path = format!("/accounts/{}/ai-gateway/gateways", ids[0]);
    let (gws, infos) = pages(&emu, &path, 100).await;
    assert_eq!(gws.len(), 120);
    assert_eq!(infos[0]["count"], 100);
    assert_eq!(infos[1]["count"], 20);
    let mut seen: Vec<&str> = gws.iter().map(|g| g["id"].as_str().unwrap()).collect();
    seen.dedup();
    assert_eq!(seen.len(), 120);
    let (found, _) = pages(&emu, &format!("{path}?search=gw-11"), 20).await;
    assert_eq!(found.len(), 10);
}

fn chat(model: &str, stream: bool) -> Value {
    json!({"model": model, "stream": stream,
           "messages": [{"role": "user", "content": "say hi"}]})
}

async fn post_gateway(
    emu: &Emulator,
    path: &str,
    headers: &[(&str, &str)],
    body: Value,
) -> reqwest::Response {
    let mut req = client()
        .post(format!("{}{path}", emu.gateway_url()))
        .json(&body);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn data_plane_auth_and_gateway_errors() {
    let emu = sandbox_emu().await;
    let aig = format!("Bearer {TOK}");
    let compat = format!("/{ACCT}/team-gateway/compat/chat/completions");

    let r = post_gateway(&emu, &compat, &[], chat("openai/gpt-5-mini", false)).await;
    assert_eq!(r.status(), 401);
    assert_eq!(gateway_code(&r.json().await.unwrap()), 2009);

    let bad = [("cf-aig-authorization", "Bearer cfut_wrong")];
    let r = post_gateway(&emu, &compat, &bad, chat("openai/gpt-5-mini", false)).await;
    assert_eq!(r.status(), 401);

    let h = [("cf-aig-authorization", aig.as_str())];
    let r = post_gateway(
        &emu,
        &format!("/{ACCT}/no-such-gateway/compat/chat/completions"),
        &h,
        chat("openai/gpt-5-mini", false),
    )
    .await;
    assert_eq!(r.status(), 400);
    assert_eq!(gateway_code(&r.json().await.unwrap()), 2001);

    // `default` is auto-created by the first authenticated request.
    let second = sandbox::SECOND_ACCOUNT_ID;
    emu.set_credits(second, 1.0);
    assert!(emu.gateway(second, "default").is_none());
    let path = format!("/{second}/default/compat/chat/completions");
    let r = post_gateway(&emu, &path, &[], chat("openai/gpt-5-mini", false)).await;
    assert_eq!(r.status(), 400, "unauthenticated requests do not create it");
    let r = post_gateway(&emu, &path, &h, chat("openai/gpt-5-mini", false)).await;
    assert_eq!(r.status(), 200);
    let gw = emu.gateway(second, "default").unwrap();
    assert_eq!(gw["authentication"], true);
    assert_eq!(gw["collect_logs"], true);
}

#[tokio::test]
async fn billing_uses_request_keys_byok_or_credits() {
    let emu = sandbox_emu().await;
    let aig = format!("Bearer {TOK}");
    let h = [("cf-aig-authorization", aig.as_str())];
    let compat = format!("/{ACCT}/team-gateway/compat/chat/completions");

    // Unified Billing spends credits.
    let r = post_gateway(&emu, &compat, &h, chat("openai/gpt-5-mini", false)).await;
    assert_eq!(r.status(), 200);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["object"], "chat.completion");
    assert_eq!(
        b["choices"][0]["message"]["content"],
        reply_for("openai/gpt-5-mini")
    );
    let after_one = emu.credits(ACCT);
    assert!(after_one < sandbox::CREDITS && after_one > sandbox::CREDITS - 0.01);

    // Workers AI and a key sent in the request cost no credits.
    let r = post_gateway(
        &emu,
        &compat,
        &h,
        chat("workers-ai/@cf/meta/llama-3.3-70b-instruct-fp8-fast", false),
    )
    .await;
    assert_eq!(r.status(), 200);
    let with_key = [
        ("cf-aig-authorization", aig.as_str()),
        ("authorization", "Bearer sk-request-key"),
    ];
    let r = post_gateway(&emu, &compat, &with_key, chat("openai/gpt-5-mini", false)).await;
    assert_eq!(r.status(), 200);
    assert_eq!(emu.credits(ACCT), after_one);

    // A missing BYOK alias is 2040 and lists the configured ones.
    let path = format!("/accounts/{ACCT}/ai-gateway/gateways/team-gateway/provider_configs");
    send_json(
        &emu,
        reqwest::Method::POST,
        &path,
        TOK,
        json!({"provider_slug": "anthropic", "alias": "default", "default_config": true,
               "secret": "sk-ant-stored-key-000000"}),
    )
    .await;
    let alias = [
        ("cf-aig-authorization", aig.as_str()),
        ("cf-aig-byok-alias", "prod"),
    ];
    let anth = format!("/{ACCT}/team-gateway/anthropic/v1/messages");
    let body = chat("claude-sonnet-4-5", false);
    let r = post_gateway(&emu, &anth, &alias, body.clone()).await;
    assert_eq!(r.status(), 400);
    let b: Value = r.json().await.unwrap();
    assert_eq!(gateway_code(&b), 2040);
    let msg = b["error"][0]["message"].as_str().unwrap();
    assert!(msg.contains("'anthropic'") && msg.contains("'prod'") && msg.contains("default"));

    // The default BYOK key is used without credits.
    let r = post_gateway(&emu, &anth, &h, body).await;
    assert_eq!(r.status(), 200);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["type"], "message");
    assert_eq!(
        b["content"][0]["text"],
        reply_for("anthropic/claude-sonnet-4-5")
    );
    assert_eq!(emu.credits(ACCT), after_one);

    // No credits left: 402 / 2021.
    emu.set_credits(ACCT, 0.0);
    let r = post_gateway(&emu, &compat, &h, chat("xai/grok-4.3", false)).await;
    assert_eq!(r.status(), 402);
    assert_eq!(gateway_code(&r.json().await.unwrap()), 2021);

    // The REST route bills the same way and picks the gateway from a header.
    emu.set_credits(ACCT, 1.0);
    let r = client()
        .post(format!(
            "{}/accounts/{ACCT}/ai/v1/chat/completions",
            emu.api_url()
        ))
        .bearer_auth(TOK)
        .header("cf-aig-gateway-id", "team-gateway")
        .json(&chat("alibaba/qwen3-max", false))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(emu.credits(ACCT) < 1.0);
    let logs = emu.logs(ACCT, "team-gateway");
    assert_eq!(logs[0]["provider"], "alibaba");
    assert_eq!(logs[0]["model"], "qwen3-max");
}

#[tokio::test]
async fn compat_models_lists_the_catalog_with_either_header() {
    let emu = sandbox_emu().await;
    let url = format!("{}/{ACCT}/default/compat/models", emu.gateway_url());
    let r = client().get(&url).send().await.unwrap();
    assert_eq!(r.status(), 401);
    for header in ["authorization", "cf-aig-authorization"] {
        let r = client()
            .get(&url)
            .header(header, format!("Bearer {TOK}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let b: Value = r.json().await.unwrap();
        assert_eq!(b["object"], "list");
        let ids: Vec<&str> = b["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_str().unwrap())
            .collect();
        assert!(ids.contains(&"openai/gpt-5-mini"));
        assert!(ids.contains(&"workers-ai/@cf/meta/llama-3.3-70b-instruct-fp8-fast"));
        assert_eq!(b["data"][0]["object"], "model");
    }
    emu.set_models(vec!["openai/only-one".into()]);
    let r = client().get(&url).bearer_auth(TOK).send().await.unwrap();
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["data"].as_array().unwrap().len(), 1);
}

/// `(event name, data)` pairs of an SSE body.
fn sse_events(body: &str) -> Vec<(Option<String>, String)> {
    body.split("\n\n")
        .filter(|b| !b.trim().is_empty())
        .map(|block| {
            let mut name = None;
            let mut data = String::new();
            for line in block.lines() {
                if let Some(n) = line.strip_prefix("event: ") {
                    name = Some(n.to_string());
                } else if let Some(d) = line.strip_prefix("data: ") {
                    data.push_str(d);
                }
            }
            (name, data)
        })
        .collect()
}

async fn universal(emu: &Emulator, steps: Value) -> reqwest::Response {
    let aig = format!("Bearer {TOK}");
    post_gateway(
        emu,
        &format!("/{ACCT}/default"),
        &[("cf-aig-authorization", aig.as_str())],
        steps,
    )
    .await
}

#[tokio::test]
async fn universal_openai_responses_stream_is_complete() {
    let emu = sandbox_emu().await;
    let r = universal(
        &emu,
        json!([{"provider": "openai", "endpoint": "v1/responses",
                "headers": {"content-type": "application/json"},
                "query": {"model": "gpt-5.4-nano", "stream": true,
                          "input": [{"role": "user", "content": "hi"}]}}]),
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cf-aig-step"], "0");
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let events = sse_events(&r.text().await.unwrap());
    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_deref().unwrap()).collect();
    assert_eq!(
        names[..4],
        [
            "response.created",
            "response.in_progress",
            "response.output_item.added",
            "response.content_part.added"
        ]
    );
    assert_eq!(
        names[names.len() - 4..],
        [
            "response.output_text.done",
            "response.content_part.done",
            "response.output_item.done",
            "response.completed"
        ]
    );
    let mut text = String::new();
    let mut item_id = None;
    for (i, (name, data)) in events.iter().enumerate() {
        let v: Value = serde_json::from_str(data).unwrap();
        assert_eq!(v["type"], name.as_deref().unwrap());
        assert_eq!(v["sequence_number"], i as u64);
        if name.as_deref() == Some("response.output_text.delta") {
            text.push_str(v["delta"].as_str().unwrap());
            assert_eq!(v["output_index"], 0);
            assert_eq!(v["content_index"], 0);
            let id = v["item_id"].as_str().unwrap().to_string();
            assert_eq!(item_id.get_or_insert(id.clone()), &id);
        }
    }
    assert_eq!(text, reply_for("openai/gpt-5.4-nano"));
    let deltas = names
        .iter()
        .filter(|n| **n == "response.output_text.delta")
        .count();
    assert!(deltas >= 3);
    let done: Value = serde_json::from_str(&events.last().unwrap().1).unwrap();
    assert_eq!(done["response"]["status"], "completed");
    assert!(done["response"]["usage"]["output_tokens"].as_u64().unwrap() > 0);
    assert_eq!(done["response"]["output"][0]["id"], item_id.unwrap());
}

#[tokio::test]
async fn universal_anthropic_and_compat_streams_are_complete() {
    let emu = sandbox_emu().await;
    let r = universal(
        &emu,
        json!([{"provider": "anthropic", "endpoint": "v1/messages",
                "headers": {"anthropic-version": "2023-06-01"},
                "query": {"model": "claude-sonnet-4-5", "stream": true, "max_tokens": 100,
                          "messages": [{"role": "user", "content": "hi"}]}}]),
    )
    .await;
    assert_eq!(r.status(), 200);
    let events = sse_events(&r.text().await.unwrap());
    let names: Vec<&str> = events
        .iter()
        .filter_map(|(n, _)| n.as_deref())
        .filter(|n| *n != "ping")
        .collect();
    assert_eq!(names[0], "message_start");
    assert_eq!(names[1], "content_block_start");
    assert_eq!(
        names[names.len() - 3..],
        ["content_block_stop", "message_delta", "message_stop"]
    );
    let text: String = events
        .iter()
        .filter(|(n, _)| n.as_deref() == Some("content_block_delta"))
        .map(|(_, d)| {
            serde_json::from_str::<Value>(d).unwrap()["delta"]["text"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(text, reply_for("anthropic/claude-sonnet-4-5"));
    let delta: Value = serde_json::from_str(&events[events.len() - 2].1).unwrap();
    assert_eq!(delta["delta"]["stop_reason"], "end_turn");
    assert!(delta["usage"]["output_tokens"].as_u64().unwrap() > 0);

    let model = "workers-ai/@cf/meta/llama-3.3-70b-instruct-fp8-fast";
    let r = universal(
        &emu,
        json!([{"provider": "compat", "endpoint": "chat/completions",
                "headers": {"authorization": format!("Bearer {TOK}")},
                "query": {"model": model, "stream": true, "stream_options": {"include_usage": true},
                          "messages": [{"role": "user", "content": "hi"}]}}]),
    )
    .await;
    assert_eq!(r.status(), 200);
    let events = sse_events(&r.text().await.unwrap());
    assert_eq!(events.last().unwrap().1, "[DONE]");
    let chunks: Vec<Value> = events[..events.len() - 1]
        .iter()
        .map(|(_, d)| serde_json::from_str(d).unwrap())
        .collect();
    assert!(
        chunks
            .iter()
            .all(|c| c["object"] == "chat.completion.chunk")
    );
    let text: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(text, reply_for(model));
    assert!(
        chunks
            .iter()
            .any(|c| c["choices"][0]["finish_reason"] == "stop")
    );
    assert!(
        chunks.last().unwrap()["usage"]["total_tokens"]
            .as_u64()
            .unwrap()
            > 0
    );
}

#[tokio::test]
async fn universal_json_replies_and_step_fallback() {
    let emu = sandbox_emu().await;
    let r = universal(
        &emu,
        json!([{"provider": "openai", "endpoint": "v1/responses", "headers": {},
                "query": {"model": "gpt-5-mini", "input": "hi"}}]),
    )
    .await;
    assert_eq!(r.status(), 200);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["object"], "response");
    assert_eq!(
        b["output"][0]["content"][0]["text"],
        reply_for("openai/gpt-5-mini")
    );

    // Step 0 cannot be paid for (no credits, no BYOK), step 1 is Workers AI (free).
    emu.set_credits(ACCT, 0.0);
    let r = universal(
        &emu,
        json!([{"provider": "openai", "endpoint": "v1/responses", "headers": {},
                "query": {"model": "gpt-5-mini", "input": "hi"}},
               {"provider": "compat", "endpoint": "chat/completions", "headers": {},
                "query": {"model": "workers-ai/@cf/meta/llama-3.3-70b-instruct-fp8-fast",
                          "messages": [{"role": "user", "content": "hi"}]}}]),
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cf-aig-step"], "1");
}

#[tokio::test]
async fn inference_is_logged_when_the_gateway_collects_logs() {
    let emu = sandbox_emu().await;
    let aig = format!("Bearer {TOK}");
    let h = [("cf-aig-authorization", aig.as_str())];
    let compat = format!("/{ACCT}/default/compat/chat/completions");
    for model in ["openai/gpt-5-mini", "anthropic/claude-haiku-4.5"] {
        let r = post_gateway(&emu, &compat, &h, chat(model, true)).await;
        assert_eq!(r.status(), 200);
    }
    let no_log = [
        ("cf-aig-authorization", aig.as_str()),
        ("cf-aig-collect-log", "false"),
    ];
    post_gateway(&emu, &compat, &no_log, chat("openai/gpt-5", false)).await;
    let logs = emu.logs(ACCT, "default");
    assert_eq!(logs.len(), 2);
    assert_eq!(logs[0]["provider"], "anthropic", "newest first");
    assert_eq!(logs[0]["success"], true);
    assert_eq!(logs[0]["response_content_type"], "text/event-stream");
    assert!(logs[0]["tokens_out"].as_u64().unwrap() > 0);

    let (s, b) = get(
        &emu,
        &format!("/accounts/{ACCT}/ai-gateway/gateways/default/logs?per_page=1&order_by=created_at&order_by_direction=desc"),
        TOK,
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(b["result"].as_array().unwrap().len(), 1);
    assert_eq!(b["result"][0]["provider"], "anthropic");
    assert_eq!(b["result_info"]["total_count"], 2);
}

#[tokio::test]
async fn status_and_html_faults_then_recovery() {
    let emu = sandbox_emu().await;
    emu.inject(FaultRule {
        method: Some("GET".into()),
        path_contains: "/accounts".into(),
        fault: Fault::Status {
            status: 503,
            retry_after: Some(7),
        },
        times: 1,
    });
    let r = client()
        .get(format!("{}/accounts", emu.api_url()))
        .bearer_auth(TOK)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    assert_eq!(r.headers()["retry-after"], "7");
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["success"], false);
    let (s, _) = get(&emu, "/accounts", TOK).await;
    assert_eq!(s, 200, "the fault applied once");

    emu.inject(FaultRule::new(
        "/user/tokens/verify",
        Fault::Html { status: 502 },
    ));
    let r = client()
        .get(format!("{}/user/tokens/verify", emu.api_url()))
        .bearer_auth(TOK)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 502);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(r.text().await.unwrap().contains("<html"));
    emu.clear_faults();
    let (s, _) = get(&emu, "/user/tokens/verify", TOK).await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn resets_with_and_without_the_effect() {
    let emu = sandbox_emu().await;
    let gws = format!("{}/accounts/{ACCT}/ai-gateway/gateways", emu.api_url());
    emu.inject(FaultRule {
        method: Some("POST".into()),
        path_contains: "/ai-gateway/gateways".into(),
        fault: Fault::Reset,
        times: 1,
    });
    let r = client()
        .post(&gws)
        .bearer_auth(TOK)
        .json(&gateway_body("lost"))
        .send()
        .await;
    assert!(r.is_err(), "the connection was closed without an answer");
    assert!(emu.gateway(ACCT, "lost").is_none());

    emu.inject(FaultRule {
        method: Some("POST".into()),
        path_contains: "/ai-gateway/gateways".into(),
        fault: Fault::ResetAfterApply,
        times: 1,
    });
    let r = client()
        .post(&gws)
        .bearer_auth(TOK)
        .json(&gateway_body("uncertain"))
        .send()
        .await;
    assert!(r.is_err());
    assert!(
        emu.gateway(ACCT, "uncertain").is_some(),
        "the create was applied"
    );
    let statuses: Vec<u16> = emu
        .requests()
        .iter()
        .filter(|r| r.method == "POST")
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [0, 0]);
}

#[tokio::test]
async fn latency_and_slow_bodies_delay_but_answer() {
    let emu = sandbox_emu().await;
    emu.inject(FaultRule::new(
        "/tokens/verify",
        Fault::Latency(Duration::from_millis(300)),
    ));
    let t = Instant::now();
    let (s, _) = get(&emu, "/user/tokens/verify", TOK).await;
    assert_eq!(s, 200);
    assert!(t.elapsed() >= Duration::from_millis(300));
    emu.clear_faults();

    emu.inject(FaultRule::new(
        "/default",
        Fault::SlowBody {
            chunk_delay: Duration::from_millis(40),
        },
    ));
    let t = Instant::now();
    let r = universal(
        &emu,
        json!([{"provider": "anthropic", "endpoint": "v1/messages", "headers": {},
                "query": {"model": "claude-haiku-4-5", "stream": true, "max_tokens": 10,
                          "messages": [{"role": "user", "content": "hi"}]}}]),
    )
    .await;
    assert_eq!(r.status(), 200);
    let events = sse_events(&r.text().await.unwrap());
    assert!(events.len() >= 8);
    assert!(t.elapsed() >= Duration::from_millis(40) * events.len() as u32);
}

#[tokio::test]
async fn the_request_log_records_everything() {
    let emu = sandbox_emu().await;
    get(&emu, "/accounts?page=2", TOK).await;
    post_gateway(
        &emu,
        &format!("/{ACCT}/default/compat/chat/completions"),
        &[("x-test", "yes")],
        chat("openai/gpt-5-mini", false),
    )
    .await;
    let reqs = emu.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].method, "GET");
    assert_eq!(reqs[0].path, "/client/v4/accounts");
    assert_eq!(reqs[0].query.as_deref(), Some("page=2"));
    assert_eq!(
        reqs[0].header("authorization"),
        Some(format!("Bearer {TOK}").as_str())
    );
    assert_eq!(reqs[0].status, 200);
    assert!(!reqs[0].via_tls);
    assert_eq!(reqs[1].status, 401);
    assert_eq!(reqs[1].header("x-test"), Some("yes"));
    assert!(reqs[1].body.contains("gpt-5-mini"));
    assert!(
        !format!("{:?}", reqs[0]).contains(TOK),
        "Debug hides headers"
    );
    emu.clear_requests();
    assert!(emu.requests().is_empty());
}

#[tokio::test]
async fn tls_proxy_serves_both_cloudflare_hosts() {
    let emu = Emulator::start(EmulatorOptions {
        tls_proxy: true,
        seed: Seed::Sandbox,
    })
    .await
    .unwrap();
    let ca = emu.ca_cert_pem().expect("a CA in TLS mode");
    assert!(ca.starts_with("-----BEGIN CERTIFICATE-----"));
    let http = reqwest::Client::builder()
        .proxy(reqwest::Proxy::https(emu.proxy_url()).unwrap())
        .tls_certs_only([reqwest::Certificate::from_pem(ca.as_bytes()).unwrap()])
        .build()
        .unwrap();

    let r = http
        .get("https://api.cloudflare.com/client/v4/user/tokens/verify")
        .bearer_auth(TOK)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["result"]["status"], "active");

    emu.inject(FaultRule::new(
        "/compat/",
        Fault::Status {
            status: 429,
            retry_after: Some(3),
        },
    ));
    let url =
        format!("https://gateway.ai.cloudflare.com/v1/{ACCT}/default/compat/chat/completions");
    let r = http
        .post(&url)
        .header("cf-aig-authorization", format!("Bearer {TOK}"))
        .json(&chat("openai/gpt-5-mini", false))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429, "faults apply inside the tunnel");
    emu.clear_faults();
    let r = http
        .post(&url)
        .header("cf-aig-authorization", format!("Bearer {TOK}"))
        .json(&chat("openai/gpt-5-mini", false))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let b: Value = r.json().await.unwrap();
    assert_eq!(
        b["choices"][0]["message"]["content"],
        reply_for("openai/gpt-5-mini")
    );

    // The API host does not serve gateway routes.
    let r = http
        .get(format!(
            "https://api.cloudflare.com/v1/{ACCT}/default/compat/models"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    let reqs = emu.requests();
    assert!(
        reqs.iter()
            .any(|r| r.method == "CONNECT" && r.path == "gateway.ai.cloudflare.com:443")
    );
    let inner: Vec<_> = reqs.iter().filter(|r| r.via_tls).collect();
    assert!(
        inner
            .iter()
            .any(|r| r.host.as_deref() == Some("api.cloudflare.com"))
    );
    assert!(
        inner
            .iter()
            .any(|r| r.host.as_deref() == Some("gateway.ai.cloudflare.com") && r.status == 200)
    );

    // Other hosts are refused.
    let r = http.get("https://example.com/").send().await;
    assert!(r.is_err());
    assert!(
        emu.requests()
            .iter()
            .any(|r| r.method == "CONNECT" && r.status == 403)
    );
}

#[tokio::test]
async fn dropping_the_emulator_stops_the_server() {
    let emu = sandbox_emu().await;
    let addr = emu.addr();
    assert!(tokio::net::TcpStream::connect(addr).await.is_ok());
    drop(emu);
    let mut refused = false;
    for _ in 0..50 {
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(refused, "the listener is closed after drop");
}
