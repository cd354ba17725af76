//! Step 1: the token (stdin, `CLOUDFLARE_API_TOKEN`, the stored one on a re-run, or a hidden
//! prompt), verified before anything else happens.

use super::Ask;
use super::fetch::Reads;
use super::storage::Store;
use crate::Secret;
use crate::cloudflare::{ApiError, ErrorKind, TokenInfo};
use crate::context::{env_token, read_token_stdin};
use crate::exit::Failure;
use crate::wizard::plan::TokenSource;

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
        crate::context::check_token_shape(&token, source.describe())?;
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

fn obtain(
    q: &mut Ask<'_>,
    store: &Store,
    asked_again: bool,
) -> anyhow::Result<(Secret, TokenSource)> {
    let (ctx, args, previous) = (q.ctx, q.args, q.previous);
    let prompter = &mut *q.prompter;
    if asked_again {
        let token = prompter.password(
            "Paste your Cloudflare API token (input is hidden)",
            "--token-stdin",
        )?;
        return Ok((token, TokenSource::Prompt));
    }
    if ctx.sandbox.is_some() {
        // The sandbox never uses a real token: not from stdin, the environment or a store.
        if args.token_stdin {
            ctx.ui
                .note("Sandbox: --token-stdin is ignored (standard input is not read).");
        }
        if env_token().is_some() {
            ctx.ui
                .note("Sandbox: CLOUDFLARE_API_TOKEN is set and ignored.");
        }
        ctx.ui
            .note("Sandbox: using the emulator's demo token (no real account needed).");
        return Ok((
            Secret::new(crate::emulator::sandbox::TOKEN),
            TokenSource::Sandbox,
        ));
    }
    if args.token_stdin {
        return Ok((read_token_stdin()?, TokenSource::Stdin));
    }
    if let Some(t) = env_token() {
        return Ok((t, TokenSource::EnvVar));
    }
    if let Some(p) = previous
        && let Ok(Some(stored)) = super::storage::stored_token(ctx, store, p.token_store)
    {
        let keep = !prompter.interactive()
            || prompter.confirm(
                &format!(
                    "Keep the stored token ({})? Answer no to paste a new one",
                    stored.masked()
                ),
                true,
                "--token-stdin",
            )?;
        if keep {
            return Ok((stored, TokenSource::Stored));
        }
    }
    if !prompter.interactive() {
        return Err(
            Failure::missing_answer("a Cloudflare API token", "--token-stdin")
                .with_hint("pipe the token to --token-stdin, or set CLOUDFLARE_API_TOKEN")
                .into(),
        );
    }
    ctx.ui.info(&format!(
        "Create a token at {CREATE_TOKEN_URL} (\"Create Custom Token\") with these"
    ));
    ctx.ui
        .info("account permissions: AI Gateway › Edit, AI Gateway › Run, and for BYOK also");
    ctx.ui
        .info("Secrets Store › Edit. The token is verified now and then kept in your OS keychain.");
    let token = prompter.password(
        "Paste your Cloudflare API token (input is hidden)",
        "--token-stdin",
    )?;
    Ok((token, TokenSource::Prompt))
}
