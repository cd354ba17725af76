//! `aigate doctor`: `status`'s checks plus the clients'; exit 1 on any failure.

use crate::context::Context;

pub fn exec(ctx: &mut Context) -> anyhow::Result<i32> {
    let report = crate::ops::doctor::doctor(ctx)?;
    Ok(crate::report::emit(&ctx.ui, &report))
}
