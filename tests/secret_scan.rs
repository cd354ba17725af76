//! The secret scan: drive every command, with `--verbose` and `--json`, through success and
//! failure, then search everything aigate printed and every file it wrote (backups and its
//! own state included) for the Cloudflare token and the provider keys. Only OpenCode's
//! `auth.json` (mode 0600, asked for with `--token-delivery opencode-auth`) may hold the token.

mod common;
use common::*;

#[test]
fn no_token_or_provider_key_in_any_output_or_file() {
    let w = World::new();
    let openai = "sk-proj-ScanOpenAiKey000000000000000000000001";
    let anthropic = "sk-ant-ScanAnthropicKey0000000000000000000002";
    // A user config that gets merged and backed up.
    std::fs::create_dir_all(w.opencode_config().parent().unwrap()).unwrap();
    std::fs::write(w.opencode_config(), "{ // mine\n  \"theme\": \"dark\"\n}\n").unwrap();

    let mut cmd = w.aigate();
    cmd.args([
        "--verbose",
        "--json",
        "setup",
        "--non-interactive",
        "--token-stdin",
        "--account-id",
        ACCOUNT,
    ])
    .args([
        "--gateway",
        "scan-gw",
        "--create-gateway",
        "--billing",
        "byok",
    ])
    .args([
        "--byok-key",
        "openai=K1",
        "--byok-key",
        "anthropic=K2",
        "--token-delivery",
        "opencode-auth",
    ])
    .env("K1", openai)
    .env("K2", anthropic)
    .write_stdin(TOKEN);
    w.run(&mut cmd).assert_code(0);
    for args in [
        &["--verbose", "status"][..],
        &["--verbose", "--json", "status"],
        &["--verbose", "models"],
        &[
            "--verbose",
            "--json",
            "test",
            "--model",
            "anthropic/claude-haiku-4.5",
        ],
        &["--verbose", "run", "--", "true"],
        &["--verbose", "completions", "bash"],
        &["--verbose", "man"],
        &["--verbose", "shell-init", "powershell"],
    ] {
        w.run(w.aigate().args(args));
    }
    // Failures print errors and hints: still no secret.
    w.run(
        w.aigate()
            .args(["--verbose", "rotate", "--token-stdin"])
            .write_stdin(TOKEN_INVALID),
    )
    .assert_code(3);
    w.run(
        w.aigate()
            .args(["--verbose", "rotate", "--token-stdin"])
            .write_stdin(TOKEN_NO_RUN),
    )
    .assert_code(3);
    w.run(
        w.aigate()
            .args(["--verbose", "--json", "rotate", "--token-stdin"])
            .write_stdin(TOKEN2),
    )
    .assert_code(0);
    // Refused flags and tokens no Cloudflare token can be: the token is not echoed.
    w.run(
        w.aigate()
            .args([
                "--verbose",
                "--json",
                "setup",
                "--token-stdin",
                "--gateway",
                "Bad Id",
            ])
            .write_stdin(TOKEN2),
    )
    .assert_code(2);
    w.run(
        w.aigate()
            .args(["--verbose", "--json", "status"])
            .env("CLOUDFLARE_API_TOKEN", format!("{TOKEN2}\u{7}")),
    )
    .assert_code(2);
    w.run(
        w.aigate()
            .args(["--verbose", "rotate", "--token-stdin"])
            .write_stdin(format!("{TOKEN2}\u{1b}[2J")),
    )
    .assert_code(2);
    let mut dry = w.aigate();
    dry.args([
        "--verbose",
        "setup",
        "--non-interactive",
        "--dry-run",
        "--token-stdin",
    ])
    .write_stdin(TOKEN2);
    w.run(&mut dry).assert_code(0);
    w.run(w.aigate().args(["--verbose", "--json", "logout"]))
        .assert_code(0);
    w.run(w.aigate().args(["--verbose", "status"]))
        .assert_code(1);

    let transcript = String::from_utf8_lossy(&w.transcript.borrow()).into_owned();
    assert!(
        transcript.contains("debug:"),
        "--verbose printed no diagnostics"
    );
    w.assert_no_leak(&[
        TOKEN,
        TOKEN2,
        TOKEN_INVALID,
        TOKEN_NO_RUN,
        openai,
        anthropic,
    ]);
    // The backup of the user's config exists and is clean too (checked above with every file).
    let backups = std::fs::read_dir(w.opencode_config().parent().unwrap())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".bak"))
        .count();
    assert_eq!(backups, 1);
    // auth.json held the token only while delivery asked for it; logout removed it.
    let auth = std::fs::read_to_string(w.auth_json()).unwrap_or_default();
    assert!(!auth.contains(TOKEN) && !auth.contains(TOKEN2));
}
