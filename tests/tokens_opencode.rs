//! The real OpenCode (npm `opencode-ai`, version in `.ci/opencode-version`) works through
//! `aigate run` with the minted Run + Read token a default setup stores, and every gateway
//! request it makes carries that token, never the admin token setup was given. The emulator's
//! HTTPS proxy mode stands in for Cloudflare's hosts (as in `tests/opencode_e2e.rs`).

mod common;
use aigate::emulator::{Permissions, TokenSpec};
use common::*;
use std::process::Command;

const ADMIN: &str = "cfut_TestAdminTokenCanCreateTokens000000000d1";
const GW: &str = "existing-gw";

#[test]
fn opencode_works_through_aigate_run_with_the_minted_token() {
    let opencode = std::env::var_os("AIGATE_TEST_OPENCODE").expect(
        "AIGATE_TEST_OPENCODE is not set: run the suite with `bash .ci/test`, which installs OpenCode",
    );
    let (w, ca) = World::with_tls_proxy();
    w.emu.add_token(TokenSpec {
        permissions: Permissions::admin(),
        ..TokenSpec::user(ADMIN, &[ACCOUNT])
    });
    w.setup(
        ADMIN,
        &[
            "--account-id",
            ACCOUNT,
            "--gateway",
            GW,
            "--billing",
            "unified",
            "--model",
            "openai/gpt-5-mini",
            "--skip-test",
        ],
    )
    .assert_code(0);
    let minted = w.keychain_lookup("default").unwrap();
    assert_ne!(minted, ADMIN);
    assert_eq!(
        w.emu.token_grant(&minted).unwrap().permissions,
        Permissions::run_read()
    );

    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("aigate"));
    w.proxied(&mut cmd, &ca);
    cmd.env("NO_PROXY", "registry.npmjs.org")
        .env("OPENCODE_DISABLE_MODELS_FETCH", "1")
        .env("OPENCODE_DISABLE_AUTOUPDATE", "1")
        .args(["run", "--"])
        .arg(&opencode)
        .args([
            "run",
            "-m",
            "cloudflare-ai-gateway/openai/gpt-5-mini",
            "Say hi",
        ]);
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("Hello from the aigate emulator"),
        "--- stdout\n{stdout}\n--- stderr\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sent: Vec<_> = w
        .emu
        .requests()
        .into_iter()
        .filter(|r| r.via_tls && r.method == "POST" && r.path == format!("/v1/{ACCOUNT}/{GW}"))
        .collect();
    assert!(!sent.is_empty(), "OpenCode sent nothing to the gateway");
    for r in &sent {
        assert_eq!(
            r.header("cf-aig-authorization"),
            Some(format!("Bearer {minted}").as_str())
        );
    }
    assert!(
        !w.emu
            .requests()
            .iter()
            .filter(|r| r.via_tls)
            .any(|r| r.headers.iter().any(|(_, v)| v.contains(ADMIN))),
        "OpenCode sent the admin token"
    );
}
