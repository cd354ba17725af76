//! The `aigate` binary: parse, dispatch, and turn errors into a message, a hint and the exit
//! code of the contract (under `--json`, one error document on stdout).

use aigate::error::{ErrorDocument, exit_code_for, hint_of};
use aigate::{cli::Cli, commands, exit, interrupt, ui::Ui};
use clap::Parser;

fn main() {
    let cli = Cli::try_parse().unwrap_or_else(|e| parse_failed(e));
    let (json, no_color) = (cli.global.json, cli.global.no_color);
    let code = match commands::dispatch(cli) {
        Ok(code) => code,
        Err(err) => report(&err, json, no_color),
    };
    std::process::exit(code);
}

/// A command line clap refused: its own text (and exit 2), plus under `--json` the one error
/// document on stdout. `--help` and `--version` print as usual.
fn parse_failed(e: clap::Error) -> ! {
    let json = std::env::args_os().any(|a| a == "--json");
    if !json || !e.use_stderr() {
        e.exit();
    }
    let _ = e.print();
    let rendered = e.render().to_string();
    let message = rendered
        .lines()
        .next()
        .unwrap_or("invalid command line")
        .trim_start_matches("error: ")
        .to_string();
    let err: anyhow::Error = exit::Failure::usage(message)
        .with_hint("see `aigate --help` (or `aigate COMMAND --help`)")
        .into();
    Ui::new(true, true, false, false).json(&ErrorDocument::of(&err));
    std::process::exit(exit::USAGE)
}

fn report(err: &anyhow::Error, json: bool, no_color: bool) -> i32 {
    let code = exit_code_for(err);
    if code == exit::INTERRUPTED {
        interrupt::restore_terminal();
    }
    // Errors always reach stderr, even with --quiet.
    let no_color = no_color || aigate::env::Vars::from_process().no_color;
    let ui = Ui::new(json, no_color, false, false);
    ui.error(&format!("{err:#}"));
    if let Some(h) = hint_of(err) {
        ui.hint(&h);
    }
    if json {
        ui.json(&ErrorDocument::of(err));
    }
    code
}
