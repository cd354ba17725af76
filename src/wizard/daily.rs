//! Beside the remote changes: decide which token is stored ([`crate::tokens::daily`]; for the
//! default setup that mints a Run + Read token), then make the plan's local changes store that
//! one: the keychain entry, OpenCode's auth.json (when it carries the token) and the profile's
//! record of it.

use super::plan::Plan;
use crate::cloudflare::Client;
use crate::context::Context;
use crate::opencode;
use crate::tokens::daily::{self, Daily, DailyInput};

/// Decide (and maybe mint) the token to store. Reads the plan only, so it can run while the
/// remote changes are made (the mint needs neither the gateway nor the provider keys): with
/// `spinner` false it shows no spinner of its own (the remote step's is on screen).
pub fn decide(ctx: &Context, client: &Client, plan: &Plan, spinner: bool) -> anyhow::Result<Daily> {
    let state = ctx.load_state()?;
    let previous = state
        .profile(&plan.profile)
        .and_then(|p| p.stored_token.clone());
    daily::decide(
        ctx,
        client,
        &DailyInput {
            profile: &plan.profile,
            account_id: &plan.account.id,
            request: &plan.daily,
            given: &plan.token_info,
            previous: previous.as_ref(),
            store: plan.store.as_ref(),
            spinner,
        },
    )
}

/// Make the plan store the decided token.
pub fn adopt(ctx: &Context, plan: &mut Plan, decided: &Daily) -> anyhow::Result<()> {
    if let Some(value) = decided.value() {
        plan.token_already_stored = matches!(
            plan.store.get(&plan.profile),
            Ok(Some(t)) if t.same_as(value)
        );
        plan.token = value.clone();
        if let Some(auth) = &plan.auth_change {
            plan.auth_change = Some(opencode::plan_auth_upsert(
                &auth.path,
                value,
                &plan.account.id,
                &plan.gateway_id,
            )?);
        }
        // Claude Code's settings.json (opt-in) carries the stored token too: the minted one,
        // never the given one.
        if let Some(path) = &plan.new_profile.claude_settings
            && let Some(c) = plan.clients.changes.iter_mut().find(|c| &c.path == path)
        {
            let at = crate::clients::launch::Where::of(ctx);
            let vars = crate::agents::claude_code::env(&plan.new_profile, at.gateway_url, value);
            *c = crate::agents::claude_code::plan_settings_write(path, &vars)?;
        }
    }
    plan.new_profile.stored_token = Some(decided.record().clone());
    // Merged into profiles.json as it is when committed (another run may have added a profile).
    plan.state_change =
        crate::state::State::plan_upsert(&ctx.state_path, &plan.profile, plan.new_profile.clone())?;
    Ok(())
}
