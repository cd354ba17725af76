//! Which coding agents setup connects (`--client`, repeatable; interactively a multi-select of
//! the installed ones with OpenCode preselected), and the file each needs besides OpenCode's:
//! Codex's profile file. Claude Code needs nothing on disk. Each agent's model is checked
//! against what it can speak (Codex: an `openai/` model over Responses; Claude Code: an
//! `anthropic/` one over Messages) and a sensible default is said when the profile's model
//! does not fit.

use crate::Secret;
use crate::agents::{Agent, codex};
use crate::cli::{ClientArg, SetupArgs, TokenDeliveryArg};
use crate::context::Context;
use crate::files::FileChange;
use crate::prompt::Prompter;
use crate::state::Profile;

/// The agents chosen and the file changes they add to the plan.
#[derive(Debug, Default)]
pub struct ClientsPlan {
    pub agents: Vec<Agent>,
    pub changes: Vec<FileChange>,
    /// One line per agent for the plan's description.
    pub lines: Vec<String>,
}

fn agent_of(a: ClientArg) -> Agent {
    match a {
        ClientArg::Opencode => Agent::Opencode,
        ClientArg::ClaudeCode => Agent::ClaudeCode,
        ClientArg::Codex => Agent::Codex,
    }
}

/// The closing lines saying how to launch each agent besides OpenCode.
pub fn launch_lines(plan: &ClientsPlan, profile_args: &str) -> Vec<String> {
    plan.agents
        .iter()
        .filter(|a| **a != Agent::Opencode)
        .map(|a| {
            let label = format!("Launch {a}:");
            format!("{label:<19}aigate{profile_args} run -- {}", a.command())
        })
        .collect()
}

/// `--client` values, or the interactive choice, or OpenCode alone.
pub fn choose(
    ctx: &Context,
    args: &SetupArgs,
    prompter: &mut dyn Prompter,
) -> anyhow::Result<Vec<Agent>> {
    let claude_settings = args.token_delivery == Some(TokenDeliveryArg::ClaudeSettings);
    if !args.clients.is_empty() || claude_settings {
        let mut out: Vec<Agent> = args.clients.iter().map(|c| agent_of(*c)).collect();
        if out.is_empty() {
            out.push(Agent::Opencode);
        }
        if claude_settings && !out.contains(&Agent::ClaudeCode) {
            out.push(Agent::ClaudeCode);
        }
        out.dedup();
        return Ok(out);
    }
    let others: Vec<Agent> = [Agent::ClaudeCode, Agent::Codex]
        .into_iter()
        .filter(|a| ctx.sandbox.is_none() && ctx.vars.find_program(a.command()).is_some())
        .collect();
    if !prompter.interactive() || others.is_empty() {
        return Ok(vec![Agent::Opencode]);
    }
    let mut offered = vec![Agent::Opencode];
    offered.extend(others);
    let items: Vec<String> = offered
        .iter()
        .map(|a| match a {
            Agent::Opencode => "OpenCode".to_string(),
            Agent::ClaudeCode => "Claude Code (launch with `aigate run -- claude`)".to_string(),
            Agent::Codex => "Codex (a profile in ~/.codex; `aigate run -- codex`)".to_string(),
        })
        .collect();
    let defaults: Vec<bool> = offered.iter().map(|a| *a == Agent::Opencode).collect();
    let picked = prompter.multi_select(
        "Which coding agents should use the gateway?",
        &items,
        &defaults,
        "--client",
    )?;
    let chosen: Vec<Agent> = picked.into_iter().map(|i| offered[i]).collect();
    Ok(if chosen.is_empty() {
        vec![Agent::Opencode]
    } else {
        chosen
    })
}

/// With `--token-delivery claude-settings`: the variables (token included) in Claude Code's
/// `settings.json`, after a loud warning, as `--insecure-storage` gives one.
pub fn plan_claude_settings(
    ctx: &Context,
    args: &SetupArgs,
    profile: &Profile,
    token: &Secret,
    out: &mut ClientsPlan,
) -> anyhow::Result<()> {
    if args.token_delivery != Some(TokenDeliveryArg::ClaudeSettings) {
        return Ok(());
    }
    let at = crate::clients::launch::Where::of(ctx);
    let vars = crate::agents::claude_code::env(profile, at.gateway_url, token);
    let change = crate::agents::claude_code::plan_settings_write(&at.claude_settings, &vars)?;
    ctx.ui.warn(&format!(
        "--token-delivery claude-settings: the Cloudflare API token will be kept in PLAINTEXT in {} \
         (mode 0600, readable by you and by anything running as you, and by your backups). \
         `aigate run -- claude` needs no file; `aigate logout` removes these variables.",
        at.claude_settings.display()
    ));
    out.lines.push(format!(
        "Claude settings  {} ({}, mode 0600, token in PLAINTEXT)",
        change.path.display(),
        change.describe()
    ));
    out.changes.push(change);
    Ok(())
}

/// The changes and notes for the chosen agents other than OpenCode.
pub fn plan(
    ctx: &Context,
    agents: &[Agent],
    account_id: &str,
    gateway_id: &str,
    model: &str,
) -> anyhow::Result<ClientsPlan> {
    let mut out = ClientsPlan {
        agents: agents.to_vec(),
        ..ClientsPlan::default()
    };
    for agent in agents {
        let agent_model = agent.model_for(model);
        if *agent != Agent::Opencode && agent_model != model {
            ctx.ui.note(&format!(
                "{agent} needs an {}/ model; it will use {agent_model}",
                agent.model_provider().unwrap_or_default()
            ));
        }
        match agent {
            Agent::Opencode => {}
            Agent::ClaudeCode => out.lines.push(format!(
                "Claude Code      nothing on disk; launch with `aigate run -- claude` (model {agent_model})"
            )),
            Agent::Codex => {
                let path = codex::profile_path(&ctx.codex_home(), ctx.profile_name());
                let m = agent_model.strip_prefix("openai/").unwrap_or(&agent_model);
                let change = codex::plan_write(
                    &path,
                    &codex::CodexProfile {
                        model: m.to_string(),
                        base_url: crate::agents::provider_base(
                            &ctx.endpoints.gateway_url,
                            account_id,
                            gateway_id,
                            "openai",
                        ),
                    },
                )?;
                out.lines.push(format!(
                    "Codex profile    {} ({}); launch with `aigate run -- codex`",
                    path.display(),
                    change.describe()
                ));
                out.changes.push(change);
            }
        }
    }
    Ok(out)
}
