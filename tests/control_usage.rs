//! `aigate usage` against the emulator's seeded history: the numbers equal a hand computation
//! (requests, errors by status, cached, tokens, cost per model, nearest-rank p50/p95), 100,000
//! requests are summarised with a small fixed number of API requests, and the report says
//! when retention cut the window, when P95 is unavailable, when logs are off and when a spend
//! limit refused traffic. Every `--json` document is validated against `schemas/usage.json`.

mod common;
use aigate::emulator::{AnalyticsLimits, HistoryEntry};
use chrono::{Duration, Utc};
use common::*;
use serde_json::Value;

#[allow(clippy::too_many_arguments)]
fn entry(
    mins_ago: i64,
    provider: &str,
    model: &str,
    status: u16,
    cached: bool,
    tokens: (u64, u64),
    cost: f64,
    duration_ms: u64,
) -> HistoryEntry {
    HistoryEntry {
        at: Utc::now() - Duration::minutes(mins_ago),
        provider: provider.into(),
        model: model.into(),
        status,
        cached,
        tokens_in: tokens.0,
        tokens_out: tokens.1,
        cost,
        duration_ms,
        error_code: (status == 429).then_some(2045),
    }
}

fn usage(w: &World, args: &[&str]) -> Value {
    let out = w.run(w.aigate().args(["--json", "usage"]).args(args));
    out.assert_code(0);
    let doc = out.json();
    assert_schema("usage", &doc);
    doc
}

fn row<'a>(doc: &'a Value, key: &str) -> &'a Value {
    doc["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == key)
        .unwrap_or_else(|| panic!("no row {key}: {doc:#}"))
}

fn close(a: &Value, b: f64) -> bool {
    (a.as_f64().unwrap() - b).abs() < 1e-9
}

#[test]
fn usage_numbers_equal_a_hand_computation() {
    let w = set_up_existing();
    let g = "existing-gw";
    w.emu.seed_history(
        ACCOUNT,
        g,
        [
            // Outside a 24h window: must not count.
            entry(25 * 60, "openai", "gpt-5", 200, false, (999, 999), 9.0, 9),
            entry(50, "openai", "gpt-5", 200, false, (10, 1), 0.01, 100),
            entry(40, "openai", "gpt-5", 200, true, (20, 2), 0.0, 200),
            entry(30, "openai", "gpt-5", 200, false, (30, 3), 0.03, 300),
            entry(20, "openai", "gpt-5", 500, false, (0, 0), 0.0, 400),
            entry(10, "openai", "gpt-5", 200, false, (50, 5), 0.05, 1000),
            entry(
                45,
                "anthropic",
                "claude-haiku-4.5",
                200,
                false,
                (100, 10),
                0.2,
                50,
            ),
            entry(
                35,
                "anthropic",
                "claude-haiku-4.5",
                429,
                false,
                (0, 0),
                0.0,
                60,
            ),
            entry(
                5,
                "anthropic",
                "claude-haiku-4.5",
                200,
                false,
                (100, 10),
                0.2,
                70,
            ),
        ],
    );
    let doc = usage(&w, &["--since", "24h"]);
    // By hand. gpt-5: 5 requests, durations 100 200 300 400 1000 → p50 (rank 3) 300,
    // p95 (rank 5) 1000. claude-haiku-4.5: 3 requests, 50 60 70 → p50 (rank 2) 60, p95 70.
    // All 8: 50 60 70 100 200 300 400 1000 → p50 (rank 4) 100, p95 (rank 8) 1000.
    let t = &doc["total"];
    assert_eq!(t["requests"], 8);
    assert_eq!(t["errors"], 2);
    assert_eq!(t["cached"], 1);
    assert_eq!(t["tokens_in"], 310);
    assert_eq!(t["tokens_out"], 31);
    assert!(close(&t["cost_usd"], 0.49), "{t}");
    assert_eq!(t["p50_ms"], 100.0);
    assert_eq!(t["p95_ms"], 1000.0);
    let keys: Vec<&str> = doc["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["claude-haiku-4.5", "gpt-5"], "sorted by cost");
    let a = row(&doc, "gpt-5");
    assert_eq!(
        (a["requests"].as_u64(), a["errors"].as_u64()),
        (Some(5), Some(1))
    );
    assert_eq!(a["cached"], 1);
    assert!(close(&a["cost_usd"], 0.09));
    assert_eq!(
        (a["p50_ms"].as_f64(), a["p95_ms"].as_f64()),
        (Some(300.0), Some(1000.0))
    );
    assert_eq!(a["provider"], "openai");
    let b = row(&doc, "claude-haiku-4.5");
    assert!(close(&b["cost_usd"], 0.4));
    assert_eq!(
        (b["p50_ms"].as_f64(), b["p95_ms"].as_f64()),
        (Some(60.0), Some(70.0))
    );
    assert_eq!(b["tokens_in"], 200);
    let by_status: Vec<(u64, u64)> = doc["errors_by_status"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["status"].as_u64().unwrap(), s["count"].as_u64().unwrap()))
        .collect();
    assert_eq!(by_status, [(429, 1), (500, 1)]);
    // The recent failures, newest first, with the gateway's code from the logged response.
    let recent = doc["recent_errors"].as_array().unwrap();
    assert_eq!(recent.len(), 2);
    assert_eq!(recent[0]["status"], 500);
    assert_eq!(
        (recent[1]["status"].as_u64(), recent[1]["code"].as_u64()),
        (Some(429), Some(2045))
    );
    let notes = doc["notes"].to_string();
    assert!(notes.contains("spend limit was reached"), "{notes}");
    assert!(doc["window_cut"].is_null());
    assert_eq!(doc["logs_in_window"], 8);

    // By provider: the same totals, one row per provider.
    let doc = usage(&w, &["--since", "24h", "--by", "provider"]);
    assert_eq!(doc["group_by"], "provider");
    assert!(close(&row(&doc, "anthropic")["cost_usd"], 0.4));
    assert_eq!(row(&doc, "openai")["requests"], 5);
    // A 25-minute window holds the three from 20, 10 and 5 minutes ago.
    let doc = usage(&w, &["--since", "25m"]);
    assert_eq!(doc["total"]["requests"], 3);
}

#[test]
fn one_hundred_thousand_requests_take_a_bounded_number_of_api_requests() {
    let w = set_up_existing();
    let entries = HistoryEntry::generate(100_000, Utc::now(), Duration::hours(20));
    let errors = entries.iter().filter(|e| e.status >= 400).count() as u64;
    let cached = entries.iter().filter(|e| e.cached).count() as u64;
    let cost: f64 = entries.iter().map(|e| e.cost).sum();
    w.emu.seed_history(ACCOUNT, "existing-gw", entries);
    w.emu.clear_requests();
    let started = std::time::Instant::now();
    let doc = usage(&w, &["--since", "24h"]);
    let took = started.elapsed();
    let api: Vec<_> = w
        .emu
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/client/v4"))
        .collect();
    eprintln!(
        "BENCHMARK usage over 100000 seeded requests: {} API requests, {:.0} ms wall (process)",
        api.len(),
        took.as_secs_f64() * 1000.0
    );
    assert_eq!(doc["total"]["requests"], 100_000);
    assert_eq!(doc["total"]["errors"].as_u64(), Some(errors));
    assert_eq!(doc["total"]["cached"].as_u64(), Some(cached));
    assert!((doc["total"]["cost_usd"].as_f64().unwrap() - cost).abs() < 1e-6);
    let row_sum: u64 = doc["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["requests"].as_u64().unwrap())
        .sum();
    assert_eq!(row_sum, 100_000);
    assert!(api.len() <= 8, "{} requests: {api:?}", api.len());
    assert_eq!(doc["api_requests"].as_u64(), Some(api.len() as u64));
    assert!(took < std::time::Duration::from_secs(20), "{took:?}");
}

#[test]
fn usage_says_when_retention_cut_the_window_and_p95_is_missing() {
    let w = set_up_existing();
    w.emu.seed_history(
        ACCOUNT,
        "existing-gw",
        [
            entry(3 * 60, "openai", "gpt-5", 200, false, (10, 1), 0.01, 100),
            entry(10, "openai", "gpt-5", 200, false, (10, 1), 0.01, 100),
            entry(5, "openai", "gpt-5", 200, false, (10, 1), 0.01, 300),
        ],
    );
    w.emu.set_analytics_limits(AnalyticsLimits {
        not_older_than: 3600,
        p95: false,
        ..AnalyticsLimits::default()
    });
    let doc = usage(&w, &["--since", "24h"]);
    let cut = &doc["window_cut"];
    assert!(cut["reason"].as_str().unwrap().contains("last 1h"), "{cut}");
    assert_eq!(doc["total"]["requests"], 2, "only the last hour");
    assert!(doc["total"].get("p95_ms").is_none());
    assert_eq!(doc["total"]["p90_ms"], 300.0);
    assert_eq!(doc["rows"][0]["p90_ms"], 300.0);
    assert!(doc["notes"].to_string().contains("p90 is shown"));

    // The human table says it too, with ASCII bars when colours are off.
    let out = w.run(w.aigate().args(["usage", "--since", "24h"]));
    out.assert_code(0);
    assert!(out.stdout.contains("Window cut:"), "{}", out.stdout);
    assert!(out.stdout.contains("P90"), "{}", out.stdout);
    assert!(
        out.stdout.contains("####################"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("TOTAL"));
}

#[test]
fn usage_says_when_logs_and_analytics_are_off() {
    let w = set_up_existing();
    w.emu
        .set_gateway_field(ACCOUNT, "existing-gw", "collect_logs", false.into());
    w.emu.set_analytics_limits(AnalyticsLimits {
        enabled: false,
        ..AnalyticsLimits::default()
    });
    let doc = usage(&w, &[]);
    assert_eq!(doc["analytics"], false);
    assert_eq!(doc["logs_collected"], false);
    let notes = doc["notes"].to_string();
    assert!(notes.contains("analytics are off"), "{notes}");
    assert!(notes.contains("logs are off"), "{notes}");
}

#[test]
fn usage_flags_are_checked_before_anything_happens() {
    let w = set_up_existing();
    w.emu.clear_requests();
    for bad in [
        &["--since", "24"][..],
        &["--since", "0h"],
        &["--by", "colour"],
    ] {
        let out = w.run(w.aigate().arg("usage").args(bad));
        out.assert_code(2);
        assert!(out.stderr.contains(bad[0]), "{}", out.stderr);
    }
    assert!(w.emu.requests().is_empty());
}

/// A request from the current second is inside the window (the end of the window was once
/// truncated to the second, dropping what had just happened).
#[test]
fn usage_counts_what_happened_this_second() {
    let w = set_up_existing();
    w.emu.seed_history(
        ACCOUNT,
        "existing-gw",
        [entry(0, "openai", "gpt-5", 200, false, (10, 1), 0.01, 100)],
    );
    let doc = usage(&w, &["--since", "5m"]);
    assert_eq!(doc["total"]["requests"], 1, "{doc:#}");
}

/// On a terminal with colours the bars are unicode blocks. The captured screen is written to
/// `target/usage-terminal.txt` (the README's rendering comes from it).
#[test]
fn usage_on_a_terminal_draws_unicode_bars() {
    use expectrl::Session;
    let w = set_up_existing();
    w.emu.seed_history(
        ACCOUNT,
        "existing-gw",
        HistoryEntry::generate(2_000, Utc::now(), Duration::hours(6)),
    );
    let mut cmd = w.aigate_std();
    cmd.env_remove("NO_COLOR").args(["usage", "--since", "24h"]);
    let mut s = Session::spawn(cmd).expect("spawn aigate in a pty");
    let mut screen = Vec::new();
    let _ = std::io::Read::read_to_end(&mut s, &mut screen);
    let _ = s.get_process().wait();
    let screen = String::from_utf8_lossy(&screen).into_owned();
    assert!(screen.contains('█'), "{screen}");
    assert!(
        screen.contains("TOTAL") && screen.contains("claude-sonnet-4.5"),
        "{screen}"
    );
    let _ = std::fs::write(
        concat!(env!("CARGO_MANIFEST_DIR"), "/target/usage-terminal.txt"),
        &screen,
    );
}
