//! `aigate gateway` / `aigate gateway set`: show or change the gateway's settings.

use crate::cli::{GatewayAction, GatewayArgs};
use crate::context::Context;
use crate::ops::gateway;

pub fn exec(ctx: &mut Context, args: &GatewayArgs) -> anyhow::Result<i32> {
    match &args.action {
        None => {
            let report = gateway::show(ctx)?;
            Ok(crate::report::emit(&ctx.ui, &report))
        }
        Some(GatewayAction::Set(set)) => {
            let report = gateway::set(ctx, &gateway::changes_of(set), set.yes)?;
            Ok(crate::report::emit(&ctx.ui, &report))
        }
    }
}
