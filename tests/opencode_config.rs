//! Writing aigate's keys into OpenCode's config: fresh files, realistic JSONC files (comments,
//! trailing commas, other providers kept byte for byte), leak-key removal, parse errors,
//! idempotence, billing-mode transitions, schema validity, and the path rules.

use aigate::files::Transaction;
use aigate::opencode::{
    self, BillingMode, ConfigError, ConfigInputs, Env, MergeOutcome, PROVIDER_ID,
};
use serde_json::{Value, json};
use std::fs;
use std::path::{Path, PathBuf};

const TOKEN: &str = "cfut_SECRETtoken0123456789abcdefSECRET";

fn catalog() -> Vec<String> {
    [
        "anthropic/claude-sonnet-4.5",
        "anthropic/claude-haiku-4.5",
        "openai/gpt-5-mini",
        "openai/gpt-5-nano",
        "google/gemini-3-pro",
        "xai/grok-4.3",
        "deepseek/deepseek-v4-pro",
    ]
    .map(String::from)
    .to_vec()
}

fn unified() -> ConfigInputs {
    ConfigInputs {
        model: "anthropic/claude-sonnet-4.5".into(),
        small_model: "anthropic/claude-haiku-4.5".into(),
        billing: BillingMode::Unified,
        available_models: catalog(),
        route: None,
    }
}

fn byok() -> ConfigInputs {
    ConfigInputs {
        model: "openai/gpt-5-mini".into(),
        small_model: "openai/gpt-5-nano".into(),
        billing: BillingMode::Byok {
            providers: vec!["openai".into(), "anthropic".into()],
        },
        available_models: catalog(),
        route: None,
    }
}

fn merge(existing: Option<&str>, inputs: &ConfigInputs) -> MergeOutcome {
    let fragment = opencode::render_fragment(inputs).unwrap();
    let out = opencode::merge(existing, &fragment).unwrap();
    assert_valid(&out.text);
    out
}

/// The text parses as JSONC, validates against OpenCode 1.18.33's config schema, holds no
/// secret, and never declares a leaking key for the gateway provider.
fn assert_valid(text: &str) {
    let value = parsed(text);
    let schema_path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/contracts/opencode-config.schema.json"
    );
    let schema: Value = serde_json::from_str(&fs::read_to_string(schema_path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&value)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "schema errors {errors:?} in\n{text}");
    assert!(
        !text.contains(TOKEN) && !text.contains("SECRET"),
        "secret in\n{text}"
    );
    if let Some(cfg) = value.pointer(&format!("/provider/{PROVIDER_ID}")) {
        assert!(cfg.get("api").is_none(), "{text}");
        for k in ["apiKey", "apiToken", "baseURL", "accountId", "gatewayId"] {
            assert!(
                cfg.get("options").and_then(|o| o.get(k)).is_none(),
                "{k} in\n{text}"
            );
        }
    }
}

fn parsed(text: &str) -> Value {
    jsonc_parser::parse_to_serde_value(text, &Default::default()).unwrap()
}

#[test]
fn no_file_gives_a_fresh_indented_document() {
    let out = merge(None, &unified());
    assert_eq!(
        out.text,
        r#"{
  "$schema": "https://opencode.ai/config.json",
  "model": "cloudflare-ai-gateway/anthropic/claude-sonnet-4.5",
  "small_model": "cloudflare-ai-gateway/anthropic/claude-haiku-4.5"
}
"#
    );
    assert!(out.removed.is_empty());
    // a blank file is treated the same way
    assert_eq!(merge(Some("  \n"), &unified()).text, out.text);
}

#[test]
fn empty_object_gets_our_keys() {
    let out = merge(Some("{}"), &byok());
    let v = parsed(&out.text);
    assert_eq!(v["$schema"], "https://opencode.ai/config.json");
    assert_eq!(v["model"], "cloudflare-ai-gateway/openai/gpt-5-mini");
    assert_eq!(v["small_model"], "cloudflare-ai-gateway/openai/gpt-5-nano");
    assert_eq!(
        v["provider"][PROVIDER_ID]["whitelist"],
        json!([
            "anthropic/claude-haiku-4.5",
            "anthropic/claude-sonnet-4.5",
            "openai/gpt-5-mini",
            "openai/gpt-5-nano"
        ])
    );
    assert_eq!(v.as_object().unwrap().len(), 4);
}

const USER_FILE: &str = r#"// Global OpenCode settings, hand-edited.
{
  "$schema": "https://opencode.ai/config.json",
  /* I share nothing */
  "share": "disabled",
  "autoupdate": false, // updates by hand
  "provider": {
    "anthropic": {
      "options": {
        "timeout": 600000, // ten minutes
        "headers": { "anthropic-beta": "context-1m-2025-08-07" },
      },
    },
  },
  "mcp": {
    "docs": { "type": "remote", "url": "https://mcp.example.com/docs", "enabled": true, },
    "local": { "type": "local", "command": ["npx", "-y", "some-mcp"], },
  },
  "enabled_providers": ["anthropic", "openai",],
  "model": "anthropic/claude-sonnet-4-5", // old default
}
"#;

#[test]
fn realistic_jsonc_keeps_everything_but_our_keys() {
    let out = merge(Some(USER_FILE), &unified());
    let expected = r#"// Global OpenCode settings, hand-edited.
{
  "$schema": "https://opencode.ai/config.json",
  /* I share nothing */
  "share": "disabled",
  "autoupdate": false, // updates by hand
  "provider": {
    "anthropic": {
      "options": {
        "timeout": 600000, // ten minutes
        "headers": { "anthropic-beta": "context-1m-2025-08-07" },
      },
    },
  },
  "mcp": {
    "docs": { "type": "remote", "url": "https://mcp.example.com/docs", "enabled": true, },
    "local": { "type": "local", "command": ["npx", "-y", "some-mcp"], },
  },
  "enabled_providers": ["anthropic", "openai", "cloudflare-ai-gateway"],
  "model": "cloudflare-ai-gateway/anthropic/claude-sonnet-4.5", // old default
  "small_model": "cloudflare-ai-gateway/anthropic/claude-haiku-4.5",
}
"#;
    assert_eq!(out.text, expected);
    assert!(out.removed.is_empty());
}

#[test]
fn byok_into_realistic_jsonc_adds_the_whitelist_and_keeps_the_rest() {
    let out = merge(Some(USER_FILE), &byok());
    let user = parsed(USER_FILE);
    let v = parsed(&out.text);
    for key in ["share", "autoupdate", "mcp", "$schema"] {
        assert_eq!(v[key], user[key], "{key}");
    }
    assert_eq!(v["provider"]["anthropic"], user["provider"]["anthropic"]);
    assert_eq!(v["provider"][PROVIDER_ID].as_object().unwrap().len(), 1);
    assert!(
        out.text
            .starts_with("// Global OpenCode settings, hand-edited.\n{\n")
    );
    for comment in [
        "/* I share nothing */",
        "// updates by hand",
        "// ten minutes",
        "// old default",
    ] {
        assert!(out.text.contains(comment), "{comment} lost:\n{}", out.text);
    }
    // the other provider's block and the mcp block are untouched text
    let block = |start: &str, end: &str| {
        let s = USER_FILE.find(start).unwrap();
        let e = s + USER_FILE[s..].find(end).unwrap() + end.len();
        USER_FILE[s..e].to_string()
    };
    for b in [
        block("    \"anthropic\": {", "\n    },"),
        block("  \"mcp\"", "\n  },"),
    ] {
        assert!(out.text.contains(&b), "{b}\nnot in\n{}", out.text);
    }
}

#[test]
fn leaking_keys_are_removed_and_reported() {
    let existing = format!(
        r#"{{
  "provider": {{
    "cloudflare-ai-gateway": {{
      "api": "https://gateway.example/v1",
      "options": {{
        "apiKey": "{TOKEN}", // pasted by hand
        "baseURL": "http://127.0.0.1:9999/v1",
        "accountId": "acct-0123",
        "gatewayId": "gw-prod",
        "metadata": {{ "team": "platform" }},
        "headers": {{ "cf-aig-authorization": "Bearer {TOKEN}" }},
      }},
    }},
    "openai": {{ "options": {{ "apiKey": "{{env:OPENAI_API_KEY}}" }} }},
  }},
}}"#
    );
    let out = merge(Some(&existing), &unified());
    let base = "provider.cloudflare-ai-gateway";
    assert_eq!(
        out.removed,
        [
            format!("{base}.api"),
            format!("{base}.options.apiKey"),
            format!("{base}.options.baseURL"),
            format!("{base}.options.accountId"),
            format!("{base}.options.gatewayId"),
            format!("{base}.options.headers.cf-aig-authorization"),
        ]
    );
    assert!(out.removed_secret);
    let v = parsed(&out.text);
    // harmless gateway options stay, and so does the user's own openai key reference
    assert_eq!(
        v["provider"][PROVIDER_ID],
        json!({ "options": { "metadata": { "team": "platform" } } })
    );
    assert_eq!(
        v["provider"]["openai"]["options"]["apiKey"],
        "{env:OPENAI_API_KEY}"
    );
    assert!(!out.text.contains("acct-0123") && !out.text.contains("127.0.0.1"));

    // once only harmless keys are left a second run reports nothing
    let again = merge(Some(&out.text), &unified());
    assert!(again.removed.is_empty() && !again.removed_secret);
    assert_eq!(again.text, out.text);
}

#[test]
fn an_env_reference_is_removed_but_is_not_a_literal_secret() {
    let existing = r#"{"provider": {"cloudflare-ai-gateway": {"options": {"apiKey": "{env:CLOUDFLARE_API_TOKEN}"}}}}"#;
    let out = merge(Some(existing), &unified());
    assert_eq!(
        out.removed,
        ["provider.cloudflare-ai-gateway.options.apiKey"]
    );
    assert!(!out.removed_secret);
    // the provider entry became empty, and an empty declaration still arms the leak: gone
    assert!(parsed(&out.text).get("provider").is_none(), "{}", out.text);
}

#[test]
fn invalid_jsonc_is_a_parse_error_with_position() {
    let fragment = opencode::render_fragment(&unified()).unwrap();
    let text = "{\n  \"model\": \"a\"\n  \"small_model\": \"b\"\n}\n";
    match opencode::merge(Some(text), &fragment) {
        Err(ConfigError::Parse {
            line,
            column,
            message,
            ..
        }) => {
            assert_eq!((line, column), (2, 15), "{message}"); // right where the comma is missing
            assert!(message.contains("comma"), "{message}");
        }
        other => panic!("expected a parse error, got {other:?}"),
    }
    for (bad, line) in [
        ("{ 'single': 1 }", 1),
        ("{\n  \"a\": 1,\n  \"b\": \n}", 4),
        ("{\"a\": 0x10}", 1),
    ] {
        match opencode::merge(Some(bad), &fragment) {
            Err(ConfigError::Parse { line: l, .. }) => assert_eq!(l, line, "{bad}"),
            other => panic!("{bad}: {other:?}"),
        }
    }
    assert!(matches!(
        opencode::merge(Some("[1, 2]"), &fragment),
        Err(ConfigError::Invalid { .. })
    ));
    assert!(matches!(
        opencode::merge(Some(r#"{"provider": "x"}"#), &fragment),
        Err(ConfigError::Invalid { .. })
    ));
}

#[test]
fn plan_config_refuses_an_invalid_file_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("opencode.jsonc");
    fs::write(&path, "{\n  // broken\n  \"model\": ,\n}\n").unwrap();
    let err = opencode::plan_config(&path, &unified()).unwrap_err();
    let cfg = err
        .downcast_ref::<ConfigError>()
        .expect("a ConfigError in the chain");
    match cfg {
        ConfigError::Parse {
            path: p,
            line,
            column,
            ..
        } => {
            assert_eq!(p, &path);
            assert_eq!((*line, *column), (3, 12));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(aigate::error::hint_of(&err).unwrap(), cfg.hint());
    assert_eq!(aigate::error::exit_code_for(&err), 1);
    assert!(cfg.hint().contains("--opencode-config"));
    assert!(format!("{err:#}").contains("line 3, column 12"), "{err:#}");
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn merging_twice_is_byte_identical() {
    for inputs in [unified(), byok()] {
        for start in [None, Some("{}"), Some(USER_FILE)] {
            let once = merge(start, &inputs);
            let twice = merge(Some(&once.text), &inputs);
            assert_eq!(once.text, twice.text);
        }
    }
}

#[test]
fn unified_byok_unified_transitions() {
    let a = merge(Some(USER_FILE), &unified());
    let b = merge(Some(&a.text), &byok());
    let vb = parsed(&b.text);
    assert_eq!(vb["model"], "cloudflare-ai-gateway/openai/gpt-5-mini");
    assert_eq!(
        vb["provider"][PROVIDER_ID]["whitelist"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    let c = merge(Some(&b.text), &unified());
    // back to unified: the whitelist and the now-empty provider entry are gone again
    assert_eq!(c.text, a.text);

    // a user's own gateway options survive the round trip; only the whitelist comes and goes
    let with_meta = r#"{
  "provider": {
    "cloudflare-ai-gateway": {
      "options": { "metadata": { "team": "x" } }
    }
  }
}
"#;
    let b = merge(Some(with_meta), &byok());
    assert!(parsed(&b.text)["provider"][PROVIDER_ID]["whitelist"].is_array());
    let c = merge(Some(&b.text), &unified());
    let vc = parsed(&c.text);
    assert_eq!(
        vc["provider"][PROVIDER_ID],
        json!({ "options": { "metadata": { "team": "x" } } })
    );
}

#[test]
fn provider_lists_enable_the_gateway() {
    let text = r#"{
  "enabled_providers": ["anthropic"],
  "disabled_providers": ["opencode", "cloudflare-ai-gateway"]
}"#;
    let out = merge(Some(text), &unified());
    let v = parsed(&out.text);
    assert_eq!(
        v["enabled_providers"],
        json!(["anthropic", "cloudflare-ai-gateway"])
    );
    assert_eq!(v["disabled_providers"], json!(["opencode"]));
    // no enabled_providers: nothing added (all providers are enabled already)
    let out = merge(Some(r#"{"share": "auto"}"#), &unified());
    assert!(parsed(&out.text).get("enabled_providers").is_none());
}

#[test]
fn user_schema_value_is_kept() {
    let out = merge(Some(r#"{"$schema": "./my-schema.json"}"#), &unified());
    assert_eq!(parsed(&out.text)["$schema"], "./my-schema.json");
}

#[test]
fn snapshot_unified_fresh() {
    insta::assert_snapshot!("unified_fresh", merge(None, &unified()).text);
}

#[test]
fn snapshot_byok_fresh() {
    insta::assert_snapshot!("byok_fresh", merge(None, &byok()).text);
}

#[test]
fn snapshot_unified_fragment() {
    insta::assert_json_snapshot!(
        "unified_fragment",
        opencode::render_fragment(&unified()).unwrap()
    );
}

#[test]
fn snapshot_byok_fragment() {
    insta::assert_json_snapshot!("byok_fragment", opencode::render_fragment(&byok()).unwrap());
}

#[test]
fn snapshot_byok_into_user_file() {
    insta::assert_snapshot!("byok_into_user_file", merge(Some(USER_FILE), &byok()).text);
}

#[test]
fn plan_apply_and_rerun_is_a_noop() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("opencode.jsonc");
    fs::write(&path, USER_FILE).unwrap();
    let (change, outcome) = opencode::plan_config(&path, &byok()).unwrap();
    assert!(change.backup && !change.sensitive && outcome.removed.is_empty());
    assert_eq!(change.describe(), "update");
    let mut tx = Transaction::new();
    let backup = tx
        .apply(&change)
        .unwrap()
        .expect("backup of the user's file");
    assert_eq!(fs::read_to_string(&backup).unwrap(), USER_FILE);
    tx.commit();
    let (again, _) = opencode::plan_config(&path, &byok()).unwrap();
    assert!(again.is_noop(), "{again:?}");

    // a file holding a pasted token is not copied into a backup
    fs::write(
        &path,
        format!(
            r#"{{"provider":{{"cloudflare-ai-gateway":{{"options":{{"apiKey":"{TOKEN}"}}}}}}}}"#
        ),
    )
    .unwrap();
    let (change, outcome) = opencode::plan_config(&path, &unified()).unwrap();
    assert!(outcome.removed_secret && !change.backup);
    assert!(!format!("{change:?}{outcome:?}").contains("SECRET"));
}

#[test]
fn inspect_reports_model_and_dangerous_keys() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("opencode.json");
    let st = opencode::inspect(&path).unwrap();
    assert!(!st.exists && !st.uses_gateway && st.model.is_none());

    fs::write(&path, merge(Some(USER_FILE), &byok()).text).unwrap();
    let st = opencode::inspect(&path).unwrap();
    assert!(st.exists && st.uses_gateway && !st.provider_disabled && st.error.is_none());
    assert_eq!(
        st.model.as_deref(),
        Some("cloudflare-ai-gateway/openai/gpt-5-mini")
    );
    assert_eq!(st.whitelist.as_ref().map(Vec::len), Some(4));
    assert!(st.dangerous_keys.is_empty());

    fs::write(
        &path,
        r#"{"model": "anthropic/x", "disabled_providers": ["cloudflare-ai-gateway"],
            "provider": {"cloudflare-ai-gateway": {"options": {"baseURL": "http://x", "apiKey": "k"}}}}"#,
    )
    .unwrap();
    let st = opencode::inspect(&path).unwrap();
    assert!(!st.uses_gateway && st.provider_disabled);
    assert_eq!(
        st.dangerous_keys,
        [
            "provider.cloudflare-ai-gateway.options.apiKey",
            "provider.cloudflare-ai-gateway.options.baseURL"
        ]
    );

    fs::write(&path, "{ nope").unwrap();
    let st = opencode::inspect(&path).unwrap();
    assert!(st.exists && st.error.as_deref().unwrap().contains("line 1"));
}

fn env(root: &Path, xdg: bool) -> Env {
    Env {
        home: root.join("home"),
        xdg_config_home: xdg.then(|| root.join("xdg-config")),
        xdg_data_home: xdg.then(|| root.join("xdg-data")),
        cwd: root.join("project"),
    }
}

#[test]
fn paths_follow_opencode_rules() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let plain = env(root, false);
    assert_eq!(
        opencode::global_config_path(&plain),
        root.join("home/.config/opencode/opencode.json")
    );
    assert_eq!(
        opencode::auth_json_path(&plain),
        root.join("home/.local/share/opencode/auth.json")
    );
    assert_eq!(
        opencode::project_config_path(&plain),
        root.join("project/opencode.json")
    );

    let xdg = env(root, true);
    assert_eq!(
        opencode::global_config_path(&xdg),
        root.join("xdg-config/opencode/opencode.json")
    );
    assert_eq!(
        opencode::auth_json_path(&xdg),
        root.join("xdg-data/opencode/auth.json")
    );

    // .jsonc wins when present (OpenCode creates it on first start)
    let cfg_dir: PathBuf = root.join("xdg-config/opencode");
    fs::create_dir_all(&cfg_dir).unwrap();
    fs::write(cfg_dir.join("opencode.json"), "{}").unwrap();
    assert_eq!(
        opencode::global_config_path(&xdg),
        cfg_dir.join("opencode.json")
    );
    fs::write(cfg_dir.join("opencode.jsonc"), "{}").unwrap();
    assert_eq!(
        opencode::global_config_path(&xdg),
        cfg_dir.join("opencode.jsonc")
    );
    fs::create_dir_all(root.join("project")).unwrap();
    fs::write(root.join("project/opencode.jsonc"), "{}").unwrap();
    assert_eq!(
        opencode::project_config_path(&xdg),
        root.join("project/opencode.jsonc")
    );
}
