//! Proof with the real agents: OpenAI Codex CLI (npm `@openai/codex`, pinned in
//! `.ci/codex-version`) and Claude Code (npm `@anthropic-ai/claude-code`, pinned in
//! `.ci/claude-code-version`), installed by `.ci/test`, launched through `aigate run` after
//! `aigate setup --client …`, each answering a one-shot prompt (`codex exec`, `claude -p`)
//! with the emulator's reply. The emulator's HTTPS proxy mode stands in for
//! gateway.ai.cloudflare.com (its CA trusted through SSL_CERT_FILE for Codex, a Rust binary,
//! and NODE_EXTRA_CA_CERTS for Claude Code). Fresh HOME and CODEX_HOME per test, no internet.

mod common;
use aigate::emulator::RecordedRequest;
use common::*;
use std::path::PathBuf;
use std::process::{Command, Stdio};

const GW: &str = "existing-gw";
const REAL_GATEWAY: &str = "https://gateway.ai.cloudflare.com/v1";

fn bin(var: &str) -> PathBuf {
    match std::env::var_os(var) {
        Some(p) => PathBuf::from(p),
        None => panic!("{var} is not set: run the suite with `bash .ci/test`, which installs it"),
    }
}

struct E2e {
    w: World,
    ca: PathBuf,
}

impl E2e {
    fn new() -> E2e {
        let (w, ca) = World::with_tls_proxy();
        std::fs::create_dir_all(w.root.path().join("codex")).unwrap();
        E2e { w, ca }
    }

    fn codex_home(&self) -> PathBuf {
        self.w.root.path().join("codex")
    }

    /// The world's environment, the gateway's real URL, the emulator as the HTTPS proxy and
    /// its CA trusted; nothing else inherited.
    fn env(&self, cmd: &mut Command) {
        self.w.proxied(cmd, &self.ca);
        cmd.env("AIGATE_GATEWAY_URL", REAL_GATEWAY)
            .env("CODEX_HOME", self.codex_home())
            .env("SSL_CERT_FILE", &self.ca)
            .env("DISABLE_AUTOUPDATER", "1")
            .env("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1")
            .stdin(Stdio::null());
    }

    fn aigate(&self, args: &[&str]) -> std::process::Output {
        let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("aigate"));
        self.env(&mut cmd);
        cmd.args(args);
        let out = cmd.output().unwrap();
        let mut t = self.w.transcript.borrow_mut();
        t.extend_from_slice(&out.stdout);
        t.extend_from_slice(&out.stderr);
        out
    }

    fn setup(&self, extra: &[&str]) {
        let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("aigate"));
        self.env(&mut cmd);
        cmd.args([
            "setup",
            "--non-interactive",
            "--token-stdin",
            "--account-id",
            ACCOUNT,
            "--gateway",
            GW,
            "--billing",
            "unified",
            "--skip-test",
        ])
        .args(extra);
        let out = spawn_with_stdin(&mut cmd, TOKEN)
            .wait_with_output()
            .unwrap();
        assert!(out.status.success(), "setup failed\n{}", text(&out));
        // Only the agent's requests are examined below (setup lists models itself).
        self.w.emu.clear_requests();
    }

    fn gateway_requests(&self) -> Vec<RecordedRequest> {
        self.w
            .emu
            .requests()
            .into_iter()
            .filter(|r| {
                r.via_tls
                    && r.host
                        .as_deref()
                        .is_some_and(|h| h.starts_with("gateway.ai.cloudflare.com"))
            })
            .collect()
    }

    /// The token reached the gateway only as `cf-aig-authorization: Bearer <token>`: in no
    /// other header, in no body.
    /// Every request the agent sent was answered (no route the emulator lacks).
    fn assert_all_answered(&self) {
        for r in self.gateway_requests() {
            assert!(
                (200..300).contains(&r.status),
                "{} {} was answered {}",
                r.method,
                r.path,
                r.status
            );
        }
    }

    fn assert_token_only_in_the_gateway_header(&self) {
        for r in self.gateway_requests() {
            for (k, v) in &r.headers {
                if v.contains(TOKEN) {
                    assert!(
                        k.eq_ignore_ascii_case("cf-aig-authorization")
                            && v == &format!("Bearer {TOKEN}"),
                        "the token was sent in header {k} of {} {}",
                        r.method,
                        r.path
                    );
                }
            }
            assert!(!r.body.contains(TOKEN), "the token was sent in a body");
        }
    }
}

fn text(o: &std::process::Output) -> String {
    format!(
        "--- stdout\n{}\n--- stderr\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[track_caller]
fn assert_replied(out: &std::process::Output, model: &str) {
    assert!(out.status.success(), "{}", text(out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!("Hello from the aigate emulator (model {model}")),
        "{}",
        text(out)
    );
}

#[test]
fn codex_answers_through_aigate_run_on_the_responses_route() {
    let e = E2e::new();
    // The user's own Codex config, with comments and another profile: never touched.
    let user_config = "# my Codex settings\napproval_policy = \"on-request\"\n\n[profiles.fast] # legacy table of mine\nmodel = \"o4-mini\"\n";
    std::fs::write(e.codex_home().join("config.toml"), user_config).unwrap();
    e.setup(&["--model", "openai/gpt-5-mini", "--client", "codex"]);
    let profile = e.codex_home().join("aigate.config.toml");
    assert!(profile.exists(), "setup --client codex wrote no profile");

    let codex = bin("AIGATE_TEST_CODEX");
    let out = e.aigate(&[
        "run",
        "--",
        codex.to_str().unwrap(),
        "exec",
        "--skip-git-repo-check",
        "Say hello",
    ]);
    assert_replied(&out, "openai/gpt-5-mini");

    let reqs = e.gateway_requests();
    let responses: Vec<_> = reqs
        .iter()
        .filter(|r| r.method == "POST" && r.path == format!("/v1/{ACCOUNT}/{GW}/openai/responses"))
        .collect();
    assert!(
        !responses.is_empty(),
        "Codex sent nothing to the gateway's openai/responses: {reqs:#?}"
    );
    for r in &responses {
        assert_eq!(
            r.header("cf-aig-authorization"),
            Some(format!("Bearer {TOKEN}").as_str())
        );
        assert_eq!(r.header("authorization"), None, "a provider key was sent");
        assert!(r.body.contains("\"gpt-5-mini\""), "model not in the body");
        let body: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(body["stream"], true, "Codex streams its Responses requests");
        assert_eq!(r.status, 200);
    }
    e.assert_token_only_in_the_gateway_header();
    e.assert_all_answered();
    assert_eq!(
        std::fs::read_to_string(e.codex_home().join("config.toml")).unwrap(),
        user_config,
        "aigate changed the user's config.toml"
    );
    // No token in any file (Codex's own session files included), nor in what aigate printed.
    e.w.assert_no_leak(&[TOKEN]);

    // Logout removes the profile aigate created; the user's config stays as it was.
    let out = e.aigate(&["logout"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(!profile.exists(), "logout left aigate's Codex profile");
    assert_eq!(
        std::fs::read_to_string(e.codex_home().join("config.toml")).unwrap(),
        user_config
    );
}

#[test]
fn claude_code_answers_through_aigate_run_on_the_messages_route() {
    let e = E2e::new();
    e.setup(&[
        "--model",
        "anthropic/claude-sonnet-4.5",
        "--client",
        "claude-code",
    ]);
    let claude = bin("AIGATE_TEST_CLAUDE");
    let out = e.aigate(&[
        "run",
        "--",
        claude.to_str().unwrap(),
        "-p",
        "--model",
        "claude-sonnet-4-5",
        "Say hello",
    ]);
    assert_replied(&out, "anthropic/claude-sonnet-4-5");

    let reqs = e.gateway_requests();
    let messages: Vec<_> = reqs
        .iter()
        .filter(|r| {
            r.method == "POST" && r.path == format!("/v1/{ACCOUNT}/{GW}/anthropic/v1/messages")
        })
        .collect();
    assert!(
        !messages.is_empty(),
        "Claude Code sent nothing to the gateway's anthropic/v1/messages: {reqs:#?}"
    );
    for r in &messages {
        assert_eq!(
            r.header("cf-aig-authorization"),
            Some(format!("Bearer {TOKEN}").as_str())
        );
        // Unified Billing: the gateway supplies the key; Claude Code gets a placeholder.
        assert_eq!(
            r.header("x-api-key"),
            Some(aigate::agents::claude_code::PLACEHOLDER_KEY)
        );
    }
    assert!(messages.iter().any(|r| r.status == 200));
    // The prompt itself is streamed (Messages SSE).
    assert!(
        messages.iter().any(|r| {
            let b: serde_json::Value = serde_json::from_str(&r.body).unwrap_or_default();
            b["stream"] == true && r.body.contains("Say hello")
        }),
        "no streamed Messages request carried the prompt"
    );
    e.assert_token_only_in_the_gateway_header();
    e.assert_all_answered();
    // Nothing on disk for Claude Code by default: no token in any file, settings.json
    // included (Claude Code writes its own files under HOME/.claude).
    e.w.assert_no_leak(&[TOKEN]);
}
