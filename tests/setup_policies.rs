//! Setup's policies step against the emulator: `--spend-limit` sets exactly aigate's rule in
//! one PUT that leaves every other gateway field as it was; `--fallback-model` makes one
//! route (route, version, deployment), points OpenCode at `dynamic/<route>` and sends the test
//! prompt through it; a re-run sends no write; a changed fallback list makes a new version and
//! deployment only; a failing first model lands on the fallback; a model outside the catalog is
//! refused before any write; a spend limit refusal exits 1 naming the limit; aigate.toml's
//! `fallback_models` and `spend_limit` apply with only a token.

mod common;
use common::*;
use serde_json::{Value, json};

const GW: &str = "existing-gw";

fn args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec![
        "--json",
        "--account-id",
        ACCOUNT,
        "--gateway",
        GW,
        "--billing",
        "unified",
        "--model",
        "openai/gpt-5",
    ];
    a.extend_from_slice(extra);
    a
}

const POLICIES: &[&str] = &[
    "--spend-limit",
    "5/1d",
    "--fallback-model",
    "anthropic/claude-haiku-4.5",
    "--fallback-model",
    "xai/grok-4.3",
];

/// The requests that change the gateway (anything but a GET under `/ai-gateway/gateways`).
fn gateway_writes(w: &World) -> Vec<String> {
    w.emu
        .requests()
        .iter()
        .filter(|r| r.method != "GET" && r.path.contains("/ai-gateway/gateways"))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

fn without(v: &Value, keys: &[&str]) -> Value {
    let mut m = v.as_object().unwrap().clone();
    for k in keys {
        m.remove(*k);
    }
    Value::Object(m)
}

fn opencode_config(w: &World) -> Value {
    let text = std::fs::read_to_string(w.opencode_config()).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn spend_limit_and_fallbacks_set_the_rule_make_one_route_and_test_through_it() {
    let w = World::new();
    // Fields a user set in the dashboard that aigate must carry unchanged.
    w.emu
        .set_gateway_field(ACCOUNT, GW, "cache_ttl", json!(120));
    w.emu
        .set_gateway_field(ACCOUNT, GW, "retry_max_attempts", json!(3));
    let before = w.emu.gateway(ACCOUNT, GW).unwrap();

    let out = w.setup(TOKEN, &args(POLICIES));
    out.assert_code(0);
    let doc = out.json();
    assert_schema("setup", &doc);
    assert_eq!(doc["policies"]["spend_limit"]["display"], "$5 per 1d");
    assert_eq!(doc["policies"]["route"]["action"], "create");
    assert_eq!(
        doc["policies"]["route"]["call_as"],
        "dynamic/aigate-default"
    );

    // Exactly aigate's rule; every other field as it was.
    let after = w.emu.gateway(ACCOUNT, GW).unwrap();
    assert_eq!(
        without(&after, &["spend_limits", "modified_at"]),
        without(&before, &["spend_limits", "modified_at"])
    );
    assert_eq!(
        after["spend_limits"],
        json!({"enabled": true, "rules": [{"id": "aigate", "enabled": true, "limitType": "cost",
            "limit": 5.0, "window": 86400, "technique": "sliding"}]})
    );

    // One PUT of the gateway and one POST of the route (its create reply is the first version,
    // deployed: nothing is sent on top).
    let writes = gateway_writes(&w);
    let puts = writes.iter().filter(|r| r.starts_with("PUT ")).count();
    let posts: Vec<&str> = writes
        .iter()
        .filter(|r| r.starts_with("POST "))
        .map(|r| r.rsplit('/').next().unwrap())
        .collect();
    assert_eq!((puts, posts.clone()), (1, vec!["routes"]), "{writes:#?}");
    assert_eq!(w.emu.route_names(ACCOUNT, GW), ["aigate-default"]);
    let routes = w.run(w.aigate().args(["--json", "route", "list"])).json();
    let r = &routes["routes"][0];
    assert_eq!(
        r["models"],
        json!(["openai/gpt-5", "anthropic/claude-haiku-4.5", "xai/grok-4.3"])
    );
    assert!(r["version_id"].is_string() && r["deployment_id"].is_string());

    // OpenCode calls the route (declared, as it is not in OpenCode's catalog).
    let cfg = opencode_config(&w);
    assert_eq!(cfg["model"], "cloudflare-ai-gateway/dynamic/aigate-default");
    // The small model (titles) stays a plain catalog model.
    assert!(
        cfg["small_model"]
            .as_str()
            .unwrap()
            .starts_with("cloudflare-ai-gateway/openai/"),
        "{cfg:#}"
    );
    assert!(
        cfg["provider"]["cloudflare-ai-gateway"]["models"]["dynamic/aigate-default"].is_object()
    );

    // The test prompt went through the route, by OpenCode 1's REST route.
    assert_eq!(doc["test"]["ok"], true, "{doc:#}");
    assert_eq!(doc["test"]["model"], "dynamic/aigate-default");
    let logs = w.emu.logs(ACCOUNT, GW);
    assert_eq!(logs[0]["route"], "aigate-default", "{:#}", logs[0]);
    assert_eq!(logs[0]["model"], "gpt-5");
    let prompt = w
        .emu
        .requests()
        .into_iter()
        .rfind(|r| r.method == "POST" && r.path.contains("/ai/v1/chat/completions"))
        .expect("the test prompt took the REST route");
    assert!(prompt.body.contains("dynamic/aigate-default"));

    // The profile records the route.
    let state: Value =
        serde_json::from_str(&std::fs::read_to_string(w.state_file()).unwrap()).unwrap();
    assert_eq!(
        state["profiles"]["default"]["route"],
        json!({"name": "aigate-default",
            "models": ["openai/gpt-5", "anthropic/claude-haiku-4.5", "xai/grok-4.3"]})
    );

    // `status` and `doctor` show the route, and find OpenCode's config as set up.
    let st = w.run(w.aigate().args(["--json", "status"]));
    st.assert_code(0);
    let st = st.json();
    assert_schema("status", &st);
    assert_eq!(st["route"]["name"], "aigate-default");
    let model_check = st["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "opencode.config.model")
        .unwrap();
    assert_eq!(model_check["status"], "ok", "{model_check:#}");
    assert!(
        model_check["message"]
            .as_str()
            .unwrap()
            .contains("dynamic/aigate-default (fallback route: openai/gpt-5 → anthropic/claude-haiku-4.5 → xai/grok-4.3)"),
        "{model_check:#}"
    );
    let doc = w.run(w.aigate().args(["doctor"]));
    assert_eq!(doc.code, 0, "{}\n{}", doc.stdout, doc.stderr);
    assert!(
        doc.stdout.contains("fallback route: openai/gpt-5")
            || doc.stderr.contains("fallback route: openai/gpt-5"),
        "{}\n{}",
        doc.stdout,
        doc.stderr
    );

    // A re-run with the same answers changes nothing remote, and no file.
    let files = std::fs::read(w.opencode_config()).unwrap();
    w.emu.clear_requests();
    let again = w.setup(TOKEN, &args(POLICIES));
    again.assert_code(0);
    let doc = again.json();
    assert_eq!(doc["policies"]["route"]["action"], "unchanged");
    assert_eq!(doc["policies"]["spend_limit"]["unchanged"], true);
    assert_eq!(gateway_writes(&w), Vec::<String>::new());
    assert_eq!(std::fs::read(w.opencode_config()).unwrap(), files);

    // A changed fallback list: a new version and its deployment, no second route.
    w.emu.clear_requests();
    let changed = w.setup(
        TOKEN,
        &args(&["--fallback-model", "xai/grok-4.3", "--skip-test"]),
    );
    changed.assert_code(0);
    assert_eq!(changed.json()["policies"]["route"]["action"], "new-version");
    let posts: Vec<String> = gateway_writes(&w)
        .iter()
        .map(|r| r.rsplit('/').next().unwrap().to_string())
        .collect();
    assert_eq!(posts, ["versions", "deployments"]);
    assert_eq!(w.emu.route_names(ACCOUNT, GW), ["aigate-default"]);

    // The first model fails: `aigate test` (the route by default) lands on the fallback.
    w.emu.fail_model("openai/gpt-5", 503);
    let out = w.run(w.aigate().args(["--json", "test"]));
    out.assert_code(0);
    let t = out.json();
    assert_eq!(t["model"], "dynamic/aigate-default");
    assert!(t["reply"].as_str().unwrap().contains("grok-4.3"), "{t:#}");
    let logs = w.emu.logs(ACCOUNT, GW);
    assert_eq!(
        (logs[0]["model"].as_str(), logs[0]["status_code"].as_u64()),
        (Some("grok-4.3"), Some(200))
    );
    assert_eq!(
        (logs[1]["model"].as_str(), logs[1]["status_code"].as_u64()),
        (Some("gpt-5"), Some(503))
    );
    w.assert_no_leak(&[TOKEN]);
}

#[test]
fn an_unknown_fallback_model_is_refused_before_any_write() {
    let w = World::new();
    let before = w.emu.gateway(ACCOUNT, GW).unwrap();
    let out = w.setup(
        TOKEN,
        &args(&[
            "--spend-limit",
            "5/1d",
            "--fallback-model",
            "openai/no-such-model",
        ]),
    );
    out.assert_code(2).assert_stderr_contains(
        "--fallback-model openai/no-such-model is not in the gateway's model catalog",
    );
    assert_eq!(out.json()["error"]["kind"], "usage");
    assert_eq!(gateway_writes(&w), Vec::<String>::new());
    assert_eq!(w.emu.gateway(ACCOUNT, GW).unwrap(), before);
    assert!(!w.state_file().exists());
    assert!(!w.opencode_config().exists());

    // The default model itself, or one named twice, is refused the same way.
    w.setup(TOKEN, &args(&["--fallback-model", "openai/gpt-5"]))
        .assert_code(2)
        .assert_stderr_contains("is the default model itself");
    // A malformed value is clap's: exit 2 naming the flag, zero requests.
    w.emu.clear_requests();
    w.setup(TOKEN, &args(&["--fallback-model", "gpt-5"]))
        .assert_code(2)
        .assert_stderr_contains("--fallback-model");
    w.setup(TOKEN, &args(&["--spend-limit", "5/1y"]))
        .assert_code(2)
        .assert_stderr_contains("--spend-limit");
    assert!(w.emu.requests().is_empty());
}

#[test]
fn a_spend_limit_refusal_after_setup_exits_1_and_names_the_limit() {
    let w = World::new();
    w.setup(TOKEN, &args(&["--spend-limit", "0.0005/1h", "--skip-test"]))
        .assert_code(0);
    let mut refused = None;
    for _ in 0..10 {
        let out = w.run(w.aigate().args(["--json", "test"]));
        if out.code != 0 {
            refused = Some(out);
            break;
        }
    }
    let out = refused.expect("the spend limit never refused a request");
    out.assert_code(1);
    let doc = out.json();
    assert_schema("error", &doc);
    assert_eq!(doc["error"]["kind"], "limit");
    assert_eq!(doc["error"]["exit_code"], 1);
    let msg = doc["error"]["message"].as_str().unwrap();
    assert!(
        msg.starts_with("the gateway's spend limit `aigate` ($0.0005 per 1h) refused the request"),
        "{msg}"
    );
    assert!(
        doc["error"]["hint"]
            .as_str()
            .unwrap()
            .contains("--spend-limit")
    );
    // Human output says the same on stderr, with the hint.
    let human = w.run(w.aigate().args(["test"]));
    human
        .assert_code(1)
        .assert_stderr_contains("spend limit `aigate` ($0.0005 per 1h)")
        .assert_stderr_contains("aigate gateway set --spend-limit");
}

#[test]
fn the_team_file_gives_fallbacks_and_a_spend_limit_with_only_a_token() {
    let w = World::new();
    std::fs::create_dir_all(w.workdir().join(".git")).unwrap();
    std::fs::write(
        w.workdir().join("aigate.toml"),
        format!(
            "account_id = \"{ACCOUNT}\"\ngateway_id = \"{GW}\"\nbilling = \"unified\"\n\
             model = \"openai/gpt-5\"\nfallback_models = [\"anthropic/claude-haiku-4.5\"]\n\
             spend_limit = \"50/30d\"\nclients = [\"opencode\"]\n"
        ),
    )
    .unwrap();
    let out = w.setup(TOKEN, &["--json"]);
    out.assert_code(0);
    let doc = out.json();
    assert_eq!(doc["policies"]["spend_limit"]["display"], "$50 per 30d");
    assert_eq!(
        doc["policies"]["route"]["models"],
        json!(["openai/gpt-5", "anthropic/claude-haiku-4.5"])
    );
    let rules = &w.emu.gateway(ACCOUNT, GW).unwrap()["spend_limits"]["rules"];
    assert_eq!(
        (rules[0]["limit"].as_f64(), rules[0]["window"].as_u64()),
        (Some(50.0), Some(2_592_000))
    );
    assert_eq!(w.emu.route_names(ACCOUNT, GW), ["aigate-default"]);
    assert_eq!(
        opencode_config(&w)["model"],
        "cloudflare-ai-gateway/dynamic/aigate-default"
    );

    // A flag wins over the file, and setup says so.
    let out = w.setup(TOKEN, &["--spend-limit", "7/1d", "--skip-test"]);
    out.assert_code(0)
        .assert_stderr_contains("--spend-limit given on the command line win over");
    let rules = &w.emu.gateway(ACCOUNT, GW).unwrap()["spend_limits"]["rules"];
    assert_eq!(rules[0]["limit"].as_f64(), Some(7.0));
}

#[test]
fn dry_run_shows_the_policies_and_who_calls_the_route() {
    let w = World::new();
    let out = w.setup(
        TOKEN,
        &args(&[
            "--dry-run",
            "--client",
            "opencode",
            "--client",
            "claude-code",
            "--client",
            "codex",
            "--spend-limit",
            "5/1d",
            "--fallback-model",
            "anthropic/claude-haiku-4.5",
        ]),
    );
    out.assert_code(0);
    let doc = out.json();
    assert_schema("setup", &doc);
    let changes: Vec<&str> = doc["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    let text = changes.join("\n");
    assert!(text.contains("spend limit      $5 per 1d"), "{text}");
    assert!(
        text.contains("fallback route   dynamic/aigate-default → openai/gpt-5 → anthropic/claude-haiku-4.5 (create"),
        "{text}"
    );
    assert!(
        text.contains("OpenCode       calls dynamic/aigate-default"),
        "{text}"
    );
    assert!(text.contains("Claude Code    keeps anthropic/"), "{text}");
    assert!(text.contains("Codex          keeps openai/gpt-5"), "{text}");
    assert_eq!(gateway_writes(&w), Vec::<String>::new());
    assert!(w.emu.route_names(ACCOUNT, GW).is_empty());
}

#[test]
fn a_failure_part_way_says_what_was_done_and_a_re_run_finishes() {
    use aigate::emulator::{Fault, FaultRule};
    let w = World::new();
    // Cloudflare refuses the route (a certain failure: nothing made), after the spend limit
    // went through: the error says both, and nothing is written on this machine.
    w.emu.inject(FaultRule {
        method: Some("POST".into()),
        ..FaultRule::new(
            "/routes",
            Fault::Status {
                status: 400,
                retry_after: None,
            },
        )
    });
    let out = w.setup(TOKEN, &args(POLICIES));
    out.assert_code(1);
    let msg = out.json()["error"]["message"].as_str().unwrap().to_string();
    assert!(
        msg.starts_with(
            "could not make route aigate-default; the spend limit $5 per 1d was set; \
             nothing was stored or written on this machine"
        ),
        "{msg}"
    );
    assert_eq!(
        w.emu.gateway(ACCOUNT, GW).unwrap()["spend_limits"]["rules"][0]["id"],
        "aigate"
    );
    assert!(w.emu.route_names(ACCOUNT, GW).is_empty());
    assert!(!w.state_file().exists());
    assert!(!w.opencode_config().exists());
    assert_eq!(w.keychain_lookup("default"), None);

    // The same setup again: the limit is already there, the route is made.
    w.emu.clear_faults();
    w.emu.clear_requests();
    let out = w.setup(TOKEN, &args(POLICIES));
    out.assert_code(0);
    let doc = out.json();
    assert_eq!(doc["policies"]["spend_limit"]["unchanged"], true);
    assert_eq!(doc["policies"]["route"]["action"], "create");
    assert!(
        !gateway_writes(&w).iter().any(|r| r.starts_with("PUT ")),
        "the spend limit was sent again"
    );
    assert_eq!(w.emu.route_names(ACCOUNT, GW), ["aigate-default"]);
}

#[test]
fn opencode_2_calls_the_route_through_its_compat_step() {
    let w = World::new();
    let mut cmd = w.aigate();
    cmd.env("AIGATE_OPENCODE_VERSION", "2")
        .arg("setup")
        .args(["--non-interactive", "--token-stdin"])
        .args(args(&["--fallback-model", "anthropic/claude-haiku-4.5"]))
        .write_stdin(TOKEN);
    let out = w.run(&mut cmd);
    out.assert_code(0);
    let doc = out.json();
    assert_eq!(doc["test"]["ok"], true, "{doc:#}");
    assert_eq!(doc["test"]["model"], "dynamic/aigate-default");
    // OpenCode 2's request shape: the Universal endpoint, one compat chat/completions step.
    let prompt = w
        .emu
        .requests()
        .into_iter()
        .rfind(|r| r.method == "POST" && r.path.ends_with(&format!("/{ACCOUNT}/{GW}")))
        .expect("the test prompt took the Universal endpoint");
    let steps: Value = serde_json::from_str(&prompt.body).unwrap();
    let step = if steps.is_array() { &steps[0] } else { &steps };
    assert_eq!(
        (step["provider"].as_str(), step["endpoint"].as_str()),
        (Some("compat"), Some("chat/completions"))
    );
    assert_eq!(step["query"]["model"], "dynamic/aigate-default");
    assert_eq!(w.emu.logs(ACCOUNT, GW)[0]["route"], "aigate-default");
    assert_eq!(
        opencode_config(&w)["model"],
        "cloudflare-ai-gateway/dynamic/aigate-default"
    );
}

#[test]
fn a_gateway_with_null_fields_keeps_them_when_the_spend_limit_is_set() {
    let w = World::new();
    // `null`s the typed gateway would drop: setup reads the raw object before its PUT.
    w.emu
        .set_gateway_field(ACCOUNT, GW, "rate_limiting_technique", Value::Null);
    w.emu
        .set_gateway_field(ACCOUNT, GW, "retry_backoff", json!("linear"));
    let before = w.emu.gateway(ACCOUNT, GW).unwrap();
    w.setup(TOKEN, &args(&["--spend-limit", "12.5/7d", "--skip-test"]))
        .assert_code(0);
    let after = w.emu.gateway(ACCOUNT, GW).unwrap();
    assert_eq!(
        without(&after, &["spend_limits", "modified_at"]),
        without(&before, &["spend_limits", "modified_at"])
    );
    assert_eq!(after["rate_limiting_technique"], Value::Null);
    assert_eq!(after["spend_limits"]["rules"][0]["limit"], 12.5);
    assert_eq!(after["spend_limits"]["rules"][0]["window"], 604_800);
}

#[test]
fn turning_authentication_on_keeps_a_null_field_null() {
    // Found with the spend limit's test above: the typed gateway dropped a `null`
    // `rate_limiting_technique` from the PUT and Cloudflare (the emulator) filled in "fixed".
    let w = World::new();
    w.emu.add_gateway(ACCOUNT, "open-gw", false);
    w.emu
        .set_gateway_field(ACCOUNT, "open-gw", "rate_limiting_technique", Value::Null);
    let before = w.emu.gateway(ACCOUNT, "open-gw").unwrap();
    w.setup(
        TOKEN,
        &[
            "--account-id",
            ACCOUNT,
            "--gateway",
            "open-gw",
            "--enable-authentication",
            "--billing",
            "unified",
            "--skip-test",
            "--spend-limit",
            "3/1d",
        ],
    )
    .assert_code(0);
    let after = w.emu.gateway(ACCOUNT, "open-gw").unwrap();
    assert_eq!(after["authentication"], true);
    assert_eq!(after["rate_limiting_technique"], Value::Null);
    assert_eq!(
        without(&after, &["authentication", "spend_limits", "modified_at"]),
        without(&before, &["authentication", "spend_limits", "modified_at"])
    );
    assert_eq!(after["spend_limits"]["rules"][0]["limit"], 3.0);
    // The raw object read once, then one PUT with both changes.
    let puts: Vec<String> = gateway_writes(&w)
        .into_iter()
        .filter(|r| r.starts_with("PUT "))
        .collect();
    assert_eq!(puts.len(), 1, "{puts:#?}");
}

#[test]
fn authentication_and_a_spend_limit_go_out_in_one_put() {
    // Setup turned authentication on with one PUT and set the spend limit with a second,
    // built from the first one's reply: an extra round, and a window for stale fields.
    let w = World::new();
    w.emu.add_gateway(ACCOUNT, "open-gw", false);
    // Fields a user set in the dashboard that aigate must carry unchanged.
    w.emu
        .set_gateway_field(ACCOUNT, "open-gw", "cache_ttl", json!(300));
    w.emu
        .set_gateway_field(ACCOUNT, "open-gw", "retry_max_attempts", json!(4));
    w.emu
        .set_gateway_field(ACCOUNT, "open-gw", "collect_logs", json!(false));
    let before = w.emu.gateway(ACCOUNT, "open-gw").unwrap();
    assert_eq!(before["authentication"], false);
    w.emu.clear_requests();
    let out = w.setup(
        TOKEN,
        &[
            "--account-id",
            ACCOUNT,
            "--gateway",
            "open-gw",
            "--enable-authentication",
            "--billing",
            "unified",
            "--skip-test",
            "--spend-limit",
            "4/1d",
        ],
    );
    out.assert_code(0)
        .assert_stderr_contains("Turned authentication on for 'open-gw'")
        .assert_stderr_contains("Spend limit $4 per 1d set on 'open-gw'");
    let puts: Vec<String> = gateway_writes(&w)
        .into_iter()
        .filter(|r| r.starts_with("PUT "))
        .collect();
    assert_eq!(
        puts,
        [format!(
            "PUT /client/v4/accounts/{ACCOUNT}/ai-gateway/gateways/open-gw"
        )],
        "{:#?}",
        gateway_writes(&w)
    );
    let after = w.emu.gateway(ACCOUNT, "open-gw").unwrap();
    assert_eq!(after["authentication"], true);
    assert_eq!(
        after["spend_limits"],
        json!({"enabled": true, "rules": [{"id": "aigate", "enabled": true, "limitType": "cost",
            "limit": 4.0, "window": 86400, "technique": "sliding"}]})
    );
    assert_eq!(
        without(&after, &["authentication", "spend_limits", "modified_at"]),
        without(&before, &["authentication", "spend_limits", "modified_at"])
    );
}
