//! Minting Run-only tokens: permission groups resolved by name, an account-owned token where
//! the caller may create one, else a user token; names aigate recognises as its own.

use crate::Secret;
use crate::cloudflare::{
    ApiError, Client, DAILY_GROUPS, ErrorKind, NewToken, TokenOwner, TokenScope,
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

/// Mint a token with only AI Gateway Run and Read on `account_id`, verified before it is
/// returned.
pub async fn mint_run_read(
    client: &Client,
    account_id: &str,
    caller: TokenOwner,
    name: &str,
    expires: Option<chrono::Duration>,
) -> Result<Minted, MintError> {
    for scope in scopes(account_id, caller) {
        let groups = match client.resolve_permission_groups(&scope, DAILY_GROUPS).await {
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
        // Prove the new value works before anyone relies on it.
        let check = client.with_token(created.value.clone());
        if let Err(e) = check.verify_token(Some(account_id)).await {
            let _ = client.delete_token(&scope, &created.token.id).await;
            return Err(MintError::Api(e));
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
