//! `rotate` for a profile that stores a token aigate minted: roll its value (the `/value`
//! endpoint), or, when it cannot be rolled (deleted at Cloudflare), mint a new one, and delete
//! the old one only after the new one is stored. Needs an admin token once.

use super::admin;
use super::mint::{self, MintError};
use crate::Secret;
use crate::context::{Context, profile_flag};
use crate::domain::TokenDelivery;
use crate::interrupt::Critical;
use crate::opencode;
use crate::report::Report;
use crate::state::{Profile, StoredToken, StoredTokenKind};
use crate::ui::Ui;
use anyhow::Context as _;
use serde::Serialize;
use std::path::PathBuf;

#[derive(Debug, Serialize)]
pub struct RotateMintedReport {
    pub profile: String,
    pub rotated: bool,
    /// `rolled` (same token, new value) or `replaced` (a new minted token; the old deleted).
    pub method: &'static str,
    pub token_id: String,
    pub token_store: crate::domain::StoreKind,
    pub auth_json: Option<PathBuf>,
    /// Claude Code's `settings.json`, when its token variables were rewritten (opt-in
    /// `--token-delivery claude-settings`).
    pub claude_settings: Option<PathBuf>,
}

impl Report for RotateMintedReport {
    fn render(&self, ui: &Ui) {
        ui.out(&match self.method {
            "rolled" => format!(
                "Rolled the minted token of profile '{}': the old value no longer works",
                self.profile
            ),
            _ => format!(
                "Replaced the minted token of profile '{}' with a new one; the old one is deleted",
                self.profile
            ),
        });
        if let Some(p) = &self.claude_settings {
            ui.ok(&format!("Token replaced in {}", p.display()));
        }
        ui.info(&format!(
            "Check with `aigate{} status`.",
            profile_flag(&self.profile)
        ));
    }
}

/// The profile's minted token, if that is what it stores.
pub fn minted(profile: &Profile) -> Option<&StoredToken> {
    profile
        .stored_token
        .as_ref()
        .filter(|t| t.kind == StoredTokenKind::Minted && t.id.is_some())
}

pub fn rotate_minted(
    ctx: &Context,
    profile: &Profile,
    record: &StoredToken,
    admin_token: Secret,
) -> anyhow::Result<RotateMintedReport> {
    let name = ctx.profile_name().to_string();
    let account = profile.account_id.as_str();
    let old_id = record.id.clone().unwrap_or_default();
    let scope = mint::scope_of(record, account);
    let (admin, owner) = admin::client(ctx, admin_token, account)?;

    let rolled = ctx.rt.block_on(admin.roll_token(&scope, &old_id));
    let (value, new_record, method, new_scope) = match rolled {
        Ok(v) => (v, record.clone(), "rolled", scope.clone()),
        Err(e) if admin::refused(&e) && e.status() != Some(404) => {
            return Err(admin::not_allowed("could not roll the minted token"));
        }
        Err(e) if e.status() != Some(404) => return Err(e.into()),
        Err(_) => {
            ctx.ui
                .note("The minted token no longer exists at Cloudflare; minting a new one.");
            let m = ctx.rt.block_on(mint::mint_run_read(
                &admin,
                account,
                owner,
                &mint::token_name(&name),
                None,
            ));
            match m {
                Ok(m) => (m.value, m.record, "replaced", m.scope),
                Err(MintError::NotAllowed) => {
                    return Err(admin::not_allowed("could not mint a new token"));
                }
                Err(MintError::Api(e)) => return Err(e.into()),
            }
        }
    };
    // Stored without a check of its own: a rolled value carries the token's policies and the
    // old value stopped working at the roll (refusing to store the new one would leave a dead
    // token); a replacement's create reply was checked by `mint`. `aigate status` exercises it.
    let stored = store(ctx, profile, &value, &new_record)?;
    if method == "replaced" && new_record.id.as_deref() != Some(old_id.as_str()) {
        let _ = ctx.rt.block_on(admin.delete_token(&scope, &old_id));
    }
    ctx.ui.ok(&format!(
        "Stored the new value ({} token \"{}\")",
        new_scope.word(),
        new_record.name.as_deref().unwrap_or_default()
    ));
    Ok(RotateMintedReport {
        profile: name,
        rotated: true,
        method,
        token_id: new_record.id.clone().unwrap_or_default(),
        token_store: profile.token_store,
        auth_json: stored.auth_json,
        claude_settings: stored.claude_settings,
    })
}

/// The new value into the keychain, OpenCode's auth.json (if it carries the token) and the
/// profile's record, as one unit.
fn store(
    ctx: &Context,
    profile: &Profile,
    value: &Secret,
    record: &StoredToken,
) -> anyhow::Result<Stored> {
    let name = ctx.profile_name();
    let store = ctx.store_of(profile.token_store)?;
    let auth_change = match (&profile.token_delivery, &profile.auth_json) {
        (TokenDelivery::OpencodeAuth, Some(path)) => Some(opencode::plan_auth_upsert(
            path,
            value,
            &profile.account_id,
            &profile.gateway_id,
        )?),
        _ => None,
    };
    // Claude Code's settings.json, when the token was delivered there (opted in).
    let old = store.get(name).ok().flatten();
    let claude_change =
        crate::clients::claude_code::rotate_change(ctx, profile, value, old.as_ref())?;
    let mut updated = profile.clone();
    updated.stored_token = Some(record.clone());
    let state_change = crate::state::State::plan_upsert(&ctx.state_path, name, updated)?;
    let _critical = Critical::enter();
    crate::commit::commit(&crate::commit::Unit {
        store: store.as_ref(),
        profile: name,
        token: Some(value),
        changes: auth_change
            .iter()
            .chain(claude_change.iter())
            .chain([&state_change])
            .collect(),
        last: None,
    })
    .context("could not save the new token value")?;
    Ok(Stored {
        auth_json: auth_change.map(|c| c.path),
        claude_settings: claude_change.map(|c| c.path),
    })
}

/// The files `store` rewrote besides the store.
struct Stored {
    auth_json: Option<PathBuf>,
    claude_settings: Option<PathBuf>,
}
