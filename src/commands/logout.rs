//! `aigate logout`: remove the profile's token from every place aigate put it (see
//! `ops::logout`).

use crate::context::Context;

pub fn exec(ctx: &mut Context, args: &crate::cli::LogoutArgs) -> anyhow::Result<i32> {
    let report = crate::ops::logout::logout(ctx, args)?;
    Ok(crate::report::emit(&ctx.ui, &report))
}
