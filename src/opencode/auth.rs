//! aigate's entry in OpenCode's `auth.json` (`--token-delivery opencode-auth`).
//!
//! The file is keyed by provider id and may hold the user's other credentials (OAuth logins,
//! API keys): every other entry is kept as it is. Written like OpenCode writes it: 2-space
//! indented JSON, mode 0600 (reference/opencode.md §4). Errors never quote the contents.

use super::PROVIDER_ID;
use super::merge::read_optional;
use crate::Secret;
use crate::files::FileChange;
use anyhow::{Result, bail};
use serde_json::{Map, Value, json};
use std::path::Path;

/// The `cloudflare-ai-gateway` entry: `{"type":"api","key":..,"metadata":{"accountId","gatewayId"}}`.
#[derive(Debug, Clone)]
pub struct AuthEntry {
    pub key: Secret,
    pub account_id: Option<String>,
    pub gateway_id: Option<String>,
}

/// Our entry, if the file exists and holds an `api`-type entry for the provider.
pub fn read_auth_entry(path: &Path) -> Result<Option<AuthEntry>> {
    let Some(bytes) = read_optional(path)? else {
        return Ok(None);
    };
    let map = parse(path, &bytes)?;
    let Some(entry) = map.get(PROVIDER_ID) else {
        return Ok(None);
    };
    if entry.get("type").and_then(Value::as_str) != Some("api") {
        return Ok(None);
    }
    let Some(key) = entry.get("key").and_then(Value::as_str) else {
        return Ok(None);
    };
    let meta = |k: &str| {
        entry
            .get("metadata")
            .and_then(|m| m.get(k))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    Ok(Some(AuthEntry {
        key: Secret::new(key),
        account_id: meta("accountId"),
        gateway_id: meta("gatewayId"),
    }))
}

/// Plans writing our entry (replacing an older one in place), keeping every other entry.
/// Re-planning the same values gives a no-op change.
pub fn plan_auth_upsert(
    path: &Path,
    token: &Secret,
    account_id: &str,
    gateway_id: &str,
) -> Result<FileChange> {
    let before = read_optional(path)?;
    let after = upsert(path, before.as_deref(), token, account_id, gateway_id)?;
    let mut c = change(path, before, after);
    let (shown, token) = (path.to_path_buf(), token.clone());
    let (account_id, gateway_id) = (account_id.to_string(), gateway_id.to_string());
    // Another run may add its own entry before this one applies: keep it.
    c.rebase = Some(std::sync::Arc::new(move |current: Option<&[u8]>| {
        let after = upsert(&shown, current, &token, &account_id, &gateway_id)?;
        Ok(after.or_else(|| current.map(<[u8]>::to_vec)))
    }));
    Ok(c)
}

/// The new bytes with our entry set, `None` when it is already so.
fn upsert(
    path: &Path,
    before: Option<&[u8]>,
    token: &Secret,
    account_id: &str,
    gateway_id: &str,
) -> Result<Option<Vec<u8>>> {
    let mut map = match before {
        Some(b) => parse(path, b)?,
        None => Map::new(),
    };
    let original = map.clone();
    map.insert(
        PROVIDER_ID.to_string(),
        json!({
            "type": "api",
            "key": token.expose(),
            "metadata": { "accountId": account_id, "gatewayId": gateway_id },
        }),
    );
    Ok((map != original).then(|| render(&map)))
}

/// Plans removing our entry only; `None` when there is nothing to remove.
pub fn plan_auth_remove(path: &Path) -> Result<Option<FileChange>> {
    let Some(before) = read_optional(path)? else {
        return Ok(None);
    };
    let mut map = parse(path, &before)?;
    if map.shift_remove(PROVIDER_ID).is_none() {
        return Ok(None);
    }
    let after = render(&map);
    let mut c = change(path, Some(before), Some(after));
    let shown = path.to_path_buf();
    c.rebase = Some(std::sync::Arc::new(move |current: Option<&[u8]>| {
        let Some(b) = current else { return Ok(None) };
        let mut map = parse(&shown, b)?;
        Ok(Some(match map.shift_remove(PROVIDER_ID) {
            Some(_) => render(&map),
            None => b.to_vec(),
        }))
    }));
    Ok(Some(c))
}

/// `after: None` here means "unchanged" (keep the bytes as read).
fn change(path: &Path, before: Option<Vec<u8>>, after: Option<Vec<u8>>) -> FileChange {
    FileChange {
        path: path.to_path_buf(),
        after: after.or_else(|| before.clone()),
        before,
        mode: Some(0o600),
        backup: false,
        sensitive: true,
        rebase: None,
    }
}

fn render(map: &Map<String, Value>) -> Vec<u8> {
    serde_json::to_vec_pretty(map).expect("a JSON map serializes")
}

fn parse(path: &Path, bytes: &[u8]) -> Result<Map<String, Value>> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => bail!(
            "{} is not a JSON object; fix or move it, then run again",
            path.display()
        ),
        // serde_json's syntax errors carry only a category and position, never the content.
        Err(e) => bail!(
            "{} is not valid JSON (line {}, column {}); fix or move it, then run again",
            path.display(),
            e.line(),
            e.column()
        ),
    }
}
