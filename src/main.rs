//! The `aigate` binary: parse, dispatch, and turn errors into a message, a hint and the exit
//! code of the contract.

use aigate::{cli::Cli, commands, exit};
use clap::Parser;

fn main() {
    let cli = Cli::parse();
    let json = cli.global.json;
    let code = match commands::dispatch(cli) {
        Ok(code) => code,
        Err(err) => report(&err, json),
    };
    std::process::exit(code);
}

fn report(err: &anyhow::Error, json: bool) -> i32 {
    let code = exit::exit_code_for(err);
    let hint = exit::hint_of(err);
    let ui = aigate::ui::Ui::new(false, false, false);
    if code == exit::INTERRUPTED {
        aigate::interrupt::restore_terminal();
    }
    ui.error(&format!("{err:#}"));
    if let Some(h) = &hint {
        ui.hint(h);
    }
    if json {
        ui.json(&serde_json::json!({"error": {"message": format!("{err:#}"), "hint": hint, "exit_code": code}}));
    }
    code
}
