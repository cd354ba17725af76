//! `setup --token-scope`: with a token that may create tokens, setup stores a minted token
//! with only AI Gateway Run and Read on the account (checked on the emulator's record of it),
//! never the given one; without that permission it stores the given token and says why.
//! Real Secret Service (through `secret-tool`), the emulator as Cloudflare.

mod common;
use aigate::emulator::{Permissions, TokenOwner, TokenSpec};
use common::*;

pub const ADMIN: &str = "cfut_TestAdminTokenCanCreateTokens000000000a1";
const ACCOUNT_ADMIN: &str = "cfat_TestAccountOwnedAdminToken00000000000a2";
const USER_TOKENS_ONLY: &str = "cfut_TestUserTokensWriteOnly0000000000000a3";

fn world() -> World {
    let w = World::new();
    w.emu.add_token(TokenSpec {
        permissions: Permissions::admin(),
        ..TokenSpec::user(ADMIN, &[ACCOUNT, ACCOUNT2])
    });
    w.emu.add_token(TokenSpec {
        permissions: Permissions::admin(),
        ..TokenSpec::account(ACCOUNT_ADMIN, ACCOUNT)
    });
    w.emu.add_token(TokenSpec {
        permissions: Permissions {
            account_tokens_write: false,
            account_tokens_read: false,
            ..Permissions::admin()
        },
        ..TokenSpec::user(USER_TOKENS_ONLY, &[ACCOUNT])
    });
    w
}

const ARGS: &[&str] = &[
    "--account-id",
    ACCOUNT,
    "--gateway",
    "existing-gw",
    "--billing",
    "unified",
    "--model",
    "openai/gpt-5-mini",
    "--json",
];

fn read(p: &std::path::Path) -> String {
    std::fs::read_to_string(p).unwrap()
}

#[test]
fn default_setup_with_an_admin_token_stores_a_run_and_read_token() {
    let w = world();
    let out = w.setup(ADMIN, ARGS);
    out.assert_code(0);
    let j = out.json();
    assert_eq!(j["test"]["ok"], true, "{j}");
    assert_eq!(j["stored_token"]["kind"], "minted", "{j}");
    assert_eq!(j["stored_token"]["owner"], "account");

    // The keychain holds a different token, whose permissions are exactly Run and Read.
    let stored = w.keychain_lookup("default").expect("a token is stored");
    assert_ne!(stored, ADMIN);
    let grant = w.emu.token_grant(&stored).expect("the emulator knows it");
    assert_eq!(grant.groups, vec!["AI Gateway Read", "AI Gateway Run"]);
    assert_eq!(grant.permissions, Permissions::run_read());
    assert_eq!(grant.accounts, vec![ACCOUNT.to_string()]);
    assert_eq!(grant.owner, TokenOwner::Account(ACCOUNT.into()));
    assert!(grant.name.starts_with("aigate default "), "{}", grant.name);
    assert_eq!(j["stored_token"]["id"], grant.id.as_str());

    // The test prompt went out with the minted token, not the admin one.
    let prompts: Vec<_> = w
        .emu
        .requests()
        .into_iter()
        .filter(|r| r.path.contains("existing-gw") && r.method == "POST")
        .collect();
    assert!(!prompts.is_empty());
    for r in &prompts {
        assert_eq!(
            r.header("cf-aig-authorization"),
            Some(format!("Bearer {stored}").as_str())
        );
    }

    // The profile records the minted token's id, never a value.
    let state = read(&w.state_file());
    assert!(state.contains(&grant.id));
    assert!(state.contains("\"minted\""));
    // The admin token is in no file, no output, and not in the keychain.
    w.assert_no_leak(&[ADMIN, &stored]);

    // The emulator refuses a gateway create with the stored token.
    let rt = &w.rt;
    let status = rt.block_on(async {
        reqwest::Client::builder()
            .no_proxy()
            .build()
            .unwrap()
            .post(format!(
                "{}/accounts/{ACCOUNT}/ai-gateway/gateways",
                w.emu.api_url()
            ))
            .bearer_auth(&stored)
            .json(
                &serde_json::json!({"id": "nope", "cache_invalidate_on_update": false,
                "cache_ttl": 0, "collect_logs": true, "rate_limiting_interval": 0,
                "rate_limiting_limit": 0}),
            )
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    });
    assert_eq!(status, 403);
    assert!(!w.emu.gateway_ids(ACCOUNT).contains(&"nope".to_string()));

    // Re-running with the admin token keeps the minted token: nothing new, nothing rewritten.
    let before = w.snapshot();
    let tokens_before = w.emu.token_names().len();
    w.setup(ADMIN, ARGS).assert_code(0);
    assert_eq!(
        w.keychain_lookup("default").as_deref(),
        Some(stored.as_str())
    );
    assert_eq!(w.emu.token_names().len(), tokens_before);
    assert_eq!(before, w.snapshot(), "a re-run rewrote files");
    // And with no token at all (the stored one is used), too.
    let mut cmd = w.aigate();
    cmd.args(["setup", "--non-interactive", "--skip-test"])
        .args(&ARGS[..ARGS.len() - 1]);
    w.run(&mut cmd).assert_code(0);
    assert_eq!(w.emu.token_names().len(), tokens_before);
    assert_eq!(before, w.snapshot());
    w.assert_no_leak(&[ADMIN, &stored]);
}

#[test]
fn a_token_that_cannot_create_tokens_is_stored_as_given_with_a_notice() {
    let w = world();
    let out = w.setup(TOKEN, ARGS);
    out.assert_code(0);
    out.assert_stderr_contains("cannot create API tokens");
    out.assert_stderr_contains("Account API Tokens Write");
    let j = out.json();
    assert_eq!(j["stored_token"]["kind"], "as-given", "{j}");
    assert!(
        j["stored_token"]["note"]
            .as_str()
            .unwrap()
            .contains("Account API Tokens Write")
    );
    assert_eq!(w.keychain_lookup("default").as_deref(), Some(TOKEN));
    // status and its JSON say so.
    let mut cmd = w.aigate();
    cmd.args(["status", "--json"]);
    let st = w.run(&mut cmd);
    let sj = st.json();
    assert_eq!(sj["stored_token"]["kind"], "as-given", "{sj}");
    let scope = sj["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "token.scope")
        .expect("a token.scope check");
    assert!(
        scope["message"]
            .as_str()
            .unwrap()
            .contains("Account API Tokens Write"),
        "{scope}"
    );
    let mut cmd = w.aigate();
    cmd.args(["status"]);
    let human = w.run(&mut cmd);
    assert!(
        human.stderr.contains("cannot create API tokens")
            || human.stdout.contains("cannot create API tokens"),
        "{}{}",
        human.stdout,
        human.stderr
    );
}

#[test]
fn explicit_minimal_without_the_permission_exits_3_before_anything_is_written() {
    let w = world();
    let mut args = vec!["--token-scope", "minimal"];
    args.extend_from_slice(ARGS);
    let out = w.setup(TOKEN, &args);
    assert_ne!(out.code, 0, "the setup must fail:\n{}", out.stderr);
    assert!(
        out.json()["error"]["hint"]
            .as_str()
            .unwrap()
            .contains("Account API Tokens Write")
    );
    assert!(w.keychain_lookup("default").is_none());
    assert!(!w.state_file().exists());
    assert!(!w.opencode_config().exists());
}

#[test]
fn as_given_stores_the_admin_token_and_mints_nothing() {
    let w = world();
    let before = w.emu.token_names().len();
    let mut args = vec!["--token-scope", "as-given"];
    args.extend_from_slice(ARGS);
    let out = w.setup(ADMIN, &args);
    out.assert_code(0);
    assert_eq!(out.json()["stored_token"]["kind"], "as-given");
    assert_eq!(w.keychain_lookup("default").as_deref(), Some(ADMIN));
    assert_eq!(w.emu.token_names().len(), before);
}

#[test]
fn expiry_account_owned_and_user_tokens() {
    let w = world();
    let mut args = vec!["--token-expires", "90d", "--skip-test"];
    args.extend_from_slice(ARGS);
    w.setup(ACCOUNT_ADMIN, &args).assert_code(0);
    let stored = w.keychain_lookup("default").unwrap();
    let g = w.emu.token_grant(&stored).unwrap();
    assert_eq!(g.owner, TokenOwner::Account(ACCOUNT.into()));
    let exp = chrono::DateTime::parse_from_rfc3339(g.expires_on.as_deref().unwrap()).unwrap();
    let days = (exp.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_days();
    assert!((89..=90).contains(&days), "{days}");

    // A user token that may only create user tokens gets a user token.
    let mut cmd = w.aigate();
    cmd.args([
        "--profile",
        "second",
        "setup",
        "--non-interactive",
        "--token-stdin",
        "--skip-test",
    ])
    .args(&ARGS[..ARGS.len() - 1])
    .write_stdin(USER_TOKENS_ONLY);
    w.run(&mut cmd).assert_code(0);
    let second = w.keychain_lookup("second").unwrap();
    let g2 = w.emu.token_grant(&second).unwrap();
    assert_eq!(g2.owner, TokenOwner::User);
    assert_eq!(g2.permissions, Permissions::run_read());
    assert_eq!(g2.accounts, vec![ACCOUNT.to_string()]);
    // The previous minted token (profile default) was not touched.
    assert!(w.emu.token_grant(&stored).is_some());
}

#[test]
fn bad_durations_and_scopes_exit_2_naming_the_flag() {
    let w = world();
    for (flag, value) in [
        ("--token-expires", "90"),
        ("--token-expires", "5y"),
        ("--token-scope", "all"),
    ] {
        let out = w.setup(ADMIN, &[flag, value]);
        out.assert_code(2);
        out.assert_stderr_contains(flag);
    }
    assert!(w.emu.requests().is_empty());
}

/// The mint goes out beside the gateway's create (neither waits for the other): when the
/// create is refused, the token minted meanwhile is deleted and nothing is stored.
#[test]
fn a_refused_gateway_create_deletes_the_token_minted_beside_it() {
    use aigate::emulator::{Fault, FaultRule};
    let w = world();
    w.emu.inject(FaultRule {
        method: Some("POST".into()),
        ..FaultRule::new(
            "/ai-gateway/gateways",
            Fault::Status {
                status: 403,
                retry_after: None,
            },
        )
    });
    let out = w.setup(
        ADMIN,
        &[
            "--account-id",
            ACCOUNT,
            "--gateway",
            "new-gw",
            "--create-gateway",
            "--billing",
            "unified",
            "--model",
            "openai/gpt-5-mini",
        ],
    );
    assert_ne!(out.code, 0, "the setup must fail:\n{}", out.stderr);
    let reqs = w.emu.requests();
    let minted = reqs
        .iter()
        .find(|r| r.method == "POST" && r.path.ends_with("/tokens") && r.status == 200);
    assert!(minted.is_some(), "a token was minted beside the create");
    assert!(
        reqs.iter()
            .any(|r| r.method == "DELETE" && r.path.contains("/tokens/") && r.status == 200),
        "the minted token was deleted"
    );
    let left: Vec<_> = w
        .emu
        .token_names()
        .into_iter()
        .filter(|(_, name, _)| name.starts_with("aigate "))
        .collect();
    assert!(left.is_empty(), "minted tokens left behind: {left:?}");
    assert_eq!(w.keychain_lookup("default"), None, "nothing is stored");
}
