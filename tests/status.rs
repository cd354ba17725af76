//! `status` and `doctor` as lists of typed checks, against the emulator and the real Secret
//! Service: each rule of OpenCode's config, the token's checks, Cloudflare out of reach (exit 4),
//! and `-q`.

mod common;
use aigate::emulator::{Fault, FaultRule};
use common::*;
use serde_json::Value;

fn check<'a>(j: &'a Value, id: &str) -> &'a Value {
    j["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no check {id} in {j:#}"))
}

fn status_json(w: &World) -> (Output, Value) {
    let out = w.run(w.aigate().args(["status", "--json"]));
    let j = out.json();
    (out, j)
}

/// Edit the OpenCode config aigate wrote as JSON.
fn edit_config(w: &World, f: impl FnOnce(&mut serde_json::Map<String, Value>)) {
    let path = w.opencode_config();
    let mut v: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    f(v.as_object_mut().unwrap());
    std::fs::write(&path, serde_json::to_string_pretty(&v).unwrap()).unwrap();
}

#[test]
fn a_fresh_setup_passes_every_check() {
    let w = set_up_existing();
    let (out, j) = status_json(&w);
    out.assert_code(0);
    assert_ne!(j["overall"], "fail", "{j:#}");
    for id in [
        "token.store",
        "token.valid",
        "token.expiry",
        "opencode.config",
        "opencode.config.provider",
        "opencode.config.model",
        "opencode.config.leak",
        "opencode.config.drift",
    ] {
        assert_eq!(check(&j, id)["status"], "ok", "{id}: {j:#}");
    }
    w.assert_no_leak(&[TOKEN]);
}

#[test]
fn a_disabled_provider_fails() {
    let w = set_up_existing();
    edit_config(&w, |m| {
        m.insert(
            "disabled_providers".into(),
            serde_json::json!(["cloudflare-ai-gateway"]),
        );
    });
    let (out, j) = status_json(&w);
    out.assert_code(1);
    let c = check(&j, "opencode.config.provider");
    assert_eq!(c["status"], "fail");
    assert!(
        c["message"]
            .as_str()
            .unwrap()
            .contains("disabled_providers")
    );
    assert_eq!(c["fix"], "aigate setup");
    // The human form says it too, with the fix, even with -q.
    let out = w.run(w.aigate().args(["-q", "status"]));
    out.assert_code(1)
        .assert_stderr_contains("turned off")
        .assert_stderr_contains("run `aigate setup`");
}

#[test]
fn enabled_providers_without_the_gateway_fails() {
    let w = set_up_existing();
    edit_config(&w, |m| {
        m.insert("enabled_providers".into(), serde_json::json!(["anthropic"]));
    });
    let (out, j) = status_json(&w);
    out.assert_code(1);
    assert_eq!(check(&j, "opencode.config.provider")["status"], "fail");
}

#[test]
fn a_jsonc_syntax_error_is_named_with_line_and_column() {
    let w = set_up_existing();
    std::fs::write(
        w.opencode_config(),
        "{\n  // a comment\n  \"model\": \"cloudflare-ai-gateway/openai/gpt-5-mini\"\n  \"small_model\": 1,\n}\n",
    )
    .unwrap();
    let (out, j) = status_json(&w);
    out.assert_code(1);
    let c = check(&j, "opencode.config");
    assert_eq!(c["status"], "fail");
    let msg = c["message"].as_str().unwrap();
    assert!(msg.contains("line 3, column 53"), "{msg}");
    assert!(!msg.contains("sets no model"), "{msg}");
    // Nothing else is claimed about a file that could not be read.
    assert!(
        j["checks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["id"] != "opencode.config.model")
    );
}

#[test]
fn leak_trap_keys_and_drift_are_reported() {
    let w = set_up_existing();
    edit_config(&w, |m| {
        m.insert(
            "provider".into(),
            serde_json::json!({"cloudflare-ai-gateway": {"options": {"baseURL": "https://example.invalid"}}}),
        );
        m.insert("small_model".into(), "anthropic/claude-haiku".into());
    });
    let (out, j) = status_json(&w);
    out.assert_code(1);
    let leak = check(&j, "opencode.config.leak");
    assert_eq!(leak["status"], "fail");
    assert!(
        leak["message"]
            .as_str()
            .unwrap()
            .contains("options.baseURL")
    );
    let drift = check(&j, "opencode.config.drift");
    assert_eq!(drift["status"], "warn");
    assert!(drift["message"].as_str().unwrap().contains("small_model"));
}

#[test]
fn the_env_override_is_a_warning_not_a_failure() {
    let w = set_up_existing();
    let out = w.run(
        w.aigate()
            .args(["status", "--json"])
            .env("CLOUDFLARE_API_TOKEN", TOKEN2),
    );
    out.assert_code(0);
    let j = out.json();
    assert_eq!(check(&j, "token.env_override")["status"], "warn");
    assert_eq!(j["overall"], "warn");
    assert!(j["problems"].as_array().unwrap().is_empty());
    w.assert_no_leak(&[TOKEN, TOKEN2]);
}

#[test]
fn cloudflare_unreachable_is_exit_4_and_says_try_again() {
    let w = set_up_existing();
    w.emu.inject(FaultRule::new(
        "/tokens/verify",
        Fault::Status {
            status: 503,
            retry_after: None,
        },
    ));
    let (out, j) = status_json(&w);
    out.assert_code(4);
    assert_eq!(j["token_status"], "unverified");
    let c = check(&j, "token.valid");
    assert_eq!(c["status"], "fail");
    assert!(
        c["message"]
            .as_str()
            .unwrap()
            .contains("Cloudflare unreachable, try again"),
        "{c}"
    );
    assert!(!c["fix"].as_str().unwrap().contains("rotate"), "{c}");
}

#[test]
fn an_auth_json_holding_another_token_fails() {
    let w = World::new();
    let mut args = EXISTING_UNIFIED.to_vec();
    args.extend(["--token-delivery", "opencode-auth"]);
    w.setup(TOKEN, &args).assert_code(0);
    let (out, j) = status_json(&w);
    out.assert_code(0);
    assert_eq!(check(&j, "opencode.auth")["status"], "ok");
    assert_eq!(j["auth_json"]["matches"], true);
    let path = w.auth_json();
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace(TOKEN, TOKEN2);
    std::fs::write(&path, text).unwrap();
    let (out, j) = status_json(&w);
    out.assert_code(1);
    assert_eq!(check(&j, "opencode.auth")["status"], "fail");
    assert_eq!(j["auth_json"]["matches"], false);
}

#[test]
fn doctor_adds_the_clients_and_works_without_a_profile() {
    let w = World::new();
    let out = w.run(w.aigate().args(["doctor", "--json"]));
    out.assert_code(1);
    let j = out.json();
    assert_eq!(j["profile_exists"], false);
    assert_eq!(check(&j, "profile")["fix"], "aigate setup");
    assert!(check(&j, "client.opencode.version")["status"] != "fail");

    w.setup(TOKEN, EXISTING_UNIFIED).assert_code(0);
    let out = w.run(w.aigate().args(["doctor", "--json"]));
    out.assert_code(0);
    let j = out.json();
    assert_eq!(check(&j, "token.valid")["status"], "ok");
    assert!(check(&j, "client.opencode.version")["status"] != "fail");
}

#[test]
fn quiet_silences_notes_but_not_results_or_errors() {
    let w = set_up_existing();
    let loud = w.run(w.aigate().arg("doctor"));
    let quiet = w.run(w.aigate().args(["-q", "doctor"]));
    loud.assert_code(0);
    quiet.assert_code(0);
    assert!(loud.stderr.contains("ok,"), "{}", loud.stderr);
    assert_eq!(quiet.stderr, "", "-q printed notes");
    assert!(quiet.stdout.contains("token.valid"), "{}", quiet.stdout);
    assert_eq!(loud.stdout, quiet.stdout);
}
