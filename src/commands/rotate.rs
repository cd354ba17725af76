//! `aigate rotate`: replace the stored token; the old one stays on any failure (see
//! `ops::rotate`; a token aigate minted is rolled through `tokens::rotate`).

use crate::cli::RotateArgs;
use crate::context::Context;

pub fn exec(ctx: &mut Context, args: &RotateArgs) -> anyhow::Result<i32> {
    let report = crate::ops::rotate::run(ctx, args)?;
    Ok(crate::report::emit(&ctx.ui, &report))
}
