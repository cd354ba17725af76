//! What the control-plane operations (`gateway`, `route`, `usage`) share: the profile's
//! gateway and a client with its token, and asking before a change.

use crate::cloudflare::Client;
use crate::context::Context;
use crate::exit::Failure;
use crate::prompt::{self, Prompter, TermPrompter};

/// The profile's account, gateway and a client with its token.
pub struct Target {
    pub account_id: String,
    pub gateway_id: String,
    pub client: Client,
}

pub fn target(ctx: &Context) -> anyhow::Result<Target> {
    let profile = ctx.require_profile()?;
    let (token, _) = ctx.token_for(&profile)?;
    Ok(Target {
        client: ctx.client(token)?,
        account_id: profile.account_id,
        gateway_id: profile.gateway_id,
    })
}

/// Refuse early (exit 2 naming `--yes`) when a change needs confirmation that no one can
/// give: no terminal and no `--yes`. Checked before any request.
pub fn require_yes_or_terminal(yes: bool, what: &str) -> anyhow::Result<()> {
    if yes || prompt::can_prompt(false) {
        return Ok(());
    }
    Err(Failure::usage(format!(
        "{what} changes the gateway and needs confirmation, but there is no terminal to ask on"
    ))
    .with_hint("pass --yes to confirm")
    .into())
}

/// Ask `question` (default no) unless `yes` was given.
pub fn confirm(yes: bool, question: &str) -> anyhow::Result<bool> {
    if yes {
        return Ok(true);
    }
    TermPrompter::new().confirm(question, false, "--yes")
}
