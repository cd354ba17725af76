//! `aigate route create|list|delete`: dynamic routes with fallbacks.

use crate::cli::{RouteAction, RouteArgs};
use crate::context::Context;
use crate::ops::route;

pub fn exec(ctx: &mut Context, args: &RouteArgs) -> anyhow::Result<i32> {
    let report = match &args.action {
        RouteAction::Create(c) => {
            let mut models = vec![c.model.clone()];
            models.extend(c.fallbacks.iter().cloned());
            route::create(ctx, &c.name, &models, c.yes)?
        }
        RouteAction::List => route::list(ctx)?,
        RouteAction::Delete(d) => route::delete(ctx, &d.name, d.yes)?,
    };
    Ok(crate::report::emit(&ctx.ui, &report))
}
