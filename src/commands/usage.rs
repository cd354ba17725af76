//! `aigate usage`: the gateway's traffic over a window (see `usage`).

use crate::cli::UsageArgs;
use crate::context::Context;

pub fn exec(ctx: &mut Context, args: &UsageArgs) -> anyhow::Result<i32> {
    let report = crate::usage::summarise(ctx, args.since, args.by)?;
    Ok(crate::report::emit(&ctx.ui, &report))
}
