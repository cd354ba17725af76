//! The token's whole life through aigate, with the real Secret Service and every step
//! cross-checked with `secret-tool`: store, read (status), rotate, run, logout; a failed
//! rotation keeps the old token everywhere; no keychain means a clear refusal.

mod common;
use common::*;

const BASE: &[&str] = &[
    "--account-id",
    ACCOUNT,
    "--gateway",
    "existing-gw",
    "--billing",
    "unified",
    "--skip-test",
];

#[test]
fn store_status_rotate_logout_through_the_keychain() {
    let w = World::new();
    w.setup(TOKEN, BASE).assert_code(0);
    assert_eq!(w.keychain_lookup("default").as_deref(), Some(TOKEN));

    let out = w.run(w.aigate().args(["status", "--json"]));
    out.assert_code(0);
    let j = out.json();
    assert_eq!(j["token_status"], "active");
    assert_eq!(j["token_store"], "keychain");
    assert_eq!(j["gateway_id"], "existing-gw");
    assert_eq!(j["opencode_config_matches"], true);
    assert!(j["token_masked"].as_str().unwrap().starts_with("cfut_****"));

    let out = w.run(
        w.aigate()
            .args(["rotate", "--token-stdin"])
            .write_stdin(TOKEN2),
    );
    out.assert_code(0);
    assert_eq!(w.keychain_lookup("default").as_deref(), Some(TOKEN2));

    let out = w.run(w.aigate().arg("logout"));
    out.assert_code(0)
        .assert_stderr_contains("Removed the token");
    assert_eq!(w.keychain_lookup("default"), None);
    // What is left is said, and status now fails with the fix.
    assert!(out.stderr.contains("model"), "{}", out.stderr);
    let out = w.run(w.aigate().arg("status"));
    out.assert_code(1).assert_stderr_contains("aigate rotate");
    w.assert_no_leak(&[TOKEN, TOKEN2]);
}

#[test]
fn a_failed_rotation_keeps_the_old_token_in_the_keychain_and_auth_json() {
    let w = World::new();
    let mut args = BASE.to_vec();
    args.extend(["--token-delivery", "opencode-auth"]);
    w.setup(TOKEN, &args).assert_code(0);
    let auth_before = std::fs::read(w.auth_json()).unwrap();
    let auth: serde_json::Value = serde_json::from_slice(&auth_before).unwrap();
    assert_eq!(auth["cloudflare-ai-gateway"]["key"], TOKEN);
    assert_eq!(
        auth["cloudflare-ai-gateway"]["metadata"]["accountId"],
        ACCOUNT
    );
    assert_eq!(
        auth["cloudflare-ai-gateway"]["metadata"]["gatewayId"],
        "existing-gw"
    );

    // An invalid token.
    let out = w.run(
        w.aigate()
            .args(["rotate", "--token-stdin"])
            .write_stdin(TOKEN_INVALID),
    );
    out.assert_code(3)
        .assert_stderr_contains("stored token was kept");
    // A valid token that may not run inference through the gateway.
    let out = w.run(
        w.aigate()
            .args(["rotate", "--token-stdin"])
            .write_stdin(TOKEN_NO_RUN),
    );
    out.assert_code(3).assert_stderr_contains("AI Gateway Run");

    assert_eq!(w.keychain_lookup("default").as_deref(), Some(TOKEN));
    assert_eq!(std::fs::read(w.auth_json()).unwrap(), auth_before);

    // A good rotation updates both.
    w.run(
        w.aigate()
            .args(["rotate", "--token-stdin"])
            .write_stdin(TOKEN2),
    )
    .assert_code(0);
    assert_eq!(w.keychain_lookup("default").as_deref(), Some(TOKEN2));
    let auth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(w.auth_json()).unwrap()).unwrap();
    assert_eq!(auth["cloudflare-ai-gateway"]["key"], TOKEN2);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(w.auth_json())
                .unwrap()
                .permissions()
                .mode()
                & 0o777,
            0o600
        );
    }
    w.assert_no_leak(&[TOKEN, TOKEN2, TOKEN_INVALID, TOKEN_NO_RUN]);
}

#[test]
fn without_a_secret_service_setup_explains_the_two_ways_out_and_stores_nothing() {
    let w = World::new();
    let before = w.snapshot();
    let mut cmd = w.aigate();
    cmd.env(
        "DBUS_SESSION_BUS_ADDRESS",
        "unix:path=/nonexistent/aigate-test-bus",
    )
    .args([
        "setup",
        "--non-interactive",
        "--token-stdin",
        "--account-id",
        ACCOUNT,
    ])
    .args([
        "--gateway",
        "no-keychain",
        "--create-gateway",
        "--billing",
        "unified",
        "--skip-test",
    ])
    .write_stdin(TOKEN);
    let out = w.run(&mut cmd);
    out.assert_code(1)
        .assert_stderr_contains("--insecure-storage")
        .assert_stderr_contains("CLOUDFLARE_API_TOKEN");
    assert_eq!(before, w.snapshot(), "nothing may be written");
    assert!(
        w.emu.gateway(ACCOUNT, "no-keychain").is_none(),
        "nothing may be created"
    );

    // The explicit way out: a 0600 file, with a loud warning.
    cmd.arg("--insecure-storage");
    let out = w.run(&mut cmd);
    out.assert_code(0).assert_stderr_contains("warning:");
    let file = w.config_home().join("aigate").join("credentials.json");
    assert!(std::fs::read_to_string(&file).unwrap().contains(TOKEN));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    assert_eq!(w.keychain_lookup("default"), None);
}

#[test]
fn run_gives_the_three_variables_to_the_child_only() {
    let w = World::new();
    w.setup(TOKEN, BASE).assert_code(0);
    let out = w.run(w.aigate().args(["run", "--", "env"]));
    out.assert_code(0);
    assert!(
        out.stdout
            .contains(&format!("CLOUDFLARE_API_TOKEN={TOKEN}"))
    );
    assert!(
        out.stdout
            .contains(&format!("CLOUDFLARE_ACCOUNT_ID={ACCOUNT}"))
    );
    assert!(out.stdout.contains("CLOUDFLARE_GATEWAY_ID=existing-gw"));
    assert!(
        !out.stderr.contains(TOKEN),
        "aigate itself printed the token"
    );
    // The child's status is aigate's.
    w.run(w.aigate().args(["run", "--", "sh", "-c", "exit 7"]))
        .assert_code(7);
    // Only the child sees it: clear the transcript of the child's own output, then scan.
    w.transcript.borrow_mut().clear();
    w.assert_no_leak(&[TOKEN]);
}

#[test]
fn env_var_overrides_are_reported_and_profiles_coexist() {
    let w = World::new();
    w.emu.add_gateway(ACCOUNT2, "research-gw", true);
    w.setup(TOKEN, BASE).assert_code(0);
    let mut cmd = w.aigate();
    cmd.args([
        "--profile",
        "research",
        "setup",
        "--non-interactive",
        "--token-stdin",
    ])
    .args([
        "--account-id",
        ACCOUNT2,
        "--gateway",
        "research-gw",
        "--billing",
        "unified",
        "--skip-test",
    ])
    .args(["--opencode-config", "research/opencode.json"])
    .write_stdin(TOKEN2);
    w.run(&mut cmd).assert_code(0);
    assert_eq!(w.keychain_lookup("default").as_deref(), Some(TOKEN));
    assert_eq!(w.keychain_lookup("research").as_deref(), Some(TOKEN2));

    let out = w.run(
        w.aigate()
            .args(["--profile", "research", "run", "--", "env"]),
    );
    assert!(out.stdout.contains("CLOUDFLARE_GATEWAY_ID=research-gw"));
    assert!(
        out.stdout
            .contains(&format!("CLOUDFLARE_ACCOUNT_ID={ACCOUNT2}"))
    );

    let out = w.run(
        w.aigate()
            .args(["status", "--json"])
            .env("CLOUDFLARE_API_TOKEN", TOKEN2),
    );
    out.assert_code(0);
    assert!(
        out.json()["token_source"]
            .as_str()
            .unwrap()
            .contains("CLOUDFLARE_API_TOKEN")
    );
}

#[test]
fn status_exits_1_with_the_fix_when_the_config_drifted() {
    let w = World::new();
    w.setup(TOKEN, BASE).assert_code(0);
    let path = w.opencode_config();
    let text = std::fs::read_to_string(&path).unwrap().replace(
        "cloudflare-ai-gateway/openai/gpt-5-mini",
        "anthropic/claude-x",
    );
    std::fs::write(&path, text).unwrap();
    let out = w.run(w.aigate().arg("status"));
    out.assert_code(1).assert_stderr_contains("aigate setup");
}

#[test]
fn shell_init_wraps_opencode_in_aigate_run() {
    let w = World::new();
    let out = w.run(w.aigate().args(["shell-init", "bash"]));
    out.assert_code(0);
    assert!(
        out.stdout.contains("aigate run -- opencode \"$@\""),
        "{}",
        out.stdout
    );
    // The snippet is valid bash.
    let status = std::process::Command::new("bash")
        .args(["-n", "-c", &out.stdout])
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn status_reports_a_token_that_stopped_working() {
    let w = World::new();
    w.setup(TOKEN, BASE).assert_code(0);
    let out = w.run(
        w.aigate()
            .args(["status", "--json"])
            .env("CLOUDFLARE_API_TOKEN", TOKEN_INVALID),
    );
    out.assert_code(1);
    let j = out.json();
    assert_eq!(j["token_status"], "invalid");
    assert!(
        j["problems"][0]["fix"]
            .as_str()
            .unwrap()
            .contains("aigate rotate")
    );
}

#[test]
fn rerunning_setup_with_a_new_token_replaces_it_everywhere() {
    let w = World::new();
    let mut args = BASE.to_vec();
    args.extend(["--token-delivery", "opencode-auth"]);
    w.setup(TOKEN, &args).assert_code(0);
    let config_before = std::fs::read(w.opencode_config()).unwrap();
    // A bad new token changes nothing.
    w.setup(TOKEN_INVALID, &args).assert_code(3);
    assert_eq!(w.keychain_lookup("default").as_deref(), Some(TOKEN));
    // A good one replaces it in the keychain and auth.json; OpenCode's config is untouched.
    w.setup(TOKEN2, &args).assert_code(0);
    assert_eq!(w.keychain_lookup("default").as_deref(), Some(TOKEN2));
    let auth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(w.auth_json()).unwrap()).unwrap();
    assert_eq!(auth["cloudflare-ai-gateway"]["key"], TOKEN2);
    assert_eq!(std::fs::read(w.opencode_config()).unwrap(), config_before);
}
