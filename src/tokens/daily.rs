//! The daily token of a profile (`setup --token-scope minimal`, the default when the given
//! token may create tokens): after setup's remote changes, mint a token with only AI Gateway
//! Run and Read on the profile's account and store THAT one. The given token stays in memory
//! for the run and is never stored.

use super::mint::{self, MintError};
use crate::Secret;
use crate::cloudflare::{Client, TokenInfo, TokenScope};
use crate::context::Context;
use crate::exit::{Failure, Kind};
use crate::secrets::SecretStore;
use crate::state::{StoredToken, StoredTokenKind};

pub use crate::cli::TokenScopeArg;

/// What setup was asked for (`--token-scope`, `--token-expires`).
#[derive(Debug, Clone, Default)]
pub struct DailyRequest {
    pub scope: Option<TokenScopeArg>,
    pub expires: Option<chrono::Duration>,
    /// The permission-group look-ups setup started with its first round (see [`may_mint`]);
    /// a scope not here is looked up when the token is minted.
    pub groups: mint::KnownGroups,
}

/// The token is stored as given without trying to mint: `--token-scope as-given`, or (without
/// the flag) a profile that stored the given token by choice before.
fn explicit_as_given(scope: Option<TokenScopeArg>, previous: Option<&StoredToken>) -> bool {
    scope == Some(TokenScopeArg::AsGiven)
        || (scope.is_none()
            && previous.is_some_and(|p| p.kind == StoredTokenKind::AsGiven && p.note.is_none()))
}

/// Whether this run may mint, so the permission groups are worth looking up in the first
/// round, beside the other reads (they need only the account id, and a token that may not
/// look them up answers 403 in the same round). Not when the token is stored as given by
/// choice, nor on a re-run that gives the stored minted token itself (it is kept).
pub fn may_mint(
    scope: Option<TokenScopeArg>,
    previous: Option<&StoredToken>,
    given_is_stored: bool,
) -> bool {
    let keeps_minted = given_is_stored
        && previous.is_some_and(|p| p.kind == StoredTokenKind::Minted && p.id.is_some());
    !explicit_as_given(scope, previous) && !keeps_minted
}

/// What to store, decided after the remote changes.
pub enum Daily {
    /// Keep the token already stored (a minted token that still works).
    Keep { value: Secret, record: StoredToken },
    /// Store the given token.
    AsGiven(StoredToken),
    /// Store this freshly minted token; `replaces` is an older minted token to delete once
    /// the new one is stored.
    Minted {
        value: Secret,
        record: StoredToken,
        scope: TokenScope,
        replaces: Option<(TokenScope, String)>,
    },
}

impl Daily {
    pub fn record(&self) -> &StoredToken {
        match self {
            Daily::Keep { record, .. } | Daily::AsGiven(record) | Daily::Minted { record, .. } => {
                record
            }
        }
    }

    /// A token was minted by this run. Its create reply granted AI Gateway Run and Read on
    /// the account (checked by [`mint`]): Cloudflare's own word that it may run prompts.
    pub fn minted(&self) -> bool {
        matches!(self, Daily::Minted { .. })
    }

    /// The token to store, when it is not the given one.
    pub fn value(&self) -> Option<&Secret> {
        match self {
            Daily::Keep { value, .. } | Daily::Minted { value, .. } => Some(value),
            Daily::AsGiven(_) => None,
        }
    }
}

pub struct DailyInput<'a> {
    pub profile: &'a str,
    pub account_id: &'a str,
    pub request: &'a DailyRequest,
    /// The given token's verification.
    pub given: &'a TokenInfo,
    /// What the profile stored before this run.
    pub previous: Option<&'a StoredToken>,
    pub store: &'a dyn SecretStore,
    /// Show a spinner while minting (not when another step's spinner is on screen).
    pub spinner: bool,
}

/// The note `status` and `doctor` show when the given token had to be stored.
pub fn cannot_mint_note(account_id: &str) -> String {
    format!(
        "the token you gave is stored because it cannot create API tokens; give setup a token with \
         \"Account API Tokens Write\" on account {account_id} (or, for a user token, \"API Tokens \
         Write\") to store a token with only AI Gateway Run and Read instead"
    )
}

/// Decide (and, for `minimal`, mint) the token to store.
pub fn decide(ctx: &Context, client: &Client, input: &DailyInput) -> anyhow::Result<Daily> {
    if explicit_as_given(input.request.scope, input.previous) {
        return Ok(Daily::AsGiven(as_given(None)));
    }
    if let Some(keep) = keep_previous(ctx, client, input) {
        return Ok(keep);
    }
    let name = mint::token_name(input.profile);
    let spinner = input.spinner.then(|| {
        ctx.ui
            .spinner("Creating a token with only AI Gateway Run and Read…")
    });
    let minted = ctx.rt.block_on(mint::mint_run_read_with(
        client,
        input.account_id,
        input.given.owner,
        &name,
        input.request.expires,
        &input.request.groups,
    ));
    drop(spinner);
    match minted {
        Ok(m) => {
            ctx.ui.ok(&format!(
                "Created the {} token \"{}\" with only AI Gateway Run and Read on this account; \
                 it is the one stored (the token you gave is not)",
                m.scope.word(),
                m.record.name.as_deref().unwrap_or_default()
            ));
            let replaces = input.previous.and_then(|p| {
                let id = p.id.clone()?;
                Some((mint::scope_of(p, input.account_id), id))
            });
            Ok(Daily::Minted {
                value: m.value,
                record: m.record,
                scope: m.scope,
                replaces,
            })
        }
        Err(MintError::NotAllowed) if input.request.scope == Some(TokenScopeArg::Minimal) => {
            Err(Failure::new(
                Kind::Auth,
                "--token-scope minimal: the token you gave cannot create API tokens",
            )
            .with_hint(format!(
                "add \"Account API Tokens Write\" (Account › Account API Tokens › Edit) for this \
                 account to the token at {}, or run setup with --token-scope as-given",
                crate::cloudflare::TOKENS_PAGE
            ))
            .into())
        }
        Err(MintError::NotAllowed) => {
            let note = cannot_mint_note(input.account_id);
            ctx.ui.warn(&note);
            Ok(Daily::AsGiven(as_given(Some(note))))
        }
        Err(MintError::Api(e)) => Err(e.into()),
    }
}

fn as_given(note: Option<String>) -> StoredToken {
    StoredToken {
        kind: StoredTokenKind::AsGiven,
        id: None,
        owner: None,
        name: None,
        permissions: vec![],
        expires_on: None,
        note,
    }
}

/// A minted token already stored for this profile that still works is kept (re-runs change
/// nothing). The given token may be that very token, or an admin token.
fn keep_previous(ctx: &Context, client: &Client, input: &DailyInput) -> Option<Daily> {
    let prev = input.previous?;
    let id = prev.id.as_deref()?;
    if prev.kind != StoredTokenKind::Minted {
        return None;
    }
    let stored = input.store.get(input.profile).ok().flatten()?;
    let info = if input.given.id == id {
        input.given.clone()
    } else {
        ctx.rt
            .block_on(
                client
                    .with_token(stored.clone())
                    .verify_token(Some(input.account_id)),
            )
            .ok()?
    };
    (info.id == id).then(|| {
        ctx.ui.ok(&format!(
            "Keeping the stored token \"{}\" (AI Gateway Run and Read only)",
            prev.name.as_deref().unwrap_or(id)
        ));
        Daily::Keep {
            value: stored,
            record: prev.clone(),
        }
    })
}

/// After the new token is stored: delete the minted token it replaces (best effort: a
/// failure is a warning naming the token to delete by hand).
pub fn settle(ctx: &Context, admin: &Client, daily: &Daily) {
    if let Daily::Minted {
        replaces: Some((scope, id)),
        record,
        ..
    } = daily
        && record.id.as_deref() != Some(id.as_str())
    {
        match ctx.rt.block_on(admin.delete_token(scope, id)) {
            Ok(_) => ctx.ui.ok("Deleted the token aigate had minted before"),
            Err(e) => ctx.ui.warn(&format!(
                "could not delete the previously minted token {id}: {e}; delete it at {}",
                crate::cloudflare::TOKENS_PAGE
            )),
        }
    }
}

/// Setup failed after minting: delete the new token so nothing is left behind.
pub fn discard(ctx: &Context, admin: &Client, daily: &Daily) {
    if let Daily::Minted { record, scope, .. } = daily
        && let Some(id) = &record.id
    {
        match ctx.rt.block_on(admin.delete_token(scope, id)) {
            Ok(_) => ctx
                .ui
                .info("Deleted the token this run had created (nothing is stored)"),
            Err(e) => ctx.ui.warn(&format!(
                "could not delete the token minted by this failed run ({id}): {e}; delete it at {}",
                crate::cloudflare::TOKENS_PAGE
            )),
        }
    }
}
