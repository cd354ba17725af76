//! `aigate run -- CMD`: run CMD with the profile's token, account and gateway in its
//! environment (and nowhere else), and exit with its status. CMD is looked up the way the OS
//! does (`PATH`, and on Windows `PATHEXT`, so npm's `opencode.cmd` is found).

use crate::cli::RunArgs;
use crate::context::Context;
use crate::exit::{Failure, Kind};

pub fn exec(ctx: &mut Context, args: &RunArgs) -> anyhow::Result<i32> {
    let profile = ctx.require_profile()?;
    let (token, _) = ctx.token_for(&profile)?;
    let (program, rest) = args.command.split_first().expect("clap requires a command");
    let resolved =
        crate::platform::resolve_program(program, ctx.vars.path.as_deref(), &ctx.env.cwd);
    let mut cmd = std::process::Command::new(resolved.as_deref().unwrap_or(program.as_ref()));
    #[cfg(unix)]
    {
        // The child sees the name it was called by, not the resolved path.
        use std::os::unix::process::CommandExt;
        cmd.arg0(program);
    }
    cmd.args(rest)
        .env("CLOUDFLARE_API_TOKEN", token.expose())
        .env("CLOUDFLARE_ACCOUNT_ID", &profile.account_id)
        .env("CLOUDFLARE_GATEWAY_ID", &profile.gateway_id);
    let not_found = |e: std::io::Error| -> anyhow::Error {
        let what = program.to_string_lossy();
        if e.kind() == std::io::ErrorKind::NotFound {
            Failure::new(Kind::Other, format!("command not found: {what}"))
                .with_hint(if what == "opencode" {
                    "install OpenCode: npm install -g opencode-ai"
                } else {
                    "check the command name and PATH"
                })
                .into()
        } else {
            anyhow::Error::new(e).context(format!("cannot start {what}"))
        }
    };
    // Ctrl-C belongs to the child while it runs.
    let _critical = crate::interrupt::Critical::enter();
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // Replace this process: signals, the terminal and the exit status are the child's own.
        let err = cmd.exec();
        Err(not_found(err))
    }
    #[cfg(not(unix))]
    {
        let status = cmd.status().map_err(not_found)?;
        Ok(status.code().unwrap_or(1))
    }
}
