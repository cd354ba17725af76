//! Build the [`Plan`] step by step. Read-only: Cloudflare is only queried, nothing is stored
//! or written here, so every error in this phase leaves everything as it was.

mod account;
mod billing;
mod gateway;
mod model;
mod output;
mod token;

pub use gateway::validate_gateway_id;

use super::plan::Plan;
use crate::cli::SetupArgs;
use crate::commands::context::Context;
use crate::prompt::Prompter;

pub fn gather(
    ctx: &Context,
    args: &SetupArgs,
    prompter: &mut dyn Prompter,
) -> anyhow::Result<Plan> {
    let state = ctx.load_state()?;
    let previous = state.profile(ctx.profile_name()).cloned();
    if previous.is_some() {
        ctx.ui.note(&format!(
            "Profile '{}' is already set up; its current values are the defaults.",
            ctx.profile_name()
        ));
    }

    ctx.ui.heading("1. Cloudflare API token");
    let tok = token::step(ctx, args, prompter, previous.as_ref())?;
    let client = ctx.client(tok.token.clone())?;

    ctx.ui.heading("2. Account");
    let account = account::step(ctx, &client, args, prompter, previous.as_ref(), &tok)?;

    ctx.ui.heading("3. AI Gateway");
    let gw = gateway::step(ctx, &client, args, prompter, previous.as_ref(), &account)?;

    ctx.ui.heading("4. Billing");
    let billing = billing::step(
        ctx,
        &client,
        args,
        prompter,
        previous.as_ref(),
        &account,
        &gw,
    )?;

    ctx.ui.heading("5. Models");
    let models = model::step(
        ctx,
        &client,
        args,
        prompter,
        previous.as_ref(),
        &account,
        &gw,
        &billing,
    )?;

    ctx.ui.heading("6. Token storage and OpenCode");
    output::step(
        ctx,
        args,
        prompter,
        previous.as_ref(),
        state,
        tok,
        account,
        gw,
        billing,
        models,
    )
}
