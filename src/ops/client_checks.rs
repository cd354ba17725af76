//! `doctor`'s checks of the clients aigate connects (OpenCode V1/V2, Claude Code, Codex...).
//!
//! The extension point is [`CONTRIBUTORS`]: each entry is a function that looks at the run
//! (its environment, runtime and HTTP pool through the [`Context`]) and at the [`Scope`] (the
//! profile, if one is set up, and its token, never printed) and returns its checks. A client
//! adapter adds its checks with one line in that table, e.g. `claude_code,` next to
//! [`opencode`], which asks the OpenCode adapter ([`crate::clients::ClientAdapter::checks`]).

use crate::Secret;
use crate::checks::Check;
use crate::clients::{self, CheckInput, RunParts, detect};
use crate::context::Context;
use crate::state::Profile;

/// What a client check may look at besides the run.
pub struct Scope<'a> {
    pub profile_name: &'a str,
    /// `None` when the profile is not set up (a client's installation can still be checked).
    pub profile: Option<&'a Profile>,
    /// The token `status` used (env or store), when there is one.
    pub token: Option<&'a Secret>,
}

/// A source of client checks.
pub type Contributor = fn(&Context, &Scope<'_>) -> Vec<Check>;

/// Every source `doctor` asks, in order. Add a client's checks here.
pub const CONTRIBUTORS: &[Contributor] = &[opencode];

/// Every contributor's checks, in table order.
pub fn checks(ctx: &Context, scope: &Scope<'_>) -> Vec<Check> {
    CONTRIBUTORS.iter().flat_map(|c| c(ctx, scope)).collect()
}

/// OpenCode: which one is installed (V1 or V2, version) and, with a profile, whether it will
/// receive the token as set up (the adapter's own checks).
pub fn opencode(ctx: &Context, scope: &Scope<'_>) -> Vec<Check> {
    let input = detect::Input {
        env: ctx.env.clone(),
        forced: None,
        path_var: ctx.vars.path.clone(),
    };
    let detection = detect::detect_now(&ctx.rt, input);
    let Some(profile) = scope.profile else {
        return vec![clients::opencode_v1::version_check(&detection.opencode)];
    };
    let parts = RunParts {
        env: ctx.env.clone(),
        rt: ctx.rt.handle().clone(),
        profile: scope.profile_name.to_string(),
    };
    clients::opencode(&detection, &parts).checks(&CheckInput {
        profile,
        profile_name: scope.profile_name,
        token: scope.token,
    })
}
