//! How close each setup flow comes to its network floor.
//!
//! `cargo bench --bench setup_rounds` (or `scripts/bench`) starts the emulator with an injected
//! latency per request (200 ms and 300 ms; `-- --latency 150,250` to choose) and runs the real
//! `aigate` binary through each flow of `support/flows.rs`, printing per flow: wall time, rounds
//! (wall / latency), the floor (dependency rounds), their ratio, requests, connections and the
//! widest round seen in the emulator's request log. It exits 1 when a flow is over 1.2× its
//! floor or opens more connections than its widest round needs.
//!
//! Under `cargo test` (no `--bench` argument) it only checks that every flow succeeds.
//! `AIGATE_BENCH_BIN=path/to/aigate` measures that binary instead of the one cargo built.

#[path = "support/flows.rs"]
mod flows;

use flows::{Flow, measure};
use std::path::Path;
use std::time::Duration;

/// Runs per flow; the fastest is reported.
const RUNS: usize = 3;

/// The fastest of [`RUNS`] runs: the network cost is fixed, the machine's load is not.
fn best_of(bin: &Path, flow: Flow, latency: Duration) -> flows::Measured {
    let mut best: Option<flows::Measured> = None;
    for _ in 0..RUNS {
        let m = measure(bin, flow, latency);
        if m.code != 0 {
            eprintln!("{} failed:\n{}", flow.name(), m.stderr);
            std::process::exit(1);
        }
        if best.as_ref().is_none_or(|b| m.wall < b.wall) {
            best = Some(m);
        }
    }
    best.expect("at least one run")
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // AIGATE_BENCH_BIN measures another build of aigate (e.g. a release binary built before).
    let chosen = std::env::var_os("AIGATE_BENCH_BIN");
    let bin = chosen
        .as_deref()
        .map(Path::new)
        .unwrap_or(Path::new(env!("CARGO_BIN_EXE_aigate")));
    if !args.iter().any(|a| a == "--bench") {
        for flow in Flow::ALL {
            let m = measure(bin, flow, Duration::from_millis(1));
            assert_eq!(m.code, 0, "{}:\n{}", flow.name(), m.stderr);
        }
        println!("setup_rounds: every flow ran (run `cargo bench` for the figures)");
        return;
    }
    let latencies: Vec<u64> = args
        .iter()
        .position(|a| a == "--latency")
        .and_then(|i| args.get(i + 1))
        .map(|v| v.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![200, 300]);
    let mut over = false;
    if let Ok(load) = std::fs::read_to_string("/proc/loadavg") {
        println!("load average: {}", load.trim());
    }
    for ms in latencies {
        let latency = Duration::from_millis(ms);
        println!(
            "\nInjected latency {ms} ms per request (binary: {})\n",
            bin.display()
        );
        println!(
            "| flow | floor (rounds) | wall (ms) | rounds (wall / latency) | × floor | local (ms) | (wall − local) / latency | requests | connections | widest round |"
        );
        println!("|---|---|---|---|---|---|---|---|---|---|");
        for flow in Flow::ALL {
            let m = best_of(bin, flow, latency);
            // The same flow with no injected latency: aigate's own (local) time.
            let local = best_of(bin, flow, Duration::ZERO).wall;
            let network = m.wall.saturating_sub(local).as_secs_f64() / latency.as_secs_f64();
            let ratio = m.rounds() / f64::from(flow.floor());
            let widest = m.widest_round();
            over |= ratio > 1.2 || m.connections > widest;
            println!(
                "| {} | {} | {} | {:.2} | {:.2} | {} | {:.2} | {} | {} | {} |",
                flow.name(),
                flow.floor(),
                m.wall.as_millis(),
                m.rounds(),
                ratio,
                local.as_millis(),
                network,
                m.requests.len(),
                m.connections,
                widest
            );
            if std::env::var_os("AIGATE_BENCH_LOG").is_some() {
                for (i, round) in m.rounds_in_log().iter().enumerate() {
                    println!("    round {}: {}", i + 1, round.join(", "));
                }
            }
        }
    }
    if over {
        eprintln!("\nsome flow is over 1.2× its floor, or opened more connections than needed");
        std::process::exit(1);
    }
}
