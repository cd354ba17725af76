//! `aigate team invite NAME`, `team list`, `team revoke NAME`: the Run + Read tokens aigate
//! mints for people, managed with an admin token used once. Only tokens whose names start with
//! aigate's prefix are listed or deleted; no other token is ever touched.

use super::file::{self, TeamFile};
use crate::Secret;
use crate::cloudflare::{ApiToken, TokenOwner, TokenScope};
use crate::context::Context;
use crate::exit::{Failure, Kind};
use crate::report::Report;
use crate::tokens::admin;
use crate::tokens::mint::{self, MintError, NAME_PREFIX};
use crate::ui::Ui;
use serde::Serialize;

/// The account (and gateway) the team commands act on: the team file's, else the profile's.
pub fn target(ctx: &Context) -> anyhow::Result<(String, String)> {
    if let Some(path) = file::find(&ctx.env.cwd) {
        let t = TeamFile::load(&path)?;
        return Ok((t.account_id, t.gateway_id));
    }
    let p = ctx.require_profile()?;
    Ok((p.account_id, p.gateway_id))
}

pub use crate::domain::parse_person;

/// The invite: the token is in this report (and so on stdout) exactly once, by design.
#[derive(Serialize)]
pub struct InviteReport {
    pub name: String,
    pub token_name: String,
    pub token_id: String,
    /// `account` or `user`.
    pub owner: String,
    pub account_id: String,
    pub gateway_id: String,
    pub permissions: Vec<String>,
    pub expires_on: Option<String>,
    /// The token itself: shown once, here; never stored, never logged.
    #[serde(serialize_with = "expose")]
    pub token: Secret,
    /// What the person runs inside the repository (then pastes the token).
    pub command: String,
}

fn expose<S: serde::Serializer>(s: &Secret, ser: S) -> Result<S::Ok, S::Error> {
    ser.serialize_str(s.expose())
}

impl Report for InviteReport {
    fn render(&self, ui: &Ui) {
        ui.ok(&format!(
            "Created \"{}\" ({} token): {} on account {} only{}",
            self.token_name,
            self.owner,
            self.permissions.join(", "),
            self.account_id,
            self.expires_on
                .as_deref()
                .map(|e| format!(", expires {e}"))
                .unwrap_or_default()
        ));
        ui.note(&format!(
            "Send {} the token below over a private channel; it is shown only this once.",
            self.name
        ));
        ui.out(self.token.expose());
        ui.info(&format!(
            "{} runs, inside the repository (it has aigate.toml), and pastes the token when asked:",
            self.name
        ));
        ui.out(&format!("  {}", self.command));
    }
}

pub fn invite(
    ctx: &Context,
    person: &str,
    expires: Option<chrono::Duration>,
    admin_token: Secret,
) -> anyhow::Result<InviteReport> {
    let (account, gateway) = target(ctx)?;
    let (client, owner) = admin::client(ctx, admin_token, &account)?;
    let name = mint::invite_name(person);
    let spinner = ctx.ui.spinner("Creating the token…");
    let m = ctx.rt.block_on(mint::mint_run_read(
        &client, &account, owner, &name, expires,
    ));
    drop(spinner);
    let m = match m {
        Ok(m) => m,
        Err(MintError::NotAllowed) => return Err(admin::not_allowed("could not create the token")),
        Err(MintError::Api(e)) => return Err(e.into()),
    };
    Ok(InviteReport {
        name: person.to_string(),
        token_name: name,
        token_id: m.record.id.clone().unwrap_or_default(),
        owner: m.scope.word().to_string(),
        account_id: account,
        gateway_id: gateway,
        permissions: m.record.permissions.clone(),
        expires_on: m.record.expires_on.clone(),
        token: m.value,
        command: "aigate setup --token-scope as-given".to_string(),
    })
}

#[derive(Debug, Serialize)]
pub struct MintedToken {
    pub id: String,
    pub name: String,
    /// `account` or `user`.
    pub owner: String,
    pub status: String,
    /// `invite` (team invite) or `profile` (a setup's daily token).
    pub kind: &'static str,
    /// The invited person, for invites.
    pub person: Option<String>,
    pub permissions: Vec<String>,
    pub expires_on: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct TeamListReport {
    pub account_id: String,
    pub tokens: Vec<MintedToken>,
}

impl Report for TeamListReport {
    fn render(&self, ui: &Ui) {
        if self.tokens.is_empty() {
            ui.note(&format!(
                "aigate has minted no token for account {}",
                self.account_id
            ));
        }
        for t in &self.tokens {
            ui.out(&format!(
                "{:<8} {:<44} {:<8} {:<7} {}{}",
                t.kind,
                t.name,
                t.owner,
                t.status,
                t.permissions.join(", "),
                t.expires_on
                    .as_deref()
                    .map(|e| format!(", expires {e}"))
                    .unwrap_or_default()
            ));
        }
    }
}

/// The scopes an admin token can see: the account's tokens, and the user's for a user token.
fn scopes(account: &str, owner: TokenOwner) -> Vec<TokenScope> {
    let mut s = vec![TokenScope::Account(account.to_string())];
    if owner == TokenOwner::User {
        s.push(TokenScope::User);
    }
    s
}

/// aigate's tokens (by name prefix) that reach `account`, per scope.
fn ours(
    ctx: &Context,
    client: &crate::cloudflare::Client,
    account: &str,
    owner: TokenOwner,
) -> anyhow::Result<Vec<(TokenScope, ApiToken)>> {
    let mut out = vec![];
    let mut allowed = false;
    for scope in scopes(account, owner) {
        match ctx.rt.block_on(client.list_tokens(&scope)) {
            Ok(list) => {
                allowed = true;
                out.extend(
                    list.into_iter()
                        .filter(|t| t.name.starts_with(NAME_PREFIX))
                        .filter(|t| reaches(t, account))
                        .map(|t| (scope.clone(), t)),
                );
            }
            Err(e) if admin::refused(&e) => {}
            Err(e) => return Err(e.into()),
        }
    }
    if !allowed {
        return Err(admin::not_allowed("could not list the tokens"));
    }
    Ok(out)
}

fn reaches(t: &ApiToken, account: &str) -> bool {
    let key = format!("com.cloudflare.api.account.{account}");
    t.policies.iter().any(|p| p.resources.get(&key).is_some())
}

pub fn list(ctx: &Context, admin_token: Secret) -> anyhow::Result<TeamListReport> {
    let (account, _) = target(ctx)?;
    let (client, owner) = admin::client(ctx, admin_token, &account)?;
    let tokens = ours(ctx, &client, &account, owner)?
        .into_iter()
        .map(|(scope, t)| {
            let person = t
                .name
                .strip_prefix(&format!("{NAME_PREFIX}invite "))
                .and_then(|r| r.split(' ').next())
                .map(str::to_string);
            MintedToken {
                kind: if person.is_some() {
                    "invite"
                } else {
                    "profile"
                },
                person,
                permissions: t.group_names(),
                expires_on: t.expires_on.map(|e| e.to_rfc3339()),
                owner: scope.word().to_string(),
                status: t.status.clone(),
                id: t.id,
                name: t.name,
            }
        })
        .collect();
    Ok(TeamListReport {
        account_id: account,
        tokens,
    })
}

#[derive(Debug, Serialize)]
pub struct TeamRevokeReport {
    pub name: String,
    pub account_id: String,
    /// The deleted tokens' names.
    pub revoked: Vec<String>,
}

impl Report for TeamRevokeReport {
    fn render(&self, ui: &Ui) {
        for r in &self.revoked {
            ui.ok(&format!("Deleted \"{r}\" at Cloudflare"));
        }
        ui.out(&format!(
            "{} token(s) of {} revoked",
            self.revoked.len(),
            self.name
        ));
    }
}

pub fn revoke(
    ctx: &Context,
    person: &str,
    admin_token: Secret,
) -> anyhow::Result<TeamRevokeReport> {
    let (account, _) = target(ctx)?;
    let (client, owner) = admin::client(ctx, admin_token, &account)?;
    let prefix = mint::invite_prefix(person);
    let mut revoked = vec![];
    for (scope, t) in ours(ctx, &client, &account, owner)?
        .into_iter()
        .filter(|(_, t)| t.name.starts_with(&prefix))
    {
        match ctx.rt.block_on(client.delete_token(&scope, &t.id)) {
            Ok(_) => revoked.push(t.name),
            Err(e) if admin::refused(&e) => {
                return Err(admin::not_allowed("could not delete the token"));
            }
            Err(e) => return Err(e.into()),
        }
    }
    if revoked.is_empty() {
        return Err(Failure::new(
            Kind::Other,
            format!("aigate minted no token for '{person}' on account {account}"),
        )
        .with_hint("see the tokens aigate minted with `aigate team list`")
        .into());
    }
    Ok(TeamRevokeReport {
        name: person.to_string(),
        account_id: account,
        revoked,
    })
}
