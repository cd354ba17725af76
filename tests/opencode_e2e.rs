//! Proof with the real client: OpenCode (from npm, version pinned in `.ci/opencode-version`)
//! reads what `aigate setup` wrote and reaches the emulator, whose HTTPS proxy mode stands in
//! for gateway.ai.cloudflare.com and api.cloudflare.com (OpenCode hard-codes those URLs).
//! Fresh HOME and XDG dirs per test, `OPENCODE_DISABLE_MODELS_FETCH=1`, no internet.

mod common;
use aigate::emulator::RecordedRequest;
use common::*;
use std::path::PathBuf;
use std::process::Command;

const GW: &str = "existing-gw";

fn opencode_bin() -> PathBuf {
    match std::env::var_os("AIGATE_TEST_OPENCODE") {
        Some(p) => PathBuf::from(p),
        None => panic!(
            "AIGATE_TEST_OPENCODE is not set: run the suite with `bash .ci/test`, which installs OpenCode"
        ),
    }
}

struct E2e {
    w: World,
    ca: PathBuf,
}

impl E2e {
    fn new() -> E2e {
        let (w, ca) = World::with_tls_proxy();
        E2e { w, ca }
    }

    /// The environment OpenCode runs with: this world's HOME/XDG dirs, the emulator as the
    /// HTTPS proxy, and its CA trusted through NODE_EXTRA_CA_CERTS.
    fn opencode_env(&self, cmd: &mut Command) {
        self.w.proxied(cmd, &self.ca);
        // OpenCode installs `ai-gateway-provider` from npm at run time for REST-route models;
        // the registry is the one host reached directly, everything else goes to the emulator.
        cmd.env("NO_PROXY", "registry.npmjs.org")
            .env("OPENCODE_DISABLE_MODELS_FETCH", "1")
            .env("OPENCODE_DISABLE_AUTOUPDATE", "1");
    }

    /// `aigate run -- opencode run -m MODEL PROMPT` (env delivery).
    fn run_through_aigate(&self, model: &str) -> std::process::Output {
        let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("aigate"));
        self.opencode_env(&mut cmd);
        cmd.args(["run", "--"]).arg(opencode_bin()).args([
            "run",
            "-m",
            &format!("cloudflare-ai-gateway/{model}"),
            "Say hi",
        ]);
        cmd.output().unwrap()
    }

    /// Plain `opencode ...` (auth.json delivery, or the negative case).
    fn opencode(&self, args: &[&str]) -> std::process::Output {
        let mut cmd = Command::new(opencode_bin());
        self.opencode_env(&mut cmd);
        cmd.args(args);
        cmd.output().unwrap()
    }

    fn setup(&self, extra: &[&str]) {
        let mut args = vec![
            "--account-id",
            ACCOUNT,
            "--gateway",
            GW,
            "--billing",
            "unified",
            "--skip-test",
        ];
        args.extend_from_slice(extra);
        self.w.setup(TOKEN, &args).assert_code(0);
    }

    fn tls_requests(&self, host: &str) -> Vec<RecordedRequest> {
        self.w
            .emu
            .requests()
            .into_iter()
            .filter(|r| r.via_tls && r.host.as_deref().is_some_and(|h| h.starts_with(host)))
            .collect()
    }
}

fn header<'a>(r: &'a RecordedRequest, name: &str) -> Option<&'a str> {
    r.headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn text(o: &std::process::Output) -> String {
    format!(
        "--- stdout\n{}\n--- stderr\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The Universal-endpoint requests OpenCode made carry the token and no provider key.
fn assert_universal(e: &E2e, step_endpoint: &str, model_in_step: &str) {
    let reqs = e.tls_requests("gateway.ai.cloudflare.com");
    let main: Vec<_> = reqs
        .iter()
        .filter(|r| r.method == "POST" && r.path == format!("/v1/{ACCOUNT}/{GW}"))
        .collect();
    assert!(
        !main.is_empty(),
        "OpenCode sent nothing to the Universal endpoint: {reqs:#?}"
    );
    for r in &main {
        assert_eq!(
            header(r, "cf-aig-authorization"),
            Some(format!("Bearer {TOKEN}").as_str())
        );
        assert_eq!(header(r, "authorization"), None, "a provider key was sent");
        assert!(!r.body.contains("sk-"), "a provider key was sent in a step");
    }
    assert!(
        main.iter()
            .any(|r| r.body.contains(step_endpoint) && r.body.contains(model_in_step)),
        "no step {step_endpoint} for {model_in_step}: {:#?}",
        main.iter().map(|r| &r.body).collect::<Vec<_>>()
    );
}

/// OpenCode succeeded and printed the emulator's reply.
#[track_caller]
fn assert_replied(out: &std::process::Output) {
    assert!(out.status.success(), "{}", text(out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("Hello from the aigate emulator"),
        "{}",
        text(out)
    );
}

#[test]
fn openai_model_through_aigate_run_uses_the_universal_responses_step() {
    let e = E2e::new();
    e.setup(&["--model", "openai/gpt-5-mini"]);
    assert_replied(&e.run_through_aigate("openai/gpt-5-mini"));
    assert_universal(&e, "v1/responses", "gpt-5-mini");
}

#[test]
fn anthropic_model_uses_the_messages_step() {
    let e = E2e::new();
    e.setup(&["--model", "anthropic/claude-sonnet-4.5"]);
    assert_replied(&e.run_through_aigate("anthropic/claude-sonnet-4.5"));
    assert_universal(&e, "v1/messages", "claude-sonnet-4-5");
}

#[test]
fn other_models_go_the_rest_route_with_the_gateway_id_header() {
    let e = E2e::new();
    e.setup(&["--model", "xai/grok-4.3"]);
    assert_replied(&e.run_through_aigate("xai/grok-4.3"));
    let rest: Vec<_> = e
        .tls_requests("api.cloudflare.com")
        .into_iter()
        .filter(|r| {
            r.method == "POST"
                && r.path == format!("/client/v4/accounts/{ACCOUNT}/ai/v1/chat/completions")
        })
        .collect();
    assert!(!rest.is_empty(), "nothing reached the REST route");
    for r in &rest {
        assert_eq!(
            header(r, "authorization"),
            Some(format!("Bearer {TOKEN}").as_str())
        );
        assert_eq!(header(r, "cf-aig-gateway-id"), Some(GW));
        assert!(r.body.contains("xai/grok-4.3"));
    }
}

#[test]
fn opencode_auth_delivery_works_with_plain_opencode_and_logout_stops_it() {
    let e = E2e::new();
    e.setup(&[
        "--model",
        "openai/gpt-5-mini",
        "--token-delivery",
        "opencode-auth",
    ]);
    // `opencode debug config` accepts the written file.
    let out = e.opencode(&["debug", "config"]);
    assert!(out.status.success(), "{}", text(&out));
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(
        shown.contains("cloudflare-ai-gateway/openai/gpt-5-mini"),
        "{}",
        text(&out)
    );
    assert!(
        !String::from_utf8_lossy(&out.stderr)
            .to_lowercase()
            .contains("error"),
        "{}",
        text(&out)
    );

    let out = e.opencode(&[
        "run",
        "-m",
        "cloudflare-ai-gateway/openai/gpt-5-mini",
        "Say hi",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("Hello from the aigate emulator"),
        "{}",
        text(&out)
    );
    assert_universal(&e, "v1/responses", "gpt-5-mini");

    // After logout the same run fails, and the token goes nowhere.
    e.w.run(e.w.aigate().arg("logout")).assert_code(0);
    e.w.emu.clear_requests();
    let out = e.opencode(&[
        "run",
        "-m",
        "cloudflare-ai-gateway/openai/gpt-5-mini",
        "Say hi",
    ]);
    assert!(
        !out.status.success() || !String::from_utf8_lossy(&out.stdout).contains("Hello from"),
        "{}",
        text(&out)
    );
    for r in e.w.emu.requests() {
        let all = format!("{:?} {}", r.headers, r.body);
        assert!(
            !all.contains(TOKEN),
            "the token was sent after logout: {} {}",
            r.method,
            r.path
        );
    }
    // And through aigate: refused before OpenCode starts.
    let out = e.run_through_aigate("openai/gpt-5-mini");
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
}

#[test]
fn env_delivery_config_passes_opencode_debug_config() {
    let e = E2e::new();
    e.setup(&["--model", "anthropic/claude-sonnet-4.5"]);
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("aigate"));
    e.opencode_env(&mut cmd);
    cmd.args(["run", "--"])
        .arg(opencode_bin())
        .args(["debug", "config"]);
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("cloudflare-ai-gateway/anthropic/claude-sonnet-4.5")
    );
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains(TOKEN),
        "debug config printed the token"
    );
}

#[test]
fn a_fallback_route_is_called_as_dynamic_route_by_the_real_opencode() {
    let e = E2e::new();
    e.setup(&[
        "--model",
        "openai/gpt-5-mini",
        "--fallback-model",
        "anthropic/claude-haiku-4.5",
    ]);
    // The model setup wrote (declared under the provider's models: not in OpenCode's catalog).
    // The first model fails: the route answers from its fallback.
    e.w.emu.fail_model("openai/gpt-5-mini", 503);
    let out = e.run_through_aigate("dynamic/aigate-default");
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("claude-haiku-4.5"), "{}", text(&out));
    // OpenCode 1.18.33 sends `dynamic/…` by the REST route with the gateway's id.
    let rest: Vec<_> = e
        .tls_requests("api.cloudflare.com")
        .into_iter()
        .filter(|r| {
            r.method == "POST"
                && r.path == format!("/client/v4/accounts/{ACCOUNT}/ai/v1/chat/completions")
        })
        .collect();
    assert!(!rest.is_empty(), "nothing reached the REST route");
    for r in &rest {
        assert_eq!(header(r, "cf-aig-gateway-id"), Some(GW));
        assert!(r.body.contains("\"dynamic/aigate-default\""), "{}", r.body);
    }
    let logs = e.w.emu.logs(ACCOUNT, GW);
    assert!(
        logs.iter()
            .any(|l| l["route"] == "aigate-default" && l["status_code"] == 200),
        "{logs:#?}"
    );
}
