//! The admin token some operations need once (roll, revoke, invite): read from standard input
//! or a hidden prompt, used for this run only, never stored. (`CLOUDFLARE_API_TOKEN` is not
//! read here: under `aigate run` it holds the daily token.)

use crate::Secret;
use crate::cloudflare::{Client, TokenOwner};
use crate::context::Context;
use crate::exit::{Failure, Kind};
use crate::prompt;
use crate::token_source::{Ask, Wants};

/// Read the admin token: `--token-stdin`, else a hidden prompt (exit 2 naming
/// `--token-stdin` when there is no terminal); see [`crate::token_source`].
pub fn read(
    ctx: &Context,
    token_stdin: bool,
    non_interactive: bool,
    why: &str,
) -> anyhow::Result<Secret> {
    let mut p = prompt::for_run(non_interactive);
    let question = format!(
        "{why}: paste a Cloudflare API token with \"Account API Tokens Write\" (used once, not stored)"
    );
    let ask = Ask {
        prompter: p.as_mut(),
        question: &question,
        intro: &[],
    };
    Ok(ctx.token(Wants::given(token_stdin, false, ask))?.0)
}

/// An admin client and who owns its token, verified against `account_id`.
pub fn client(
    ctx: &Context,
    token: Secret,
    account_id: &str,
) -> anyhow::Result<(Client, TokenOwner)> {
    let client = ctx.client(token)?;
    let info = ctx
        .rt
        .block_on(client.verify_token(Some(account_id)))
        .map_err(|e| anyhow::Error::new(e).context("the admin token was not accepted"))?;
    Ok((client, info.owner))
}

/// The refusal when the admin token may not manage tokens.
pub fn not_allowed(what: &str) -> anyhow::Error {
    Failure::new(
        Kind::Auth,
        format!("{what}: the token given cannot manage API tokens"),
    )
    .with_hint(format!(
        "give a token with \"Account API Tokens Write\" (Account › Account API Tokens › Edit) on \
         this account, or \"API Tokens Write\" for user tokens; create one at {}",
        crate::cloudflare::TOKENS_PAGE
    ))
    .into()
}

/// Whether an API error means "this token may not do that".
pub fn refused(e: &crate::cloudflare::ApiError) -> bool {
    matches!(e.kind(), crate::cloudflare::ErrorKind::MissingPermission(_))
        || matches!(e.status(), Some(401 | 403))
}
