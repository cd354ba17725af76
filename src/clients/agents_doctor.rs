//! `doctor`'s checks of the coding agents besides OpenCode (Claude Code, Codex), from their
//! [`ClientAdapter`]s: one entry of [`super::doctor::CONTRIBUTORS`].

use crate::agents::{Agent, codex};
use crate::checks::{Check, Outcome};
use crate::clients::ClientAdapter;
use crate::clients::claude_code::ClaudeCode;
use crate::clients::codex::Codex;
use crate::clients::launch::{self, Where};
use crate::context::Context;
use crate::state::Profile;

/// `doctor`'s lines for Claude Code and Codex (a [`super::doctor::CONTRIBUTORS`] entry): each agent that is installed or configured by aigate gets its adapter's checks
/// (installed and version; Codex: its profile file points at this gateway, no legacy
/// `[profiles.…]` table; Claude Code: a plaintext token in `settings.json`).
pub fn checks(ctx: &Context, profile: Option<&Profile>) -> Vec<Check> {
    let Some(profile) = profile else {
        return vec![];
    };
    let at = Where::of(ctx);
    let input = crate::clients::detect::Input::new(
        &ctx.env,
        std::path::PathBuf::new(),
        ctx.vars.path.clone(),
        None,
    );
    let token = ctx.token_for(profile).ok().map(|(t, _)| t);
    let check_input = crate::clients::CheckInput {
        profile: Some(profile),
        profile_name: ctx.profile_name(),
        token: token.as_ref(),
    };
    let mut out = vec![];
    for agent in [Agent::ClaudeCode, Agent::Codex] {
        let installation = crate::clients::detect::agent_installation(agent.command(), &input);
        let configured = match agent {
            Agent::Codex => codex::profile_path(&at.codex_home, at.aigate_profile).exists(),
            _ => std::fs::read_to_string(&at.claude_settings)
                .is_ok_and(|t| t.contains("cf-aig-authorization")),
        };
        if !installation.installed() && !configured {
            continue;
        }
        let adapter: Box<dyn ClientAdapter> = match agent {
            Agent::ClaudeCode => Box::new(ClaudeCode::new(
                installation,
                at.claude_settings.clone(),
                None,
            )),
            _ => Box::new(Codex::new(installation, launch::site(profile, &at))),
        };
        for c in adapter.checks(&check_input) {
            // Codex's profile is only required once it was set up.
            let status = if c.id == "codex.profile" && !configured {
                Outcome::Warn
            } else {
                c.status
            };
            out.push(Check::new(
                &format!("client.{}", c.id),
                status,
                c.message,
                c.fix,
            ));
        }
    }
    out
}
