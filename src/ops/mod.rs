//! The operations behind the commands: each takes the run [`crate::context::Context`] and the
//! command's arguments, does the work, and returns a typed, serialisable report
//! ([`crate::report::Report`]) that the command renders. Nothing here prints results; progress
//! and notes go through `ctx.ui`.

pub mod doctor;
pub mod emulator;
pub mod gateway;
pub mod logout;
pub mod models;
pub mod policy;
pub mod rotate;
pub mod route;
pub mod run;
pub mod setup;
pub mod shell_init;
pub mod snippet;
pub mod status;
pub mod target;
pub mod test;

pub use target::{Target, confirm, require_yes_or_terminal, target};
