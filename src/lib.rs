//! aigate: connect OpenCode to Cloudflare AI Gateway in one guided command.
//!
//! Where things live:
//! - [`cli`]: the clap definition of every command and flag (the contract in `spec/cli.md`).
//! - [`clients`]: the coding agents (OpenCode 1 and 2, ...) behind one adapter trait:
//!   detection, config edits, token delivery, test route, checks.
//! - [`commands`]: one thin file per command; each turns arguments into a call below and
//!   renders the typed [`report::Report`] it returns.
//! - [`context`]: the run's parts, made once: UI, runtime, one HTTP pool, paths, sandbox.
//! - [`domain`]: billing, token delivery, store kind: the words stored on disk; typed flag
//!   values (ids, names, lifetimes, spend and rate limits), checked before anything happens.
//! - [`error`] / [`exit`]: exit codes, error kinds and hints; the `--json` error document.
//! - [`paths`]: aigate's own config directory.
//! - [`platform`]: what differs by OS: finding a program on `PATH`, private-file wording.
//! - [`wizard`]: `setup`: gather answers (flags or prompts) into a [`wizard::Plan`], then apply it.
//! - [`cloudflare`]: the typed Cloudflare API and AI Gateway data-plane client.
//! - [`emulator`]: a stateful Cloudflare emulator on 127.0.0.1 (tests and `--sandbox`).
//! - [`secrets`]: where the token is kept (OS keychain, or an explicit 0600 file).
//! - [`agents`]: Claude Code and Codex: what `aigate run` sets for them, Codex's profile file.
//! - [`opencode`]: OpenCode's config and `auth.json`: paths, templates, merging.
//! - [`files`]: atomic writes, backups and undo for every file aigate changes.
//! - [`prompt`]: the prompter (dialoguer on a terminal, refusal when non-interactive).
//! - [`state`]: aigate's own non-secret profile state.
//! - [`usage`]: `aigate usage`: analytics and logs summarised into a typed report.
//! - [`ops`]: the operations behind the commands, each returning a typed report.
//! - [`token_source`]: where a command's token comes from (sandbox, stdin, env, store, prompt),
//!   decided once for every command.
//! - [`tokens`]: least privilege: the Run-only tokens aigate mints, stores, rolls and revokes.
//! - [`team`]: `aigate.toml` (a team's shared setup answers) and `team init/invite/list/revoke`.
//! - [`ui`]: human output on stderr, `--json` on stdout, spinners.

pub mod agents;
pub mod checks;
pub mod cli;
pub mod clients;
pub mod cloudflare;
pub mod commands;
pub mod commit;
pub mod context;
pub mod domain;
pub mod emulator;
pub mod env;
pub mod error;
pub mod exit;
pub mod files;
pub mod interrupt;
pub mod opencode;
pub mod ops;
pub mod paths;
pub mod platform;
pub mod prompt;
pub mod report;
pub mod secret;
pub mod secrets;
pub mod state;
pub mod team;
pub mod token_source;
pub mod tokens;
pub mod ui;
pub mod usage;
pub mod wizard;

pub use secret::Secret;
