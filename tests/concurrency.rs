//! Several aigate runs at once on one machine (real processes, the emulator, the real Secret
//! Service): no profile, token or config entry may be lost, and nobody may fail for the other.

mod common;
use aigate::emulator::{Fault, FaultRule};
use common::*;
use std::process::Child;
use std::time::Duration;

const SETUP: &[&str] = &[
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
    "--skip-test",
];

/// Starts `aigate ARGS` with `stdin` piped in; `env` overrides the world's environment.
fn spawn(w: &World, args: &[&str], stdin: &str, env: &[(&str, &std::path::Path)]) -> Child {
    let mut cmd = w.aigate_std();
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    spawn_with_stdin(&mut cmd, stdin)
}

#[track_caller]
fn finish(child: Child, what: &str) -> Output {
    let out = child.wait_with_output().unwrap();
    let o = Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert_eq!(o.code, 0, "{what} failed:\n{}", o.stderr);
    o
}

fn with_profile<'a>(profile: &'a str, rest: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec!["--profile", profile];
    v.extend_from_slice(rest);
    v
}

fn profiles(w: &World) -> Vec<String> {
    let state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(w.state_file()).unwrap()).unwrap();
    state["profiles"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect()
}

/// Finding 1: profile `a` is slow (500 ms on its model list) while `b` finishes meanwhile;
/// before the fix only `a` was left in profiles.json and both exited 0.
#[test]
fn two_setups_with_different_profiles_keep_both() {
    let w = World::new();
    w.emu.inject(FaultRule {
        method: None,
        path_contains: "/compat/models".into(),
        fault: Fault::Latency(Duration::from_millis(500)),
        times: 1,
    });
    let a = spawn(&w, &with_profile("a", SETUP), TOKEN, &[]);
    w.wait_for_request("a's model list", |r| r.path.contains("/compat/models"));
    let b = spawn(&w, &with_profile("b", SETUP), TOKEN2, &[]);
    finish(b, "setup b");
    finish(a, "setup a");
    assert_eq!(profiles(&w), vec!["a", "b"]);
    assert_eq!(w.keychain_lookup("a").as_deref(), Some(TOKEN));
    assert_eq!(w.keychain_lookup("b").as_deref(), Some(TOKEN2));
    for p in ["a", "b"] {
        let mut cmd = w.aigate();
        cmd.args(["--profile", p, "status"]);
        w.run(&mut cmd).assert_code(0);
    }
}

/// The other window: `a` has planned its files and waits on its last check (3 s on the Run
/// check after turning authentication on) while `b` commits; `a` then merges its profile into
/// the file `b` wrote.
#[test]
fn a_profile_committed_between_plan_and_commit_is_kept() {
    let w = World::new();
    w.emu.add_gateway(ACCOUNT, "open-gw", false);
    w.emu.inject(FaultRule {
        method: Some("POST".into()),
        path_contains: "/open-gw".into(),
        fault: Fault::Latency(Duration::from_secs(3)),
        times: 1,
    });
    let mut args = SETUP.to_vec();
    args[6] = "open-gw";
    args.push("--enable-authentication");
    let a = spawn(&w, &with_profile("a", &args), TOKEN, &[]);
    w.wait_for_request("a turning authentication on", |r| {
        r.method == "PUT" && r.path.ends_with("/open-gw")
    });
    std::thread::sleep(Duration::from_millis(300));
    let b = spawn(&w, &with_profile("b", &args), TOKEN2, &[]);
    finish(b, "setup b");
    finish(a, "setup a");
    assert_eq!(profiles(&w), vec!["a", "b"]);
    assert_eq!(w.keychain_lookup("a").as_deref(), Some(TOKEN));
    assert_eq!(w.keychain_lookup("b").as_deref(), Some(TOKEN2));
}

#[test]
fn two_setups_of_the_same_profile_leave_one_consistent_result() {
    let w = World::new();
    let a = spawn(&w, SETUP, TOKEN, &[]);
    let b = spawn(&w, SETUP, TOKEN2, &[]);
    finish(a, "setup 1");
    finish(b, "setup 2");
    assert_eq!(profiles(&w), vec!["default"]);
    let stored = w.keychain_lookup("default").expect("a token is stored");
    assert!(stored == TOKEN || stored == TOKEN2);
    let config = std::fs::read_to_string(w.opencode_config()).unwrap();
    let v: serde_json::Value =
        jsonc_parser::parse_to_serde_value::<serde_json::Value>(&config, &Default::default())
            .unwrap();
    assert_eq!(v["model"], "cloudflare-ai-gateway/openai/gpt-5-mini");
}

/// Finding 2: the keychain probe used one fixed item, so two runs at once (even with
/// different HOMEs) failed with "no usable OS keychain".
#[test]
fn keychain_probes_of_parallel_runs_do_not_collide() {
    let w = World::new();
    for round in 0..3 {
        let homes: Vec<_> = (0..2)
            .map(|i| {
                let d = w.root.path().join(format!("home-{round}-{i}"));
                std::fs::create_dir_all(&d).unwrap();
                d
            })
            .collect();
        let children: Vec<_> = homes
            .iter()
            .map(|h| {
                let (cfg, data) = (h.join("config"), h.join("data"));
                spawn(
                    &w,
                    SETUP,
                    TOKEN,
                    &[
                        ("HOME", h.as_path()),
                        ("XDG_CONFIG_HOME", cfg.as_path()),
                        ("XDG_DATA_HOME", data.as_path()),
                    ],
                )
            })
            .collect();
        for c in children {
            let out = finish(c, "a parallel setup");
            assert!(!out.stderr.contains("no usable OS keychain"));
        }
    }
}

#[test]
fn twenty_concurrent_status_runs_all_succeed() {
    let w = World::new();
    w.setup(TOKEN, &SETUP[3..]).assert_code(0);
    let before = w.snapshot();
    let children: Vec<_> = (0..20)
        .map(|_| spawn(&w, &["status", "--json"], "", &[]))
        .collect();
    for c in children {
        let out = finish(c, "status");
        assert_eq!(out.json()["profile"], "default", "{}", out.stdout);
    }
    assert_eq!(w.snapshot(), before, "status changes nothing");
}

#[test]
fn setup_racing_rotate_loses_nothing() {
    let w = World::new();
    w.setup(TOKEN, &with_profile("a", &SETUP[3..]))
        .assert_code(0);
    w.emu.inject(FaultRule {
        method: None,
        path_contains: "/compat/models".into(),
        fault: Fault::Latency(Duration::from_millis(300)),
        times: 1,
    });
    let setup_b = spawn(&w, &with_profile("b", SETUP), TOKEN, &[]);
    let rotate_a = spawn(
        &w,
        &[
            "--profile",
            "a",
            "rotate",
            "--token-stdin",
            "--non-interactive",
        ],
        TOKEN2,
        &[],
    );
    finish(rotate_a, "rotate a");
    finish(setup_b, "setup b");
    assert_eq!(profiles(&w), vec!["a", "b"]);
    assert_eq!(w.keychain_lookup("a").as_deref(), Some(TOKEN2));
    assert_eq!(w.keychain_lookup("b").as_deref(), Some(TOKEN));
}
