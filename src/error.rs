//! How any error ends the process: its [`Kind`] (and so the exit code) and its hint, found by
//! walking the chain for a [`Failure`] or a Cloudflare [`ApiError`]; and the one JSON shape of an
//! error under `--json`. Sits above `exit` and `cloudflare` so neither depends on the other.

use crate::cloudflare::ApiError;
use crate::exit::{Failure, Kind};
use serde::Serialize;

/// The exit code for an error: the first [`Failure`] or [`ApiError`] in its
/// chain decides; anything else is 1.
pub fn exit_code_for(err: &anyhow::Error) -> i32 {
    kind_of(err).code()
}

pub fn kind_of(err: &anyhow::Error) -> Kind {
    for cause in err.chain() {
        if let Some(f) = cause.downcast_ref::<Failure>() {
            return f.kind;
        }
        if let Some(e) = cause.downcast_ref::<ApiError>() {
            return e.exit_kind();
        }
        if let Some(e) = cause.downcast_ref::<std::io::Error>()
            && e.kind() == std::io::ErrorKind::Interrupted
        {
            return Kind::Interrupted;
        }
    }
    Kind::Other
}

/// The hint attached anywhere in the chain, if any.
pub fn hint_of(err: &anyhow::Error) -> Option<String> {
    for cause in err.chain() {
        if let Some(f) = cause.downcast_ref::<Failure>()
            && let Some(h) = &f.hint
        {
            return Some(h.clone());
        }
        if let Some(e) = cause.downcast_ref::<ApiError>() {
            return e.hint();
        }
    }
    None
}

/// The document a failing command prints on stdout under `--json`:
/// `{"error": {"kind", "message", "hint", "exit_code"}}`.
#[derive(Debug, Serialize)]
pub struct ErrorDocument {
    pub error: ErrorBody,
}

#[derive(Debug, Serialize)]
pub struct ErrorBody {
    /// `usage`, `auth`, `unreachable`, `interrupted` or `other`.
    pub kind: &'static str,
    pub message: String,
    pub hint: Option<String>,
    pub exit_code: i32,
}

impl ErrorDocument {
    pub fn of(err: &anyhow::Error) -> ErrorDocument {
        let kind = kind_of(err);
        ErrorDocument {
            error: ErrorBody {
                kind: kind.name(),
                message: format!("{err:#}"),
                hint: hint_of(err),
                exit_code: kind.code(),
            },
        }
    }
}
