//! `aigate completions SHELL`: the completion script clap_complete generates from the one
//! command-line definition (`cli`), printed on stdout as is (no JSON: it is the data).

use crate::cli::{Cli, CompletionsArgs};
use clap::CommandFactory;

pub fn exec(args: &CompletionsArgs) -> anyhow::Result<i32> {
    let mut cmd = Cli::command();
    let mut out = std::io::stdout().lock();
    clap_complete::generate(args.shell, &mut cmd, "aigate", &mut out);
    Ok(0)
}
