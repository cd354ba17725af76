//! `aigate setup`: the onboarding wizard (see `ops::setup`).

use crate::cli::SetupArgs;
use crate::context::Context;

pub fn exec(ctx: &mut Context, args: &SetupArgs) -> anyhow::Result<i32> {
    ctx.keep_sandbox(args.keep_sandbox);
    let report = crate::ops::setup::setup(ctx, args)?;
    Ok(crate::report::emit(&ctx.ui, &report))
}
