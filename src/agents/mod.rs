//! The coding agents aigate connects besides OpenCode: Claude Code and OpenAI's Codex CLI.
//!
//! - [`codex`]: Codex's profile file (`$CODEX_HOME/<profile>.config.toml`), merged with
//!   `toml_edit` so the user's comments and tables survive; removed key by key on logout.
//! - [`claude_code`]: Claude Code's variables, and the opt-in `env` block of its
//!   `settings.json` for launches that cannot go through `aigate run`.
//!
//! The [`crate::clients`] adapters for both are built on this module; `clients::launch` is
//! what `aigate run -- CMD` sets for the client it recognises by CMD's name.
//!
//! Facts per agent: `README.md` ("Other coding agents").

pub mod claude_code;
pub mod codex;

use serde::{Deserialize, Serialize};
use std::ffi::OsStr;
use std::fmt;

/// A coding agent aigate knows how to connect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Agent {
    Opencode,
    ClaudeCode,
    Codex,
}

impl Agent {
    pub const ALL: [Agent; 3] = [Agent::Opencode, Agent::ClaudeCode, Agent::Codex];

    /// The agent a command launches, by the command's file name (`/usr/bin/codex`,
    /// `claude.cmd`, `OpenCode.EXE`); `None` for every other command.
    pub fn from_program(program: &OsStr) -> Option<Agent> {
        let name = std::path::Path::new(program)
            .file_name()?
            .to_string_lossy()
            .to_ascii_lowercase();
        let stem = [".cmd", ".exe", ".bat", ".ps1"]
            .iter()
            .find_map(|ext| name.strip_suffix(ext))
            .unwrap_or(&name);
        Agent::ALL.into_iter().find(|a| a.command() == stem)
    }

    /// The command that starts it.
    pub fn command(self) -> &'static str {
        match self {
            Agent::Opencode => "opencode",
            Agent::ClaudeCode => "claude",
            Agent::Codex => "codex",
        }
    }

    /// The `--client` value and the name stored in aigate's state.
    pub fn slug(self) -> &'static str {
        match self {
            Agent::Opencode => "opencode",
            Agent::ClaudeCode => "claude-code",
            Agent::Codex => "codex",
        }
    }

    /// The npm package that installs it (for hints).
    pub fn npm_package(self) -> &'static str {
        match self {
            Agent::Opencode => "opencode-ai",
            Agent::ClaudeCode => "@anthropic-ai/claude-code",
            Agent::Codex => "@openai/codex",
        }
    }

    /// The provider prefix of the models it can use through the gateway (`None`: any).
    pub fn model_provider(self) -> Option<&'static str> {
        match self {
            Agent::Opencode => None,
            Agent::ClaudeCode => Some("anthropic"),
            Agent::Codex => Some("openai"),
        }
    }

    /// The model it uses when the profile's model is of another provider.
    pub fn default_model(self) -> Option<&'static str> {
        match self {
            Agent::Opencode => None,
            Agent::ClaudeCode => Some("anthropic/claude-sonnet-4.5"),
            Agent::Codex => Some("openai/gpt-5-mini"),
        }
    }

    /// The model this agent should use given the profile's model: the profile's when it is of
    /// the agent's provider, else the agent's default.
    pub fn model_for(self, profile_model: &str) -> String {
        match (self.model_provider(), self.default_model()) {
            (Some(p), Some(d)) => {
                if profile_model.starts_with(&format!("{p}/")) {
                    profile_model.to_string()
                } else {
                    d.to_string()
                }
            }
            _ => profile_model.to_string(),
        }
    }
}

impl fmt::Display for Agent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Agent::Opencode => "OpenCode",
            Agent::ClaudeCode => "Claude Code",
            Agent::Codex => "Codex",
        })
    }
}

/// `{gateway_url}/{account}/{gateway}/{provider}`: a provider endpoint of the gateway.
pub fn provider_base(gateway_url: &str, account: &str, gateway: &str, provider: &str) -> String {
    format!(
        "{}/{account}/{gateway}/{provider}",
        gateway_url.trim_end_matches('/')
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_agents_by_file_name_only() {
        let cases = [
            ("codex", Some(Agent::Codex)),
            ("/usr/local/bin/claude", Some(Agent::ClaudeCode)),
            ("C:\\tools\\claude.cmd", None), // backslashes are not separators on unix
            ("claude.cmd", Some(Agent::ClaudeCode)),
            ("Codex.EXE", Some(Agent::Codex)),
            ("./node_modules/.bin/opencode", Some(Agent::Opencode)),
            ("codex-helper", None),
            ("env", None),
            ("claude-code", None),
        ];
        for (p, want) in cases {
            if p.contains('\\') && cfg!(windows) {
                continue;
            }
            assert_eq!(Agent::from_program(OsStr::new(p)), want, "{p}");
        }
    }

    #[test]
    fn each_agent_gets_a_model_of_its_provider() {
        assert_eq!(
            Agent::Codex.model_for("openai/gpt-5.2"),
            "openai/gpt-5.2".to_string()
        );
        assert_eq!(
            Agent::Codex.model_for("anthropic/claude-sonnet-4.5"),
            "openai/gpt-5-mini"
        );
        assert_eq!(
            Agent::ClaudeCode.model_for("openai/gpt-5-mini"),
            "anthropic/claude-sonnet-4.5"
        );
        assert_eq!(Agent::Opencode.model_for("xai/grok-4.3"), "xai/grok-4.3");
    }

    #[test]
    fn provider_base_joins_without_double_slashes() {
        assert_eq!(
            provider_base(
                "https://gateway.ai.cloudflare.com/v1/",
                "a",
                "g",
                "anthropic"
            ),
            "https://gateway.ai.cloudflare.com/v1/a/g/anthropic"
        );
    }
}
