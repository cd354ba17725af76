//! Teams end to end: `team init` writes aigate.toml from a profile; `setup` in a fresh HOME
//! inside the repository needs nothing but a token; a token for another account is refused
//! (exit 3) before anything is written; `team invite` / `list` / `revoke` round trip on the
//! emulator, touching no token aigate did not mint.

mod common;
use aigate::emulator::{Permissions, TokenSpec};
use common::*;
use std::path::PathBuf;

const ADMIN: &str = "cfut_TestAdminTokenCanCreateTokens000000000c1";
const OTHER_ACCOUNT: &str = "cfut_TestTokenForTheOtherAccountOnly00000c2";

fn world() -> World {
    let w = World::new();
    w.emu.add_token(TokenSpec {
        permissions: Permissions::admin(),
        ..TokenSpec::user(ADMIN, &[ACCOUNT, ACCOUNT2])
    });
    w.emu.add_token(TokenSpec::user(OTHER_ACCOUNT, &[ACCOUNT2]));
    std::fs::create_dir_all(w.workdir().join(".git")).unwrap();
    w
}

/// Admin's profile, then `team init` at the repository root (run from a subdirectory).
fn init_team(w: &World) -> serde_json::Value {
    w.setup(
        ADMIN,
        &[
            "--account-id",
            ACCOUNT,
            "--gateway",
            "existing-gw",
            "--billing",
            "unified",
            "--model",
            "anthropic/claude-sonnet-4.5",
            "--skip-test",
        ],
    )
    .assert_code(0);
    let sub = w.workdir().join("src").join("deep");
    std::fs::create_dir_all(&sub).unwrap();
    let mut cmd = w.aigate();
    cmd.current_dir(&sub).args(["team", "init", "--json"]);
    let out = w.run(&mut cmd);
    out.assert_code(0);
    out.json()
}

/// A second developer: a fresh HOME, config, data and keychain service, inside the repo.
struct Fresh {
    root: PathBuf,
    service: String,
}

fn fresh(w: &World, name: &str) -> Fresh {
    let root = w.root.path().join(name);
    for d in ["home", "config", "data"] {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    Fresh {
        root,
        service: format!("{}-{name}", w.keyring_service),
    }
}

impl Fresh {
    fn cmd(&self, w: &World) -> assert_cmd::Command {
        let mut cmd = w.aigate();
        cmd.current_dir(w.workdir().join("src"))
            .env("HOME", self.root.join("home"))
            .env("XDG_CONFIG_HOME", self.root.join("config"))
            .env("XDG_DATA_HOME", self.root.join("data"))
            .env("AIGATE_KEYRING_SERVICE", &self.service);
        cmd
    }
    fn files(&self) -> usize {
        walkdir(&self.root)
    }
}

fn walkdir(p: &std::path::Path) -> usize {
    std::fs::read_dir(p)
        .map(|rd| {
            rd.flatten()
                .map(|e| {
                    if e.path().is_dir() {
                        walkdir(&e.path())
                    } else {
                        1
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

fn invite(w: &World, name: &str) -> serde_json::Value {
    let mut cmd = w.aigate();
    cmd.args([
        "team",
        "invite",
        name,
        "--expires",
        "30d",
        "--token-stdin",
        "--json",
    ])
    .write_stdin(ADMIN);
    let out = w.run(&mut cmd);
    out.assert_code(0);
    out.json()
}

#[test]
fn team_init_then_setup_in_a_fresh_home_needs_only_a_token() {
    let w = world();
    let j = init_team(&w);
    let path = w.workdir().join("aigate.toml");
    assert_eq!(j["path"], path.to_str().unwrap());
    assert_eq!(j["change"], "create");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.contains(&format!("account_id = \"{ACCOUNT}\"")),
        "{text}"
    );
    assert!(text.contains("gateway_id = \"existing-gw\""));
    assert!(text.contains("# The AI Gateway in that account."));
    assert!(
        !text.contains("cfut_") && !text.contains("cfat_"),
        "a token in the team file"
    );

    // Alice gets an invite and runs setup in her own HOME: only the token, nothing else.
    let inv = invite(&w, "alice");
    let token = inv["token"].as_str().unwrap().to_string();
    let alice = fresh(&w, "alice");
    let mut cmd = alice.cmd(&w);
    cmd.args([
        "setup",
        "--non-interactive",
        "--token-stdin",
        "--token-scope",
        "as-given",
        "--json",
    ])
    .write_stdin(token.as_str());
    let out = w.run(&mut cmd);
    out.assert_code(0);
    let s = out.json();
    assert_eq!(s["account_id"], ACCOUNT);
    assert_eq!(s["gateway_id"], "existing-gw");
    assert_eq!(s["model"], "anthropic/claude-sonnet-4.5");
    assert_eq!(s["test"]["ok"], true, "{s}");
    assert_eq!(
        secret_tool_lookup(&alice.service, "default").as_deref(),
        Some(token.as_str())
    );
    // Re-running `team init` changes nothing.
    let mut cmd = w.aigate();
    cmd.args(["team", "init", "--json"]);
    let again = w.run(&mut cmd);
    again.assert_code(0);
    assert_eq!(again.json()["change"], "unchanged");
}

#[test]
fn a_token_for_another_account_is_refused_before_anything_is_written() {
    let w = world();
    init_team(&w);
    let bob = fresh(&w, "bob");
    std::fs::create_dir_all(w.workdir().join("src")).unwrap();
    let mut cmd = bob.cmd(&w);
    cmd.args(["setup", "--non-interactive", "--token-stdin", "--json"])
        .write_stdin(OTHER_ACCOUNT);
    let out = w.run(&mut cmd);
    out.assert_code(3);
    let e = out.json();
    let msg = format!("{} {}", e["error"]["message"], e["error"]["hint"]);
    assert!(msg.contains(ACCOUNT), "names the account: {msg}");
    assert_eq!(bob.files(), 0, "something was written");
    assert!(secret_tool_lookup(&bob.service, "default").is_none());
}

#[test]
fn a_bad_team_file_is_refused_with_line_and_column() {
    let w = world();
    init_team(&w);
    let path = w.workdir().join("aigate.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        text.replace("billing = \"unified\"", "billing = unified"),
    )
    .unwrap();
    let line = text.lines().position(|l| l.starts_with("billing")).unwrap() + 1;
    let carol = fresh(&w, "carol");
    let mut cmd = carol.cmd(&w);
    cmd.args(["setup", "--non-interactive", "--token-stdin"])
        .write_stdin(ADMIN);
    let out = w.run(&mut cmd);
    out.assert_code(2);
    out.assert_stderr_contains(&format!("aigate.toml:{line}:"));
    assert_eq!(carol.files(), 0);
}

#[test]
fn invite_list_revoke_round_trip() {
    let w = world();
    init_team(&w);
    let daily = w.keychain_lookup("default").unwrap();
    let a = invite(&w, "alice");
    let b = invite(&w, "bob");
    let alice_token = a["token"].as_str().unwrap().to_string();
    let bob_token = b["token"].as_str().unwrap().to_string();
    let g = w.emu.token_grant(&alice_token).unwrap();
    assert_eq!(g.permissions, Permissions::run_read());
    assert_eq!(g.accounts, vec![ACCOUNT.to_string()]);
    assert!(g.name.starts_with("aigate invite alice "), "{}", g.name);
    assert!(g.expires_on.is_some());
    assert_eq!(a["command"], "aigate setup --token-scope as-given");

    let list = |w: &World| {
        let mut cmd = w.aigate();
        cmd.args(["team", "list", "--token-stdin", "--json"])
            .write_stdin(ADMIN);
        let out = w.run(&mut cmd);
        out.assert_code(0);
        out.json()
    };
    let l = list(&w);
    let people: Vec<String> = l["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["person"].as_str().map(str::to_string))
        .collect();
    assert_eq!(people, vec!["alice", "bob"], "{l}");
    assert!(
        l["tokens"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["kind"] == "profile")
    );
    assert!(l.to_string().contains("AI Gateway Run"));
    // Tokens aigate did not mint are not listed.
    assert!(!l.to_string().contains("emulator token"));

    let mut cmd = w.aigate();
    cmd.args(["team", "revoke", "alice", "--token-stdin", "--json"])
        .write_stdin(ADMIN);
    let out = w.run(&mut cmd);
    out.assert_code(0);
    assert_eq!(out.json()["revoked"].as_array().unwrap().len(), 1);
    assert!(w.emu.token_grant(&alice_token).is_none());
    assert!(w.emu.token_grant(&bob_token).is_some());
    assert!(w.emu.token_grant(&daily).is_some());
    assert!(
        w.emu.token_grant(TOKEN).is_some(),
        "a token aigate did not mint was touched"
    );
    let l = list(&w);
    assert!(!l.to_string().contains("alice"));

    let mut cmd = w.aigate();
    cmd.args(["team", "revoke", "alice", "--token-stdin"])
        .write_stdin(ADMIN);
    w.run(&mut cmd).assert_code(1);

    // A token without token permissions cannot invite; nothing is minted.
    let before = w.emu.token_names().len();
    let mut cmd = w.aigate();
    cmd.args(["team", "invite", "dave", "--token-stdin"])
        .write_stdin(TOKEN);
    let out = w.run(&mut cmd);
    out.assert_code(3);
    out.assert_stderr_contains("Account API Tokens Write");
    assert_eq!(w.emu.token_names().len(), before);
    // The admin token appears in no output or file; invite tokens only in the invite output.
    w.assert_no_leak(&[ADMIN]);
}

/// Issue 14's leftover: setup's `--spend-limit` is recorded in the profile, so `team init`
/// writes it to aigate.toml, `status` shows it, `doctor` warns when the gateway lost it, and a
/// second developer's setup from the file sets the same rule again.
#[test]
fn setups_spend_limit_reaches_the_team_file_and_the_next_developer() {
    let w = world();
    w.setup(
        ADMIN,
        &[
            "--account-id",
            ACCOUNT,
            "--gateway",
            "existing-gw",
            "--billing",
            "unified",
            "--model",
            "anthropic/claude-sonnet-4.5",
            "--spend-limit",
            "5/1d",
            "--skip-test",
        ],
    )
    .assert_code(0);
    let profiles: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(w.state_file()).unwrap()).unwrap();
    assert_eq!(profiles["profiles"]["default"]["spend_limit"], "5/1d");

    let mut cmd = w.aigate();
    cmd.args(["status", "--json"]);
    let status = w.run(&mut cmd).json();
    assert_eq!(status["spend_limit"], "5/1d", "{status}");

    let mut cmd = w.aigate();
    cmd.args(["team", "init", "--json"]);
    let init = w.run(&mut cmd);
    init.assert_code(0);
    assert_eq!(init.json()["team"]["spend_limit"], "5/1d");
    let text = std::fs::read_to_string(w.workdir().join("aigate.toml")).unwrap();
    assert!(text.contains("spend_limit = \"5/1d\""), "{text}");

    // Someone removes the rule on the gateway: doctor names the recorded limit and the fix.
    w.emu.set_gateway_field(
        ACCOUNT,
        "existing-gw",
        "spend_limits",
        serde_json::json!({"enabled": false, "rules": []}),
    );
    let mut cmd = w.aigate();
    cmd.args(["doctor", "--json"]);
    let doc = w.run(&mut cmd).json();
    let check = doc["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "gateway.spend_limit")
        .unwrap_or_else(|| panic!("no spend limit check: {doc}"));
    assert_eq!(check["status"], "warn", "{check}");
    assert!(
        check["message"]
            .as_str()
            .unwrap()
            .contains("setup set the spend limit 5/1d"),
        "{check}"
    );
    assert_eq!(check["fix"], "aigate gateway set --spend-limit 5/1d");

    // Bob, in a fresh HOME inside the repo, gives only a token: the file's limit is set again.
    let bob = fresh(&w, "bob");
    std::fs::create_dir_all(w.workdir().join("src")).unwrap();
    let mut cmd = bob.cmd(&w);
    cmd.args([
        "setup",
        "--non-interactive",
        "--token-stdin",
        "--token-scope",
        "as-given",
        "--skip-test",
        "--json",
    ])
    .write_stdin(ADMIN);
    let out = w.run(&mut cmd);
    out.assert_code(0);
    let gw = w.emu.gateway(ACCOUNT, "existing-gw").unwrap();
    assert_eq!(gw["spend_limits"]["enabled"], true, "{gw}");
    let rules = gw["spend_limits"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 1, "{gw}");
    assert_eq!(
        (
            rules[0]["id"].as_str(),
            rules[0]["limit"].as_f64(),
            rules[0]["window"].as_u64()
        ),
        (Some("aigate"), Some(5.0), Some(86_400))
    );
    let bobs: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(bob.root.join("config/aigate/profiles.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(bobs["profiles"]["default"]["spend_limit"], "5/1d");
}
