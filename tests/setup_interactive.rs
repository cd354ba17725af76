//! The interactive wizard driven through a real pseudo-terminal: hidden token entry,
//! arrow-key selection, the create-gateway path (with a taken and a malformed id re-asked), a
//! rejected token and an empty BYOK selection asked again, an unusable keychain met before the
//! first question with the 0600 file offered, key hints and a visible cursor with colours off,
//! and Ctrl-C at a prompt leaving no files behind and the terminal restored.
#![cfg(unix)]

mod common;
use common::*;
use expectrl::process::unix::WaitStatus;
use expectrl::{Expect, Session};
use std::time::Duration;

const DOWN: &str = "\x1b[B";
const ENTER: &str = "\r";
const SHOW_CURSOR: &str = "\x1b[?25h";

fn spawn(w: &World, args: &[&str]) -> expectrl::session::OsSession {
    let mut cmd = w.aigate_std();
    cmd.args(args);
    let mut s = Session::spawn(cmd).expect("spawn aigate in a pty");
    s.set_expect_timeout(Some(Duration::from_secs(30)));
    s
}

/// A conversation with the wizard: wait for a prompt, answer it, keep the whole transcript.
struct Dialog {
    s: expectrl::session::OsSession,
    seen: String,
}

impl Dialog {
    fn start(w: &World) -> Dialog {
        Dialog {
            s: spawn(w, &["setup"]),
            seen: String::new(),
        }
    }

    /// A dialog with `cmd` (e.g. the world's command with a changed environment).
    fn of(cmd: std::process::Command) -> Dialog {
        let mut s = Session::spawn(cmd).expect("spawn aigate in a pty");
        s.set_expect_timeout(Some(Duration::from_secs(30)));
        Dialog {
            s,
            seen: String::new(),
        }
    }

    /// Wait for `prompt` on screen, then type `answer`.
    #[track_caller]
    fn step(&mut self, prompt: &str, answer: &str) {
        let m = self
            .s
            .expect(prompt)
            .unwrap_or_else(|e| panic!("waiting for {prompt:?}: {e}\nso far:\n{}", self.seen));
        self.seen.push_str(&String::from_utf8_lossy(m.before()));
        self.seen
            .push_str(&String::from_utf8_lossy(m.get(0).unwrap()));
        self.send(answer);
    }

    fn send(&mut self, keys: &str) {
        self.s.send(keys).unwrap();
    }

    /// The exit code and everything shown.
    fn finish(self) -> (i32, String) {
        let (code, rest) = finish(self.s);
        (code, self.seen + &rest)
    }
}

/// Step 6 with its defaults: no spend limit, no fallback models.
fn no_policies(d: &mut Dialog) {
    d.step("Set a spend limit on the gateway?", ENTER);
    d.step("Add fallback models?", ENTER);
}

/// Read what is left and the exit status.
fn finish(mut s: expectrl::session::OsSession) -> (i32, String) {
    let mut rest = Vec::new();
    let _ = std::io::Read::read_to_end(&mut s, &mut rest);
    let status = s.get_process().wait().unwrap();
    let code = match status {
        WaitStatus::Exited(_, code) => code,
        other => panic!("aigate did not exit normally: {other:?}"),
    };
    (code, String::from_utf8_lossy(&rest).into_owned())
}

#[test]
fn guided_setup_creates_a_gateway_with_hidden_token_and_arrow_keys() {
    let w = World::new();
    let mut d = Dialog::start(&w);
    d.step(
        "Paste your Cloudflare API token",
        &format!("{TOKEN}{ENTER}"),
    );
    d.step("Which account?", ENTER); // first account: Acme Engineering
    // The gateway list: existing-gw, then "+ Create a new gateway": arrow down to create.
    d.step("Which AI Gateway", &format!("{DOWN}{ENTER}"));
    d.step("New gateway id", &format!("existing-gw{ENTER}"));
    d.step("already taken", "");
    // dialoguer keeps the rejected text: clear it before typing the new id.
    d.send(&"\x7f".repeat("existing-gw".len()));
    d.send(&format!("pty-gw{ENTER}"));
    d.step("How should model usage be paid?", ENTER); // Unified Billing
    d.step("Default model for OpenCode", ENTER);
    no_policies(&mut d);
    d.step("How should OpenCode get the token?", ENTER); // env
    d.step("Apply this plan?", "y");
    let (code, seen) = d.finish();
    assert_eq!(code, 0, "{seen}");
    assert!(seen.contains("aigate run -- opencode"), "{seen}");
    assert!(!seen.contains(TOKEN), "the token was echoed");
    let gw = w
        .emu
        .gateway(ACCOUNT, "pty-gw")
        .expect("the gateway was created");
    assert_eq!(gw["authentication"], true);
    assert_eq!(w.keychain_lookup("default").as_deref(), Some(TOKEN));
    let cfg = std::fs::read_to_string(w.opencode_config()).unwrap();
    assert!(
        cfg.contains("cloudflare-ai-gateway/openai/gpt-5-mini"),
        "{cfg}"
    );
}

#[test]
fn ctrl_c_at_a_select_prompt_leaves_nothing_and_restores_the_cursor() {
    let w = World::new();
    let before = w.snapshot();
    let mut s = spawn(&w, &["setup"]);
    s.expect("Paste your Cloudflare API token").unwrap();
    s.send(format!("{TOKEN}{ENTER}")).unwrap();
    s.expect("Which account?").unwrap();
    s.send("\x03").unwrap();
    let (code, rest) = finish(s);
    assert_eq!(code, 130, "{rest}");
    assert!(
        rest.contains(SHOW_CURSOR),
        "the cursor was not shown again: {rest:?}"
    );
    assert_eq!(before, w.snapshot(), "files were written");
    assert_eq!(w.keychain_lookup("default"), None);
    assert!(
        !w.emu.requests().iter().any(|r| r.method != "GET"),
        "something was changed remotely"
    );
}

#[test]
fn ctrl_c_at_the_hidden_token_prompt_restores_echo() {
    let w = World::new();
    let before = w.snapshot();
    // The pty starts with echo off; turn it on as a person's terminal has it, then start aigate.
    let cmd = w.aigate_std();
    let aigate = cmd.get_program().to_owned();
    let mut cmd = std::process::Command::new("sh");
    cmd.env_clear()
        .envs(w.env())
        .env("TERM", "xterm-256color")
        .current_dir(w.workdir());
    cmd.args(["-c", "stty echo && exec \"$0\" setup"])
        .arg(aigate);
    let mut s = Session::spawn(cmd).unwrap();
    s.set_expect_timeout(Some(Duration::from_secs(30)));
    s.expect("Paste your Cloudflare API token").unwrap();
    assert!(
        !s.get_process().get_echo().unwrap(),
        "the token prompt must hide input"
    );
    s.send("cfut_partial").unwrap();
    std::thread::sleep(Duration::from_millis(200));
    s.send("\x03").unwrap();
    let status = s.get_process().wait().unwrap();
    assert!(
        matches!(status, WaitStatus::Exited(_, 130)),
        "expected exit 130, got {status:?}"
    );
    assert!(
        s.get_process().get_echo().unwrap(),
        "terminal echo left off"
    );
    assert_eq!(before, w.snapshot());
}

#[test]
fn guided_byok_takes_hidden_keys_for_the_providers_picked_with_space() {
    let w = World::new();
    let openai = "sk-proj-PtyOpenAiKey00000000000000000000001";
    let anthropic = "sk-ant-PtyAnthropicKey000000000000000000002";
    let mut d = Dialog::start(&w);
    d.step(
        "Paste your Cloudflare API token",
        &format!("{TOKEN}{ENTER}"),
    );
    d.step("Which account?", ENTER);
    d.step("Which AI Gateway", ENTER); // existing-gw
    d.step("How should model usage be paid?", &format!("{DOWN}{ENTER}")); // BYOK
    // OpenAI and Anthropic are the first two entries.
    d.step("Which providers' keys", &format!(" {DOWN} {ENTER}"));
    d.step("OpenAI API key", &format!("{openai}{ENTER}"));
    d.step("Anthropic API key", &format!("{anthropic}{ENTER}"));
    d.step("Default model for OpenCode", ENTER);
    no_policies(&mut d);
    d.step("How should OpenCode get the token?", ENTER);
    d.step("Apply this plan?", "y");
    let (code, seen) = d.finish();
    assert_eq!(code, 0, "{seen}");
    for secret in [TOKEN, openai, anthropic] {
        assert!(!seen.contains(secret), "a secret was echoed");
    }
    assert_eq!(
        w.emu
            .stored_provider_secret(ACCOUNT, "existing-gw", "openai")
            .as_deref(),
        Some(openai)
    );
    assert_eq!(
        w.emu
            .stored_provider_secret(ACCOUNT, "existing-gw", "anthropic")
            .as_deref(),
        Some(anthropic)
    );
    w.assert_no_leak(&[TOKEN, openai, anthropic]);
}

#[test]
fn a_rejected_token_is_asked_again() {
    let w = World::new();
    let mut d = Dialog::start(&w);
    d.step(
        "Paste your Cloudflare API token",
        &format!("{TOKEN_INVALID}{ENTER}"),
    );
    d.step("was not accepted", "");
    d.step(
        "Paste your Cloudflare API token",
        &format!("{TOKEN}{ENTER}"),
    );
    d.step("Which account?", ENTER);
    d.step("Which AI Gateway", ENTER); // existing-gw
    d.step("How should model usage be paid?", ENTER);
    d.step("Default model for OpenCode", ENTER);
    no_policies(&mut d);
    d.step("How should OpenCode get the token?", ENTER);
    d.step("Apply this plan?", "y");
    let (code, seen) = d.finish();
    assert_eq!(code, 0, "{seen}");
    assert!(!seen.contains(TOKEN) && !seen.contains(TOKEN_INVALID));
    assert_eq!(w.keychain_lookup("default").as_deref(), Some(TOKEN));
    // The closing line names what is now connected.
    assert!(
        seen.contains(
            "OpenCode → gateway `existing-gw` in account Acme Engineering, Unified Billing"
        ),
        "{seen}"
    );
}

#[test]
fn an_empty_byok_selection_is_asked_again_with_keys_and_a_visible_cursor() {
    let w = World::new();
    let openai = "sk-proj-PtyOpenAiKeyReask0000000000000000001";
    let mut d = Dialog::start(&w);
    d.step(
        "Paste your Cloudflare API token",
        &format!("{TOKEN}{ENTER}"),
    );
    d.step("Which account?", ENTER);
    d.step("Which AI Gateway", ENTER);
    d.step("How should model usage be paid?", &format!("{DOWN}{ENTER}")); // BYOK
    // Enter with nothing selected.
    d.step("Which providers' keys", ENTER);
    d.step("BYOK needs at least one provider key", "");
    d.step("Which providers' keys", &format!(" {ENTER}"));
    d.step("OpenAI API key", &format!("{openai}{ENTER}"));
    d.step("Default model for OpenCode", ENTER);
    no_policies(&mut d);
    d.step("How should OpenCode get the token?", ENTER);
    d.step("Apply this plan?", "y");
    let (code, seen) = d.finish();
    assert_eq!(code, 0, "{seen}");
    assert_eq!(
        w.emu
            .stored_provider_secret(ACCOUNT, "existing-gw", "openai")
            .as_deref(),
        Some(openai)
    );
    // Colours are off (NO_COLOR): the current line is still marked, and the keys are named.
    assert!(
        seen.contains("❯ ⬚ OpenAI"),
        "no cursor on the multi-select:\n{seen}"
    );
    assert!(
        seen.contains("↑↓ to move, space to select, enter to confirm"),
        "{seen}"
    );
    assert!(seen.contains("↑↓ to move, enter to confirm"), "{seen}");
    assert!(seen.contains("type to filter"), "{seen}");
    assert!(seen.contains("BYOK (openai)"), "{seen}");
    w.assert_no_leak(&[TOKEN, openai]);
}

#[test]
fn a_malformed_new_gateway_id_is_asked_again() {
    let w = World::new();
    let mut d = Dialog::start(&w);
    d.step(
        "Paste your Cloudflare API token",
        &format!("{TOKEN}{ENTER}"),
    );
    d.step("Which account?", ENTER);
    d.step("Which AI Gateway", &format!("{DOWN}{ENTER}"));
    d.step("New gateway id", &format!("Bad Id{ENTER}"));
    d.step("not a valid gateway id", "");
    d.send(&"\x7f".repeat("Bad Id".len()));
    d.send(&format!("good-id{ENTER}"));
    d.step("How should model usage be paid?", ENTER);
    d.step("Default model for OpenCode", ENTER);
    no_policies(&mut d);
    d.step("How should OpenCode get the token?", ENTER);
    d.step("Apply this plan?", "y");
    let (code, seen) = d.finish();
    assert_eq!(code, 0, "{seen}");
    assert!(w.emu.gateway(ACCOUNT, "good-id").is_some(), "{seen}");
}

#[test]
fn an_unusable_keychain_is_met_before_the_first_question_and_the_file_is_offered() {
    let w = World::new();
    let mut cmd = w.aigate_std();
    cmd.arg("setup").env(
        "DBUS_SESSION_BUS_ADDRESS",
        "unix:path=/nonexistent/aigate-test-bus",
    );
    let mut d = Dialog::of(cmd);
    // Asked first: before the token, before any request.
    d.step("Where should the Cloudflare API token be kept?", "");
    assert!(
        w.emu.requests().is_empty(),
        "a request before the keychain was settled"
    );
    assert!(d.seen.contains("no usable OS keychain"), "{}", d.seen);
    d.send(ENTER); // the 0600 file
    d.step("PLAINTEXT", "");
    d.step(
        "Paste your Cloudflare API token",
        &format!("{TOKEN}{ENTER}"),
    );
    d.step("Which account?", ENTER);
    d.step("Which AI Gateway", ENTER);
    d.step("How should model usage be paid?", ENTER);
    d.step("Default model for OpenCode", ENTER);
    no_policies(&mut d);
    d.step("How should OpenCode get the token?", ENTER);
    d.step("Apply this plan?", "y");
    let (code, seen) = d.finish();
    assert_eq!(code, 0, "{seen}");
    let file = w.config_home().join("aigate").join("credentials.json");
    let text = std::fs::read_to_string(&file).expect("the token file");
    assert!(text.contains(TOKEN));
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

#[test]
fn an_unusable_keychain_can_be_left_for_the_env_var_without_any_request() {
    let w = World::new();
    let before = w.snapshot();
    let mut cmd = w.aigate_std();
    cmd.arg("setup").env(
        "DBUS_SESSION_BUS_ADDRESS",
        "unix:path=/nonexistent/aigate-test-bus",
    );
    let mut d = Dialog::of(cmd);
    d.step(
        "Where should the Cloudflare API token be kept?",
        &format!("{DOWN}{ENTER}"),
    );
    let (code, seen) = d.finish();
    assert_eq!(code, 1, "{seen}");
    assert!(seen.contains("CLOUDFLARE_API_TOKEN"), "{seen}");
    assert!(w.emu.requests().is_empty());
    assert_eq!(before, w.snapshot());
}

#[test]
fn an_unreachable_cloudflare_is_named_as_such_and_exits_4() {
    let w = World::new();
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let mut cmd = w.aigate_std();
    cmd.arg("setup")
        .env("AIGATE_API_URL", format!("http://{closed}/client/v4"))
        .env("AIGATE_GATEWAY_URL", format!("http://{closed}/v1"));
    let mut d = Dialog::of(cmd);
    d.step(
        "Paste your Cloudflare API token",
        &format!("{TOKEN}{ENTER}"),
    );
    let (code, seen) = d.finish();
    assert_eq!(code, 4, "{seen}");
    assert!(seen.contains("Cloudflare did not answer"), "{seen}");
    assert!(
        !seen.contains("was not accepted"),
        "a network failure worded as a token problem:\n{seen}"
    );
    assert_eq!(w.keychain_lookup("default"), None);
}

#[test]
fn the_next_questions_data_is_fetched_while_the_current_one_is_read() {
    let w = World::new();
    let mut s = spawn(&w, &["setup"]);
    s.expect("Paste your Cloudflare API token").unwrap();
    s.send(format!("{TOKEN}{ENTER}")).unwrap();
    s.expect("Which account?").unwrap();
    // Not answered yet: the default account's gateways and balance are already on their way.
    let gateways = format!("/accounts/{ACCOUNT}/ai-gateway/gateways");
    w.wait_for_request("the default account's gateway list", |r| {
        r.method == "GET" && r.path.ends_with(&gateways)
    });
    w.wait_for_request("the default account's credit balance", |r| {
        r.path.ends_with(&format!(
            "/accounts/{ACCOUNT}/ai-gateway/billing/credit-balance"
        ))
    });
    s.send(ENTER).unwrap();
    s.expect("Which AI Gateway").unwrap();
    // And while the gateway picker is read: the default gateway's models and stored keys.
    w.wait_for_request("the default gateway's models", |r| {
        r.path == format!("/v1/{ACCOUNT}/existing-gw/compat/models")
    });
    w.wait_for_request("the default gateway's provider configs", |r| {
        r.method == "GET" && r.path.ends_with("/gateways/existing-gw/provider_configs")
    });
    let n = w
        .emu
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path.ends_with(&gateways))
        .count();
    assert_eq!(n, 1, "the gateway list was fetched {n} times");
    s.send("\x03").unwrap();
    let (code, rest) = finish(s);
    assert_eq!(code, 130, "{rest}");
}

#[test]
fn the_policies_step_sets_a_spend_limit_and_a_fallback_route_when_asked() {
    let w = World::new();
    let mut d = Dialog::start(&w);
    d.step(
        "Paste your Cloudflare API token",
        &format!("{TOKEN}{ENTER}"),
    );
    d.step("Which account?", ENTER);
    d.step("Which AI Gateway", ENTER); // existing-gw
    d.step("How should model usage be paid?", ENTER); // Unified Billing
    d.step("Default model for OpenCode", ENTER);
    d.step("Set a spend limit on the gateway?", "y");
    // A window without a known unit is refused and asked again.
    d.step(
        "Spend limit in US dollars per window",
        &format!("5/1y{ENTER}"),
    );
    d.step("needs a unit", "");
    d.send(&"\x7f".repeat("5/1y".len()));
    d.send(&format!("5/1d{ENTER}"));
    d.step("Add fallback models?", "y");
    d.step(
        "Fallback models, tried in the order listed",
        &format!(" {ENTER}"),
    );
    d.step("How should OpenCode get the token?", ENTER);
    d.step("spend limit      $5 per 1d", "");
    d.step("Apply this plan?", "y");
    let (code, seen) = d.finish();
    assert_eq!(code, 0, "{seen}");
    let gw = w.emu.gateway(ACCOUNT, "existing-gw").unwrap();
    assert_eq!(gw["spend_limits"]["rules"][0]["id"], "aigate");
    assert_eq!(gw["spend_limits"]["rules"][0]["limit"], 5.0);
    assert_eq!(gw["spend_limits"]["rules"][0]["window"], 86_400);
    assert_eq!(
        w.emu.route_names(ACCOUNT, "existing-gw"),
        ["aigate-default"]
    );
    let cfg = std::fs::read_to_string(w.opencode_config()).unwrap();
    assert!(
        cfg.contains("cloudflare-ai-gateway/dynamic/aigate-default"),
        "{cfg}"
    );
    assert!(
        seen.contains("OpenCode calls:   dynamic/aigate-default"),
        "{seen}"
    );
    w.assert_no_leak(&[TOKEN]);
}

/// `Early::of` guessed "the token comes from the store" from the flags alone (no
/// `--token-stdin`, no `CLOUDFLARE_API_TOKEN`), so a re-run of a minted profile whose stored
/// token is gone, where a person pastes an admin token at the prompt, looked the permission
/// groups up only at the mint, a round later. It now takes where step 1's token really came
/// from ([`aigate::token_source`]'s precedence): the look-ups go out with the first round.
#[test]
fn a_pasted_token_on_a_minted_profile_looks_the_groups_up_in_the_first_round() {
    use aigate::emulator::{Permissions, TokenSpec};
    const ADMIN: &str = "cfut_TestAdminTokenCanCreateTokens000000000e4";
    let w = World::new();
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
            "existing-gw",
            "--billing",
            "unified",
            "--model",
            "openai/gpt-5-mini",
            "--skip-test",
        ],
    )
    .assert_code(0);
    // The minted token is no longer in the keychain: the re-run asks for one.
    let cleared = std::process::Command::new("secret-tool")
        .args([
            "clear",
            "service",
            &w.keyring_service,
            "username",
            "default",
        ])
        .status()
        .unwrap();
    assert!(cleared.success());
    assert_eq!(w.keychain_lookup("default"), None);
    w.emu.clear_requests();

    let mut s = spawn(&w, &["setup"]);
    s.expect("Paste your Cloudflare API token").unwrap();
    s.send(format!("{ADMIN}{ENTER}")).unwrap();
    s.expect("Which AI Gateway").unwrap();
    // Still at a question, nothing applied: the look-ups the mint needs are already done.
    w.wait_for_request("the permission groups", |r| {
        r.path.ends_with("/permission_groups")
    });
    assert!(
        !w.emu
            .requests()
            .iter()
            .any(|r| r.method == "POST" && r.path.ends_with("/tokens")),
        "nothing is minted before the plan is applied"
    );
    s.send("\x03").unwrap();
    let (code, rest) = finish(s);
    assert_eq!(code, 130, "{rest}");
}
