//! The fault matrix: each Cloudflare route a command calls × each way Cloudflare fails
//! (5xx, 429 with Retry-After, connection reset, an HTML error page from the edge, an answer
//! that never comes in time), injected by the emulator on every attempt. Every case must end
//! with exit 4 ("Cloudflare unreachable") and leave the disk and the keychain exactly as they
//! were. The timeout column runs with `AIGATE_HTTP_TIMEOUT=1` (the default is 30 s per
//! request, so a case would take minutes) against answers held back 5 s.

mod common;
use aigate::emulator::{Fault, FaultRule};
use common::*;
use std::time::{Duration, Instant};

struct Route {
    name: &'static str,
    method: &'static str,
    path_contains: &'static str,
}

const fn r(name: &'static str, method: &'static str, path_contains: &'static str) -> Route {
    Route {
        name,
        method,
        path_contains,
    }
}

/// (command, its arguments, the routes it calls).
const COMMANDS: &[(&str, &[&str], &[Route])] = &[
    (
        "status",
        &["status"],
        // status asks Cloudflare one thing: the token check.
        &[r("verify", "GET", "/tokens/verify")],
    ),
    (
        "rotate",
        &["rotate", "--token-stdin", "--non-interactive"],
        &[
            r("verify", "GET", "/tokens/verify"),
            r("gateway", "GET", "/ai-gateway/gateways/existing-gw"),
            r("models", "GET", "/compat/models"),
        ],
    ),
    (
        "setup",
        &[
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
        ],
        &[
            r("verify", "GET", "/tokens/verify"),
            r("gateways", "GET", "/ai-gateway/gateways"),
            r("models", "GET", "/compat/models"),
        ],
    ),
    (
        "usage",
        &["usage", "--since", "1h"],
        &[
            r("analytics", "POST", "/graphql"),
            r("logs", "GET", "/logs"),
        ],
    ),
];

fn faults() -> Vec<(&'static str, Fault)> {
    vec![
        (
            "503",
            Fault::Status {
                status: 503,
                retry_after: None,
            },
        ),
        (
            "429+Retry-After",
            Fault::Status {
                status: 429,
                retry_after: Some(1),
            },
        ),
        ("reset", Fault::Reset),
        ("html-502", Fault::Html { status: 502 }),
        ("timeout", Fault::Latency(Duration::from_secs(5))),
    ]
}

/// Runs one case; `Err` describes what went wrong.
fn case(command: &str, args: &[&str], route: &Route, fault: Fault) -> Result<(), String> {
    let w = World::new();
    if command != "setup" {
        w.setup(TOKEN, EXISTING_UNIFIED_MINI).assert_code(0);
    }
    let before = w.snapshot();
    let token_before = w.keychain_lookup("default");
    w.emu.inject(FaultRule {
        method: Some(route.method.into()),
        path_contains: route.path_contains.into(),
        fault,
        times: 0,
    });
    let mut cmd = w.aigate();
    cmd.env("AIGATE_HTTP_TIMEOUT", "1")
        .args(args)
        .write_stdin(TOKEN2);
    let out = w.run(&mut cmd);
    let mut problems = vec![];
    if out.code != 4 {
        problems.push(format!("exit {} (want 4)", out.code));
    }
    if w.snapshot() != before {
        problems.push("files changed".to_string());
    }
    if w.keychain_lookup("default") != token_before {
        problems.push("keychain changed".to_string());
    }
    if !out.stderr.to_lowercase().contains("cloudflare") {
        problems.push("the message does not name Cloudflare".to_string());
    }
    if out.stderr.contains("panicked") {
        problems.push("panic".to_string());
    }
    w.assert_no_leak(&[TOKEN, TOKEN2]);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{}\n--- stderr:\n{}",
            problems.join(", "),
            out.stderr
        ))
    }
}

#[test]
fn every_route_and_fault_ends_in_exit_4_with_nothing_changed() {
    let started = Instant::now();
    let mut cases = vec![];
    for (command, args, routes) in COMMANDS {
        for route in routes.iter() {
            for (fault_name, fault) in faults() {
                cases.push((*command, *args, route, fault_name, fault));
            }
        }
    }
    let total = cases.len();
    // Four at a time: bounded wall time on two cores.
    let mut failures = vec![];
    let mut timings = vec![];
    for chunk in cases.chunks(4) {
        let results: Vec<_> = std::thread::scope(|s| {
            let handles: Vec<_> = chunk
                .iter()
                .map(|(command, args, route, fault_name, fault)| {
                    s.spawn(move || {
                        let t = Instant::now();
                        let r = case(command, args, route, fault.clone());
                        (
                            format!("{command} × {} × {fault_name}", route.name),
                            r,
                            t.elapsed(),
                        )
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for (name, r, took) in results {
            timings.push(format!("{name}: {took:.1?}"));
            if let Err(e) = r {
                failures.push(format!("{name}: {e}"));
            }
        }
    }
    println!(
        "fault matrix: {total} cases, {} passed, in {:.1?}\n{}",
        total - failures.len(),
        started.elapsed(),
        timings.join("\n")
    );
    assert!(
        failures.is_empty(),
        "{} of {total} cases failed:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    assert!(started.elapsed() < Duration::from_secs(240), "too slow");
}
