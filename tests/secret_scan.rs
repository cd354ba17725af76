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
    // Every agent: OpenCode's files, Codex's profile file (Claude Code writes nothing).
    .args([
        "--client",
        "opencode",
        "--client",
        "codex",
        "--client",
        "claude-code",
    ])
    // The policies step: a spend limit and a fallback route on the new gateway.
    .args([
        "--spend-limit",
        "5/1d",
        "--fallback-model",
        "anthropic/claude-haiku-4.5",
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
        &["--verbose", "--json", "usage", "--since", "1h"],
        &["--verbose", "usage", "--by", "provider"],
        &["--verbose", "--json", "gateway"],
        &["--verbose", "gateway", "set", "--cache-ttl", "60", "--yes"],
        &[
            "--verbose",
            "--json",
            "gateway",
            "set",
            "--spend-limit",
            "50/30d",
            "--yes",
        ],
        &["--verbose", "gateway", "set", "--zdr", "on"],
        &[
            "--verbose",
            "--json",
            "route",
            "create",
            "scan",
            "--model",
            "openai/gpt-5-mini",
            "--fallback",
            "anthropic/claude-haiku-4.5",
            "--yes",
        ],
        &[
            "--verbose",
            "route",
            "create",
            "bad",
            "--model",
            "openai/nope",
            "--fallback",
            "openai/gpt-5",
            "--yes",
        ],
        &["--verbose", "--json", "test", "--model", "dynamic/scan"],
        &["--verbose", "--json", "test", "--client", "codex"],
        &["--verbose", "test", "--client", "claude-code"],
        &["--verbose", "route", "list"],
        &["--verbose", "--json", "route", "delete", "scan", "--yes"],
        // Recognised agents (not installed here: the launch is prepared, then "not found").
        &["--verbose", "run", "--", "claude", "-p", "hi"],
        &["--verbose", "--json", "run", "--", "codex", "exec", "hi"],
        &["--verbose", "snippet", "--for", "curl"],
        &[
            "--verbose",
            "--json",
            "snippet",
            "--for",
            "anthropic-python",
        ],
        &["--verbose", "snippet", "--for", "env"],
        &["--verbose", "--json", "snippet", "--for", "openai-python"],
        &["--verbose", "doctor"],
        &["--verbose", "--json", "doctor"],
        &["--verbose", "--json", "shell-init", "bash"],
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

/// Minted tokens and the team commands: the admin token and every minted value appear in no
/// output and no file. The one deliberate exception: `team invite` prints the token it mints,
/// once, on stdout only (never on stderr, never under `--verbose` diagnostics, never in a file).
#[test]
fn minted_tokens_and_team_commands_leak_nothing_but_the_invite_once() {
    use aigate::emulator::{Permissions, TokenSpec};
    const ADMIN: &str = "cfut_ScanAdminTokenCanCreateTokens00000000e1";
    let w = World::new();
    w.emu.add_token(TokenSpec {
        permissions: Permissions::admin(),
        ..TokenSpec::user(ADMIN, &[ACCOUNT])
    });
    std::fs::create_dir_all(w.workdir().join(".git")).unwrap();
    let admin = |args: &[&str]| {
        let mut cmd = w.aigate();
        cmd.args(args).write_stdin(ADMIN);
        w.run(&mut cmd)
    };
    admin(&[
        "--verbose",
        "--json",
        "setup",
        "--non-interactive",
        "--token-stdin",
        "--account-id",
        ACCOUNT,
        "--gateway",
        "existing-gw",
        "--billing",
        "unified",
        "--token-delivery",
        "opencode-auth",
    ])
    .assert_code(0);
    let first = w.keychain_lookup("default").unwrap();
    w.run(w.aigate().args(["--verbose", "status"]));
    admin(&["--verbose", "--json", "rotate", "--token-stdin"]).assert_code(0);
    let second = w.keychain_lookup("default").unwrap();
    w.run(w.aigate().args(["--verbose", "--json", "team", "init"]))
        .assert_code(0);
    let mut invites = vec![];
    for args in [
        &["--verbose", "team", "invite", "alice", "--token-stdin"][..],
        &[
            "--verbose",
            "--json",
            "team",
            "invite",
            "bob",
            "--token-stdin",
        ],
    ] {
        let out = admin(args);
        out.assert_code(0);
        invites.push(out);
    }
    admin(&["--verbose", "team", "list", "--token-stdin"]).assert_code(0);
    admin(&[
        "--verbose",
        "--json",
        "team",
        "revoke",
        "alice",
        "--token-stdin",
    ])
    .assert_code(0);
    admin(&["--verbose", "logout", "--revoke", "--token-stdin"]).assert_code(0);

    w.assert_no_leak(&[ADMIN, &first, &second]);
    let transcript = String::from_utf8_lossy(&w.transcript.borrow()).into_owned();
    let files = w.snapshot();
    for out in &invites {
        let token = out
            .stdout
            .split(|c: char| c.is_whitespace() || c == '"')
            .find(|w| w.starts_with("cfat_") || w.starts_with("cfut_"))
            .expect("the invite printed its token")
            .to_string();
        assert_eq!(
            transcript.matches(&token).count(),
            1,
            "the invite token was printed more than once"
        );
        assert!(
            !out.stderr.contains(&token),
            "the invite token went to stderr"
        );
        for (path, bytes) in &files {
            assert!(
                !String::from_utf8_lossy(bytes).contains(&token),
                "the invite token is in {}",
                path.display()
            );
        }
    }
}
