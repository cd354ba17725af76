//! OpenAI Codex CLI: a profile file of its own, `$CODEX_HOME/<name>.config.toml` (default
//! `~/.codex`), which `codex --profile <name>` layers on top of the user's `config.toml`.
//!
//! Codex 0.171 refuses `--profile NAME` while `config.toml` still holds a legacy
//! `[profiles.NAME]` table, so aigate never writes that table and never edits `config.toml`.
//! The profile file is merged with `toml_edit`: only the keys aigate owns are set, and only when
//! their value differs, so the user's comments, other keys and tables stay byte for byte and a
//! re-run writes nothing. Logout removes exactly those keys (and the file, if nothing else is
//! left in it).
//!
//! The token is not in the file: the provider sends `cf-aig-authorization` from the variable
//! named in `env_http_headers` ([`TOKEN_ENV`]), which only `aigate run -- codex` sets. No
//! `env_key`: Codex would send it as `Authorization`, which the gateway forwards to OpenAI as a
//! provider key (BYOK and Unified Billing want no provider key in the request).

use crate::files::FileChange;
use anyhow::Context as _;
use std::path::{Path, PathBuf};
use toml_edit::{DocumentMut, InlineTable, Item, Table, value};

/// The `model_providers` entry aigate writes.
pub const PROVIDER_ID: &str = "cloudflare-ai-gateway";
/// The variable holding `Bearer <token>` for the `cf-aig-authorization` header. Its name has
/// `TOKEN` in it, so Codex's default shell-environment filter keeps it from the commands Codex
/// runs.
pub const TOKEN_ENV: &str = "AIGATE_CF_AIG_TOKEN";

const HEADER: &str = "# Codex profile written by aigate: `aigate run -- codex` uses it (--profile).\n\
# No token here: aigate sets AIGATE_CF_AIG_TOKEN for that process only.\n\
# Your own comments and keys in this file are kept; `aigate logout` removes only aigate's keys.\n";

/// What the profile says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodexProfile {
    /// Codex's model id (without the `openai/` prefix).
    pub model: String,
    /// The gateway's OpenAI endpoint, `{gateway_url}/{account}/{gateway}/openai`.
    pub base_url: String,
}

/// `CODEX_HOME`, else `~/.codex`.
pub fn codex_home(home: &Path, codex_home_var: Option<&std::ffi::OsStr>) -> PathBuf {
    match codex_home_var.filter(|v| !v.is_empty()) {
        Some(v) => PathBuf::from(v),
        None => home.join(".codex"),
    }
}

/// The Codex profile name for an aigate profile: `aigate`, or `aigate-<profile>`.
pub fn profile_name(aigate_profile: &str) -> String {
    if aigate_profile == "default" {
        "aigate".to_string()
    } else {
        format!("aigate-{aigate_profile}")
    }
}

/// `<codex_home>/<profile>.config.toml`
pub fn profile_path(codex_home: &Path, aigate_profile: &str) -> PathBuf {
    codex_home.join(format!("{}.config.toml", profile_name(aigate_profile)))
}

fn read(path: &Path) -> anyhow::Result<Option<Vec<u8>>> {
    match std::fs::read(path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

fn parse(path: &Path, bytes: &[u8]) -> anyhow::Result<DocumentMut> {
    let text = std::str::from_utf8(bytes)
        .with_context(|| format!("{} is not UTF-8; fix or remove it", path.display()))?;
    text.parse::<DocumentMut>().map_err(|e| {
        crate::exit::Failure::new(
            crate::exit::Kind::Other,
            format!("{} is not valid TOML: {}", path.display(), e.message()),
        )
        .with_hint("fix the file (or move it away) and run setup again; nothing was changed")
        .into()
    })
}

/// Set `table[key] = v` unless it already holds that string (keeping its formatting).
fn set_str(table: &mut Table, key: &str, v: &str) {
    if table.get(key).and_then(Item::as_str) != Some(v) {
        table.insert(key, value(v));
    }
}

/// The merged text: `before` (or a new file with aigate's header) with aigate's keys set.
pub fn merge(path: &Path, before: Option<&[u8]>, p: &CodexProfile) -> anyhow::Result<String> {
    let mut doc = match before {
        Some(b) => parse(path, b)?,
        None => DocumentMut::new(),
    };
    let root = doc.as_table_mut();
    set_str(root, "model_provider", PROVIDER_ID);
    set_str(root, "model", &p.model);
    if !root.contains_key("model_providers") {
        let mut t = Table::new();
        t.set_implicit(true);
        root.insert("model_providers", Item::Table(t));
    }
    let providers = root["model_providers"]
        .as_table_like_mut()
        .context("`model_providers` in the Codex profile is not a table")?;
    if providers.get(PROVIDER_ID).is_none() {
        providers.insert(PROVIDER_ID, Item::Table(Table::new()));
    }
    let ours = providers
        .get_mut(PROVIDER_ID)
        .and_then(Item::as_table_mut)
        .with_context(|| format!("`model_providers.{PROVIDER_ID}` is not a table"))?;
    set_str(ours, "name", "Cloudflare AI Gateway");
    set_str(ours, "base_url", &p.base_url);
    set_str(ours, "wire_api", "responses");
    let header_ok = ours
        .get("env_http_headers")
        .and_then(Item::as_table_like)
        .is_some_and(|t| {
            t.len() == 1 && t.get("cf-aig-authorization").and_then(Item::as_str) == Some(TOKEN_ENV)
        });
    if !header_ok {
        let mut h = InlineTable::new();
        h.insert("cf-aig-authorization", TOKEN_ENV.into());
        ours.insert("env_http_headers", value(h));
    }
    // A key holding a token (from an older hand-written profile) would send it elsewhere.
    ours.remove("env_key");
    ours.remove("experimental_bearer_token");
    Ok(match before {
        Some(_) => doc.to_string(),
        None => format!("{HEADER}\n{doc}"),
    })
}

/// The change that writes the profile (a no-op when it already says the same).
pub fn plan_write(path: &Path, p: &CodexProfile) -> anyhow::Result<FileChange> {
    let before = read(path)?;
    let after = merge(path, before.as_deref(), p)?.into_bytes();
    Ok(FileChange {
        path: path.to_path_buf(),
        backup: before.is_some(),
        before,
        after: Some(after),
        mode: None,
        sensitive: false,
        rebase: None,
    })
}

/// The text with aigate's keys removed; `None` when nothing but aigate's header is left.
pub fn unmerge(path: &Path, before: &[u8]) -> anyhow::Result<Option<String>> {
    let mut doc = parse(path, before)?;
    let root = doc.as_table_mut();
    if root.get("model_provider").and_then(Item::as_str) == Some(PROVIDER_ID) {
        root.remove("model_provider");
        root.remove("model");
    }
    let mut providers_empty = false;
    if let Some(providers) = root
        .get_mut("model_providers")
        .and_then(Item::as_table_like_mut)
    {
        providers.remove(PROVIDER_ID);
        providers_empty = providers.is_empty();
    }
    if providers_empty {
        root.remove("model_providers");
    }
    let text = doc.to_string();
    let only_header = text.trim().is_empty() || text.trim() == HEADER.trim();
    Ok((!only_header).then_some(text))
}

/// The change that removes what aigate added, or `None` when the file holds none of it.
pub fn plan_remove(path: &Path) -> anyhow::Result<Option<FileChange>> {
    let Some(before) = read(path)? else {
        return Ok(None);
    };
    let after = unmerge(path, &before)?.map(String::into_bytes);
    if after.as_deref() == Some(before.as_slice()) {
        return Ok(None);
    }
    Ok(Some(FileChange {
        path: path.to_path_buf(),
        backup: after.is_some(),
        before: Some(before),
        after,
        mode: None,
        sensitive: false,
        rebase: None,
    }))
}

/// Does the user's `config.toml` hold a legacy `[profiles.<name>]` table (which makes Codex
/// refuse `--profile <name>`)?
pub fn legacy_profile_conflict(codex_home: &Path, aigate_profile: &str) -> bool {
    let name = profile_name(aigate_profile);
    std::fs::read_to_string(codex_home.join("config.toml"))
        .ok()
        .and_then(|t| t.parse::<DocumentMut>().ok())
        .is_some_and(|d| {
            d.get("profiles")
                .and_then(Item::as_table_like)
                .is_some_and(|p| p.contains_key(&name))
                || d.get("profile").and_then(Item::as_str) == Some(name.as_str())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prof() -> CodexProfile {
        CodexProfile {
            model: "gpt-5-mini".into(),
            base_url: "https://gateway.ai.cloudflare.com/v1/acct/gw/openai".into(),
        }
    }

    #[test]
    fn new_file_has_the_provider_and_no_token() {
        let t = merge(Path::new("p.toml"), None, &prof()).unwrap();
        let d: DocumentMut = t.parse().unwrap();
        assert_eq!(d["model_provider"].as_str(), Some(PROVIDER_ID));
        assert_eq!(d["model"].as_str(), Some("gpt-5-mini"));
        let p = &d["model_providers"][PROVIDER_ID];
        assert_eq!(p["wire_api"].as_str(), Some("responses"));
        assert_eq!(
            p["env_http_headers"]["cf-aig-authorization"].as_str(),
            Some(TOKEN_ENV)
        );
        assert!(p.get("env_key").is_none());
        assert!(t.starts_with("# Codex profile written by aigate"));
        // Re-merging the result changes nothing.
        assert_eq!(
            merge(Path::new("p.toml"), Some(t.as_bytes()), &prof()).unwrap(),
            t
        );
    }

    #[test]
    fn merge_keeps_user_comments_and_tables_and_unmerge_restores_them() {
        let user = "# my notes\nmodel_reasoning_effort = \"high\" # keep\n\n[mcp_servers.docs]\ncommand = \"docs-mcp\"\n";
        let merged = merge(Path::new("p.toml"), Some(user.as_bytes()), &prof()).unwrap();
        assert!(merged.starts_with("# my notes\nmodel_reasoning_effort = \"high\" # keep\n"));
        assert!(merged.contains("[mcp_servers.docs]\ncommand = \"docs-mcp\"\n"));
        let back = unmerge(Path::new("p.toml"), merged.as_bytes())
            .unwrap()
            .unwrap();
        assert_eq!(back, user);
    }

    #[test]
    fn unmerge_of_a_file_aigate_created_deletes_it() {
        let t = merge(Path::new("p.toml"), None, &prof()).unwrap();
        assert_eq!(unmerge(Path::new("p.toml"), t.as_bytes()).unwrap(), None);
    }

    #[test]
    fn a_token_key_is_dropped_and_a_changed_gateway_updated() {
        let old = "model_provider = \"cloudflare-ai-gateway\"\nmodel = \"gpt-5\"\n\n[model_providers.cloudflare-ai-gateway]\nname = \"x\"\nbase_url = \"https://old\"\nenv_key = \"CLOUDFLARE_API_KEY\"\n";
        let t = merge(Path::new("p.toml"), Some(old.as_bytes()), &prof()).unwrap();
        assert!(!t.contains("env_key"));
        assert!(t.contains("base_url = \"https://gateway.ai.cloudflare.com/v1/acct/gw/openai\""));
        assert!(t.contains("model = \"gpt-5-mini\""));
    }

    #[test]
    fn invalid_toml_is_refused_with_the_path() {
        let e = merge(
            Path::new("/x/aigate.config.toml"),
            Some(b"model = ["),
            &prof(),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("/x/aigate.config.toml"), "{e}");
    }

    #[test]
    fn profile_names_follow_the_aigate_profile() {
        assert_eq!(profile_name("default"), "aigate");
        assert_eq!(profile_name("work"), "aigate-work");
        assert_eq!(
            codex_home(Path::new("/h"), None),
            PathBuf::from("/h/.codex")
        );
        assert_eq!(
            codex_home(Path::new("/h"), Some(std::ffi::OsStr::new("/c"))),
            PathBuf::from("/c")
        );
    }
}
