//! OpenCode 2's background service and its credential API (reference/opencode-v2.md §3–4).
//!
//! Facts relied on, from `anomalyco/opencode`:
//! - discovery file `$XDG_STATE_HOME/opencode/service.json` (0600) `{id, version, url, pid,
//!   password}`; clients use HTTP Basic `opencode:<password>` (`packages/client/src/
//!   service-contender.ts`, reference §3);
//! - `GET /api/health` → `{healthy: true, version, pid}` (`packages/protocol/src/groups/
//!   health.ts` @7c3c912e);
//! - `POST /api/integration/:id/connect/key` `{key, label?}` (newest builds also take
//!   `answer`) → 204; `GET /api/integration/:id` → `{location, data: {id, name, methods,
//!   connections: [{type: "credential", id, label, method} | {type: "env", name}]}}`
//!   (`packages/protocol/src/groups/integration.ts` @1652328e, `packages/schema/src/
//!   integration.ts` @0adff52e, `connection.ts` @cd147331);
//! - `DELETE /api/credential/:credentialID` → 204 (`packages/protocol/src/groups/
//!   credential.ts` @1652328e).
//!
//! The API never returns a key, so aigate labels the credential it stores with a fingerprint
//! of the token (`aigate:<profile>:<sha256 prefix>`) and verifies by that label.

use crate::Secret;
use crate::opencode::{Env, PROVIDER_ID};
use anyhow::{Context as _, Result, anyhow};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// OpenCode 2's state directory: `$XDG_STATE_HOME/opencode`, else `~/.local/state/opencode`.
pub fn state_dir(env: &Env, xdg_state_home: Option<PathBuf>) -> PathBuf {
    match xdg_state_home {
        Some(x) => x.join("opencode"),
        None => env.home.join(".local").join("state").join("opencode"),
    }
}

/// The discovery file of a running V2 background service, in `state_dir`.
pub fn service_file(state_dir: &Path) -> PathBuf {
    state_dir.join("service.json")
}

/// What the discovery file says (the password stays a [`Secret`]).
#[derive(Clone)]
pub struct Discovery {
    pub url: String,
    pub pid: Option<u32>,
    pub version: Option<String>,
    pub password: Secret,
}

impl std::fmt::Debug for Discovery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Discovery")
            .field("url", &self.url)
            .field("pid", &self.pid)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct DiscoveryFile {
    url: String,
    #[serde(default)]
    pid: Option<u32>,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    password: Option<String>,
}

/// The discovery file, if present and readable.
pub fn read_discovery(path: &Path) -> Result<Option<Discovery>> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let f: DiscoveryFile = serde_json::from_slice(&bytes)
        .with_context(|| format!("{} is not OpenCode's service file", path.display()))?;
    Ok(Some(Discovery {
        url: f.url.trim_end_matches('/').to_string(),
        pid: f.pid,
        version: f.version,
        password: Secret::new(f.password.unwrap_or_default()),
    }))
}

/// A short, non-reversible fingerprint of a token (the first 12 hex digits of its SHA-256).
pub fn fingerprint(token: &Secret) -> String {
    let digest = Sha256::digest(token.expose().as_bytes());
    digest.iter().take(6).map(|b| format!("{b:02x}")).collect()
}

/// The label aigate gives the credential it stores for `profile`.
pub fn label_for(profile: &str, token: &Secret) -> String {
    format!("{}{}", label_prefix(profile), fingerprint(token))
}

fn label_prefix(profile: &str) -> String {
    format!("aigate:{profile}:")
}

/// A credential of the cloudflare-ai-gateway integration, as V2 lists it (no secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCredential {
    pub id: String,
    pub label: String,
}

/// A client for one V2 server (loopback HTTP, Basic auth). It has its own small HTTP client:
/// the run's Cloudflare pool honours system proxies, which must never see loopback traffic
/// or the service password.
pub struct Server {
    base: String,
    password: Secret,
    http: reqwest::Client,
}

impl Server {
    pub fn new(d: &Discovery) -> Result<Server> {
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(2))
            .build()
            .context("cannot build the HTTP client for OpenCode's local server")?;
        Ok(Server {
            base: d.url.clone(),
            password: d.password.clone(),
            http,
        })
    }

    fn req(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base))
            .basic_auth("opencode", Some(self.password.expose()))
    }

    /// `GET /api/health`: the server's version when it answers healthy.
    pub async fn health(&self) -> Result<String> {
        let resp = self
            .req(reqwest::Method::GET, "/api/health")
            .timeout(Duration::from_secs(3))
            .send()
            .await
            .map_err(|e| anyhow!("OpenCode's server at {} does not answer: {e}", self.base))?;
        let status = resp.status();
        if !status.is_success() {
            return Err(anyhow!(
                "OpenCode's server at {} answered HTTP {status} to /api/health",
                self.base
            ));
        }
        let v: Value = resp.json().await.unwrap_or(Value::Null);
        if v["healthy"] != json!(true) {
            return Err(anyhow!("OpenCode's server at {} is not healthy", self.base));
        }
        Ok(v["version"].as_str().unwrap_or_default().to_string())
    }

    /// The integration's stored credentials (labels and ids only).
    pub async fn credentials(&self) -> Result<Vec<StoredCredential>> {
        let path = format!("/api/integration/{PROVIDER_ID}");
        let resp = self
            .req(reqwest::Method::GET, &path)
            .send()
            .await
            .map_err(|e| anyhow!("cannot reach OpenCode's server: {e}"))?;
        let status = resp.status();
        if !status.is_success() {
            return Err(anyhow!(
                "OpenCode's server answered HTTP {status} to {path}"
            ));
        }
        let v: Value = resp
            .json()
            .await
            .context("OpenCode's server sent no JSON")?;
        let data = v.get("data").unwrap_or(&v);
        let list = data["connections"]
            .as_array()
            .map(|c| {
                c.iter()
                    .filter(|c| c["type"] == "credential")
                    .filter_map(|c| {
                        Some(StoredCredential {
                            id: c["id"].as_str()?.to_string(),
                            label: c["label"].as_str().unwrap_or_default().to_string(),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(list)
    }

    /// Store `token` for the integration (V2 replaces the integration's credential). The body
    /// carries the newest shape (`answer` with the ids); older builds ignore the extra key.
    pub async fn connect_key(
        &self,
        token: &Secret,
        label: &str,
        account_id: &str,
        gateway_id: &str,
    ) -> Result<()> {
        let path = format!("/api/integration/{PROVIDER_ID}/connect/key");
        let body = json!({
            "key": token.expose(),
            "label": label,
            "answer": {"accountId": account_id, "gatewayId": gateway_id},
        });
        let resp = self
            .req(reqwest::Method::POST, &path)
            .json(&body)
            .send()
            .await
            .map_err(|e| anyhow!("cannot reach OpenCode's server: {e}"))?;
        let status = resp.status();
        if !status.is_success() {
            let text = resp.text().await.unwrap_or_default();
            let text: String = text.chars().take(200).collect();
            return Err(anyhow!(
                "OpenCode's server refused the credential (HTTP {status}): {}",
                token_free(&text, token)
            ));
        }
        Ok(())
    }

    /// `DELETE /api/credential/:id`.
    pub async fn remove(&self, id: &str) -> Result<()> {
        let path = format!("/api/credential/{id}");
        let resp = self
            .req(reqwest::Method::DELETE, &path)
            .send()
            .await
            .map_err(|e| anyhow!("cannot reach OpenCode's server: {e}"))?;
        let status = resp.status();
        if !status.is_success() && status.as_u16() != 404 {
            return Err(anyhow!(
                "OpenCode's server answered HTTP {status} to DELETE {path}"
            ));
        }
        Ok(())
    }
}

/// Our credentials among `list` (any token, this profile).
pub fn ours<'a>(list: &'a [StoredCredential], profile: &str) -> Vec<&'a StoredCredential> {
    let prefix = label_prefix(profile);
    list.iter()
        .filter(|c| c.label.starts_with(&prefix))
        .collect()
}

/// Whether `list` holds `token` for `profile` (by the fingerprint label).
pub fn holds(list: &[StoredCredential], profile: &str, token: &Secret) -> bool {
    let want = label_for(profile, token);
    list.iter().any(|c| c.label == want)
}

fn token_free(text: &str, token: &Secret) -> String {
    if token.is_empty() {
        text.to_string()
    } else {
        text.replace(token.expose(), "[redacted]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_carry_a_fingerprint_not_the_token() {
        let t = Secret::new("cf-token-abcdef-123456".to_string());
        let l = label_for("default", &t);
        assert!(l.starts_with("aigate:default:"));
        assert_eq!(l.len(), "aigate:default:".len() + 12);
        assert!(!l.contains("abcdef"));
        let other = Secret::new("cf-token-other".to_string());
        assert_ne!(l, label_for("default", &other));
        let list = vec![StoredCredential {
            id: "cred_1".into(),
            label: l,
        }];
        assert!(holds(&list, "default", &t));
        assert!(!holds(&list, "default", &other));
        assert!(!holds(&list, "work", &t));
        assert_eq!(ours(&list, "default").len(), 1);
    }

    #[test]
    fn discovery_file_is_read_without_showing_the_password() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("service.json");
        assert!(read_discovery(&p).unwrap().is_none());
        std::fs::write(
            &p,
            r#"{"id":"svc","version":"2.0.9","url":"http://127.0.0.1:4096/","pid":42,"password":"pw-secret"}"#,
        )
        .unwrap();
        let d = read_discovery(&p).unwrap().unwrap();
        assert_eq!(d.url, "http://127.0.0.1:4096");
        assert_eq!(d.pid, Some(42));
        assert_eq!(d.password.expose(), "pw-secret");
        assert!(!format!("{d:?}").contains("pw-secret"));
    }
}
