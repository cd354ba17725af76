//! `aigate run -- CMD`: run CMD with the profile's token, account and gateway in its
//! environment (and nowhere else), plus what a recognised client needs
//! (`agents::launch`), and exit with its status.

use crate::cli::RunArgs;
use crate::context::Context;
use crate::exit::{Failure, Kind};

pub fn exec(ctx: &mut Context, args: &RunArgs) -> anyhow::Result<i32> {
    let profile = ctx.require_profile()?;
    let detector = crate::clients::start_detection(ctx);
    let (token, _) = ctx.token_for(&profile)?;
    let (program, rest) = args.command.split_first().expect("clap requires a command");
    let at = crate::agents::launch::Where {
        aigate_profile: ctx.profile_name(),
        gateway_url: &ctx.endpoints.gateway_url,
        codex_home: ctx.codex_home(),
    };
    let mut launch = crate::agents::launch::prepare(program, rest, &profile, &token, &at)?;
    // OpenCode needs more than the variables on V2 (--standalone): its adapter decides.
    let client = crate::clients::opencode(&detector.wait(&ctx.rt), &crate::clients::run_parts(ctx));
    if client.runs_as(program) {
        let plan = client.prepare_run(&launch.args);
        if let Some(note) = &plan.note {
            ctx.ui.note(note);
        }
        launch.args = plan.args;
        for (k, v) in plan.env {
            launch.env.push((k, crate::Secret::new(v)));
        }
    }
    let mut cmd = std::process::Command::new(program);
    cmd.args(&launch.args);
    for (k, v) in &launch.env {
        cmd.env(k, v.expose());
    }
    let not_found = |e: std::io::Error| -> anyhow::Error {
        let what = program.to_string_lossy();
        if e.kind() == std::io::ErrorKind::NotFound {
            Failure::new(Kind::Other, format!("command not found: {what}"))
                .with_hint(match launch.agent {
                    Some(a) => format!("install {a}: npm install -g {}", a.npm_package()),
                    None => "check the command name and PATH".to_string(),
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
