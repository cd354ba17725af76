//! `aigate run -- CMD`: run CMD with the profile's token, account and gateway in its
//! environment (see `ops::run`), and exit with its status.

use crate::cli::RunArgs;
use crate::context::Context;

pub fn exec(ctx: &mut Context, args: &RunArgs) -> anyhow::Result<i32> {
    crate::ops::run::run(ctx, &args.command)
}
