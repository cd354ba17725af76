//! `doctor`'s checks of the clients aigate connects (OpenCode V1/V2, Claude Code, Codex...).
//!
//! The extension point is [`CONTRIBUTORS`]: each entry is a function that looks at the run
//! (its environment, runtime and HTTP pool through the [`Context`]) and the profile (if one is
//! set up) and returns its checks. A client adapter adds its checks with one line in that
//! table. (With a profile, the installed OpenCode's own checks are already part of `status`'s,
//! which `doctor` includes.)

use crate::checks::Check;
use crate::context::Context;
use crate::state::Profile;

/// A source of client checks.
pub type Contributor = fn(&Context, Option<&Profile>) -> Vec<Check>;

/// Every source `doctor` asks, in order. Add a client's checks here.
pub const CONTRIBUTORS: &[Contributor] = &[crate::clients::doctor_checks];

/// Every contributor's checks, in table order.
pub fn checks(ctx: &Context, profile: Option<&Profile>) -> Vec<Check> {
    CONTRIBUTORS.iter().flat_map(|c| c(ctx, profile)).collect()
}
