//! `aigate test`: one prompt through the gateway, by the route OpenCode uses for the model
//! (see `ops::test`).

use crate::cli::TestArgs;
use crate::context::Context;

pub fn exec(ctx: &mut Context, args: &TestArgs) -> anyhow::Result<i32> {
    let report = crate::ops::test::test(ctx, args)?;
    Ok(crate::report::emit(&ctx.ui, &report))
}
