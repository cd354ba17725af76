//! `rotate` and `logout --revoke` for a profile that stores a token aigate minted: rotate rolls
//! it (or mints a replacement when it is gone) and leaves exactly one valid minted token;
//! `logout --revoke` deletes it at Cloudflare and leaves none. The admin token is read from
//! standard input, used once, and appears nowhere afterwards.

mod common;
use aigate::emulator::{Permissions, TokenSpec};
use common::*;

const ADMIN: &str = "cfut_TestAdminTokenCanCreateTokens000000000b1";

fn world_with_minted() -> (World, String) {
    let w = World::new();
    w.emu.add_token(TokenSpec {
        permissions: Permissions::admin(),
        ..TokenSpec::user(ADMIN, &[ACCOUNT])
    });
    w.setup(ADMIN, EXISTING_UNIFIED_MINI).assert_code(0);
    let stored = w.keychain_lookup("default").unwrap();
    assert!(w.emu.token_grant(&stored).is_some());
    (w, stored)
}

/// The tokens aigate minted for profile `default`, by name.
fn minted(w: &World) -> Vec<String> {
    w.emu
        .token_names()
        .into_iter()
        .filter(|(_, name, _)| name.starts_with("aigate default "))
        .map(|(id, _, _)| id)
        .collect()
}

fn admin_cmd(w: &World, args: &[&str]) -> Output {
    let mut cmd = w.aigate();
    cmd.args(args).write_stdin(ADMIN);
    w.run(&mut cmd)
}

#[test]
fn rotate_rolls_the_minted_token_and_leaves_exactly_one() {
    let (w, old) = world_with_minted();
    let id = w.emu.token_grant(&old).unwrap().id;
    let out = admin_cmd(&w, &["rotate", "--token-stdin", "--json"]);
    out.assert_code(0);
    let j = out.json();
    assert_eq!(j["method"], "rolled", "{j}");
    let new = w.keychain_lookup("default").unwrap();
    assert_ne!(new, old);
    assert!(
        w.emu.token_grant(&old).is_none(),
        "the old value still works"
    );
    let g = w.emu.token_grant(&new).unwrap();
    assert_eq!(g.id, id);
    assert_eq!(g.permissions, Permissions::run_read());
    assert_eq!(minted(&w), vec![id.clone()]);
    assert_eq!(w.keychain_lookup("default").as_deref(), Some(new.as_str()));
    w.assert_no_leak(&[ADMIN, &old, &new]);
}

#[test]
fn rotate_mints_a_replacement_when_the_minted_token_is_gone() {
    let (w, old) = world_with_minted();
    let id = w.emu.token_grant(&old).unwrap().id;
    // Someone deleted it in the dashboard.
    w.rt.block_on(async {
        reqwest::Client::builder()
            .no_proxy()
            .build()
            .unwrap()
            .delete(format!(
                "{}/accounts/{ACCOUNT}/tokens/{id}",
                w.emu.api_url()
            ))
            .bearer_auth(ADMIN)
            .json(&serde_json::json!({}))
            .send()
            .await
            .unwrap()
    });
    let out = admin_cmd(&w, &["rotate", "--token-stdin", "--json"]);
    out.assert_code(0);
    assert_eq!(out.json()["method"], "replaced");
    let new = w.keychain_lookup("default").unwrap();
    let g = w.emu.token_grant(&new).unwrap();
    assert_ne!(g.id, id);
    assert_eq!(minted(&w), vec![g.id.clone()]);
    let state = std::fs::read_to_string(w.state_file()).unwrap();
    assert!(state.contains(&g.id) && !state.contains(&id));
    w.assert_no_leak(&[ADMIN, &old, &new]);
}

#[test]
fn rotate_with_a_token_that_cannot_manage_tokens_changes_nothing() {
    let (w, old) = world_with_minted();
    let before = w.snapshot();
    let mut cmd = w.aigate();
    cmd.args(["rotate", "--token-stdin"]).write_stdin(TOKEN);
    let out = w.run(&mut cmd);
    out.assert_code(3);
    out.assert_stderr_contains("Account API Tokens Write");
    assert_eq!(w.keychain_lookup("default").as_deref(), Some(old.as_str()));
    assert!(w.emu.token_grant(&old).is_some());
    assert_eq!(before, w.snapshot());
}

#[test]
fn logout_revoke_leaves_no_minted_token() {
    let (w, old) = world_with_minted();
    let out = admin_cmd(&w, &["logout", "--revoke", "--token-stdin", "--json"]);
    out.assert_code(0);
    assert!(
        minted(&w).is_empty(),
        "a minted token is left at Cloudflare"
    );
    assert!(w.emu.token_grant(&old).is_none());
    assert!(w.keychain_lookup("default").is_none());
    let removed = out.json()["removed"].to_string();
    assert!(removed.contains("deleted"), "{removed}");
    w.assert_no_leak(&[ADMIN, &old]);
}

#[test]
fn logout_revoke_without_an_admin_token_keeps_everything() {
    let (w, old) = world_with_minted();
    let mut cmd = w.aigate();
    cmd.args(["logout", "--revoke", "--non-interactive"]);
    let out = w.run(&mut cmd);
    out.assert_code(2);
    out.assert_stderr_contains("--token-stdin");
    assert_eq!(w.keychain_lookup("default").as_deref(), Some(old.as_str()));
    assert!(w.emu.token_grant(&old).is_some());
}
