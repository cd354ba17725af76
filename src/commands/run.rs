//! `aigate run -- CMD`: run CMD with the profile's token, account and gateway in its
//! environment (and nowhere else), and exit with its status.

use crate::cli::RunArgs;
use crate::context::Context;
use crate::exit::{Failure, Kind};

pub fn exec(ctx: &mut Context, args: &RunArgs) -> anyhow::Result<i32> {
    let profile = ctx.require_profile()?;
    let detector = crate::clients::start_detection(ctx);
    let (token, _) = ctx.token_for(&profile)?;
    let (program, rest) = args.command.split_first().expect("clap requires a command");
    // A recognised client may need more than the variables (OpenCode 2: --standalone).
    let client = crate::clients::opencode(&detector.wait(&ctx.rt), &crate::clients::run_parts(ctx));
    let plan = if client.runs_as(program) {
        client.prepare_run(rest)
    } else {
        crate::clients::RunPlan {
            args: rest.to_vec(),
            ..Default::default()
        }
    };
    if let Some(note) = &plan.note {
        ctx.ui.note(note);
    }
    let mut cmd = std::process::Command::new(program);
    cmd.args(&plan.args)
        .envs(plan.env.iter().map(|(k, v)| (k, v)))
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
