//! `aigate team init|invite|list|revoke`: thin over `crate::team`.

use crate::cli::{AdminTokenArgs, TeamArgs, TeamCommand};
use crate::context::Context;
use crate::report::emit;
use crate::team::{init, invite};
use crate::tokens::admin;

pub fn exec(ctx: &mut Context, args: &TeamArgs) -> anyhow::Result<i32> {
    let read =
        |a: &AdminTokenArgs, why: &str| admin::read(ctx, a.token_stdin, a.non_interactive, why);
    match &args.command {
        TeamCommand::Init => Ok(emit(&ctx.ui, &init::init(ctx)?)),
        TeamCommand::Invite {
            name,
            expires,
            admin,
        } => {
            let token = read(admin, &format!("Inviting {name}"))?;
            Ok(emit(&ctx.ui, &invite::invite(ctx, name, *expires, token)?))
        }
        TeamCommand::List { admin } => {
            let token = read(admin, "Listing the tokens aigate minted")?;
            Ok(emit(&ctx.ui, &invite::list(ctx, token)?))
        }
        TeamCommand::Revoke { name, admin } => {
            let token = read(admin, &format!("Revoking {name}'s tokens"))?;
            Ok(emit(&ctx.ui, &invite::revoke(ctx, name, token)?))
        }
    }
}
