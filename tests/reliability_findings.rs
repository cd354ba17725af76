//! Issue 10's findings, each reproduced end to end against the emulator with the real Secret
//! Service (run through `bash .ci/test`). Every test here failed before its fix.

mod common;
use aigate::emulator::{Fault, FaultRule, Permissions, TokenOwner, TokenSpec, TokenStatus};
use common::*;
use std::time::Duration;

const READ_ONLY: &str = "cfut_TestTokenReadOnlyNoRunNoWrite0000000000gg";

fn add_read_only(w: &World) {
    w.emu.add_token(TokenSpec {
        value: READ_ONLY.into(),
        owner: TokenOwner::User,
        status: TokenStatus::Active,
        expires_on: None,
        accounts: vec![ACCOUNT.into()],
        permissions: Permissions {
            ai_gateway_read: true,
            ..Permissions::none()
        },
    });
}

const EXISTING: &[&str] = &[
    "--account-id",
    ACCOUNT,
    "--gateway",
    "existing-gw",
    "--billing",
    "unified",
    "--model",
    "openai/gpt-5-mini",
];

/// Finding 4: a read-only token on an existing gateway stored the token and wrote the config,
/// then failed the test prompt. Now nothing is stored or written, exit 3.
#[test]
fn setup_with_a_token_without_run_changes_nothing_on_the_machine() {
    let w = World::new();
    add_read_only(&w);
    let before = w.snapshot();
    let out = w.setup(READ_ONLY, EXISTING);
    out.assert_code(3).assert_stderr_contains("AI Gateway Run");
    assert_eq!(w.snapshot(), before, "no file written");
    assert_eq!(w.keychain_lookup("default"), None, "no token stored");

    // A gateway without authentication lists its models to any token: the Run check after
    // turning authentication on is what stops the setup.
    w.emu.add_gateway(ACCOUNT, "open-gw", false);
    let mut args = EXISTING.to_vec();
    args[3] = "open-gw";
    args.push("--enable-authentication");
    let out = w.setup(TOKEN_NO_RUN, &args);
    out.assert_code(3)
        .assert_stderr_contains("AI Gateway Run")
        .assert_stderr_contains("nothing was stored or written");
    assert_eq!(w.snapshot(), before, "no file written");
    assert_eq!(w.keychain_lookup("default"), None, "no token stored");
}

/// Finding 3: rotate accepted a token without AI Gateway Run and replaced the working one.
#[test]
fn rotate_refuses_a_token_without_run_and_keeps_the_old_one() {
    let w = World::new();
    w.setup(TOKEN, &[&["--skip-test"][..], EXISTING].concat())
        .assert_code(0);
    add_read_only(&w);
    let before = w.snapshot();
    let mut cmd = w.aigate();
    cmd.args(["rotate", "--token-stdin", "--non-interactive"])
        .write_stdin(READ_ONLY);
    w.run(&mut cmd)
        .assert_code(3)
        .assert_stderr_contains("AI Gateway Run");
    assert_eq!(w.keychain_lookup("default").as_deref(), Some(TOKEN));
    assert_eq!(w.snapshot(), before);
    // A token without Run is also refused when it reaches the account (finding 8's twin).
    w.emu.add_token(TokenSpec {
        value: "cfut_TestTokenOtherAccountOnly000000000000000hh".into(),
        owner: TokenOwner::User,
        status: TokenStatus::Active,
        expires_on: None,
        accounts: vec![ACCOUNT2.into()],
        permissions: Permissions::all(),
    });
    let mut cmd = w.aigate();
    cmd.args(["rotate", "--token-stdin", "--non-interactive"])
        .write_stdin("cfut_TestTokenOtherAccountOnly000000000000000hh");
    let out = w.run(&mut cmd);
    out.assert_code(3);
    assert!(
        !out.stderr
            .contains("lacks the \"AI Gateway Read\" permission:"),
        "{}",
        out.stderr
    );
    assert_eq!(w.keychain_lookup("default").as_deref(), Some(TOKEN));
}

/// Finding 9: another run created the same gateway id a moment before our create.
#[test]
fn a_lost_create_race_uses_the_gateway_the_other_run_created() {
    let w = World::new();
    w.emu.inject(FaultRule {
        method: Some("POST".into()),
        path_contains: "/ai-gateway/gateways".into(),
        fault: Fault::Latency(Duration::from_millis(800)),
        times: 1,
    });
    let mut cmd = w.aigate_std();
    cmd.args([
        "setup",
        "--non-interactive",
        "--token-stdin",
        "--account-id",
        ACCOUNT,
        "--gateway",
        "raced-gw",
        "--create-gateway",
        "--billing",
        "unified",
        "--model",
        "openai/gpt-5-mini",
        "--skip-test",
    ]);
    let child = spawn_with_stdin(&mut cmd, TOKEN);
    // Requests are recorded once answered: after the wizard's look-up, before its create.
    w.wait_for_request("the gateway look-up", |r| {
        r.method == "GET" && r.path.contains("/ai-gateway/gateways")
    });
    // The other run wins between our look-up and our create.
    w.emu.add_gateway(ACCOUNT, "raced-gw", true);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("created a moment ago by another run"),
        "{stderr}"
    );
    assert_eq!(w.keychain_lookup("default").as_deref(), Some(TOKEN));
}

/// Finding 10: a 10 MB "token" was sent to Cloudflare four times and failed as a network
/// error. Now it is refused locally, before any request.
#[test]
fn an_oversized_or_control_character_token_is_refused_locally() {
    let w = World::new();
    let huge = "a".repeat(10 * 1024 * 1024);
    let out = w.setup(&huge, EXISTING);
    out.assert_code(2).assert_stderr_contains("bytes long");
    let out = w.setup("cfut_abc\u{7}def", EXISTING);
    out.assert_code(2).assert_stderr_contains("control");
    assert!(w.emu.requests().is_empty(), "no request was sent");
}

/// Finding 6: Ctrl-C during the test prompt said "nothing was changed on disk" although the
/// setup was saved, and printed `ESC[?25h` into a non-terminal stderr.
#[test]
fn ctrl_c_during_the_test_prompt_says_what_was_saved() {
    let w = World::new();
    // The test prompt (the POST to the gateway after the setup was saved) is held. The
    // gateway is authenticated and lists its models to the token, so nothing is POSTed to it
    // before the save: the hold meets the test prompt only.
    w.emu.inject(FaultRule {
        method: Some("POST".into()),
        path_contains: "/existing-gw".into(),
        fault: Fault::Latency(Duration::from_secs(20)),
        times: 0,
    });
    let mut cmd = w.aigate_std();
    cmd.args(["setup", "--non-interactive", "--token-stdin"])
        .args(EXISTING);
    let child = spawn_with_stdin(&mut cmd, TOKEN);
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !w.state_file().exists() {
        assert!(std::time::Instant::now() < deadline, "setup never saved");
        std::thread::sleep(Duration::from_millis(20));
    }
    // Saved; the test prompt is held (below) while Ctrl-C arrives.
    let posts = || {
        w.emu
            .requests()
            .iter()
            .filter(|r| r.method == "POST" && r.path.contains("/existing-gw"))
            .count()
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while posts() < 1 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(200));
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // The request log (method, path, status only) tells which request was not held.
    let log = w.emu.requests();
    assert_eq!(out.status.code(), Some(130), "{stderr}\nrequests: {log:?}");
    assert!(stderr.contains("was saved"), "{stderr}");
    assert!(!stderr.contains("nothing was changed"), "{stderr}");
    assert!(!stderr.contains("\u{1b}[?25h"), "stray cursor sequence");
    // What was printed is true: the profile, the config and the token are there.
    assert!(w.opencode_config().exists());
    assert_eq!(w.keychain_lookup("default").as_deref(), Some(TOKEN));
}
