//! `aigate gateway` and `aigate gateway set` against the emulator: one PUT that changes the
//! asked field and leaves every other field byte-for-byte; `--yes` required without a
//! terminal (exit 2, zero requests); flag values refused before anything happens; a spend
//! limit set through aigate makes the gateway refuse traffic, and `usage` says why.

mod common;
use common::*;
use serde_json::{Value, json};

fn gateway_json(w: &World) -> serde_json::Map<String, Value> {
    w.emu
        .gateway(ACCOUNT, "existing-gw")
        .unwrap()
        .as_object()
        .unwrap()
        .clone()
}

#[test]
fn gateway_set_changes_one_field_and_keeps_every_other_byte_for_byte() {
    let w = set_up_existing();
    // Settings aigate never writes, some of them unusual, must survive the PUT untouched.
    for (k, v) in [
        ("retry_delay", json!(1250)),
        ("retry_backoff", json!("exponential")),
        ("log_management", json!(250000)),
        ("log_management_strategy", json!("DELETE_OLDEST")),
        (
            "otel",
            json!([{"url": "https://otel.example/v1/traces", "headers": {"x-team": "a"}}]),
        ),
        (
            "guardrails",
            json!({"prompt": {"P1": "FLAG"}, "response": {"S2": "BLOCK"}}),
        ),
        (
            "dlp",
            json!({"enabled": true, "action": "FLAG", "profiles": ["p-1"]}),
        ),
        (
            "spend_limits",
            json!({"enabled": true, "rules": [{"id": "team", "limitType": "cost",
            "limit": 12.345, "window": 604800, "technique": "fixed",
            "model": {"mode": "filter", "values": ["gpt-5"]}}]}),
        ),
        ("rate_limiting_technique", json!("sliding")),
    ] {
        w.emu.set_gateway_field(ACCOUNT, "existing-gw", k, v);
    }
    let before = gateway_json(&w);
    w.emu.clear_requests();
    let out = w.run(
        w.aigate()
            .args(["--json", "gateway", "set", "--cache-ttl", "300", "--yes"]),
    );
    out.assert_code(0);
    let doc = out.json();
    assert_schema("gateway", &doc);
    assert_eq!(doc["applied"], true);
    assert_eq!(doc["changes"].as_array().unwrap().len(), 1, "{doc}");
    assert_eq!(doc["changes"][0]["setting"], "Cache TTL");
    let after = gateway_json(&w);
    assert_eq!(after["cache_ttl"], 300);
    for (k, v) in &before {
        if k == "cache_ttl" || k == "modified_at" {
            continue;
        }
        assert_eq!(
            after.get(k).map(Value::to_string),
            Some(v.to_string()),
            "{k} changed"
        );
    }
    assert_eq!(after.len(), before.len());
    let puts: Vec<_> = w
        .emu
        .requests()
        .into_iter()
        .filter(|r| r.method == "PUT")
        .collect();
    assert_eq!(puts.len(), 1, "one PUT");
    // The PUT body itself carried every field as read (minus the read-only ones).
    let body: Value = serde_json::from_str(&puts[0].body).unwrap();
    assert_eq!(body["otel"], before["otel"]);
    assert_eq!(body["spend_limits"], before["spend_limits"]);
    assert!(body.get("id").is_none() && body.get("created_at").is_none());

    // `aigate gateway` shows the settings, the team's spend rule included.
    let out = w.run(w.aigate().args(["--json", "gateway"]));
    out.assert_code(0);
    let doc = out.json();
    assert_schema("gateway", &doc);
    assert_eq!(doc["gateway"]["cache_ttl"], 300);
    assert_eq!(doc["gateway"]["spend_limits"][0]["limit"], 12.345);
    let human = w.run(w.aigate().arg("gateway"));
    assert!(
        human.stdout.contains("$12.35 per 7d (model gpt-5)"),
        "{}",
        human.stdout
    );

    // Asking for what is already there changes nothing and sends no PUT.
    w.emu.clear_requests();
    let out = w.run(
        w.aigate()
            .args(["--json", "gateway", "set", "--cache-ttl", "300", "--yes"]),
    );
    assert_eq!(out.json()["applied"], false);
    assert!(w.emu.requests().iter().all(|r| r.method != "PUT"));
}

#[test]
fn gateway_set_refuses_before_any_request() {
    let w = set_up_existing();
    w.emu.clear_requests();
    // No terminal and no --yes: exit 2 naming --yes.
    let out = w.run(w.aigate().args(["gateway", "set", "--zdr", "on"]));
    out.assert_code(2).assert_stderr_contains("--yes");
    // Values out of the contract's ranges, and conflicting flags.
    for bad in [
        &["--retries", "9"][..],
        &["--rate-limit", "100"],
        &["--rate-limit", "0/60"],
        &["--spend-limit=-5/1d"],
        &["--spend-limit", "5/1y"],
        &["--zdr", "maybe"],
        &["--cache-ttl=-1"],
        &["--spend-limit", "5/1d", "--no-spend-limit"],
    ] {
        let out = w.run(w.aigate().args(["gateway", "set", "--yes"]).args(bad));
        out.assert_code(2);
        let flag = bad[0].split('=').next().unwrap();
        assert!(out.stderr.contains(flag), "{bad:?}: {}", out.stderr);
    }
    let out = w.run(w.aigate().args(["gateway", "set", "--yes"]));
    out.assert_code(2).assert_stderr_contains("--cache-ttl");
    assert!(w.emu.requests().is_empty(), "{:?}", w.emu.requests());
}

#[test]
fn a_spend_limit_set_through_aigate_refuses_traffic_and_usage_says_why() {
    let w = set_up_existing();
    let out = w.run(w.aigate().args([
        "--json",
        "gateway",
        "set",
        "--spend-limit",
        "0.0005/1h",
        "--yes",
    ]));
    out.assert_code(0);
    let rule = &w.emu.gateway(ACCOUNT, "existing-gw").unwrap()["spend_limits"];
    assert_eq!(rule["enabled"], true);
    assert_eq!(rule["rules"][0]["limit"], 0.0005);
    assert_eq!(rule["rules"][0]["window"], 3600);
    // Each test prompt costs more than $0.0001: at most five pass, at least one.
    let mut refused = None;
    for i in 0..10 {
        let out = w.run(w.aigate().args(["test", "--model", "openai/gpt-5-mini"]));
        if out.code != 0 {
            refused = Some((i, out));
            break;
        }
    }
    let (i, out) = refused.expect("the spend limit never refused a request");
    assert!((1..=6).contains(&i), "refused after {i} requests");
    out.assert_stderr_contains("Spend limit exceeded")
        .assert_stderr_contains("--spend-limit");
    let logs = w.emu.logs(ACCOUNT, "existing-gw");
    assert_eq!(logs[0]["status_code"], 429);
    let doc = w
        .run(w.aigate().args(["--json", "usage", "--since", "1h"]))
        .json();
    assert_schema("usage", &doc);
    assert_eq!(doc["recent_errors"][0]["code"], 2045);
    assert!(
        doc["notes"].to_string().contains("spend limit was reached"),
        "{}",
        doc["notes"]
    );
    assert_eq!(doc["spend_limits"][0]["limit"], 0.0005);
    // `doctor` says it too.
    let out = w.run(w.aigate().args(["--json", "doctor"]));
    let doc = out.json();
    let check = doc["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "gateway.spend_limit")
        .unwrap_or_else(|| panic!("no spend limit check: {doc:#}"));
    assert_eq!(check["status"], "warn", "{check}");
    assert!(
        check["message"]
            .as_str()
            .unwrap()
            .contains("Spend limit exceeded")
    );
    assert!(check["fix"].as_str().unwrap().contains("--spend-limit"));
    // Removing it lets traffic through again.
    w.run(
        w.aigate()
            .args(["gateway", "set", "--no-spend-limit", "--yes"]),
    )
    .assert_code(0);
    w.run(w.aigate().args(["test", "--model", "openai/gpt-5-mini"]))
        .assert_code(0);
}

/// The account's Unified Billing spending limit (set in the dashboard) is shown beside the
/// gateway's own limits, read in the same round as the gateway; a token that cannot read it
/// still gets the gateway's settings, with the limit marked unknown.
#[test]
fn gateway_shows_the_accounts_spending_limit_read_together() {
    let w = set_up_existing();
    let off = w
        .run(w.aigate().args(["--json", "gateway"]))
        .assert_code(0)
        .json();
    assert_schema("gateway", &off);
    assert_eq!(off["account_spending_limit"], json!({"state": "off"}));

    w.emu
        .set_account_spending_limit(ACCOUNT, Some((25_000, "monthly", "fixed")));
    w.emu.clear_requests();
    let on = w
        .run(w.aigate().args(["--json", "gateway"]))
        .assert_code(0)
        .json();
    assert_schema("gateway", &on);
    assert_eq!(
        on["account_spending_limit"],
        json!({"state": "on", "amount_usd": 250.0, "duration": "monthly", "strategy": "fixed"})
    );
    let reads: Vec<String> = w.emu.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(reads.len(), 2, "{reads:?}");
    assert!(
        reads.iter().any(|p| p.ends_with("/billing/spending-limit")),
        "{reads:?}"
    );
    let human = w.run(w.aigate().arg("gateway"));
    human.assert_code(0);
    assert!(
        human.stdout.contains(
            "Account limit        $250 monthly (fixed), Unified Billing across the account"
        ),
        "{}",
        human.stdout
    );

    w.emu.inject(aigate::emulator::FaultRule {
        method: Some("GET".into()),
        path_contains: "/billing/spending-limit".into(),
        fault: aigate::emulator::Fault::Status {
            status: 403,
            retry_after: None,
        },
        times: 0,
    });
    let unknown = w
        .run(w.aigate().args(["--json", "gateway"]))
        .assert_code(0)
        .json();
    assert_schema("gateway", &unknown);
    assert_eq!(unknown["account_spending_limit"]["state"], "unknown");
    assert_eq!(unknown["gateway"]["gateway_id"], "existing-gw");
}
