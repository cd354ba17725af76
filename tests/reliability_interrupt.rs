//! The interrupt matrix: SIGINT at each phase of `setup` (real process, emulator, real Secret
//! Service). Whatever aigate prints about what was saved must be what the disk and the
//! keychain hold afterwards; the exit code is 130; no cursor escape reaches a non-terminal.

mod common;
use aigate::emulator::{Fault, FaultRule};
use common::*;
use std::process::Child;
use std::time::{Duration, Instant};

const ARGS: &[&str] = &[
    "setup",
    "--non-interactive",
    "--token-stdin",
    "--account-id",
    ACCOUNT,
    "--gateway",
    "existing-gw",
    "--billing",
    "unified",
    "--model",
    "openai/gpt-5-mini",
];

fn start(w: &World) -> Child {
    spawn_with_stdin(w.aigate_std().args(ARGS), TOKEN)
}

fn interrupt(child: Child) -> (i32, String) {
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("\u{1b}[?25h"), "stray cursor sequence");
    (out.status.code().unwrap_or(-1), stderr)
}

#[test]
fn ctrl_c_while_cloudflare_is_asked_changes_nothing() {
    let w = World::new();
    w.emu.inject(FaultRule {
        method: None,
        path_contains: "/tokens/verify".into(),
        fault: Fault::Latency(Duration::from_secs(20)),
        times: 0,
    });
    let before = w.snapshot();
    let child = start(&w);
    std::thread::sleep(Duration::from_millis(700));
    let (code, stderr) = interrupt(child);
    assert_eq!(code, 130, "{stderr}");
    assert!(stderr.contains("nothing was changed"), "{stderr}");
    assert_eq!(w.snapshot(), before);
    assert_eq!(w.keychain_lookup("default"), None);
}

/// Mid-commit: the config is already written and aigate waits for the lock of profiles.json
/// (held here, as another aigate run would); Ctrl-C then rolls the config back and stores no
/// token, exactly as the message says.
#[test]
fn ctrl_c_in_the_middle_of_the_commit_rolls_everything_back() {
    let w = World::new();
    std::fs::create_dir_all(w.state_file().parent().unwrap()).unwrap();
    let held = aigate::files::lock(&w.state_file()).unwrap();
    let before = w.snapshot();
    let child = start(&w);
    let deadline = Instant::now() + Duration::from_secs(30);
    while !w.opencode_config().exists() {
        assert!(Instant::now() < deadline, "the commit never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(200));
    let (code, stderr) = interrupt(child);
    drop(held);
    assert_eq!(code, 130, "{stderr}");
    assert!(stderr.contains("nothing was changed"), "{stderr}");
    assert_eq!(w.snapshot(), before, "the written config was rolled back");
    assert_eq!(w.keychain_lookup("default"), None, "no token stored");
}
