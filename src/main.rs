//! The `aigate` binary: parse, dispatch, and turn errors into a message, a hint and the exit
//! code of the contract (under `--json`, one error document on stdout).

use aigate::error::{ErrorDocument, exit_code_for, hint_of};
use aigate::{commands, exit, interrupt, ui::Ui};

fn main() {
    let cli = aigate::cli::parse_or_exit();
    let (json, no_color) = (cli.global.json, cli.global.no_color);
    let code = match commands::dispatch(cli) {
        Ok(code) => code,
        Err(err) => report(&err, json, no_color),
    };
    std::process::exit(code);
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
