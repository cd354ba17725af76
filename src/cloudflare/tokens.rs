//! API tokens: permission groups (resolved by name), create, list, get, roll and delete, for
//! account-owned tokens (`/accounts/{id}/tokens`) and user tokens (`/user/tokens`).
//!
//! A create is never blindly retried: when Cloudflare may have applied it (timeout, broken
//! connection, 5xx), the token list is searched for one of that name issued since the attempt;
//! such a token is deleted (its value is lost with the reply) and the create sent once more.

use chrono::{DateTime, Utc};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::api::seg;
use super::error::{ApiError, ErrorKind, Operation, Transport};
use super::http::{Client, Reply};
use crate::Secret;

/// Whose tokens: one account's (account-owned tokens) or the user's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenScope {
    Account(String),
    User,
}

impl TokenScope {
    fn base(&self) -> String {
        match self {
            TokenScope::Account(a) => format!("/accounts/{}/tokens", seg(a)),
            TokenScope::User => "/user/tokens".to_string(),
        }
    }

    /// The permission a token needs to manage tokens here.
    pub fn write_permission(&self) -> &'static str {
        match self {
            TokenScope::Account(_) => "Account API Tokens Write",
            TokenScope::User => "API Tokens Write",
        }
    }

    fn read_permission(&self) -> &'static str {
        match self {
            TokenScope::Account(_) => "Account API Tokens Read",
            TokenScope::User => "API Tokens Read",
        }
    }

    /// `account` or `user`, for humans and JSON.
    pub fn word(&self) -> &'static str {
        match self {
            TokenScope::Account(_) => "account",
            TokenScope::User => "user",
        }
    }
}

/// The AI Gateway permission-group ids seen in the wild (`reference/cloudflare-control-plane.md`
/// §4). Only a cross-check: groups are resolved by name at run time.
pub const KNOWN_GROUP_IDS: &[(&str, &str)] = &[
    ("AI Gateway Read", "4dc8917b4b40457d88d3035d5dadb054"),
    ("AI Gateway Write", "6c8a3737f07f46369c1ea1f22138daaf"),
    ("AI Gateway Run", "644535f4ed854494a59cb289d634b257"),
];

/// The groups of a daily token: send prompts, and read for `status` / `usage`.
pub const DAILY_GROUPS: &[&str] = &["AI Gateway Run", "AI Gateway Read"];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermissionGroup {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub scopes: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Policy {
    #[serde(default)]
    pub effect: String,
    #[serde(default)]
    pub permission_groups: Vec<PermissionGroup>,
    #[serde(default)]
    pub resources: Value,
}

/// A token as Cloudflare lists it (never the value).
#[derive(Debug, Clone, Deserialize)]
pub struct ApiToken {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub issued_on: Option<DateTime<Utc>>,
    #[serde(default)]
    pub expires_on: Option<DateTime<Utc>>,
    #[serde(default)]
    pub policies: Vec<Policy>,
}

impl ApiToken {
    /// The names of the permission groups its allow policies grant.
    pub fn group_names(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .policies
            .iter()
            .filter(|p| p.effect == "allow")
            .flat_map(|p| p.permission_groups.iter().map(|g| g.name.clone()))
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

/// A freshly made token: its metadata and, once, its value.
pub struct CreatedToken {
    pub token: ApiToken,
    pub value: Secret,
}

impl std::fmt::Debug for CreatedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedToken")
            .field("token", &self.token)
            .field("value", &self.value)
            .finish()
    }
}

/// What to create: a name, permission groups on one account, an optional expiry.
#[derive(Debug, Clone)]
pub struct NewToken {
    pub name: String,
    pub account_id: String,
    pub groups: Vec<PermissionGroup>,
    pub expires_on: Option<DateTime<Utc>>,
}

impl NewToken {
    fn body(&self) -> Value {
        let groups: Vec<Value> = self.groups.iter().map(|g| json!({"id": g.id})).collect();
        let mut b = json!({
            "name": self.name,
            "policies": [{
                "effect": "allow",
                "resources": {format!("com.cloudflare.api.account.{}", self.account_id): "*"},
                "permission_groups": groups,
            }],
        });
        if let Some(t) = self.expires_on {
            b["expires_on"] = json!(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        }
        b
    }
}

fn op(name: &'static str, permission: &'static str) -> Operation {
    Operation {
        name,
        permission: Some(permission),
        gateway_scoped: false,
    }
}

impl Client {
    /// The permission groups named `names`, looked up by name (one request each, concurrently).
    /// A name Cloudflare does not know is an error naming it.
    pub async fn resolve_permission_groups(
        &self,
        scope: &TokenScope,
        names: &[&str],
    ) -> Result<Vec<PermissionGroup>, ApiError> {
        let o = op("look up permission groups", scope.read_permission());
        let path = format!("{}/permission_groups", scope.base());
        let lookups = names.iter().map(|name| {
            let path = path.clone();
            async move {
                let q = [("name", name.to_string())];
                let r: Reply<Option<Vec<PermissionGroup>>> =
                    self.api(Method::GET, &path, &q, None, o).await?;
                let found = r
                    .result
                    .unwrap_or_default()
                    .into_iter()
                    .find(|g| g.name == *name);
                match found {
                    Some(g) => {
                        if let Some((_, known)) = KNOWN_GROUP_IDS.iter().find(|(n, _)| n == name)
                            && *known != g.id
                        {
                            self.log(&format!(
                                "permission group \"{name}\" has id {} (documented: {known})",
                                g.id
                            ));
                        }
                        Ok(g)
                    }
                    None => Err(ApiError::unexpected(
                        o,
                        200,
                        &format!("Cloudflare has no permission group named \"{name}\""),
                    )),
                }
            }
        });
        // Every look-up is answered (none is dropped half-way when another fails): the same
        // requests reach Cloudflare whatever answers first, and they take one round either way.
        futures_util::future::join_all(lookups)
            .await
            .into_iter()
            .collect()
    }

    /// Creates a token. Never blindly retried (see the module note).
    pub async fn create_token(
        &self,
        scope: &TokenScope,
        new: &NewToken,
    ) -> Result<CreatedToken, ApiError> {
        let o = op("create an API token", scope.write_permission());
        let body = new.body();
        let started = Utc::now() - chrono::Duration::seconds(5);
        let post = || async {
            let r: Reply<Value> = self
                .api(Method::POST, &scope.base(), &[], Some(&body), o)
                .await?;
            created(o, r.result)
        };
        let first = match post().await {
            Ok(c) => return Ok(c),
            Err(e) => e,
        };
        let not_applied = first.transport_kind() == Some(Transport::Connect)
            || first.kind() == ErrorKind::RateLimited;
        if !not_applied && !first.is_uncertain() {
            return Err(first);
        }
        if first.is_uncertain() {
            self.log("could not tell whether Cloudflare created the token; checking");
            let Ok(all) = self.list_tokens(scope).await else {
                return Err(first);
            };
            for t in all.iter().filter(|t| {
                t.name == new.name && t.issued_on.is_none_or(|issued| issued >= started)
            }) {
                // Its value was lost with the reply: remove it rather than leave it behind.
                self.delete_token(scope, &t.id).await?;
            }
        }
        self.sleep_before_retry(1).await;
        post().await
    }

    /// Every token of the scope (all pages, expired ones included).
    pub async fn list_tokens(&self, scope: &TokenScope) -> Result<Vec<ApiToken>, ApiError> {
        let o = op("list API tokens", scope.read_permission());
        self.get_all(
            &scope.base(),
            50,
            &[("include_expired", "true".to_string())],
            o,
            |t: &ApiToken| t.id.clone(),
        )
        .await
    }

    /// The token, or `None` when it does not exist.
    pub async fn get_token(
        &self,
        scope: &TokenScope,
        id: &str,
    ) -> Result<Option<ApiToken>, ApiError> {
        let o = op("read an API token", scope.read_permission());
        let path = format!("{}/{}", scope.base(), seg(id));
        match self.api::<ApiToken>(Method::GET, &path, &[], None, o).await {
            Ok(r) => Ok(Some(r.result)),
            Err(e) if e.status() == Some(404) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Deletes a token; `false` when it was already gone.
    pub async fn delete_token(&self, scope: &TokenScope, id: &str) -> Result<bool, ApiError> {
        let o = op("delete an API token", scope.write_permission());
        let path = format!("{}/{}", scope.base(), seg(id));
        match self
            .api::<Value>(Method::DELETE, &path, &[], Some(&json!({})), o)
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if e.status() == Some(404) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Rolls the token's value: the old value stops working, the new one is returned.
    pub async fn roll_token(&self, scope: &TokenScope, id: &str) -> Result<Secret, ApiError> {
        let o = op("roll an API token", scope.write_permission());
        let path = format!("{}/{}/value", scope.base(), seg(id));
        let r: Reply<String> = self
            .api(Method::PUT, &path, &[], Some(&json!({})), o)
            .await?;
        Ok(Secret::new(r.result))
    }
}

fn created(o: Operation, mut v: Value) -> Result<CreatedToken, ApiError> {
    let value = v
        .get_mut("value")
        .map(Value::take)
        .and_then(|x| x.as_str().map(str::to_string))
        .filter(|s| !s.is_empty());
    let token: Option<ApiToken> = serde_json::from_value(v).ok();
    match (token, value) {
        (Some(token), Some(value)) => Ok(CreatedToken {
            token,
            value: Secret::new(value),
        }),
        _ => Err(ApiError::unexpected(
            o,
            200,
            "the reply carried no token value",
        )),
    }
}
