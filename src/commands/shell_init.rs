//! `aigate shell-init bash|zsh|fish`: print the snippet that routes `opencode` through
//! `aigate run` (see `ops::shell_init`).

use crate::cli::ShellInitArgs;
use crate::context::Context;

pub use crate::ops::shell_init::render;

pub fn exec(ctx: &Context, args: &ShellInitArgs) -> anyhow::Result<i32> {
    let report = crate::ops::shell_init::shell_init(args.shell, ctx.profile_name())?;
    Ok(crate::report::emit(&ctx.ui, &report))
}
