//! What `aigate run -- CMD` gives CMD: always `CLOUDFLARE_API_TOKEN`, `CLOUDFLARE_ACCOUNT_ID`
//! and `CLOUDFLARE_GATEWAY_ID`; for Claude Code and Codex (recognised by the command's name),
//! what their adapter asks for ([`ClientAdapter::prepare_run`] and
//! [`ClientAdapter::run_secrets`]). Nothing else, and only for that process.

use super::claude_code::ClaudeCode;
use super::codex::{Codex, CodexSite};
use super::{ClientAdapter, Installation};
use crate::Secret;
use crate::agents::{Agent, codex};
use crate::exit::{Failure, Kind};
use crate::state::Profile;
use std::ffi::OsString;
use std::path::PathBuf;

/// The child's extra environment and the arguments it gets instead of the user's.
#[derive(Debug)]
pub struct Launch {
    pub agent: Option<Agent>,
    /// Values may hold the token.
    pub env: Vec<(String, Secret)>,
    pub args: Vec<OsString>,
}

/// Where a launch looks for client files.
pub struct Where<'a> {
    pub aigate_profile: &'a str,
    pub gateway_url: &'a str,
    pub codex_home: PathBuf,
    pub claude_settings: PathBuf,
}

impl<'a> Where<'a> {
    /// The run's profile, gateway URL, `CODEX_HOME` and Claude Code's settings file.
    pub fn of(ctx: &'a crate::context::Context) -> Where<'a> {
        let claude_dir = match ctx.sandbox {
            Some(_) => None,
            None => ctx.vars.claude_config_dir.clone(),
        };
        Where {
            aigate_profile: ctx.profile_name(),
            gateway_url: &ctx.endpoints.gateway_url,
            codex_home: ctx.codex_home(),
            claude_settings: crate::agents::claude_code::settings_path(
                &ctx.env.home,
                claude_dir.as_deref(),
            ),
        }
    }
}

/// `logout` for Claude Code and Codex: aigate's keys out of Codex's profile file, aigate's
/// variables out of Claude Code's `settings.json` (only what aigate wrote). What was removed.
pub fn remove_agents(
    profile: &Profile,
    at: &Where,
    env: &crate::opencode::Env,
) -> anyhow::Result<Vec<String>> {
    let mut out = vec![];
    for agent in [Agent::ClaudeCode, Agent::Codex] {
        if let Some(a) = adapter(agent, profile, at) {
            out.extend(a.remove_credential(env, None)?.removed);
        }
    }
    Ok(out)
}

/// The adapter `aigate run` (and `aigate test --client`) uses for Claude Code or Codex.
pub fn adapter(agent: Agent, profile: &Profile, at: &Where) -> Option<Box<dyn ClientAdapter>> {
    match agent {
        Agent::ClaudeCode => Some(Box::new(ClaudeCode::new(
            Installation::not_installed(),
            at.claude_settings.clone(),
            None,
        ))),
        Agent::Codex => Some(Box::new(Codex::new(
            Installation::not_installed(),
            site(profile, at),
        ))),
        Agent::Opencode => None,
    }
}

pub fn prepare(
    program: &std::ffi::OsStr,
    args: &[OsString],
    profile: &Profile,
    token: &Secret,
    at: &Where,
) -> anyhow::Result<Launch> {
    let agent = Agent::from_program(program);
    let mut env = vec![
        ("CLOUDFLARE_API_TOKEN".to_string(), token.clone()),
        (
            "CLOUDFLARE_ACCOUNT_ID".to_string(),
            Secret::new(profile.account_id.clone()),
        ),
        (
            "CLOUDFLARE_GATEWAY_ID".to_string(),
            Secret::new(profile.gateway_id.clone()),
        ),
    ];
    if agent == Some(Agent::Codex) {
        let path = codex::profile_path(&at.codex_home, at.aigate_profile);
        let chose_own = codex::codex_args(args, at.aigate_profile).len() == args.len();
        if !chose_own && !path.exists() {
            return Err(Failure::new(
                Kind::Other,
                format!(
                    "Codex is not set up for this profile ({} is missing)",
                    path.display()
                ),
            )
            .with_hint(format!(
                "run `aigate{} setup --client codex`",
                crate::domain::profile_flag(at.aigate_profile)
            ))
            .into());
        }
    }
    let mut out_args = args.to_vec();
    if let Some(a) = agent.and_then(|ag| adapter(ag, profile, at)) {
        let plan = a.prepare_run(args);
        out_args = plan.args;
        env.extend(
            plan.env
                .into_iter()
                .map(|(k, v)| (k.to_string(), Secret::new(v))),
        );
        env.extend(
            a.run_secrets(profile, at.gateway_url, token)
                .into_iter()
                .map(|(k, v)| (k.to_string(), v)),
        );
    }
    Ok(Launch {
        agent,
        env,
        args: out_args,
    })
}

/// Codex's files and gateway for this profile.
pub fn site(profile: &Profile, at: &Where) -> CodexSite {
    CodexSite {
        aigate_profile: at.aigate_profile.to_string(),
        codex_home: at.codex_home.clone(),
        gateway_url: at.gateway_url.to_string(),
        account_id: profile.account_id.clone(),
        gateway_id: profile.gateway_id.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile() -> Profile {
        Profile::example()
    }

    fn names(l: &Launch) -> Vec<&str> {
        l.env.iter().map(|(k, _)| k.as_str()).collect()
    }

    #[test]
    fn unknown_commands_get_only_the_three_variables() {
        let dir = tempfile::tempdir().unwrap();
        let at = Where {
            aigate_profile: "default",
            gateway_url: "https://g/v1",
            codex_home: dir.path().into(),
            claude_settings: dir.path().join("settings.json"),
        };
        let l = prepare("env".as_ref(), &[], &profile(), &Secret::new("t"), &at).unwrap();
        assert_eq!(
            names(&l),
            [
                "CLOUDFLARE_API_TOKEN",
                "CLOUDFLARE_ACCOUNT_ID",
                "CLOUDFLARE_GATEWAY_ID"
            ]
        );
        let c = prepare(
            "/bin/claude".as_ref(),
            &[],
            &profile(),
            &Secret::new("t"),
            &at,
        )
        .unwrap();
        assert!(names(&c).contains(&"ANTHROPIC_CUSTOM_HEADERS"));
    }

    #[test]
    fn codex_gets_its_profile_unless_the_user_named_one() {
        let dir = tempfile::tempdir().unwrap();
        let at = Where {
            aigate_profile: "work",
            gateway_url: "https://g/v1",
            codex_home: dir.path().into(),
            claude_settings: dir.path().join("settings.json"),
        };
        let args = vec![OsString::from("exec"), OsString::from("hi")];
        let missing = prepare("codex".as_ref(), &args, &profile(), &Secret::new("t"), &at);
        assert!(
            missing
                .unwrap_err()
                .to_string()
                .contains("aigate-work.config.toml")
        );
        std::fs::write(dir.path().join("aigate-work.config.toml"), "").unwrap();
        let l = prepare("codex".as_ref(), &args, &profile(), &Secret::new("t"), &at).unwrap();
        assert_eq!(l.args, ["--profile", "aigate-work", "exec", "hi"]);
        let tok = l.env.iter().find(|(k, _)| k == codex::TOKEN_ENV).unwrap();
        assert_eq!(tok.1.expose(), "Bearer t");
        let key = l
            .env
            .iter()
            .find(|(k, _)| k == "CLOUDFLARE_API_KEY")
            .unwrap();
        assert_eq!(key.1.expose(), "t", "the contract's variable for Codex");
        let own = vec![OsString::from("-p"), OsString::from("mine")];
        let l = prepare("codex".as_ref(), &own, &profile(), &Secret::new("t"), &at).unwrap();
        assert_eq!(l.args, own);
    }
}
