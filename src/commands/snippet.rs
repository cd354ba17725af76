//! `aigate snippet --for TARGET`: ready-to-paste code for the profile's gateway (the token
//! read from `CLOUDFLARE_API_TOKEN`, never inlined).

use crate::cli::SnippetArgs;
use crate::context::Context;

pub fn exec(ctx: &mut Context, args: &SnippetArgs) -> anyhow::Result<i32> {
    let report = crate::ops::snippet::snippet(ctx, args.target)?;
    Ok(crate::report::emit(&ctx.ui, &report))
}
