//! Minting Run-only tokens: permission groups resolved by name, an account-owned token where
//! the caller may create one, else a user token; names aigate recognises as its own.

use crate::Secret;
use crate::cloudflare::{
    ApiError, Client, CreatedToken, DAILY_GROUPS, ErrorKind, NewToken, PermissionGroup, TokenOwner,
    TokenScope,
};
use crate::state::{StoredToken, StoredTokenKind};

/// Every token aigate mints is named with this prefix; `team list` / `team revoke` touch no
/// other token.
pub const NAME_PREFIX: &str = "aigate ";

/// `aigate <profile> <host> <date>`: recognisable in the dashboard.
pub fn token_name(profile: &str) -> String {
    format!(
        "{NAME_PREFIX}{profile} {} {}",
        host_name(),
        chrono::Utc::now().format("%Y-%m-%d")
    )
}

/// The name of an invite: `aigate invite <NAME> <date>`.
pub fn invite_name(person: &str) -> String {
    format!(
        "{NAME_PREFIX}invite {person} {}",
        chrono::Utc::now().format("%Y-%m-%d")
    )
}

/// The prefix of every invite token of `person`.
pub fn invite_prefix(person: &str) -> String {
    format!("{NAME_PREFIX}invite {person} ")
}

/// This machine's name (for token names), or `host`.
pub fn host_name() -> String {
    #[cfg(unix)]
    {
        let mut buf = [0u8; 256];
        // SAFETY: the buffer is valid for its length; gethostname writes at most that much.
        let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
        if rc == 0 {
            let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
            let name = String::from_utf8_lossy(&buf[..end]).trim().to_string();
            if !name.is_empty() {
                return name.split('.').next().unwrap_or(&name).to_string();
            }
        }
    }
    crate::env::computer_name().unwrap_or_else(|| "host".to_string())
}

pub enum MintError {
    /// The token may create neither account-owned nor user tokens.
    NotAllowed,
    Api(ApiError),
}

pub struct Minted {
    pub value: Secret,
    pub record: StoredToken,
    pub scope: TokenScope,
}

fn refused(e: &ApiError) -> bool {
    matches!(e.kind(), ErrorKind::MissingPermission(_)) || matches!(e.status(), Some(401 | 403))
}

/// The scopes to try, in order: account-owned first; a user token only for a user caller.
fn scopes(account_id: &str, caller: TokenOwner) -> Vec<TokenScope> {
    let mut s = vec![TokenScope::Account(account_id.to_string())];
    if caller == TokenOwner::User {
        s.push(TokenScope::User);
    }
    s
}

/// Where a stored minted token lives.
pub fn scope_of(t: &StoredToken, account_id: &str) -> TokenScope {
    match t.owner.as_deref() {
        Some("user") => TokenScope::User,
        _ => TokenScope::Account(account_id.to_string()),
    }
}

/// Permission-group look-ups already answered (started with setup's first round), by scope.
pub type KnownGroups = Vec<(TokenScope, Result<Vec<PermissionGroup>, ApiError>)>;

/// Mint a token with only AI Gateway Run and Read on `account_id`.
pub async fn mint_run_read(
    client: &Client,
    account_id: &str,
    caller: TokenOwner,
    name: &str,
    expires: Option<chrono::Duration>,
) -> Result<Minted, MintError> {
    mint_run_read_with(client, account_id, caller, name, expires, &vec![]).await
}

/// [`mint_run_read`], using the look-ups in `known` instead of sending them again.
///
/// The new token is not verified with a request of its own: the create's reply is Cloudflare's
/// answer about it (id, status, value, policies), and is checked here; a verify would only ask
/// Cloudflare whether it accepts the value it has just issued, one more round on every setup.
/// What the token is for is proven by its use: setup's test prompt goes out with it.
pub async fn mint_run_read_with(
    client: &Client,
    account_id: &str,
    caller: TokenOwner,
    name: &str,
    expires: Option<chrono::Duration>,
    known: &KnownGroups,
) -> Result<Minted, MintError> {
    for scope in scopes(account_id, caller) {
        let looked_up = match known.iter().find(|(s, _)| *s == scope) {
            Some((_, r)) => r.clone(),
            None => client.resolve_permission_groups(&scope, DAILY_GROUPS).await,
        };
        let groups = match looked_up {
            Ok(g) => g,
            Err(e) if refused(&e) => continue,
            Err(e) => return Err(MintError::Api(e)),
        };
        let new = NewToken {
            name: name.to_string(),
            account_id: account_id.to_string(),
            groups,
            expires_on: expires.map(|d| chrono::Utc::now() + d),
        };
        let created = match client.create_token(&scope, &new).await {
            Ok(c) => c,
            Err(e) if refused(&e) => continue,
            Err(e) => return Err(MintError::Api(e)),
        };
        if let Err(problem) = check_created(&created, &new) {
            let _ = client.delete_token(&scope, &created.token.id).await;
            return Err(MintError::Api(ApiError::unexpected(
                crate::cloudflare::Operation {
                    name: "create an API token",
                    permission: Some(scope.write_permission()),
                    gateway_scoped: false,
                },
                200,
                &problem,
            )));
        }
        let record = StoredToken {
            kind: StoredTokenKind::Minted,
            id: Some(created.token.id.clone()),
            owner: Some(scope.word().to_string()),
            name: Some(created.token.name.clone()),
            permissions: DAILY_GROUPS.iter().map(|s| s.to_string()).collect(),
            expires_on: created.token.expires_on.map(|t| t.to_rfc3339()),
            note: None,
        };
        return Ok(Minted {
            value: created.value,
            record,
            scope,
        });
    }
    Err(MintError::NotAllowed)
}

/// The create's reply describes the token asked for: an id, active (when it says), and, when
/// it lists its policies, exactly the permission groups requested (setup takes the grant of
/// AI Gateway Run as the proof that the token may run prompts).
fn check_created(created: &CreatedToken, asked: &NewToken) -> Result<(), String> {
    let t = &created.token;
    if t.id.is_empty() {
        return Err("the new token's reply carried no id".into());
    }
    if !t.status.is_empty() && t.status != "active" {
        return Err(format!("the new token is {}, not active", t.status));
    }
    let extra: Vec<&str> = t
        .policies
        .iter()
        .flat_map(|p| p.permission_groups.iter())
        .filter(|g| !asked.groups.iter().any(|a| a.id == g.id))
        .map(|g| g.id.as_str())
        .collect();
    if !extra.is_empty() {
        return Err(format!(
            "the new token has permission groups it was not asked for: {}",
            extra.join(", ")
        ));
    }
    let granted = |id: &str| {
        t.policies
            .iter()
            .filter(|p| p.effect == "allow")
            .flat_map(|p| p.permission_groups.iter())
            .any(|g| g.id == id)
    };
    let missing: Vec<&str> = asked
        .groups
        .iter()
        .filter(|g| !t.policies.is_empty() && !granted(&g.id))
        .map(|g| g.name.as_str())
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "the new token was not granted {}",
            missing.join(", ")
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asked() -> NewToken {
        let g = |id: &str, name: &str| PermissionGroup {
            id: id.into(),
            name: name.into(),
            scopes: vec![],
        };
        NewToken {
            name: "aigate default host 2026-01-01".into(),
            account_id: "0123456789abcdef0123456789abcdef".into(),
            groups: vec![g("run", "AI Gateway Run"), g("read", "AI Gateway Read")],
            expires_on: None,
        }
    }

    fn reply(status: &str, groups: &[&str]) -> CreatedToken {
        let groups: Vec<serde_json::Value> = groups
            .iter()
            .map(|id| serde_json::json!({"id": id, "name": id}))
            .collect();
        let token = serde_json::from_value(serde_json::json!({
            "id": "t1",
            "name": "aigate default host 2026-01-01",
            "status": status,
            "policies": [{"effect": "allow", "permission_groups": groups, "resources": {}}],
        }))
        .unwrap();
        CreatedToken {
            token,
            value: Secret::new("cfat_x"),
        }
    }

    #[test]
    fn the_create_reply_is_checked_instead_of_a_verify() {
        assert_eq!(
            check_created(&reply("active", &["run", "read"]), &asked()),
            Ok(())
        );
        assert_eq!(
            check_created(&reply("", &["run", "read"]), &asked()),
            Ok(())
        );
        let less = check_created(&reply("active", &["read"]), &asked());
        assert!(less.unwrap_err().contains("AI Gateway Run"));
        let more = check_created(&reply("active", &["run", "read", "write"]), &asked());
        assert!(more.unwrap_err().contains("write"));
        let off = check_created(&reply("disabled", &["run", "read"]), &asked());
        assert!(off.unwrap_err().contains("disabled"));
    }
}
