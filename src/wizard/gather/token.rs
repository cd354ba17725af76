//! Step 1: the token (from where, [`crate::token_source`] decides), verified before anything
//! else happens; a refused token a person gave is asked again.

use super::Ask;
use super::fetch::Reads;
use super::storage::Store;
use crate::Secret;
use crate::cloudflare::{ApiError, ErrorKind, TokenInfo};
use crate::secrets::{Lazy, SecretStore};
use crate::token_source::{self as source, Stored, TokenSource, Wants};

pub const CREATE_TOKEN_URL: &str = "https://dash.cloudflare.com/profile/api-tokens";

pub struct VerifiedToken {
    pub token: Secret,
    pub source: TokenSource,
    pub info: TokenInfo,
    /// The account id, when the token is account-owned and it had to be asked for.
    pub account_hint: Option<String>,
}

/// How many times a rejected pasted token is asked again before giving up.
const TOKEN_ATTEMPTS: usize = 3;

/// The token, verified; and the reads of this run, whose first round started with the check.
pub fn step<'c>(q: &mut Ask<'c>, store: &Store) -> anyhow::Result<(VerifiedToken, Reads<'c>)> {
    let ctx = q.ctx;
    let mut asked_again = false;
    for attempt in 1..=TOKEN_ATTEMPTS {
        let (token, source) = obtain(q, store, asked_again)?;
        match verify(q, token, source) {
            Ok(done) => return Ok(done),
            Err(e) if retryable(q, &e, source) && attempt < TOKEN_ATTEMPTS => {
                ctx.ui.error(&format!("{e:#}"));
                if let Some(h) = crate::error::hint_of(&e) {
                    ctx.ui.hint(&h);
                }
                ctx.ui
                    .info("Paste another token (or press Ctrl-C to stop).");
                asked_again = true;
            }
            Err(e) => return Err(e),
        }
    }
    unreachable!("the last attempt returns")
}

/// A token a person gave (pasted, or kept from the store) that Cloudflare refused: ask again.
/// Unreachable Cloudflare, env and stdin tokens are not asked again.
fn retryable(q: &Ask<'_>, e: &anyhow::Error, source: TokenSource) -> bool {
    let refused = e.chain().any(|c| {
        c.downcast_ref::<ApiError>().is_some_and(|a| {
            matches!(
                a.kind(),
                ErrorKind::InvalidToken | ErrorKind::ExpiredToken | ErrorKind::DisabledToken
            )
        })
    });
    refused
        && q.prompter.interactive()
        && matches!(source, TokenSource::Prompt | TokenSource::Stored)
}

fn verify<'c>(
    q: &mut Ask<'c>,
    token: Secret,
    source: TokenSource,
) -> anyhow::Result<(VerifiedToken, Reads<'c>)> {
    q.token_source = Some(source);
    let (ctx, args, previous) = (q.ctx, q.args, q.previous);
    let mut account_hint = args
        .account_id
        .as_ref()
        .map(ToString::to_string)
        .or_else(|| previous.map(|p| p.account_id.clone()));
    let mut reads = Reads::new(ctx, ctx.client(token.clone())?);
    super::first_round(q, &mut reads, account_hint.as_deref());
    let spinner = ctx.ui.spinner("Verifying the token with Cloudflare…");
    let mut result = reads.verify(account_hint.as_deref());
    drop(spinner);
    // An account-owned token can only be verified against its account: ask for it once.
    if let Err(e) = &result
        && e.kind() == ErrorKind::InvalidToken
        && account_hint.is_none()
        && token.expose().starts_with("cfat_")
    {
        let id = q.prompter.input(
            "This is an account-owned token: which account id does it belong to?",
            None,
            &|s: &str| {
                if s.len() == 32 && s.chars().all(|c| c.is_ascii_hexdigit()) {
                    Ok(())
                } else {
                    Err("an account id is 32 hex characters".into())
                }
            },
            "--account-id",
        )?;
        account_hint = Some(id);
        super::first_round(q, &mut reads, account_hint.as_deref());
        result = reads.verify(account_hint.as_deref());
    }
    let info = result.map_err(|e| token_error(e, source))?;
    let expiry = match info.expires_on {
        Some(t) => {
            let days = (t - chrono::Utc::now()).num_days();
            if days < 14 {
                ctx.ui.warn(&format!(
                    "the token expires on {} (in {days} days); create one with a later expiry at {CREATE_TOKEN_URL}",
                    t.format("%Y-%m-%d")
                ));
            }
            format!(", expires {}", t.format("%Y-%m-%d"))
        }
        None => ", no expiry".into(),
    };
    ctx.ui.ok(&format!(
        "Token from {} is valid ({}{expiry})",
        source.describe(),
        token.masked()
    ));
    Ok((
        VerifiedToken {
            token,
            source,
            info,
            account_hint,
        },
        reads,
    ))
}

/// A refused token is worded as one; an unreachable Cloudflare is named as such (exit 4).
fn token_error(e: ApiError, source: TokenSource) -> anyhow::Error {
    let from = source.describe();
    let what = match e.kind() {
        ErrorKind::Unreachable | ErrorKind::Server | ErrorKind::RateLimited => {
            "could not check the token: Cloudflare did not answer".to_string()
        }
        _ => format!("the token from {from} was not accepted"),
    };
    anyhow::Error::new(e).context(what)
}

/// The token by the one precedence of [`crate::token_source`]: setup takes `--token-stdin`,
/// `CLOUDFLARE_API_TOKEN`, the stored token on a re-run (a terminal is asked whether to keep
/// it), and a hidden prompt. Asked again after a refusal: only the prompt.
fn obtain(
    q: &mut Ask<'_>,
    store: &Store,
    asked_again: bool,
) -> anyhow::Result<(Secret, TokenSource)> {
    let (ctx, args, previous) = (q.ctx, q.args, q.previous);
    // The profile's token may live in another store than this run's: read there, opened only
    // if the precedence comes to the stored token.
    let recorded = previous.map(|p| {
        let kind = p.token_store;
        Lazy::new(kind, move || ctx.store_of(kind))
    });
    let stored: Option<&dyn SecretStore> = match (previous, &recorded) {
        (Some(p), _) if store.kind() == p.token_store => Some(store.as_ref()),
        (_, Some(r)) => Some(r),
        _ => None,
    };
    let intro = [
        &format!("Create a token at {CREATE_TOKEN_URL} (\"Create Custom Token\") with these")[..],
        "account permissions: AI Gateway › Edit, AI Gateway › Run, and for BYOK also",
        "Secrets Store › Edit. The token is verified now and then kept in your OS keychain.",
    ];
    let wants = Wants {
        token_stdin: args.token_stdin && !asked_again,
        env: !asked_again,
        stored: stored.filter(|_| !asked_again).map(|store| Stored {
            store,
            profile: ctx.profile_name(),
            offer: true,
        }),
        prompt: Some(source::Ask {
            prompter: &mut *q.prompter,
            question: "Paste your Cloudflare API token (input is hidden)",
            intro: if asked_again { &[] } else { &intro },
        }),
    };
    ctx.token(wants)
}
