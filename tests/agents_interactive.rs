//! The wizard's agent question in a real pseudo-terminal: with the real Claude Code and Codex
//! on PATH (installed by `.ci/test`), setup offers them in a multi-select with OpenCode
//! preselected; picking Codex writes its profile file as well as OpenCode's config.
#![cfg(unix)]

mod common;
use common::*;
use expectrl::process::unix::WaitStatus;
use expectrl::{Expect, Session};
use std::path::PathBuf;
use std::time::Duration;

const DOWN: &str = "\x1b[B";
const ENTER: &str = "\r";

fn bin_dir(var: &str) -> PathBuf {
    let p = std::env::var_os(var)
        .map(PathBuf::from)
        .unwrap_or_else(|| panic!("{var} is not set: run the suite with `bash .ci/test`"));
    p.parent().unwrap().to_path_buf()
}

#[test]
fn installed_agents_are_offered_with_opencode_preselected() {
    let w = World::new();
    let codex_home = w.root.path().join("codex");
    let path = std::env::join_paths(
        [bin_dir("AIGATE_TEST_CODEX"), bin_dir("AIGATE_TEST_CLAUDE")]
            .into_iter()
            .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
    )
    .unwrap();
    let mut cmd = w.aigate_std();
    cmd.env("PATH", path)
        .env("CODEX_HOME", &codex_home)
        .arg("setup");
    let mut s = Session::spawn(cmd).expect("spawn aigate in a pty");
    s.set_expect_timeout(Some(Duration::from_secs(60)));
    let mut seen = String::new();
    let mut step = |s: &mut expectrl::session::OsSession, prompt: &str, answer: &str| {
        let m = s
            .expect(prompt)
            .unwrap_or_else(|e| panic!("waiting for {prompt:?}: {e}\nso far:\n{seen}"));
        seen.push_str(&String::from_utf8_lossy(m.before()));
        seen.push_str(&String::from_utf8_lossy(m.get(0).unwrap()));
        s.send(answer).unwrap();
    };
    step(
        &mut s,
        "Paste your Cloudflare API token",
        &format!("{TOKEN}{ENTER}"),
    );
    step(&mut s, "Which account?", ENTER);
    step(&mut s, "Which AI Gateway", ENTER); // existing-gw
    step(&mut s, "How should model usage be paid?", ENTER); // Unified Billing
    step(&mut s, "Default model for OpenCode", ENTER);
    step(&mut s, "Set a spend limit on the gateway?", ENTER); // no
    step(&mut s, "Add fallback models?", ENTER); // no
    step(&mut s, "How should OpenCode get the token?", ENTER);
    // OpenCode (preselected), Claude Code, Codex: add Codex with space, keep OpenCode.
    step(
        &mut s,
        "Which coding agents should use the gateway?",
        &format!("{DOWN}{DOWN} {ENTER}"),
    );
    step(&mut s, "Apply this plan?", "y");
    let mut rest = Vec::new();
    let _ = std::io::Read::read_to_end(&mut s, &mut rest);
    seen.push_str(&String::from_utf8_lossy(&rest));
    let code = match s.get_process().wait().unwrap() {
        WaitStatus::Exited(_, c) => c,
        other => panic!("aigate did not exit normally: {other:?}"),
    };
    assert_eq!(code, 0, "{seen}");
    assert!(
        seen.contains("Claude Code") && seen.contains("Codex"),
        "{seen}"
    );
    assert!(seen.contains("aigate run -- codex"), "{seen}");
    assert!(
        codex_home.join("aigate.config.toml").exists(),
        "Codex was picked but its profile was not written"
    );
    assert!(
        w.opencode_config().exists(),
        "OpenCode's config was not written"
    );
    assert!(
        !w.home().join(".claude").exists(),
        "Claude Code was not picked"
    );
    w.assert_no_leak(&[TOKEN]);
}
