//! The Cloudflare client's data plane against the emulator: the three inference routes
//! OpenCode uses (checked in the emulator's request log), streaming and JSON replies, gateway
//! errors and their hints, model listing and the curated fallback, and gateway logs.

use aigate::Secret;
use aigate::cloudflare::{
    ChatRequest, Client, Endpoints, ErrorKind, ModelSource, RetryPolicy, Route, curated_models,
};
use aigate::emulator::{
    Emulator, EmulatorOptions, Fault, FaultRule, Permissions, RecordedRequest, Seed, TokenSpec,
    reply_for, sandbox,
};
use aigate::exit::Kind;
use serde_json::Value;
use std::time::Duration;

const ACCT: &str = sandbox::ACCOUNT_ID;
const GW: &str = sandbox::TEAM_GATEWAY_ID;

fn fast() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(50),
        max_retry_after: Duration::from_secs(5),
    }
}

async fn setup() -> (Emulator, Client) {
    let emu = Emulator::start(EmulatorOptions {
        seed: Seed::Sandbox,
        ..Default::default()
    })
    .await
    .expect("emulator starts");
    let c = client(&emu, sandbox::TOKEN);
    (emu, c)
}

fn client(emu: &Emulator, token: &str) -> Client {
    Client::new(
        Endpoints::new(emu.api_url(), emu.gateway_url()),
        Secret::new(token),
    )
    .unwrap()
    .with_retry_policy(fast())
}

fn req(model: &str, stream: bool) -> ChatRequest {
    ChatRequest {
        model: model.into(),
        prompt: "Say hello".into(),
        max_tokens: 64,
        stream,
    }
}

/// Sends the prompt and checks that the streamed pieces add up to the answer.
async fn chat(
    c: &Client,
    gw: &str,
    r: &ChatRequest,
) -> Result<aigate::cloudflare::ChatOutcome, aigate::cloudflare::ApiError> {
    let mut pieces = String::new();
    let mut calls = 0;
    let out = c
        .chat(ACCT, gw, r, &mut |t: &str| {
            pieces.push_str(t);
            calls += 1;
        })
        .await?;
    assert_eq!(pieces, out.text);
    if r.stream {
        assert!(calls >= 1);
    }
    Ok(out)
}

fn last_post(emu: &Emulator) -> RecordedRequest {
    emu.requests()
        .into_iter()
        .rev()
        .find(|r| r.method == "POST")
        .expect("a POST was sent")
}

fn step(r: &RecordedRequest) -> Value {
    let body: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(body.as_array().map(Vec::len), Some(1), "one Universal step");
    body[0].clone()
}

fn bearer() -> String {
    format!("Bearer {}", sandbox::TOKEN)
}

// ---------------------------------------------------------------- the three routes

#[tokio::test]
async fn openai_models_use_the_universal_responses_step() {
    let (emu, c) = setup().await;
    for stream in [true, false] {
        let out = chat(&c, GW, &req("openai/gpt-5-mini", stream))
            .await
            .unwrap();
        assert_eq!(out.text, reply_for("openai/gpt-5-mini"));
        assert_eq!(out.ttft.is_some(), stream);
        assert!(out.ttft.is_none_or(|t| t <= out.total));
        assert_eq!(
            out.route,
            Route::Universal {
                provider: "openai",
                endpoint: "v1/responses",
                model: "gpt-5-mini".into()
            }
        );
        let r = last_post(&emu);
        assert_eq!(r.path, format!("/v1/{ACCT}/{GW}"));
        assert_eq!(r.header("cf-aig-authorization"), Some(bearer().as_str()));
        assert_eq!(
            r.header("authorization"),
            None,
            "no provider key for Unified Billing"
        );
        let s = step(&r);
        assert_eq!(s["provider"], "openai");
        assert_eq!(s["endpoint"], "v1/responses");
        assert_eq!(s["query"]["model"], "gpt-5-mini");
        assert_eq!(s["query"]["stream"], stream);
        assert!(s["headers"].get("authorization").is_none());
    }
}

#[tokio::test]
async fn anthropic_models_use_the_universal_messages_step_with_dashes() {
    let (emu, c) = setup().await;
    for stream in [true, false] {
        let out = chat(&c, GW, &req("anthropic/claude-sonnet-4.5", stream))
            .await
            .unwrap();
        assert_eq!(out.text, reply_for("anthropic/claude-sonnet-4-5"));
        let r = last_post(&emu);
        assert_eq!(r.path, format!("/v1/{ACCT}/{GW}"));
        assert_eq!(r.header("cf-aig-authorization"), Some(bearer().as_str()));
        let s = step(&r);
        assert_eq!(s["provider"], "anthropic");
        assert_eq!(s["endpoint"], "v1/messages");
        assert_eq!(s["query"]["model"], "claude-sonnet-4-5");
        assert_eq!(s["query"]["max_tokens"], 64);
    }
}

#[tokio::test]
async fn workers_ai_models_use_the_compat_step_with_the_token() {
    let (emu, c) = setup().await;
    let model = "workers-ai/@cf/meta/llama-3.3-70b-instruct-fp8-fast";
    for stream in [true, false] {
        let out = chat(&c, GW, &req(model, stream)).await.unwrap();
        assert_eq!(out.text, reply_for(model));
        let r = last_post(&emu);
        assert_eq!(r.path, format!("/v1/{ACCT}/{GW}"));
        let s = step(&r);
        assert_eq!(s["provider"], "compat");
        assert_eq!(s["endpoint"], "chat/completions");
        assert_eq!(s["query"]["model"], model);
        assert_eq!(
            s["headers"]["authorization"].as_str(),
            Some(bearer().as_str())
        );
    }
}

#[tokio::test]
async fn other_models_use_the_rest_api_with_the_gateway_header() {
    let (emu, c) = setup().await;
    for stream in [true, false] {
        let out = chat(&c, GW, &req("xai/grok-4.3", stream)).await.unwrap();
        assert_eq!(out.text, reply_for("xai/grok-4.3"));
        assert_eq!(
            out.route,
            Route::Rest {
                model: "xai/grok-4.3".into()
            }
        );
        let r = last_post(&emu);
        assert_eq!(
            r.path,
            format!("/client/v4/accounts/{ACCT}/ai/v1/chat/completions")
        );
        assert_eq!(r.header("authorization"), Some(bearer().as_str()));
        assert_eq!(r.header("cf-aig-gateway-id"), Some(GW));
        assert_eq!(r.header("cf-aig-authorization"), None);
        let body: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(body["model"], "xai/grok-4.3");
        assert_eq!(body["stream"], stream);
    }
}

#[tokio::test]
async fn a_slow_stream_is_read_incrementally() {
    let (emu, c) = setup().await;
    emu.inject(FaultRule::new(
        &format!("/v1/{ACCT}/{GW}"),
        Fault::SlowBody {
            chunk_delay: Duration::from_millis(40),
        },
    ));
    let out = chat(&c, GW, &req("anthropic/claude-haiku-4.5", true))
        .await
        .unwrap();
    assert_eq!(out.text, reply_for("anthropic/claude-haiku-4-5"));
    let ttft = out.ttft.unwrap();
    assert!(
        ttft < out.total,
        "first text {ttft:?} came before the end {:?}",
        out.total
    );
}

#[tokio::test]
async fn inference_is_not_retried() {
    let (emu, c) = setup().await;
    emu.inject(FaultRule::new(
        &format!("/v1/{ACCT}/{GW}"),
        Fault::Status {
            status: 503,
            retry_after: None,
        },
    ));
    let e = chat(&c, GW, &req("openai/gpt-5-mini", true))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Server);
    assert_eq!(
        emu.requests().iter().filter(|r| r.method == "POST").count(),
        1
    );
}

// ---------------------------------------------------------------- gateway errors

#[tokio::test]
async fn a_missing_gateway_is_2001_with_the_create_hint() {
    let (_emu, c) = setup().await;
    let e = chat(&c, "no-such-gateway", &req("openai/gpt-5-mini", true))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::GatewayMissing);
    assert_eq!(e.code(), Some(2001));
    assert!(e.to_string().contains("Please configure AI Gateway"), "{e}");
    assert!(
        e.hint()
            .unwrap()
            .contains("aigate setup --gateway ID --create-gateway")
    );
}

#[tokio::test]
async fn a_token_without_run_is_2009_and_names_ai_gateway_run() {
    let (emu, _) = setup().await;
    let tok = "cfut_no_run_permission_token_000000000000000";
    let mut spec = TokenSpec::user(tok, &[ACCT]);
    spec.permissions = Permissions {
        ai_gateway_run: false,
        ..Permissions::all()
    };
    emu.add_token(spec);
    let c = client(&emu, tok);
    let e = chat(&c, GW, &req("anthropic/claude-sonnet-4.5", true))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(2009));
    assert_eq!(e.kind(), ErrorKind::InvalidToken);
    assert_eq!(e.exit_kind(), Kind::Auth);
    assert!(e.hint().unwrap().contains("AI Gateway Run"));
    assert!(!format!("{e} {e:?}").contains(tok));

    let e = c.list_models(ACCT, GW).await.unwrap_err();
    assert_eq!(
        e.code(),
        Some(2009),
        "an auth error is not hidden by the curated fallback"
    );
}

#[tokio::test]
async fn no_credits_is_2021_with_the_credits_hint() {
    let (emu, c) = setup().await;
    emu.set_credits(ACCT, 0.0);
    let e = chat(&c, GW, &req("openai/gpt-5-mini", false))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(2021));
    assert_eq!(e.status(), Some(402));
    assert_eq!(e.kind(), ErrorKind::OutOfCredits);
    let h = e.hint().unwrap();
    assert!(h.contains("Credits") && h.contains("--billing byok"), "{h}");
}

#[tokio::test]
async fn a_stored_byok_key_pays_instead_of_credits() {
    let (emu, c) = setup().await;
    emu.set_credits(ACCT, 0.0);
    c.create_provider_config(ACCT, GW, "openai", "default", &Secret::new("sk-byok-0001"))
        .await
        .unwrap();
    let out = chat(&c, GW, &req("openai/gpt-5-mini", true)).await.unwrap();
    assert_eq!(out.text, reply_for("openai/gpt-5-mini"));
}

// ---------------------------------------------------------------- models

#[tokio::test]
async fn models_come_from_the_gateway_with_both_auth_headers() {
    let (emu, c) = setup().await;
    emu.set_models(vec![
        "openai/gpt-5-mini".into(),
        "anthropic/claude-sonnet-4-5".into(),
    ]);
    let list = c.list_models(ACCT, GW).await.unwrap();
    assert_eq!(list.source, ModelSource::Gateway);
    let ids: Vec<&str> = list.models.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(
        ids,
        vec!["openai/gpt-5-mini", "anthropic/claude-sonnet-4-5"]
    );
    assert_eq!(list.models[0].owned_by.as_deref(), Some("openai"));
    let r = emu.requests().pop().unwrap();
    assert_eq!(r.method, "GET");
    assert_eq!(r.path, format!("/v1/{ACCT}/{GW}/compat/models"));
    assert_eq!(r.header("cf-aig-authorization"), Some(bearer().as_str()));
    assert_eq!(r.header("authorization"), Some(bearer().as_str()));
}

#[tokio::test]
async fn models_fall_back_to_the_curated_list_only_when_the_endpoint_is_unavailable() {
    let (emu, c) = setup().await;
    for fault in [
        Fault::Status {
            status: 404,
            retry_after: None,
        },
        Fault::Status {
            status: 405,
            retry_after: None,
        },
        Fault::Html { status: 404 },
    ] {
        emu.clear_faults();
        emu.inject(FaultRule::new("/compat/models", fault.clone()));
        let list = c.list_models(ACCT, GW).await.unwrap();
        assert_eq!(list.source, ModelSource::Curated, "{fault:?}");
        assert_eq!(list.models, curated_models());
    }
    emu.clear_faults();
    // A missing gateway is an error, not a reason to show models.
    let e = c.list_models(ACCT, "no-such-gateway").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::GatewayMissing);
    // Server errors are retried, then returned.
    emu.inject(FaultRule::new(
        "/compat/models",
        Fault::Status {
            status: 503,
            retry_after: None,
        },
    ));
    let e = c.list_models(ACCT, GW).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Server);
    assert_eq!(e.attempts(), 3);
}

#[tokio::test]
async fn models_listing_is_retried_after_a_transient_failure() {
    let (emu, c) = setup().await;
    emu.inject(FaultRule {
        times: 1,
        ..FaultRule::new("/compat/models", Fault::Reset)
    });
    let list = c.list_models(ACCT, GW).await.unwrap();
    assert_eq!(list.source, ModelSource::Gateway);
    assert!(!list.models.is_empty());
}

// ---------------------------------------------------------------- logs

#[tokio::test]
async fn logs_show_the_test_requests_newest_first() {
    let (_emu, c) = setup().await;
    chat(&c, GW, &req("openai/gpt-5-mini", true)).await.unwrap();
    chat(&c, GW, &req("anthropic/claude-sonnet-4.5", true))
        .await
        .unwrap();
    let logs = c.list_logs(ACCT, GW, 5).await.unwrap();
    assert_eq!(logs.len(), 2);
    assert_eq!(logs[0].provider, "anthropic");
    assert_eq!(logs[1].provider, "openai");
    assert!(logs.iter().all(|l| l.success));
}

// ---------------------------------------------------------------- real host names over TLS

#[tokio::test]
async fn real_cloudflare_hostnames_work_through_a_proxy_over_rustls() {
    let emu = Emulator::start(EmulatorOptions {
        seed: Seed::Sandbox,
        tls_proxy: true,
    })
    .await
    .expect("emulator starts");
    let c = Client::new(Endpoints::cloudflare(), Secret::new(sandbox::TOKEN))
        .unwrap()
        .with_retry_policy(fast())
        .with_proxy(&emu.proxy_url())
        .unwrap()
        .with_extra_root_ca(&emu.ca_cert_pem().unwrap())
        .unwrap();
    c.verify_token(None).await.unwrap();
    let out = chat(&c, GW, &req("openai/gpt-5-mini", true)).await.unwrap();
    assert_eq!(out.text, reply_for("openai/gpt-5-mini"));
    let reqs: Vec<RecordedRequest> = emu
        .requests()
        .into_iter()
        .filter(|r| r.method != "CONNECT")
        .collect();
    assert_eq!(reqs.len(), 2, "{reqs:?}");
    assert!(reqs.iter().all(|r| r.via_tls));
    assert_eq!(reqs[0].host.as_deref(), Some("api.cloudflare.com"));
    assert_eq!(reqs[1].host.as_deref(), Some("gateway.ai.cloudflare.com"));
}

#[tokio::test]
async fn an_unauthenticated_gateway_gets_the_providers_401_and_a_hint() {
    let (emu, c) = setup().await;
    emu.add_gateway(ACCT, "open-gw", false);
    let e = chat(&c, "open-gw", &req("openai/gpt-5-mini", true))
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(401));
    assert_eq!(e.code(), None);
    assert!(
        e.to_string().contains("You didn't provide an API key"),
        "{e}"
    );
    assert!(e.hint().unwrap().contains("authenticated gateway"));
}
