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
use crate::context::Context;
use crate::prompt::Prompter;
use crate::state::Profile;

/// What every step reads: the run's parts, the flags, the prompter, and the profile's current
/// values (the defaults on a re-run).
pub struct Ask<'a> {
    pub ctx: &'a Context,
    pub args: &'a SetupArgs,
    pub prompter: &'a mut dyn Prompter,
    pub previous: Option<&'a Profile>,
}

/// The answers of steps 1 to 5, turned into file changes by step 6.
pub struct Answers {
    pub tok: token::VerifiedToken,
    pub account: crate::cloudflare::Account,
    pub gw: gateway::GatewayChoice,
    pub billing: crate::wizard::plan::BillingPlan,
    pub models: model::ModelChoice,
    /// The installed OpenCode (detected while steps 1-5 ran).
    pub detection: crate::clients::Detection,
}

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
    let q = &mut Ask {
        ctx,
        args,
        prompter,
        previous: previous.as_ref(),
    };

    // Which OpenCode is installed: found in the background while the network steps run.
    let detector = crate::clients::start_detection(ctx);
    ctx.ui.heading("1. Cloudflare API token");
    let tok = token::step(q)?;
    let client = ctx.client(tok.token.clone())?;

    ctx.ui.heading("2. Account");
    let account = account::step(q, &client, &tok)?;

    ctx.ui.heading("3. AI Gateway");
    let gw = gateway::step(q, &client, &account)?;

    ctx.ui.heading("4. Billing");
    let billing = billing::step(q, &client, &account, &gw)?;

    ctx.ui.heading("5. Models");
    let models = model::step(q, &client, &account, &gw, &billing)?;

    ctx.ui.heading("6. Token storage and OpenCode");
    let detection = detector.wait(&ctx.rt);
    output::step(
        q,
        state.clone(),
        Answers {
            tok,
            account,
            gw,
            billing,
            models,
            detection,
        },
    )
}
