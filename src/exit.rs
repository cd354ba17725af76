//! Exit codes of the command-line contract, and the error kinds that carry them.
//!
//! Code anywhere in aigate returns `anyhow::Error`; an error that should end the process with
//! a specific code wraps (or has in its chain) a [`Failure`]. `main` finds it with
//! [`exit_code_for`].

use std::fmt;

pub const SUCCESS: i32 = 0;
pub const FAILURE: i32 = 1;
pub const USAGE: i32 = 2;
pub const AUTH: i32 = 3;
pub const UNREACHABLE: i32 = 4;
pub const INTERRUPTED: i32 = 130;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Bad flags, or a missing answer under `--non-interactive` (exit 2).
    Usage,
    /// Token invalid, expired or missing a permission (exit 3).
    Auth,
    /// Cloudflare unreachable or failing after retries (exit 4).
    Unreachable,
    /// Ctrl-C (exit 130).
    Interrupted,
    /// The gateway's own policy refused the request: its spend limit (gateway code 2045) or
    /// its rate limit (2003). Not an outage; the spec names no code for it, so exit 1.
    Limit,
    /// Anything else (exit 1).
    Other,
}

impl Kind {
    /// The name used in `--json` error documents.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Usage => "usage",
            Kind::Auth => "auth",
            Kind::Unreachable => "unreachable",
            Kind::Interrupted => "interrupted",
            Kind::Limit => "limit",
            Kind::Other => "other",
        }
    }

    pub fn code(self) -> i32 {
        match self {
            Kind::Usage => USAGE,
            Kind::Auth => AUTH,
            Kind::Unreachable => UNREACHABLE,
            Kind::Interrupted => INTERRUPTED,
            Kind::Limit => FAILURE,
            Kind::Other => FAILURE,
        }
    }
}

/// An error with an exit code and an optional "how to fix it" line.
#[derive(Debug)]
pub struct Failure {
    pub kind: Kind,
    pub message: String,
    pub hint: Option<String>,
}

impl Failure {
    pub fn new(kind: Kind, message: impl Into<String>) -> Self {
        Failure {
            kind,
            message: message.into(),
            hint: None,
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Failure::new(Kind::Usage, message)
    }

    /// The error for a prompt that cannot be shown: names the flag that answers it.
    pub fn missing_answer(what: &str, flag: &str) -> Self {
        Failure::usage(format!(
            "{what} is needed but aigate is not allowed to prompt"
        ))
        .with_hint(format!(
            "pass {flag}, or run in a terminal without --non-interactive"
        ))
    }

    pub fn interrupted() -> Self {
        Failure::new(
            Kind::Interrupted,
            "interrupted; nothing was changed on disk",
        )
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}
