//! `status` and `doctor` as lists of typed checks. A [`Check`] is one line of the answer: an id
//! that scripts can match (`token.valid`, `opencode.config.provider`...), ok / warn / fail, a
//! message, and the command that fixes it.
//!
//! The checks are pure: [`crate::ops::status`] gathers the facts (the token's verify result, the
//! parsed OpenCode config, `auth.json`, the keychain) and the functions here turn facts into
//! checks, so each rule is tested without a network or a disk.
//!
//! - [`token`]: the token: found, valid, expiry, `CLOUDFLARE_API_TOKEN` overriding the store,
//!   the store (keychain) reachable.
//! - [`opencode`]: OpenCode's config (parse errors with line and column, provider disabled,
//!   model, leak-trap keys, drift) and `auth.json`.
//! - [`clients`]: the extension point `doctor` adds per installed client (OpenCode V1/V2,
//!   Claude Code, Codex): a table of contributors, one line each.

pub mod opencode;
pub mod token;

use crate::ui::Ui;
use serde::Serialize;

/// How one check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Ok,
    Warn,
    Fail,
}

/// One line of `status` / `doctor`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    /// Stable dotted id, e.g. `token.valid`, `opencode.config.provider`, `client.opencode`.
    pub id: String,
    pub status: Outcome,
    pub message: String,
    /// The command (or action) that fixes it; `None` when there is nothing to do.
    pub fix: Option<String>,
    /// The exit code this failure implies when it is not the generic 1 (e.g. 4: Cloudflare
    /// could not be reached, so nothing was learned about the token).
    #[serde(skip)]
    pub exit_code: Option<i32>,
}

impl Check {
    pub fn ok(id: &str, message: impl Into<String>) -> Check {
        Check::new(id, Outcome::Ok, message, None::<String>)
    }

    pub fn warn(id: &str, message: impl Into<String>, fix: impl Into<String>) -> Check {
        Check::new(id, Outcome::Warn, message, Some(fix))
    }

    pub fn fail(id: &str, message: impl Into<String>, fix: impl Into<String>) -> Check {
        Check::new(id, Outcome::Fail, message, Some(fix))
    }

    pub fn new(
        id: &str,
        status: Outcome,
        message: impl Into<String>,
        fix: Option<impl Into<String>>,
    ) -> Check {
        Check {
            id: id.to_string(),
            status,
            message: message.into(),
            fix: fix.map(Into::into),
            exit_code: None,
        }
    }

    /// A failure that should end the process with `code` rather than 1.
    pub fn with_exit_code(mut self, code: i32) -> Check {
        self.exit_code = Some(code);
        self
    }
}

/// The exit code of a list of checks: 0 when none failed; else the first failure's own code
/// (e.g. 4 for Cloudflare unreachable) or 1.
pub fn exit_code(checks: &[Check]) -> i32 {
    let mut code = crate::exit::SUCCESS;
    for c in checks.iter().filter(|c| c.status == Outcome::Fail) {
        match c.exit_code {
            Some(special) => return special,
            None => code = crate::exit::FAILURE,
        }
    }
    code
}

/// `ok`, `warn` or `fail`: the worst outcome, for a one-word summary.
pub fn overall(checks: &[Check]) -> Outcome {
    checks.iter().map(|c| c.status).max().unwrap_or(Outcome::Ok)
}

/// One line per check (`✓`, `!`, `✗`), each problem followed by its fix. Results go to
/// stdout; they are the command's answer, not notes.
pub fn render(ui: &Ui, checks: &[Check]) {
    for c in checks {
        let mark = match c.status {
            Outcome::Ok => "ok  ",
            Outcome::Warn => "warn",
            Outcome::Fail => "FAIL",
        };
        ui.out(&format!("{mark}  {:<26} {}", c.id, c.message));
        if c.status != Outcome::Ok
            && let Some(fix) = &c.fix
        {
            ui.out(&format!("      {:<26} fix: {fix}", ""));
        }
    }
}

/// Each failure again on stderr as an error and its fix, so it shows even with `-q` and when
/// stdout goes elsewhere.
pub fn render_failures(ui: &Ui, checks: &[Check]) {
    for c in checks.iter().filter(|c| c.status == Outcome::Fail) {
        ui.error(&c.message);
        match &c.fix {
            Some(fix) if fix.starts_with("aigate") => ui.hint(&format!("run `{fix}`")),
            Some(fix) => ui.hint(fix),
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_special_failure_decides_the_exit_code() {
        let ok = Check::ok("a", "fine");
        let warn = Check::warn("b", "meh", "x");
        let fail = Check::fail("c", "bad", "y");
        let down = Check::fail("d", "down", "z").with_exit_code(4);
        assert_eq!(exit_code(&[ok.clone(), warn.clone()]), 0);
        assert_eq!(exit_code(&[ok.clone(), fail.clone()]), 1);
        assert_eq!(exit_code(&[fail.clone(), down.clone()]), 4);
        assert_eq!(overall(&[ok, warn.clone()]), Outcome::Warn);
        assert_eq!(overall(&[warn, fail]), Outcome::Fail);
    }
}
