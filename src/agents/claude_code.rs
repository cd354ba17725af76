//! Claude Code: nothing on disk by default. `aigate run -- claude …` sets, for that process
//! only, `ANTHROPIC_BASE_URL` (the gateway's `anthropic` endpoint), `ANTHROPIC_CUSTOM_HEADERS`
//! (`cf-aig-authorization: Bearer <token>`) and, when the gateway supplies the Anthropic key
//! (Unified Billing, or BYOK with a stored `anthropic` key), a placeholder `ANTHROPIC_API_KEY`:
//! Claude Code refuses to start without a key or a login ("Not logged in · Please run /login").
//!
//! Opt-in (`--token-delivery claude-settings`): the same variables in the `env` block of
//! `~/.claude/settings.json` (plaintext token on disk, mode 0600, with a loud warning), for
//! launches that cannot go through `aigate run` (an IDE extension). Logout removes exactly
//! those keys.

use crate::Secret;
use crate::domain::Billing;
use crate::files::FileChange;
use crate::state::Profile;
use anyhow::Context as _;
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// The placeholder key: the gateway supplies the real one.
pub const PLACEHOLDER_KEY: &str = "aigate-gateway-supplies-the-key";

/// The variables aigate sets (and, opted in, writes).
pub const VARS: [&str; 3] = [
    "ANTHROPIC_BASE_URL",
    "ANTHROPIC_CUSTOM_HEADERS",
    "ANTHROPIC_API_KEY",
];

/// Does the gateway supply the Anthropic key for this profile?
pub fn gateway_supplies_key(profile: &Profile) -> bool {
    match profile.billing {
        Billing::Unified => true,
        Billing::Byok => profile.byok_providers.iter().any(|p| p == "anthropic"),
    }
}

/// The variables for Claude Code; values holding the token are [`Secret`]s.
pub fn env(profile: &Profile, gateway_url: &str, token: &Secret) -> Vec<(&'static str, Secret)> {
    let mut out = vec![
        (
            "ANTHROPIC_BASE_URL",
            Secret::new(super::provider_base(
                gateway_url,
                &profile.account_id,
                &profile.gateway_id,
                "anthropic",
            )),
        ),
        (
            "ANTHROPIC_CUSTOM_HEADERS",
            Secret::new(format!("cf-aig-authorization: Bearer {}", token.expose())),
        ),
    ];
    if gateway_supplies_key(profile) {
        out.push(("ANTHROPIC_API_KEY", Secret::new(PLACEHOLDER_KEY)));
    }
    out
}

/// `$CLAUDE_CONFIG_DIR/settings.json`, else `~/.claude/settings.json`.
pub fn settings_path(home: &Path, config_dir_var: Option<&std::ffi::OsStr>) -> PathBuf {
    match config_dir_var.filter(|v| !v.is_empty()) {
        Some(d) => PathBuf::from(d).join("settings.json"),
        None => home.join(".claude").join("settings.json"),
    }
}

/// The file's bytes and its top-level object.
type Settings = (Vec<u8>, Map<String, Value>);

fn read(path: &Path) -> anyhow::Result<Option<Settings>> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let v: Value = serde_json::from_slice(&bytes).map_err(|e| {
        crate::exit::Failure::new(
            crate::exit::Kind::Other,
            format!("{} is not valid JSON: {e}", path.display()),
        )
        .with_hint("fix the file and run setup again; nothing was changed")
    })?;
    match v {
        Value::Object(m) => Ok(Some((bytes, m))),
        _ => Err(crate::exit::Failure::new(
            crate::exit::Kind::Other,
            format!("{} is not a JSON object", path.display()),
        )
        .into()),
    }
}

fn to_bytes(m: &Map<String, Value>) -> Vec<u8> {
    let mut s = serde_json::to_string_pretty(m).unwrap_or_default();
    s.push('\n');
    s.into_bytes()
}

/// The change that writes the variables into `settings.json`'s `env` block (token included:
/// the file is written 0600 and never backed up).
pub fn plan_settings_write(
    path: &Path,
    vars: &[(&'static str, Secret)],
) -> anyhow::Result<FileChange> {
    let (before, mut root) = match read(path)? {
        Some((b, m)) => (Some(b), m),
        None => (None, Map::new()),
    };
    let env = root
        .entry("env")
        .or_insert_with(|| Value::Object(Map::new()));
    let env = env
        .as_object_mut()
        .with_context(|| format!("`env` in {} is not an object", path.display()))?;
    for (k, v) in vars {
        env.insert((*k).to_string(), Value::String(v.expose().to_string()));
    }
    Ok(FileChange {
        path: path.to_path_buf(),
        before,
        after: Some(to_bytes(&root)),
        mode: Some(0o600),
        backup: false,
        sensitive: true,
        rebase: None,
    })
}

/// `rotate`: the change that writes the new token's variables into `settings.json`, when the
/// file holds aigate's variables for this profile: `recorded` (the profile opted in with
/// setup's `--token-delivery claude-settings`), or their header carries the `old` token (a
/// profile recorded before that was kept). `None` when the file holds none of ours (rotate
/// never adds a plaintext token the user removed). A file that cannot be read is an error
/// only when `recorded`.
pub fn plan_settings_rotate(
    path: &Path,
    recorded: bool,
    old: Option<&Secret>,
    vars: &[(&'static str, Secret)],
) -> anyhow::Result<Option<FileChange>> {
    let root = match read(path) {
        Ok(Some((_, root))) => root,
        Ok(None) => return Ok(None),
        Err(e) if recorded => {
            return Err(e.context(
                "Claude Code's settings file holds the token (--token-delivery claude-settings)",
            ));
        }
        Err(_) => return Ok(None),
    };
    let header = root
        .get("env")
        .and_then(|e| e.get("ANTHROPIC_CUSTOM_HEADERS"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    let ours = header.to_ascii_lowercase().contains("cf-aig-authorization")
        && (recorded || old.is_some_and(|o| header.contains(o.expose())));
    if !ours {
        return Ok(None);
    }
    plan_settings_write(path, vars).map(Some)
}

/// The change that removes aigate's variables from `settings.json` (and an `env` block left
/// empty), or `None` when it holds none of them.
pub fn plan_settings_remove(path: &Path) -> anyhow::Result<Option<FileChange>> {
    let Some((before, mut root)) = read(path)? else {
        return Ok(None);
    };
    let Some(env) = root.get_mut("env").and_then(Value::as_object_mut) else {
        return Ok(None);
    };
    let ours = env
        .get("ANTHROPIC_CUSTOM_HEADERS")
        .and_then(Value::as_str)
        .is_some_and(|h| h.to_ascii_lowercase().contains("cf-aig-authorization"));
    if !ours {
        return Ok(None);
    }
    for k in VARS {
        if k != "ANTHROPIC_API_KEY" || env.get(k).and_then(Value::as_str) == Some(PLACEHOLDER_KEY) {
            env.remove(k);
        }
    }
    if env.is_empty() {
        root.remove("env");
    }
    Ok(Some(FileChange {
        path: path.to_path_buf(),
        before: Some(before),
        after: Some(to_bytes(&root)),
        mode: Some(0o600),
        backup: false,
        sensitive: true,
        rebase: None,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(billing: Billing, byok: &[&str]) -> Profile {
        Profile {
            billing,
            byok_providers: byok.iter().map(|s| s.to_string()).collect(),
            model: "anthropic/claude-sonnet-4.5".into(),
            small_model: "anthropic/claude-haiku-4.5".into(),
            ..Profile::example()
        }
    }

    fn names(v: &[(&'static str, Secret)]) -> Vec<&'static str> {
        v.iter().map(|(k, _)| *k).collect()
    }

    #[test]
    fn the_placeholder_only_where_the_gateway_supplies_the_key() {
        let t = Secret::new("tok");
        let u = env(&profile(Billing::Unified, &[]), "https://g/v1", &t);
        assert_eq!(names(&u), VARS.to_vec());
        assert_eq!(u[0].1.expose(), "https://g/v1/acct/gw/anthropic");
        assert_eq!(u[1].1.expose(), "cf-aig-authorization: Bearer tok");
        let b = env(&profile(Billing::Byok, &["anthropic"]), "https://g/v1", &t);
        assert_eq!(names(&b), VARS.to_vec());
        let own = env(&profile(Billing::Byok, &["openai"]), "https://g/v1", &t);
        assert_eq!(names(&own), VARS[..2].to_vec());
    }

    #[test]
    fn rotate_rewrites_only_a_file_that_holds_ours() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("settings.json");
        let prof = profile(Billing::Unified, &[]);
        let (old, new) = (Secret::new("old-tok"), Secret::new("new-tok"));
        let vars = env(&prof, "https://g/v1", &new);
        // No file, or a file without our variables: nothing.
        assert!(
            plan_settings_rotate(&p, true, Some(&old), &vars)
                .unwrap()
                .is_none()
        );
        std::fs::write(&p, "{\"env\": {\"FOO\": \"1\"}}").unwrap();
        assert!(
            plan_settings_rotate(&p, true, Some(&old), &vars)
                .unwrap()
                .is_none()
        );
        // Another token's variables and no record: not ours.
        let other =
            plan_settings_write(&p, &env(&prof, "https://g/v1", &Secret::new("x"))).unwrap();
        std::fs::write(&p, other.after.unwrap()).unwrap();
        assert!(
            plan_settings_rotate(&p, false, Some(&old), &vars)
                .unwrap()
                .is_none()
        );
        // The old token there, recorded or not: rewritten with the new one.
        let w = plan_settings_write(&p, &env(&prof, "https://g/v1", &old)).unwrap();
        std::fs::write(&p, w.after.unwrap()).unwrap();
        for recorded in [false, true] {
            let c = plan_settings_rotate(&p, recorded, Some(&old), &vars)
                .unwrap()
                .unwrap();
            let text = String::from_utf8(c.after.unwrap()).unwrap();
            assert!(
                text.contains("Bearer new-tok") && !text.contains("old-tok"),
                "{text}"
            );
            assert!(text.contains("\"FOO\": \"1\""));
        }
        // A broken file: an error when the profile recorded the delivery, else left alone.
        std::fs::write(&p, "{not json").unwrap();
        assert!(plan_settings_rotate(&p, true, Some(&old), &vars).is_err());
        assert!(
            plan_settings_rotate(&p, false, Some(&old), &vars)
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn settings_keep_other_keys_and_remove_only_ours() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("settings.json");
        let user = "{\n  \"model\": \"opus\",\n  \"env\": {\n    \"FOO\": \"1\"\n  }\n}\n";
        std::fs::write(&p, user).unwrap();
        let vars = env(
            &profile(Billing::Unified, &[]),
            "https://g/v1",
            &Secret::new("tok"),
        );
        let w = plan_settings_write(&p, &vars).unwrap();
        assert!(w.sensitive && w.mode == Some(0o600) && !w.backup);
        std::fs::write(&p, w.after.unwrap()).unwrap();
        let r = plan_settings_remove(&p).unwrap().unwrap();
        assert_eq!(String::from_utf8(r.after.unwrap()).unwrap(), user);
    }
}
