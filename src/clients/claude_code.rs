//! Claude Code as a [`ClientAdapter`]: nothing on disk by default; `aigate run -- claude`
//! sets its `ANTHROPIC_*` variables (see [`crate::agents::claude_code`]); opted in, the same
//! variables go into `settings.json`'s `env` block (plaintext, mode 0600). Anthropic Messages
//! is its route. Proven against the real Claude Code 2.1.332 (`tests/agents_e2e.rs`).

use super::codex::installed_check;
use super::{
    Check, CheckInput, ClientAdapter, ConfigPlan, ConfigTarget, Credential, Installation, Removal,
};
use crate::Secret;
use crate::agents::{Agent, claude_code};
use crate::cloudflare::{Route, route_for};
use crate::files::FileChange;
use crate::opencode::{Env, MergeOutcome};
use crate::state::Profile;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

pub struct ClaudeCode {
    installation: Installation,
    /// `settings.json` (for the opt-in delivery and its removal).
    settings: PathBuf,
    /// The profile's variables, when setup plans the opt-in delivery.
    profile: Option<(Profile, String)>,
}

impl ClaudeCode {
    /// `profile` and the gateway URL are needed only to plan the opt-in `settings.json`.
    pub fn new(
        installation: Installation,
        settings: PathBuf,
        profile: Option<(Profile, String)>,
    ) -> ClaudeCode {
        ClaudeCode {
            installation,
            settings,
            profile,
        }
    }
}

impl ClientAdapter for ClaudeCode {
    fn id(&self) -> &'static str {
        "claude-code"
    }

    fn label(&self) -> String {
        super::common::label(
            self.installation.version.as_deref(),
            "Claude Code",
            "Claude Code",
        )
    }

    fn installation(&self) -> &Installation {
        &self.installation
    }

    fn runs_as(&self, program: &OsStr) -> bool {
        Agent::from_program(program) == Some(Agent::ClaudeCode)
    }

    /// Nothing on disk: an unchanged (absent) file.
    fn plan_config(&self, _target: &ConfigTarget<'_>) -> anyhow::Result<ConfigPlan> {
        Ok(ConfigPlan {
            change: FileChange {
                path: self.settings.clone(),
                before: None,
                after: None,
                mode: None,
                backup: false,
                sensitive: false,
                rebase: None,
            },
            merge: MergeOutcome {
                text: String::new(),
                removed: vec![],
                removed_secret: false,
                duplicates: vec![],
            },
        })
    }

    /// The opt-in: the variables in `settings.json`'s `env` block.
    fn credential(
        &self,
        _env: &Env,
        token: &Secret,
        _account_id: &str,
        _gateway_id: &str,
    ) -> anyhow::Result<Option<Credential>> {
        let Some((profile, gateway_url)) = &self.profile else {
            return Ok(None);
        };
        let vars = claude_code::env(profile, gateway_url, token);
        Ok(Some(Credential::File(claude_code::plan_settings_write(
            &self.settings,
            &vars,
        )?)))
    }

    fn remove_credential(&self, _: &Env, _: Option<&Path>) -> anyhow::Result<Removal> {
        let mut out = Removal::default();
        super::common::remove(
            claude_code::plan_settings_remove(&self.settings)?,
            || format!("the gateway variables in {}", self.settings.display()),
            &mut out,
        )?;
        Ok(out)
    }

    fn test_route(&self, model: &str) -> Route {
        route_for(&Agent::ClaudeCode.model_for(model))
    }

    fn checks(&self, _input: &CheckInput<'_>) -> Vec<Check> {
        let mut out = vec![installed_check(Agent::ClaudeCode, &self.installation)];
        let plaintext = std::fs::read_to_string(&self.settings)
            .is_ok_and(|t| t.to_ascii_lowercase().contains("cf-aig-authorization"));
        if plaintext {
            out.push(Check::warn(
                "claude-code.settings",
                format!(
                    "{} holds the token in plaintext (--token-delivery claude-settings)",
                    self.settings.display()
                ),
                "prefer `aigate run -- claude`; `aigate logout` removes it",
            ));
        }
        out
    }

    fn run_secrets(
        &self,
        profile: &Profile,
        gateway_url: &str,
        token: &Secret,
    ) -> Vec<(&'static str, Secret)> {
        claude_code::env(profile, gateway_url, token)
    }
}

/// `rotate` (given or minted token): the change that puts `new` in Claude Code's
/// `settings.json`, when the profile delivers the token there (the opt-in), or the file's
/// variables carry the `old` token. `None`: nothing of ours there.
pub fn rotate_change(
    ctx: &crate::context::Context,
    profile: &Profile,
    new: &Secret,
    old: Option<&Secret>,
) -> anyhow::Result<Option<FileChange>> {
    let at = super::launch::Where::of(ctx);
    let path = profile
        .claude_settings
        .clone()
        .unwrap_or(at.claude_settings);
    let vars = claude_code::env(profile, at.gateway_url, new);
    claude_code::plan_settings_rotate(&path, profile.claude_settings.is_some(), old, &vars)
}
