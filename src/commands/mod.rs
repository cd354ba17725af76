//! One thin file per command: each turns parsed arguments into calls on the parts below
//! (`wizard`, `cloudflare`, `secrets`, `opencode`, `state`). Shared wiring is in `context`.

pub mod completions;
pub mod doctor;
pub mod emulator;
pub mod gateway;
pub mod logout;
pub mod man;
pub mod models;
pub mod rotate;
pub mod route;
pub mod run;
pub mod setup;
pub mod shell_init;
pub mod status;
pub mod team;
pub mod test;
pub mod usage;

use crate::cli::{Cli, Command, SetupArgs};
use crate::context::Context;

/// Run the parsed command line; the returned code is the process exit code.
pub fn dispatch(cli: Cli) -> anyhow::Result<i32> {
    let command = cli.command.unwrap_or(Command::Setup(SetupArgs::default()));
    if let Command::Emulator(args) = &command {
        return emulator::exec(&cli.global, args);
    }
    // Generated from the command-line definition alone: no context, no runtime.
    match &command {
        Command::Completions(args) => return completions::exec(args),
        Command::Man(args) => return man::exec(args),
        _ => {}
    }
    let sandbox = matches!(&command, Command::Setup(a) if a.sandbox);
    let mut ctx = Context::new(cli.global, sandbox)?;
    match command {
        Command::Setup(args) => setup::exec(&mut ctx, &args),
        Command::Status => status::exec(&mut ctx),
        Command::Rotate(args) => rotate::exec(&mut ctx, &args),
        Command::Models => models::exec(&mut ctx),
        Command::Test(args) => test::exec(&mut ctx, &args),
        Command::Run(args) => run::exec(&mut ctx, &args),
        Command::Logout(args) => logout::exec(&mut ctx, &args),
        Command::ShellInit(args) => shell_init::exec(&ctx, &args),
        Command::Doctor => doctor::exec(&mut ctx),
        Command::Team(args) => team::exec(&mut ctx, &args),
        Command::Emulator(_) | Command::Completions(_) | Command::Man(_) => {
            unreachable!("handled above")
        }
        Command::Usage(args) => usage::exec(&mut ctx, &args),
        Command::Gateway(args) => gateway::exec(&mut ctx, &args),
        Command::Route(args) => route::exec(&mut ctx, &args),
    }
}
