//! `aigate models`: the models reachable through the profile's gateway (see `ops::models`).

use crate::context::Context;

pub fn exec(ctx: &mut Context) -> anyhow::Result<i32> {
    let report = crate::ops::models::models(ctx)?;
    Ok(crate::report::emit(&ctx.ui, &report))
}
