//! The interactive wizard driven through a real pseudo-terminal: hidden token entry,
//! arrow-key selection, the create-gateway path (with a taken id re-asked), and Ctrl-C at a
//! prompt leaving no files behind and the terminal restored.
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
