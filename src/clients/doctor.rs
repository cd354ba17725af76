//! `doctor`'s checks of the clients aigate connects (OpenCode V1/V2, Claude Code, Codex...).
//!
//! The extension point is [`CONTRIBUTORS`]: each entry is a function that looks at the run
//! (its environment, runtime and HTTP pool through the [`Context`]) and the profile (if one is
//! set up) and returns its checks. A client adapter adds its checks with one line in that
//! table, e.g. `super::opencode::doctor_checks,`. Ids start with `client.<name>`.

use crate::checks::Check;
use crate::context::Context;
use crate::state::Profile;

/// A source of client checks.
pub type Contributor = fn(&Context, Option<&Profile>) -> Vec<Check>;

/// Every source `doctor` asks, in order. Add a client's checks here.
pub const CONTRIBUTORS: &[Contributor] = &[opencode_installed, super::doctor_checks];

/// Every contributor's checks, in table order.
pub fn checks(ctx: &Context, profile: Option<&Profile>) -> Vec<Check> {
    CONTRIBUTORS.iter().flat_map(|c| c(ctx, profile)).collect()
}

/// Is an `opencode` on `PATH`? (Which version it is, and how it receives the token, is the
/// OpenCode adapters' to check.)
fn opencode_installed(ctx: &Context, _profile: Option<&Profile>) -> Vec<Check> {
    vec![match ctx.vars.find_program("opencode") {
        Some(p) => Check::ok(
            "client.opencode",
            format!("OpenCode is installed: {}", p.display()),
        ),
        None => Check::warn(
            "client.opencode",
            "no `opencode` on PATH",
            "npm install -g opencode-ai",
        ),
    }]
}
