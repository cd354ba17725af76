//! `aigate status`: what the profile holds, checked live; exit 1 with the fix when something
//! is wrong (4 when Cloudflare cannot be reached to check the token).

use crate::context::Context;

pub fn exec(ctx: &mut Context) -> anyhow::Result<i32> {
    let report = crate::ops::status::status(ctx)?;
    Ok(crate::report::emit(&ctx.ui, &report))
}
