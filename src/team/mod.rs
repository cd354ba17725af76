//! Teams: a committed `aigate.toml` with the shared answers to setup, and the Run + Read tokens
//! aigate mints for each person.
//!
//! - `file.rs`: the file: write with comments, read with line and column errors, find it.
//! - `init.rs`: `team init` (from the current profile).
//! - `setup.rs`: `setup` inside such a repository (the file's answers; only a token asked).
//! - `invite.rs`: `team invite`, `team list`, `team revoke` (admin token used once).

pub mod file;
pub mod init;
pub mod invite;
pub mod setup;

pub use file::TeamFile;
