//! A config both OpenCode lines read. On OpenCode 2 (the stand-in `tests/v2/opencode` on PATH)
//! a BYOK setup writes V1's shape (with `provider.<id>.whitelist`, for V1) plus V2's own picker
//! limit, `providers.<id>.models.<model>.disabled`. Proven:
//! - for V1: the file without the V2-only `providers` key validates against V1's schema
//!   (`contracts/opencode-config.schema.json`), and the real OpenCode 1.18.33 accepts the whole
//!   file (`opencode debug config` exits 0, keeps the whitelist, drops `providers`);
//! - for V2: a model of its normalisation rules from reference/opencode-v2.md §6 (V2 is not
//!   runnable here) applied to the written file hides exactly the models of providers without
//!   a stored key, and reports the whitelist as unsupported (harmless).

mod common;
use common::*;
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

fn stand_in_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("v2")
}

fn path_with(dir: &Path) -> std::ffi::OsString {
    let mut dirs = vec![dir.to_path_buf()];
    dirs.extend(["/usr/local/bin", "/usr/bin", "/bin"].map(PathBuf::from));
    std::env::join_paths(dirs).unwrap()
}

const MODELS: &[&str] = &[
    "openai/gpt-5-mini",
    "openai/gpt-5.4-nano",
    "anthropic/claude-sonnet-4.5",
    "xai/grok-4.3",
    "deepseek/deepseek-v4-pro",
];

fn byok_setup(w: &World, version: Option<&str>) -> Value {
    w.emu
        .set_models(MODELS.iter().map(|m| m.to_string()).collect());
    let mut cmd = w.aigate();
    cmd.env("PATH", path_with(&stand_in_dir()))
        .env("XDG_STATE_HOME", w.root.path().join("state"))
        .args([
            "setup",
            "--non-interactive",
            "--token-stdin",
            "--account-id",
            ACCOUNT,
            "--gateway",
            "existing-gw",
            "--billing",
            "byok",
            "--byok-key",
            "openai=MY_OPENAI",
            "--model",
            "openai/gpt-5-mini",
            "--small-model",
            "openai/gpt-5.4-nano",
            "--skip-test",
        ])
        .env("MY_OPENAI", "sk-openai-config-test")
        .write_stdin(TOKEN);
    if let Some(v) = version {
        cmd.env("AIGATE_OPENCODE_VERSION", v);
    }
    w.run(&mut cmd).assert_code(0);
    serde_json::from_str(&std::fs::read_to_string(w.opencode_config()).unwrap()).unwrap()
}

fn v1_schema_errors(config: &Value) -> Vec<String> {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("contracts/opencode-config.schema.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let v = jsonschema::validator_for(&schema).unwrap();
    v.iter_errors(config).map(|e| e.to_string()).collect()
}

/// OpenCode 2's normalisation of a V1-shaped config, as reference/opencode-v2.md §6 states
/// it (a MODEL of the rules: V2 itself is not runnable here): `provider.X.options` →
/// `providers.X.settings`; `provider.X.whitelist`/`blacklist` dropped with an "unsupported"
/// diagnostic; `model` split at the first `/`; `small_model` → `agents.title.model`;
/// `providers` merged over `provider`, the native value winning.
fn normalise_like_v2(config: &Value) -> (Value, Vec<String>) {
    let mut diagnostics = vec![];
    let mut providers = Map::new();
    if let Some(p) = config.get("provider").and_then(Value::as_object) {
        for (id, entry) in p {
            let mut out = Map::new();
            for (k, v) in entry.as_object().into_iter().flatten() {
                match k.as_str() {
                    "options" => {
                        out.insert("settings".into(), v.clone());
                    }
                    "whitelist" | "blacklist" => {
                        diagnostics.push(format!("provider.{id}.{k}: unsupported"))
                    }
                    _ => {
                        out.insert(k.clone(), v.clone());
                    }
                }
            }
            providers.insert(id.clone(), Value::Object(out));
        }
    }
    for (id, entry) in config
        .get("providers")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let merged = match providers.remove(id) {
            Some(old) => deep_merge(old, entry.clone()),
            None => entry.clone(),
        };
        providers.insert(id.clone(), merged);
    }
    let split = |m: &Value| {
        m.as_str()
            .and_then(|s| s.split_once('/'))
            .map(|(p, id)| serde_json::json!({"providerID": p, "modelID": id}))
    };
    let mut out = Map::new();
    out.insert("providers".into(), Value::Object(providers));
    if let Some(m) = config.get("model").and_then(split) {
        out.insert("model".into(), m);
    }
    if let Some(m) = config.get("small_model").and_then(split) {
        out.insert("agents".into(), serde_json::json!({"title": {"model": m}}));
    }
    (Value::Object(out), diagnostics)
}

fn deep_merge(base: Value, over: Value) -> Value {
    match (base, over) {
        (Value::Object(mut a), Value::Object(b)) => {
            for (k, v) in b {
                let merged = match a.remove(&k) {
                    Some(old) => deep_merge(old, v),
                    None => v,
                };
                a.insert(k, merged);
            }
            Value::Object(a)
        }
        (_, over) => over,
    }
}

#[test]
fn byok_on_v2_limits_v2s_picker_and_v1_still_reads_the_file() {
    let w = World::new();
    let cfg = byok_setup(&w, None);

    // V1's shape is there, for V1.
    assert_eq!(cfg["model"], "cloudflare-ai-gateway/openai/gpt-5-mini");
    let wl = &cfg["provider"]["cloudflare-ai-gateway"]["whitelist"];
    assert_eq!(
        wl,
        &serde_json::json!(["openai/gpt-5-mini", "openai/gpt-5.4-nano"])
    );

    // V2's limit: every model of a provider without a stored key is disabled, no other.
    let (v2, diagnostics) = normalise_like_v2(&cfg);
    assert_eq!(
        v2["model"],
        serde_json::json!({"providerID": "cloudflare-ai-gateway", "modelID": "openai/gpt-5-mini"})
    );
    assert_eq!(
        v2["agents"]["title"]["model"]["modelID"],
        "openai/gpt-5.4-nano"
    );
    assert_eq!(
        diagnostics,
        vec!["provider.cloudflare-ai-gateway.whitelist: unsupported"]
    );
    let models = &v2["providers"]["cloudflare-ai-gateway"]["models"];
    for m in MODELS {
        let disabled = models[*m]["disabled"] == true;
        assert_eq!(disabled, !m.starts_with("openai/"), "{m}: {models}");
    }

    // V1's schema accepts everything but the V2-only top-level key (its schema is stricter
    // than its runtime, which drops unknown top-level keys).
    let mut without = cfg.clone();
    without.as_object_mut().unwrap().remove("providers");
    assert_eq!(v1_schema_errors(&without), Vec::<String>::new());
    assert!(
        !v1_schema_errors(&cfg).is_empty(),
        "the V1 schema is strict at the top level"
    );

    // The real OpenCode 1.18.33 reads the whole file: exit 0, whitelist kept, providers dropped.
    let oc = std::env::var_os("AIGATE_TEST_OPENCODE").expect(
        "AIGATE_TEST_OPENCODE is not set: run the suite with `bash .ci/test`, which installs OpenCode",
    );
    let out = std::process::Command::new(oc)
        .args(["debug", "config"])
        .env_clear()
        .current_dir(w.workdir())
        .envs(w.env())
        .env("OPENCODE_DISABLE_MODELS_FETCH", "1")
        .env("OPENCODE_DISABLE_AUTOUPDATE", "1")
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{shown}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let resolved: Value = serde_json::from_str(&shown).unwrap();
    assert_eq!(
        resolved["provider"]["cloudflare-ai-gateway"]["whitelist"],
        *wl
    );
    assert!(
        resolved.get("providers").is_none(),
        "V1 drops the V2-only key"
    );
    assert_eq!(resolved["model"], "cloudflare-ai-gateway/openai/gpt-5-mini");
}

#[test]
fn on_v1_the_file_is_v1s_shape_only_and_unified_takes_the_limit_out_again() {
    let w = World::new();
    let cfg = byok_setup(&w, Some("1"));
    assert!(cfg.get("providers").is_none(), "{cfg}");
    assert_eq!(v1_schema_errors(&cfg), Vec::<String>::new());

    // On V2, with a user's own `providers` entry: ours is added, theirs kept; switching to
    // Unified Billing removes ours only.
    let path = w.opencode_config();
    let mut user = cfg.clone();
    user["providers"] = serde_json::json!({"mine": {"settings": {"x": 1}}});
    std::fs::write(&path, serde_json::to_string_pretty(&user).unwrap()).unwrap();
    let cfg = byok_setup(&w, Some("2"));
    assert_eq!(cfg["providers"]["mine"]["settings"]["x"], 1);
    assert_eq!(
        cfg["providers"]["cloudflare-ai-gateway"]["models"]["xai/grok-4.3"]["disabled"],
        true
    );
    let mut cmd = w.aigate();
    cmd.env("AIGATE_OPENCODE_VERSION", "2")
        .env("PATH", path_with(&stand_in_dir()))
        .args([
            "setup",
            "--non-interactive",
            "--token-stdin",
            "--account-id",
            ACCOUNT,
        ])
        .args([
            "--gateway",
            "existing-gw",
            "--billing",
            "unified",
            "--skip-test",
        ])
        .write_stdin(TOKEN);
    w.run(&mut cmd).assert_code(0);
    let cfg: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert!(
        cfg["providers"].get("cloudflare-ai-gateway").is_none(),
        "{cfg}"
    );
    assert_eq!(cfg["providers"]["mine"]["settings"]["x"], 1);
    assert!(cfg["provider"].get("cloudflare-ai-gateway").is_none());
}
