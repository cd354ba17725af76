//! `aigate route create|list|delete` against the emulator: the element graph, the route, its
//! version and deployment, models checked against the catalog before any write, and a route whose
//! first model fails (an emulator fault) answering from its fallback, as the log shows.

mod common;
use common::*;

#[test]
fn a_route_falls_back_when_its_first_model_fails_and_the_log_shows_it() {
    let w = set_up_existing();
    let out = w.run(w.aigate().args([
        "--json",
        "route",
        "create",
        "coding",
        "--model",
        "openai/gpt-5",
        "--fallback",
        "anthropic/claude-haiku-4.5",
        "--fallback",
        "xai/grok-4.3",
        "--yes",
    ]));
    out.assert_code(0);
    let doc = out.json();
    assert_schema("route", &doc);
    let r = &doc["routes"][0];
    assert_eq!(r["call_as"], "dynamic/coding");
    assert_eq!(
        r["models"],
        serde_json::json!(["openai/gpt-5", "anthropic/claude-haiku-4.5", "xai/grok-4.3"])
    );
    // One POST: the route's create reply is its first version, already deployed (the
    // contract requires both in it), so no version or deployment is sent on top.
    let posts: Vec<String> = w
        .emu
        .requests()
        .iter()
        .filter(|r| r.method == "POST")
        .map(|r| r.path.rsplit('/').next().unwrap().to_string())
        .collect();
    assert_eq!(posts, ["routes"]);
    assert!(r["version_id"].is_string() && r["deployment_id"].is_string());

    // The first model's provider fails: the request is answered by the first fallback.
    w.emu.fail_model("openai/gpt-5", 503);
    let out = w.run(
        w.aigate()
            .args(["--json", "test", "--model", "dynamic/coding"]),
    );
    out.assert_code(0);
    assert!(
        out.json()["reply"]
            .as_str()
            .unwrap()
            .contains("claude-haiku-4.5"),
        "{}",
        out.stdout
    );
    let logs = w.emu.logs(ACCOUNT, "existing-gw");
    let (ok, failed) = (&logs[0], &logs[1]);
    assert_eq!(
        (failed["model"].as_str(), failed["status_code"].as_u64()),
        (Some("gpt-5"), Some(503))
    );
    assert_eq!(
        (ok["model"].as_str(), ok["status_code"].as_u64()),
        (Some("claude-haiku-4.5"), Some(200))
    );
    assert_eq!(
        (failed["route"].as_str(), ok["route"].as_str()),
        (Some("coding"), Some("coding"))
    );
    // `usage` sees both attempts.
    let u = w
        .run(w.aigate().args(["--json", "usage", "--since", "1h"]))
        .json();
    assert_eq!(u["total"]["requests"], 2);
    assert_eq!(u["errors_by_status"][0]["status"], 503);

    // Healthy again: the first model answers.
    w.emu.heal_model("openai/gpt-5");
    let out = w.run(
        w.aigate()
            .args(["--json", "test", "--model", "dynamic/coding"]),
    );
    assert!(out.json()["reply"].as_str().unwrap().contains("gpt-5"));

    // List and delete.
    let doc = w.run(w.aigate().args(["--json", "route", "list"])).json();
    assert_schema("route", &doc);
    assert_eq!(doc["routes"].as_array().unwrap().len(), 1);
    let human = w.run(w.aigate().args(["route", "list"]));
    let line = human.stdout.lines().next().unwrap_or_default();
    assert!(line.starts_with("dynamic/coding "), "{}", human.stdout);
    assert!(
        line.ends_with("openai/gpt-5 → anthropic/claude-haiku-4.5 → xai/grok-4.3"),
        "{}",
        human.stdout
    );
    w.run(w.aigate().args(["route", "delete", "coding"]))
        .assert_code(2)
        .assert_stderr_contains("--yes");
    let doc = w
        .run(
            w.aigate()
                .args(["--json", "route", "delete", "coding", "--yes"]),
        )
        .json();
    assert_schema("route", &doc);
    assert!(w.emu.route_names(ACCOUNT, "existing-gw").is_empty());
    w.run(w.aigate().args(["route", "delete", "coding", "--yes"]))
        .assert_code(1)
        .assert_stderr_contains("no route named coding");
}

#[test]
fn route_create_checks_everything_before_writing() {
    let w = set_up_existing();
    w.emu.clear_requests();
    // Flag values: clap refuses them, no request.
    for bad in [
        &[
            "bad name",
            "--model",
            "openai/gpt-5",
            "--fallback",
            "xai/grok-4.3",
        ][..],
        &["r", "--model", "gpt-5", "--fallback", "xai/grok-4.3"],
        &["r", "--model", "openai/gpt-5"],
    ] {
        let out = w.run(w.aigate().args(["route", "create", "--yes"]).args(bad));
        out.assert_code(2);
    }
    // No terminal, no --yes.
    w.run(w.aigate().args([
        "route",
        "create",
        "r",
        "--model",
        "openai/gpt-5",
        "--fallback",
        "xai/grok-4.3",
    ]))
    .assert_code(2)
    .assert_stderr_contains("--yes");
    assert!(w.emu.requests().is_empty());
    // A model the gateway's catalog does not have: refused before any write.
    let out = w.run(w.aigate().args([
        "route",
        "create",
        "r",
        "--model",
        "openai/gpt-5",
        "--fallback",
        "openai/gpt-9-imaginary",
        "--yes",
    ]));
    out.assert_code(2)
        .assert_stderr_contains("openai/gpt-9-imaginary");
    assert!(w.emu.requests().iter().all(|r| r.method == "GET"));
    assert!(w.emu.route_names(ACCOUNT, "existing-gw").is_empty());
}
