//! `aigate rotate`: replace the stored token; the old one stays on any failure (see
//! `ops::rotate`; a token aigate minted is rolled through `tokens::rotate`).

use crate::cli::RotateArgs;
use crate::context::Context;

pub fn exec(ctx: &mut Context, args: &RotateArgs) -> anyhow::Result<i32> {
    let profile = ctx.require_profile()?;
    // A token aigate minted is rolled (or replaced) with an admin token used once.
    if let Some(record) = crate::tokens::rotate::minted(&profile) {
        let admin = crate::tokens::admin::read(
            ctx,
            args.token_stdin,
            args.non_interactive,
            "Rotating the token aigate minted",
        )?;
        let report = crate::tokens::rotate::rotate_minted(ctx, &profile, record, admin)?;
        return Ok(crate::report::emit(&ctx.ui, &report));
    }
    let report = crate::ops::rotate::rotate(ctx, args)?;
    Ok(crate::report::emit(&ctx.ui, &report))
}
