//! What OpenCode 2 sends, given what aigate writes and delivers: the STAND-IN
//! `tests/v2/plugin-stand-in.mjs` drives the real npm `ai-gateway-provider` 3.1.2 and
//! `@ai-sdk/openai-compatible` 2.0.41 (the versions OpenCode 2 pins) the way V2's
//! `cloudflare-ai-gateway` plugin does, launched through `aigate run` (env delivery) and pointed
//! at the emulator by overriding `globalThis.fetch`. Proves, for Unified Billing and BYOK: the
//! URL (Universal endpoint), the one `compat` `chat/completions` step with the full model id,
//! the token only in `cf-aig-authorization` and the step's `authorization`, and that the
//! emulator answers it (streamed) and bills it the way Cloudflare does. Also that
//! `aigate test --client opencode-v2` sends the same request.
//!
//! Needs the npm packages: `.ci/test` installs them into `target/v2-stand-in`
//! (`AIGATE_TEST_V2_NODE_MODULES`).

mod common;
use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn node_modules() -> PathBuf {
    let p = std::env::var_os("AIGATE_TEST_V2_NODE_MODULES")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("target/v2-stand-in/node_modules")
        });
    assert!(
        p.join("ai-gateway-provider").is_dir(),
        "ai-gateway-provider is not installed in {}: run the suite with `bash .ci/test`",
        p.display()
    );
    p
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/v2/plugin-stand-in.mjs")
}

/// Run the stand-in through `aigate run` and return its answer line.
fn drive(w: &World) -> Value {
    let out = w.run(
        w.aigate()
            .env("STAND_IN_NODE_MODULES", node_modules())
            .env("STAND_IN_GATEWAY_URL", w.emu.gateway_url())
            .args(["run", "--", "node"])
            .arg(script())
            .arg(w.opencode_config()),
    );
    out.assert_code(0);
    serde_json::from_str(out.stdout.lines().last().unwrap()).unwrap()
}

/// The one Universal-endpoint request, checked: URL, step, headers, where the token is.
fn assert_v2_request(w: &World, model: &str, token: &str) -> aigate::emulator::RecordedRequest {
    let path = format!("/v1/{ACCOUNT}/existing-gw");
    let reqs: Vec<_> = w
        .emu
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path.ends_with(&path))
        .collect();
    assert_eq!(reqs.len(), 1, "one request to the Universal endpoint");
    let r = reqs[0].clone();
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("cf-aig-authorization"),
        Some(format!("Bearer {token}").as_str())
    );
    assert!(r.header("authorization").is_none());
    for (name, value) in &r.headers {
        if name != "cf-aig-authorization" {
            assert!(!value.contains(token), "the token is in header {name}");
        }
    }
    let body: Value = serde_json::from_str(&r.body).unwrap();
    let steps = body.as_array().expect("a JSON array of steps");
    assert_eq!(steps.len(), 1);
    let s = &steps[0];
    assert_eq!(s["provider"], "compat");
    assert_eq!(s["endpoint"], "chat/completions");
    assert_eq!(s["query"]["model"], model, "the full vendor/model id");
    assert_eq!(s["query"]["stream"], true);
    assert!(
        s["query"]["messages"]
            .as_array()
            .is_some_and(|m| !m.is_empty())
    );
    assert_eq!(s["headers"]["authorization"], format!("Bearer {token}"));
    // Anywhere else in the body: nowhere.
    let mut without = s.clone();
    without["headers"]["authorization"] = Value::Null;
    assert!(!without.to_string().contains(token));
    r
}

#[test]
fn unified_billing_request_is_the_compat_step_and_is_billed_to_credits() {
    let w = World::new();
    w.setup(TOKEN, EXISTING_UNIFIED_MINI).assert_code(0);
    w.emu.clear_requests();
    let before = w.emu.credits(ACCOUNT);
    let answer = drive(&w);
    assert_eq!(answer["model"], "openai/gpt-5-mini");
    assert!(!answer["text"].as_str().unwrap().is_empty(), "{answer}");
    assert_eq!(answer["finish"], "stop", "{answer}");
    assert_v2_request(&w, "openai/gpt-5-mini", TOKEN);
    assert!(
        w.emu.credits(ACCOUNT) < before,
        "Unified Billing spends credits"
    );

    // `aigate test --client opencode-v2` takes the same route.
    w.emu.clear_requests();
    let out = w.run(
        w.aigate()
            .args(["--json", "test", "--client", "opencode-v2"]),
    );
    out.assert_code(0);
    let j = out.json();
    assert_eq!(j["client"], "opencode-v2");
    assert_eq!(j["route"], "Universal endpoint, compat chat/completions");
    assert_v2_request(&w, "openai/gpt-5-mini", TOKEN);
    // And V1's route on purpose: the Responses API step, no token in the step.
    w.emu.clear_requests();
    let j = w
        .run(
            w.aigate()
                .args(["--json", "test", "--client", "opencode-v1"]),
        )
        .json();
    assert_eq!(j["route"], "Universal endpoint, openai v1/responses");
}

#[test]
fn byok_request_uses_the_stored_key_not_credits() {
    let w = World::new();
    let mut cmd = w.aigate();
    cmd.args([
        "setup",
        "--non-interactive",
        "--token-stdin",
        "--account-id",
        ACCOUNT,
        "--gateway",
        "existing-gw",
        "--billing",
        "byok",
        "--byok-key",
        "anthropic=MY_ANTHROPIC",
        "--model",
        "anthropic/claude-sonnet-4.5",
        "--skip-test",
    ])
    .env("MY_ANTHROPIC", "sk-ant-stand-in-key")
    .write_stdin(TOKEN);
    w.run(&mut cmd).assert_code(0);
    w.emu.clear_requests();
    let before = w.emu.credits(ACCOUNT);
    let answer = drive(&w);
    assert_eq!(answer["model"], "anthropic/claude-sonnet-4.5");
    assert!(!answer["text"].as_str().unwrap().is_empty());
    let r = assert_v2_request(&w, "anthropic/claude-sonnet-4.5", TOKEN);
    assert!(!r.body.contains("sk-ant-stand-in-key"));
    assert_eq!(
        w.emu.credits(ACCOUNT),
        before,
        "the stored key pays, not Unified Billing"
    );
}

#[test]
fn a_step_with_a_real_provider_key_is_not_mistaken_for_the_gateway_token() {
    // The emulator rule the stand-in relies on, from the other side: a different bearer in
    // the step is a provider key sent with the request.
    let w = World::new();
    let rt = &w.rt;
    let url = format!("{}/{ACCOUNT}/existing-gw", w.emu.gateway_url());
    let body = serde_json::json!([{
        "provider": "compat", "endpoint": "chat/completions",
        "headers": {"authorization": "Bearer sk-provider-own"},
        "query": {"model": "openai/gpt-5-mini", "messages": [{"role": "user", "content": "hi"}]}
    }]);
    let before = w.emu.credits(ACCOUNT);
    let status = rt.block_on(async {
        reqwest::Client::builder()
            .no_proxy()
            .build()
            .unwrap()
            .post(&url)
            .header("cf-aig-authorization", format!("Bearer {TOKEN}"))
            .json(&body)
            .send()
            .await
            .unwrap()
            .status()
    });
    assert_eq!(status, 200);
    assert_eq!(w.emu.credits(ACCOUNT), before, "the request's own key pays");
}
