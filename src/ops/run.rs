//! `aigate run -- CMD`: run CMD with the profile's token, account and gateway in its
//! environment (and nowhere else), plus what a recognised client needs
//! (`clients::launch`), and exit with its status. CMD is looked up the way the OS does
//! (`PATH`, and on Windows `PATHEXT`, so npm's `opencode.cmd` is found).

use crate::context::Context;
use crate::exit::{Failure, Kind};
use std::ffi::OsString;
use std::process::Command;

/// Starts `command` (program and arguments) for the profile. On Unix this process becomes the
/// child (signals, the terminal and the exit status are its own), so it returns only on a
/// failure to start; elsewhere it waits and returns the child's exit code.
pub fn run(ctx: &Context, command: &[OsString]) -> anyhow::Result<i32> {
    let (program, rest) = command.split_first().expect("clap requires a command");
    let (mut cmd, launch) = prepare(ctx, program, rest)?;
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

/// The child's command line and environment: the launch variables, and what OpenCode's
/// adapter adds (e.g. `--standalone` on V2).
fn prepare(
    ctx: &Context,
    program: &OsString,
    rest: &[OsString],
) -> anyhow::Result<(Command, crate::clients::launch::Launch)> {
    let profile = ctx.require_profile()?;
    let detector = crate::clients::start_detection(ctx);
    let (token, _) = ctx.token_for(&profile)?;
    let at = crate::clients::launch::Where::of(ctx);
    let mut launch = crate::clients::launch::prepare(program, rest, &profile, &token, &at)?;
    let client = crate::clients::opencode(&detector.wait(&ctx.rt), &crate::clients::run_parts(ctx));
    if client.runs_as(program) {
        let plan = client.prepare_run(&launch.args);
        if let Some(note) = &plan.note {
            ctx.ui.note(note);
        }
        launch.args = plan.args;
        for (k, v) in plan.env {
            launch.env.push((k.to_string(), crate::Secret::new(v)));
        }
    }
    let resolved =
        crate::platform::resolve_program(program, ctx.vars.path.as_deref(), &ctx.env.cwd);
    let mut cmd = Command::new(resolved.as_deref().unwrap_or(program.as_ref()));
    #[cfg(unix)]
    {
        // The child sees the name it was called by, not the resolved path.
        use std::os::unix::process::CommandExt;
        cmd.arg0(program);
    }
    cmd.args(&launch.args);
    for (k, v) in &launch.env {
        cmd.env(k, v.expose());
    }
    Ok((cmd, launch))
}
